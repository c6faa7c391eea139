/**
 * `localmeter`: the emulator as a library. `startEmulator` serves all three surfaces and the
 * control plane on one port; pass `dataDir: null` to keep nothing on disk.
 */
export { startEmulator, PortInUseError, DataDirInUseError, type StartOptions, type RunningEmulator } from '../runtime/main.ts';
export { Emulator, type EmulatorOptions } from '../runtime/Emulator.ts';
export type { JournalItem, JournalFilter } from '../runtime/RequestJournal.ts';
export { VERSION } from '../version.ts';
