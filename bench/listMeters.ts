import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from './types.ts';
import { freePort, isMain, load, ROOT, round, spawnChild, startBareExpress, startEmulatorProcess, waitForHttp, type LoadResult } from './util.ts';

/**
 * `GET /api/v1/meters` with 10 meters defined, emulator with request validation on
 * (as `npm start` runs it: request validation on, response validation off).
 * Targets: ≥ 50% of a bare Express 5 app answering the same route with the same JSON, and
 * ≥ 4× Prism mocking the vendor v1 document.
 */
const DURATION_S = 10;
const CONNECTIONS = 4;
const METERS = 10;
const PATH = '/api/v1/meters';

const run1 = (url: string): Promise<LoadResult> => load({ url: url + PATH, connections: CONNECTIONS, duration: DURATION_S });

async function measureEmulator(): Promise<{ r: LoadResult; body: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = startEmulatorProcess(port);
  try {
    await waitForHttp(`${base}/_emulator/health`, child);
    const aggs = ['SUM', 'COUNT', 'MAX', 'UNIQUE_COUNT', 'AVG'];
    for (let i = 0; i < METERS; i++) {
      const agg = aggs[i % aggs.length]!;
      const meter: Record<string, unknown> = { slug: `meter_${i}`, name: `Meter ${i}`, description: `bench meter ${i}`, eventType: `event_${i}`, aggregation: agg, groupBy: { model: '$.model', region: '$.region' } };
      if (agg !== 'COUNT') meter.valueProperty = agg === 'UNIQUE_COUNT' ? '$.user' : '$.tokens';
      const r = await fetch(`${base}/api/v1/meters`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(meter) });
      if (r.status >= 300) throw new Error(`creating meter_${i} answered ${r.status}: ${await r.text()}`);
    }
    const first = await fetch(base + PATH);
    const body = await first.text();
    if (first.status !== 200 || (JSON.parse(body) as unknown[]).length !== METERS) throw new Error(`GET ${PATH} answered ${first.status}: ${body.slice(0, 500)}`);
    return { r: await run1(base), body };
  } finally {
    await child.kill();
  }
}

async function measureBare(body: string): Promise<LoadResult> {
  const port = await freePort();
  const child = startBareExpress(port, { kind: 'json', path: PATH, body });
  try {
    await waitForHttp(`http://127.0.0.1:${port}${PATH}`, child);
    return await run1(`http://127.0.0.1:${port}`);
  } finally {
    await child.kill();
  }
}

async function measurePrism(): Promise<{ r: LoadResult | null; spec: string; error?: string }> {
  const vendor = join(ROOT, '../shared/reference/vendor/openmeter-v1.openapi.yaml');
  const spec = existsSync(vendor) ? vendor : join(ROOT, 'specs/openmeter-v1.yaml');
  const label = existsSync(vendor) ? 'vendor openmeter-v1.openapi.yaml' : 'our specs/openmeter-v1.yaml';
  const port = await freePort();
  const child = spawnChild(join(ROOT, 'node_modules/.bin/prism'), ['mock', '-p', String(port), '-h', '127.0.0.1', spec]);
  try {
    try {
      await waitForHttp(`http://127.0.0.1:${port}${PATH}`, child, 120_000);
    } catch (e) {
      return { r: null, spec: label, error: (e instanceof Error ? e.message : String(e)).slice(0, 400) };
    }
    const probe = await fetch(`http://127.0.0.1:${port}${PATH}`);
    await probe.arrayBuffer();
    if (probe.status !== 200) return { r: null, spec: label, error: `Prism answered ${probe.status} to GET ${PATH}` };
    return { r: await run1(`http://127.0.0.1:${port}`), spec: label };
  } finally {
    await child.kill();
  }
}

export async function run(): Promise<BenchResult[]> {
  const emu = await measureEmulator();
  const bare = await measureBare(emu.body);
  const prism = await measurePrism();
  const fig = round(emu.r.reqPerSec, 0);
  const common = `${CONNECTIONS} connections, ${DURATION_S} s each; ${METERS} meters, ${emu.body.length} B body; emulator p50 ${emu.r.latencyP50} ms, ${emu.r.non2xx} non-2xx, ${emu.r.errors} errors`;
  const vsBare: BenchResult = {
    name: 'GET /api/v1/meters (10 meters) vs bare Express',
    figure: fig,
    unit: 'req/s',
    target: '≥ 50% of bare Express',
    baseline: { name: 'bare Express 5, same route + JSON', figure: round(bare.reqPerSec, 0), unit: 'req/s' },
    ratio: round(emu.r.reqPerSec / bare.reqPerSec),
    pass: emu.r.reqPerSec >= 0.5 * bare.reqPerSec && emu.r.non2xx === 0,
    notes: `${common}; bare p50 ${bare.latencyP50} ms`,
  };
  const vsPrism: BenchResult = prism.r
    ? {
        name: 'GET /api/v1/meters (10 meters) vs Prism mock',
        figure: fig,
        unit: 'req/s',
        target: '≥ 4× Prism',
        baseline: { name: `Prism 5.14.2 mock (${prism.spec})`, figure: round(prism.r.reqPerSec, 0), unit: 'req/s' },
        ratio: round(emu.r.reqPerSec / prism.r.reqPerSec),
        pass: emu.r.reqPerSec >= 4 * prism.r.reqPerSec,
        notes: `${common}; Prism served ${prism.spec}, p50 ${prism.r.latencyP50} ms, ${prism.r.non2xx} non-2xx`,
      }
    : {
        name: 'GET /api/v1/meters (10 meters) vs Prism mock',
        figure: fig,
        unit: 'req/s',
        target: '≥ 4× Prism',
        baseline: { name: `Prism 5.14.2 mock (${prism.spec})`, figure: Number.NaN, unit: 'req/s' },
        ratio: Number.NaN,
        pass: false,
        notes: `Prism did not serve: ${prism.error}`,
      };
  return [vsBare, vsPrism];
}

if (isMain(import.meta.url)) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
