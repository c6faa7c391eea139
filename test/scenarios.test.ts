import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, runScenario, subsetMismatch, normaliseIds, ScenarioError } from '../src/harness/scenario.ts';
import { checkSnapshot, snapshotFileFor } from '../src/harness/snapshots.ts';

const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml'));

/** Every scenario replays with its expectations met and its recorded output unchanged. */
describe.each(files)('scenario %s', (file) => {
  it('meets its expectations and matches its snapshot', async () => {
    const path = join('scenarios', file);
    const result = await runScenario(parseScenario(readFileSync(path, 'utf8'), path));
    expect(result.failures).toEqual([]);
    // snapshots sit next to the scenario (scenarios/snapshots/), not in the working directory
    expect(checkSnapshot(result, join(snapshotFileFor(path, result.name), '..'), 'check').differences).toEqual([]);
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

describe('scenario scripts are checked before they run', () => {
  const problems = (text: string) => {
    try {
      parseScenario(text, 'scenarios/x.yaml');
    } catch (err) {
      if (err instanceof ScenarioError) return err.message.split('\n');
      throw err;
    }
    return [];
  };

  it('names file, line and column of an unknown key, and what was expected', () => {
    expect(
      problems(`name: x
steps:
  - reqeust: { method: GET, path: /api/v1/meters }
  - request: { method: GET, path: /api/v1/meters, bdy: {} }
    expect: { stauts: 200 }
`),
    ).toEqual([
      'scenarios/x.yaml:3:5: unknown key `reqeust` in step 1; expected one of request, ingest, generate, advance, invoices, balance, expect, save, snapshot, note',
      'scenarios/x.yaml:3:5: step 1: expected exactly one of request, ingest, generate, advance, invoices, balance, found none',
      'scenarios/x.yaml:4:51: unknown key `bdy` in step 2 request; expected one of method, path, body, headers',
      'scenarios/x.yaml:5:15: unknown key `stauts` in step 2 expect; expected one of status, body',
    ]);
  });

  it('fails on a ${var} no earlier step saves', () => {
    expect(
      problems(`name: x
steps:
  - request: { method: POST, path: /api/v1/meters, body: { slug: m, eventType: e, aggregation: COUNT } }
    save: { meterId: id }
  - request: { method: GET, path: "/api/v1/meters/\${meterid}" }
`),
    ).toEqual(['scenarios/x.yaml:5:51: `${meterid}` in step 2 request is not defined: no earlier step saves it (saved so far: meterId); add `save: { meterid: <path in a response> }` to an earlier step']);
  });

  it('checks values: method, path, advance, start, status, and reports bad YAML', () => {
    expect(
      problems(`name: x
start: tomorrow
steps:
  - request: { method: FETCH, path: api/v1/meters }
  - advance: one month
  - request: { method: GET, path: /api/v1/meters }
    expect: { status: ok }
`),
    ).toEqual([
      'scenarios/x.yaml:2:8: expected `start` to be an ISO 8601 instant, e.g. 2026-01-01T00:00:00Z',
      'scenarios/x.yaml:4:24: step 1: expected `request.method` to be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS',
      'scenarios/x.yaml:4:37: step 1: expected `request.path` to be a path starting with /, e.g. /api/v1/meters',
      'scenarios/x.yaml:5:14: step 2: expected `advance` to be an ISO 8601 duration (P1M, P1D, PT1H) or { to: <instant> }',
      'scenarios/x.yaml:7:23: step 3: expected `expect.status` to be an HTTP status, e.g. 200',
    ]);
    expect(problems('name: x\nsteps: [\n')[0]).toMatch(/^scenarios\/x\.yaml:\d+:\d+: not valid YAML: /);
    expect(problems('steps: []')).toEqual(['scenarios/x.yaml:1:1: missing `name` (e.g. `name: tokens-monthly`; it names the snapshot file)']);
  });

  it('save {path, match} keeps the first group of a regular expression over a string in the answer; no match fails the step', async () => {
    expect(problems('name: x\nsteps:\n  - request: { method: GET, path: /api/v1/meters }\n    save: { s: { path: url, match: "(" } }\n')[0]).toMatch(
      /^scenarios\/x\.yaml:4:36: step 1: `save\.s\.match` is not a regular expression: /,
    );
    expect(problems('name: x\nsteps:\n  - request: { method: GET, path: /api/v1/meters }\n    save: { s: { path: url, matches: x } }\n')).toEqual([
      'scenarios/x.yaml:4:29: unknown key `matches` in step 1 save.s; expected one of path, match',
      'scenarios/x.yaml:4:16: step 1: expected `save.s.match` to be a regular expression, e.g. /checkout/([^/?]+)',
    ]);
    const result = await runScenario(
      parseScenario(`name: x
steps:
  - request: { method: POST, path: /api/v1/meters, body: { slug: tokens_in, eventType: e, aggregation: COUNT } }
    save: { kind: { path: slug, match: '_(\\w+)$' }, whole: { path: slug, match: "tok" } }
  - request: { method: GET, path: "/api/v1/meters/tokens_\${kind}" }
    expect: { status: 200, body: { slug: "\${whole}ens_in" } }
  - request: { method: GET, path: /api/v1/meters/tokens_in }
    save: { none: { path: slug, match: "^x" } }
`),
    );
    expect(result.failures).toEqual(['step 3: save.none: /^x/ does not match slug ("tokens_in")']);
  });

  it('a 5xx answer fails the run (a 501) instead of being recorded', async () => {
    // the marketplace OAuth2 install answers 501, as the real router does
    const result = await runScenario(
      parseScenario(`name: x
steps:
  - request: { method: GET, path: /api/v1/marketplace/listings/stripe/install/oauth2 }
    snapshot: oauth
  - request: { method: GET, path: /api/v1/marketplace/listings/stripe/install/oauth2 }
    expect: { status: 501 }
`),
    );
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatch(/^step 1: answered 501: /);
    expect(result.snapshots).toEqual({});
  });

  it('records the snapshot of a new scenario whose expectations pass, and never of a failing one', async () => {
    const { mkdtempSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'lm-snap-new-'));
    const ok = await runScenario(parseScenario('name: fresh\nsteps:\n  - request: { method: GET, path: /api/v1/meters }\n    snapshot: meters\n'));
    expect(checkSnapshot(ok, dir, 'check')).toMatchObject({ written: false, differences: [expect.stringMatching(/^no snapshot at /)] });
    expect(checkSnapshot(ok, dir, 'new')).toMatchObject({ written: true, differences: [] });
    expect(checkSnapshot(ok, dir, 'check').differences).toEqual([]);
    const bad = { ...ok, name: 'broken', failures: ['step 1: expected status 201, got 200'] };
    expect(checkSnapshot(bad, dir, 'new').written).toBe(false);
    expect(checkSnapshot(bad, dir, 'update').written).toBe(false);
    expect(existsSync(join(dir, 'broken.json'))).toBe(false);
  });
});
