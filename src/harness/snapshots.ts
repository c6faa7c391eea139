import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ScenarioResult } from './scenario.ts';

export interface SnapshotCheck {
  file: string;
  /** human-readable differences; empty when the recorded output matches */
  differences: string[];
  written: boolean;
}

/**
 * `check`: compare, a missing snapshot is a difference (CI). `new`: compare, record a missing
 * one (a first run of a new scenario). `update`: record whatever the run produced.
 */
export type SnapshotMode = 'check' | 'new' | 'update';

/** Snapshots live beside the scenario, in `snapshots/` next to the file, wherever it is run from. */
export const snapshotFileFor = (scenarioFile: string, name: string, dir?: string): string => join(dir ?? join(dirname(scenarioFile), 'snapshots'), `${name}.json`);

function diff(expected: unknown, actual: unknown, at: string, out: string[]): void {
  if (out.length >= 20) return;
  if (JSON.stringify(expected) === JSON.stringify(actual)) return;
  if (expected && actual && typeof expected === 'object' && typeof actual === 'object' && Array.isArray(expected) === Array.isArray(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of keys) diff((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], Array.isArray(expected) ? `${at}[${k}]` : `${at}.${k}`, out);
    return;
  }
  out.push(`${at}: recorded ${JSON.stringify(expected)}, now ${JSON.stringify(actual)}`);
}

/**
 * Compares a scenario's recorded responses with `<dir>/<name>.json`. Output only becomes
 * "expected" on purpose: by `update`, or by `new` for a scenario with no snapshot yet — and
 * never from a run whose expectations failed.
 */
export function checkSnapshot(result: ScenarioResult, dir: string, mode: SnapshotMode | boolean): SnapshotCheck {
  const m: SnapshotMode = mode === true ? 'update' : mode === false ? 'check' : mode;
  const file = join(dir, `${result.name}.json`);
  const actual = result.snapshots;
  const record = () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(actual, null, 2) + '\n');
    return { file, differences: [], written: true };
  };
  const failed = result.failures.length > 0;
  if (m === 'update' && !failed) return record();
  if (!existsSync(file)) {
    if (m === 'new' && !failed) return record();
    return { file, differences: [`no snapshot at ${file}: ${failed ? 'fix the failures above, then run' : 'run'} \`localmeter scenario <file> --update\` to record one`], written: false };
  }
  const expected = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const differences: string[] = [];
  diff(expected, actual, '$', differences);
  return { file, differences, written: false };
}
