import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioResult } from './scenario.ts';

export interface SnapshotCheck {
  file: string;
  /** human-readable differences; empty when the recorded output matches */
  differences: string[];
  written: boolean;
}

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
 * Compares a scenario's recorded responses with `snapshots/<name>.json`. A missing snapshot is a
 * difference unless `update` is set: output only becomes "expected" on purpose.
 */
export function checkSnapshot(result: ScenarioResult, dir: string, update: boolean): SnapshotCheck {
  const file = join(dir, `${result.name}.json`);
  const actual = result.snapshots;
  if (update) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(actual, null, 2) + '\n');
    return { file, differences: [], written: true };
  }
  if (!existsSync(file)) return { file, differences: [`no snapshot at ${file}: run \`localmeter scenario <file> --update\` to record one`], written: false };
  const expected = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const differences: string[] = [];
  diff(expected, actual, '$', differences);
  return { file, differences, written: false };
}
