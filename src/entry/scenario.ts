/**
 * `localmeter/scenario`: replay scenario scripts and compare them with their recorded snapshots
 * (docs/scenarios.md; the format's JSON Schema is `localmeter/schemas/scenario.schema.json`).
 */
export {
  parseScenario,
  runScenario,
  targetObstacle,
  subsetMismatch,
  normaliseIds,
  ScenarioError,
  INVOICES_SNAPSHOT,
  type Scenario,
  type ScenarioStep,
  type ScenarioResult,
  type RunOptions,
} from '../harness/scenario.ts';
export { checkSnapshot, snapshotFileFor, type SnapshotCheck, type SnapshotMode } from '../harness/snapshots.ts';
export { generateEvents, type GenerateSpec, type GeneratedEvent, type ValueShape } from '../harness/generate.ts';
export { summariseInvoice, type InvoiceSummary, type LineSummary } from '../harness/invoiceSummary.ts';
