import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario, runScenario } from '../src/harness/scenario.ts';
import { startTestEmulator } from '../src/harness/testEmulator.ts';
import type { RunningEmulator } from '../src/runtime/main.ts';

/**
 * `--target <url>` replays a scenario against another deployment that speaks the same API. Here
 * the other deployment is a second localmeter, started by the test with its own clock and seed.
 */
let target: RunningEmulator;
beforeAll(async () => {
  target = await startTestEmulator({ start: new Date('2026-06-01T12:00:00Z'), seed: 99 });
});
afterAll(async () => {
  await target.stop();
});

const journal = async () => ((await (await fetch(`${target.url}/_emulator/requests?pageSize=1000`)).json()) as { items?: unknown[]; totalCount?: number });

const noClock = `name: no-clock
steps:
  - request: { method: POST, path: /api/v1/meters, body: { slug: calls, name: Calls, eventType: call, aggregation: COUNT } }
    expect: { status: 200 }
  - request: { method: POST, path: /api/v1/features, body: { key: calls, name: Calls, meterSlug: calls } }
    expect: { status: 201 }
  - request: { method: POST, path: /api/v1/customers, body: { key: acme, name: Acme, usageAttribution: { subjectKeys: [acme] } } }
    expect: { status: 201 }
    save: { acme: id }
  - request: { method: POST, path: /api/v2/customers/acme/entitlements, body: { type: metered, featureKey: calls, usagePeriod: { interval: MONTH, anchor: "2026-06-01T00:00:00Z" }, measureUsageFrom: "2026-06-01T00:00:00Z", issueAfterReset: 100 } }
    expect: { status: 201 }
  - generate: { type: call, subjects: [acme], perDay: 3, from: "2026-06-01T00:00:00Z", to: "2026-06-01T00:00:00.500Z" }
  - ingest: [{ type: call, subject: acme, time: "2026-06-01T00:00:00Z" }]
  - request: { method: GET, path: "/api/v1/meters/calls/query?from=2026-05-01T00:00:00Z&to=2026-07-01T00:00:00Z" }
    expect: { status: 200, body: { data: [{ value: 4 }] } }   # 3 generated + 1
    snapshot: usage
  - balance: { customer: acme, feature: calls }
    expect: { status: 200, body: { usage: 4, balance: 96 } }   # 100 − 4
  - invoices: { customer: acme }
    expect: { body: [] }
`;

describe('scenario --target', () => {
  it('runs a scenario that does not move the clock against the other deployment, unchanged', async () => {
    const result = await runScenario(parseScenario(noClock, 'no-clock.yaml'), { target: target.url });
    expect(result.failures).toEqual([]);
    // its ids and times are the target's own: nothing is recorded
    expect(result.snapshots).toEqual({});
    // the state is on the target, not in a throw-away emulator
    const meters = (await (await fetch(`${target.url}/api/v1/meters`)).json()) as Array<{ slug: string }>;
    expect(meters.map((m) => m.slug)).toEqual(['calls']);
  });

  it('fails a scenario that moves the clock before sending anything, saying why', async () => {
    const before = await journal();
    const file = 'scenarios/price-flat-and-unit.yaml';
    const result = await runScenario(parseScenario(readFileSync(file, 'utf8'), file), { target: target.url });
    expect(result.failures).toEqual([
      "price-flat-and-unit moves the clock (step 8: advance: { to: 2026-03-01T02:00:00Z }); another deployment's clock cannot be moved, so it runs only against localmeter (drop --target). Nothing was sent.",
    ]);
    expect((await journal()).totalCount).toBe(before.totalCount);
    // a request to the emulator's control plane counts as moving the clock too
    const viaControl = await runScenario(parseScenario('name: c\nsteps:\n  - request: { method: POST, path: /_emulator/clock/advance, body: { by: P1D } }\n'), { target: target.url });
    expect(viaControl.failures[0]).toMatch(/^c moves the clock \(step 1: POST \/_emulator\/clock\/advance\)/);
  });

  it('through the CLI: exit 1 with the message', async () => {
    const TSX = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
    const out = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, ['--import', TSX, 'src/cli.ts', 'scenario', 'scenarios/discounts.yaml', '--target', target.url], { env: { ...process.env, CI: '' }, timeout: 60_000 }, (err, stdout) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
      ),
    );
    expect(out.code).toBe(1);
    expect(out.stdout).toContain("FAIL discounts\n     discounts moves the clock (step 8: advance: { to: 2026-03-01T02:00:00Z }); another deployment's clock cannot be moved, so it runs only against localmeter (drop --target). Nothing was sent.\n");
  }, 60_000);
});
