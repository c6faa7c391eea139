import { performance } from 'node:perf_hooks';
import type { BenchResult } from './types.ts';
import { freePort, isMain, load, round, startBareExpress, startEmulatorProcess, waitForHttp, type Child, type LoadResult } from './util.ts';

/**
 * Target: HTTP ingestion of ≥ 50,000 events/s in 1,000-event `application/cloudevents-batch+json`
 * batches, emulator in its own process, as `npm start` runs it (response validation off).
 * Baseline: a bare Express 5 app that parses the same bodies with `express.json` and answers 204.
 * Every batch the emulator sees carries ids it has not seen before, so deduplication cannot
 * short-circuit the work.
 */
const BATCH = 1000;
const TARGET = 50_000;
const DURATION_S = 10;
const CONNECTIONS = 4;
/** pre-serialised distinct bodies (~170 KiB each) */
const POOL = 1200;
const START = Date.parse('2025-01-01T00:00:00Z');
const SPAN = 31 * 86_400_000;
const METER = 'bench_prompts';
const EVENT_TYPE = 'bench_prompt';
const CONTENT_TYPE = 'application/cloudevents-batch+json';

function makeBodies(): string[] {
  const models = ['gpt-4o', 'gpt-4o-mini', 'claude', 'llama'];
  const bodies: string[] = new Array(POOL);
  let x = 12345;
  for (let b = 0; b < POOL; b++) {
    const events = new Array(BATCH);
    for (let i = 0; i < BATCH; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      events[i] = {
        id: `b${b}-e${i}`,
        source: 'bench',
        specversion: '1.0',
        type: EVENT_TYPE,
        subject: `customer-${x % 100}`,
        time: new Date(START + (x % SPAN)).toISOString(),
        data: { tokens: x % 1000, model: models[x % models.length] },
      };
    }
    bodies[b] = JSON.stringify(events);
  }
  return bodies;
}

/**
 * One new body per request, in order. Past the end of the pool the ids get a round prefix
 * (one native replaceAll), so even a faster-than-expected server never sees a duplicate.
 */
function bodyFeeder(bodies: string[]) {
  let next = 0;
  return {
    used: () => next,
    load: (url: string): Promise<LoadResult> =>
      load({
        url,
        connections: CONNECTIONS,
        duration: DURATION_S,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/events',
            headers: { 'content-type': CONTENT_TYPE },
            setupRequest: (req) => {
              const n = next++;
              const lap = Math.floor(n / bodies.length);
              const body = bodies[n % bodies.length]!;
              return { ...req, body: lap === 0 ? body : body.replaceAll('"id":"b', `"id":"r${lap}-b`) };
            },
          },
        ],
      }),
  };
}

async function measureBare(bodies: string[]): Promise<LoadResult> {
  const port = await freePort();
  const child = startBareExpress(port, { kind: 'ingest' });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, child);
    return await bodyFeeder(bodies).load(`http://127.0.0.1:${port}`);
  } finally {
    await child.kill();
  }
}

async function measureEmulator(bodies: string[]): Promise<{ r: LoadResult; stored: number; sent: number; firstBatchMs: number; notes: string[] }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child: Child = startEmulatorProcess(port);
  const notes: string[] = [];
  try {
    await waitForHttp(`${base}/_emulator/health`, child);
    const created = await fetch(`${base}/api/v1/meters`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ slug: METER, name: METER, eventType: EVENT_TYPE, aggregation: 'COUNT' }),
    });
    if (created.status !== 201 && created.status !== 200) throw new Error(`creating the meter answered ${created.status}: ${await created.text()}`);
    // A warm-up batch with ids outside the pool compiles the operation's validator before the clock starts.
    const warm = JSON.stringify([{ id: 'warmup-1', source: 'bench', specversion: '1.0', type: 'bench_warmup', subject: 'w', time: '2025-01-01T00:00:00Z', data: {} }]);
    const w0 = performance.now();
    const wr = await fetch(`${base}/api/v1/events`, { method: 'POST', headers: { 'content-type': CONTENT_TYPE }, body: warm });
    const firstBatchMs = performance.now() - w0;
    if (wr.status !== 204) throw new Error(`warm-up ingest answered ${wr.status}: ${await wr.text()}`);

    const feeder = bodyFeeder(bodies);
    const r = await feeder.load(base);
    const sent = feeder.used();
    // What was stored: the COUNT meter over all time, summed over its rows.
    const q = await fetch(`${base}/api/v1/meters/${METER}/query?from=${encodeURIComponent('2024-12-01T00:00:00Z')}&to=${encodeURIComponent('2025-03-01T00:00:00Z')}`);
    const qBody = (await q.json()) as { data?: Array<{ value: number }> };
    if (q.status !== 200) throw new Error(`meter query answered ${q.status}: ${JSON.stringify(qBody)}`);
    const stored = (qBody.data ?? []).reduce((a, d) => a + Number(d.value), 0);
    return { r, stored, sent, firstBatchMs, notes };
  } finally {
    await child.kill();
  }
}

export async function run(): Promise<BenchResult> {
  const bodies = makeBodies();
  const bare = await measureBare(bodies);
  const emu = await measureEmulator(bodies);
  const figure = (emu.r.ok * BATCH) / emu.r.durationS;
  const baseline = (bare.ok * BATCH) / bare.durationS;
  const acknowledged = emu.r.ok * BATCH;
  // requests still in flight when autocannon stops may be stored without being counted as answered
  const storedOk = emu.stored >= acknowledged && emu.stored <= emu.sent * BATCH;
  return {
    name: 'HTTP ingest: POST /api/v1/events, 1,000-event batches',
    figure: Math.round(figure),
    unit: 'events/s',
    target: `≥ ${TARGET.toLocaleString('en')} events/s`,
    baseline: { name: 'bare Express 5 + express.json, 204', figure: Math.round(baseline), unit: 'events/s' },
    ratio: round(figure / baseline),
    pass: figure >= TARGET && storedOk && emu.r.errors === 0,
    notes: [
      `${CONNECTIONS} connections, ${DURATION_S} s, ${(bodies[0]!.length / 1024).toFixed(0)} KiB bodies`,
      `emulator: ${emu.r.ok} batches 2xx, ${emu.r.non2xx} non-2xx, ${emu.r.errors} errors, p50 ${emu.r.latencyP50} ms, p99 ${emu.r.latencyP99} ms`,
      `bare: ${bare.ok} batches, p50 ${bare.latencyP50} ms`,
      `stored (COUNT meter) ${emu.stored} of ${acknowledged} acknowledged (≤ ${emu.sent * BATCH} sent)${storedOk ? ' ✓' : ' MISMATCH'}`,
      `first batch (validator compile) ${round(emu.firstBatchMs)} ms`,
      ...emu.notes,
    ].join('; '),
  };
}

if (isMain(import.meta.url)) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
