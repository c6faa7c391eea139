/**
 * `localmeter/testing`: the contract-test kit (docs/test-kit.md).
 */
export { startEmulator, writeOperationsReport, type KitEmulator, type KitOptions, type KitClock, type CallExpectation, type RequestRecord, type OperationsReport } from '../harness/kit.ts';
export { createTestEmulator, startTestEmulator } from '../harness/testEmulator.ts';
export type { JournalFilter } from '../runtime/RequestJournal.ts';
export type { JobRecord } from '../domain/shared/jobs.ts';
