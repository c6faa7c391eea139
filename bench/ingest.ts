import { performance } from 'node:perf_hooks';
import type { BenchResult } from './types.ts';
import { freePort, isMain, load, round, startBareExpress, startEmulatorProcess, waitForHttp, type Child, type LoadResult } from './util.ts';

/**
 * Target: HTTP ingestion of ≥ 50,000 events/s in 1,000-event `application/cloudevents-batch+json`
 * batches, emulator in its own process (NODE_ENV=production: response validation off).
 * Baseline: a bare Express 5 app that parses the same bodies with `express.json` and answers 204.
 * Every batch the emulator sees carries ids it has not seen before, so deduplication cannot
 * short-circuit the work.
 */
const BATCH = 1000;
const TARGET = 50_000;
const DURATION_S = 10;
const CONNECTIONS = 4;
/** distinct bodies; more than the emulator could take in DURATION_S even at 2.4× the target */
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

/** One new body per request, in order; reports how many it handed out so reuse is visible. */
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
            setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length]! }),
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
    if (sent > bodies.length) notes.push(`WARNING: ${sent} requests > ${bodies.length} distinct bodies, later batches were duplicates`);
    // What was stored: the COUNT meter over all time, summed over its rows.
    const q = await fetch(`${base}/api/v1/meters/${METER}/query?from=2024-12-01T00:00:00Z&to=2025-03-01T00:00:00Z`);
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
  const storedOk = emu.stored === acknowledged;
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
      `stored (COUNT meter) ${emu.stored} of ${acknowledged} acknowledged${storedOk ? ' ✓' : ' MISMATCH'} (${emu.sent} requests sent incl. in-flight at stop)`,
      `first batch (validator compile) ${round(emu.firstBatchMs)} ms`,
      ...emu.notes,
    ].join('; '),
  };
}

if (isMain(import.meta.url)) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
