import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, runScenario, subsetMismatch, normaliseIds } from '../src/harness/scenario.ts';
import { checkSnapshot } from '../src/harness/snapshots.ts';

const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml'));

/** Every scenario replays with its expectations met and its recorded output unchanged. */
describe.each(files)('scenario %s', (file) => {
  it('meets its expectations and matches its snapshot', async () => {
    const result = await runScenario(parseScenario(readFileSync(join('scenarios', file), 'utf8')));
    expect(result.failures).toEqual([]);
    expect(checkSnapshot(result, 'snapshots', false).differences).toEqual([]);
  }, 120_000);
});

describe('scenario harness', () => {
  it('matches subsets and reports the first difference with its path', () => {
    expect(subsetMismatch({ a: 1, b: [{ c: 'x' }] }, { b: [{ c: 'x' }] })).toBeNull();
    expect(subsetMismatch({ a: 1, b: [{ c: 'x' }] }, { b: [{ c: 'y' }] })).toBe('$.b[0].c: expected "y", got "x"');
    expect(subsetMismatch({ v: '3002.5' }, { v: 3002.5 })).toBeNull();
    expect(subsetMismatch({ list: [1, 2] }, { list: [1] })).toBe('$.list: expected 1 items, got 2');
  });

  it('normalises ULIDs by order of appearance', () => {
    const a = '01KAW2Y7W3D3HWV8QPRB0D5JZ1';
    const b = '01KAW2Y7W3D3HWV8QPRB0D5JZ2';
    expect(normaliseIds({ id: a, ref: `/plans/${b}`, again: a })).toEqual({ id: '<id:1>', ref: '/plans/<id:2>', again: '<id:1>' });
    expect(normaliseIds({ balances: { [b]: 1, [a]: 2 } })).toEqual({ balances: { '<id:1>': 1, '<id:2>': 2 } });
  });

  it('fails when the recorded output changes', async () => {
    const scenario = parseScenario(`
name: probe
steps:
  - request: { method: POST, path: /api/v1/meters, body: { slug: m, eventType: e, aggregation: COUNT } }
    snapshot: meter
`);
    const result = await runScenario(scenario);
    const changed = { ...result, snapshots: { meter: { ...(result.snapshots.meter as object), aggregation: 'SUM' } } };
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'lm-snap-'));
    checkSnapshot(result, dir, true);
    expect(checkSnapshot(result, dir, false).differences).toEqual([]);
    expect(checkSnapshot(changed, dir, false).differences).toEqual(['$.meter.aggregation: recorded "COUNT", now "SUM"']);
  });
});
