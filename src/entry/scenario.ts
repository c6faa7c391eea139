/**
 * `localmeter/scenario`: replay scenario scripts and compare them with their recorded snapshots.
 */
export { parseScenario, runScenario, subsetMismatch, normaliseIds, ScenarioError, type Scenario, type ScenarioStep, type ScenarioResult } from '../harness/scenario.ts';
export { checkSnapshot, snapshotFileFor, type SnapshotCheck, type SnapshotMode } from '../harness/snapshots.ts';
