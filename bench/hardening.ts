import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './types.ts';
import { ensureBuilt, freePort, isMain, median, round, spawnChild, type Child } from './util.ts';

/**
 * Issue 14 (steady under load). Three figures, each against a baseline measured in the same run:
 * - restart over 1,000,000 stored events: spawn to the first 200 (target ≤ 3 s; the audit measured 11–12 s);
 * - single-event ingest latency at 20,000 customers against 0 customers (target ≤ 1.2×);
 * - p99 of a bystander GET while 500,000 events are ingested in 1,000-event batches, against its
 *   p99 on an idle emulator (target: under 1 s, i.e. no request waits seconds behind a batch).
 */

function send(port: number, method: string, path: string, body?: string, contentType = 'application/json'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false, headers: body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function firstStatus(child: Child, port: number, path: string, want: number): Promise<number> {
  for (;;) {
    if (child.proc.exitCode !== null) throw new Error(`exited before answering ${path}:\n${child.output()}`);
    try {
      const r = await send(port, 'GET', path);
      if (r.status === want) return performance.now();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

function start(port: number, args: string[]): Child {
  ensureBuilt();
  return spawnChild(process.execPath, ['dist/cli.js', 'start', '--port', String(port), '--quiet', ...args], { NODE_ENV: 'production' });
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

// ------------------------------------------------------------------------------------- restart

function writeEventLog(dir: string, n: number): void {
  mkdirSync(join(dir, 'namespaces', 'default'), { recursive: true });
  const fd = openSync(join(dir, 'namespaces', 'default', 'events.jsonl'), 'w');
  const t0 = Date.parse('2025-01-01T00:00:00Z');
  let buf: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = new Date(t0 + i * 1000).toISOString();
    buf.push(JSON.stringify({ id: `e${i}`, source: 'bench', specversion: '1.0', type: 'prompt', subject: `customer-${i % 100}`, time: t, data: { tokens: i % 1000, model: 'gpt-4o' }, ingestedAt: t, storedAt: t, seq: i }) + '\n');
    if (buf.length === 10_000) {
      writeSync(fd, buf.join(''));
      buf = [];
    }
  }
  writeSync(fd, buf.join(''));
  closeSync(fd);
}

async function restartOnce(dataDir: string): Promise<{ firstAnswer: number; eventsReady: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = start(port, ['--data-dir', dataDir]);
  try {
    const first = await firstStatus(child, port, '/api/v1/meters', 200);
    const events = await firstStatus(child, port, '/api/v1/events?limit=1', 200);
    return { firstAnswer: first - t0, eventsReady: events - t0 };
  } finally {
    await child.kill();
  }
}

async function restartBench(): Promise<BenchResult> {
  const EVENTS = 1_000_000;
  const full = mkdtempSync(join(tmpdir(), 'lm-bench-restart-'));
  const empty = mkdtempSync(join(tmpdir(), 'lm-bench-restart-empty-'));
  try {
    writeEventLog(full, EVENTS);
    await restartOnce(empty); // warms the file cache for node_modules and dist
    const runs = [await restartOnce(full), await restartOnce(full), await restartOnce(full)];
    const base = [await restartOnce(empty), await restartOnce(empty), await restartOnce(empty)];
    const figure = median(runs.map((r) => r.firstAnswer));
    const baseline = median(base.map((r) => r.firstAnswer));
    return {
      name: `restart over ${EVENTS.toLocaleString('en')} stored events: spawn to first 200 (GET /api/v1/meters)`,
      figure: round(figure, 0),
      unit: 'ms',
      target: '≤ 3,000 ms (median of 3)',
      baseline: { name: 'the same start over an empty data dir', figure: round(baseline, 0), unit: 'ms' },
      ratio: round(figure / baseline),
      pass: figure <= 3000,
      notes: `the log is replayed in the background; spawn to first 200 from GET /api/v1/events (the replay finished): ${runs.map((r) => round(r.eventsReady, 0)).join(', ')} ms`,
    };
  } finally {
    rmSync(full, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------ ingest vs customers

const ULID_CHARS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const fakeUlid = (n: number): string => {
  let s = '';
  for (let i = 0; i < 10; i++) {
    s = ULID_CHARS[n % 32] + s;
    n = Math.floor(n / 32);
  }
  return '01JB' + 'Z'.repeat(12) + s;
};

async function singleIngests(port: number, n: number, subjects: (i: number) => string, tag: string): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await send(port, 'POST', '/api/v1/events', JSON.stringify({ specversion: '1.0', id: `${tag}-${i}`, source: 'bench', type: 'prompt', subject: subjects(i), data: { tokens: 1 } }), 'application/cloudevents+json');
    if (r.status !== 204) throw new Error(`ingest answered ${r.status}: ${r.text}`);
  }
  return (performance.now() - t0) / n;
}

async function ingestVsCustomersBench(): Promise<BenchResult> {
  const CUSTOMERS = 20_000;
  const N = 1500;
  const port = await freePort();
  const child = start(port, ['--memory']);
  try {
    await firstStatus(child, port, '/api/v1/meters', 200);
    await send(port, 'POST', '/api/v1/meters', JSON.stringify({ slug: 'prompts', eventType: 'prompt', aggregation: 'SUM', valueProperty: '$.tokens' }));
    await singleIngests(port, 500, (i) => `s${i}`, 'warm');
    // the lower of two runs each: the machine is shared, and a stray pause should not decide the ratio
    const at0 = Math.min(await singleIngests(port, N, (i) => `s${i % 5000}`, 'zero'), await singleIngests(port, N, (i) => `s${i % 5000}`, 'zero2'));
    // 20,000 customers in one snapshot import (creating them one by one would take minutes)
    const now = '2026-01-01T00:00:00.000Z';
    const customers: Record<string, unknown> = {};
    for (let i = 0; i < CUSTOMERS; i++) {
      const id = fakeUlid(i);
      customers[id] = { id, key: `cust-${i}`, name: `Customer ${i}`, usageAttribution: { subjectKeys: [`s${i}`] }, createdAt: now, updatedAt: now };
    }
    const snap = (await send(port, 'GET', '/_emulator/snapshot')).text;
    const doc = JSON.parse(snap) as { namespaces: Record<string, { collections: Record<string, unknown> }> };
    doc.namespaces.default!.collections.customers = customers;
    const imp = await send(port, 'PUT', '/_emulator/snapshot', JSON.stringify(doc));
    if (imp.status !== 204) throw new Error(`snapshot import answered ${imp.status}: ${imp.text}`);
    const count = JSON.parse((await send(port, 'GET', '/api/v1/customers?pageSize=1')).text) as { totalCount: number };
    await singleIngests(port, 500, (i) => `s${i}`, 'warm2');
    const at20k = Math.min(await singleIngests(port, N, (i) => `s${(i * 13) % CUSTOMERS}`, 'many'), await singleIngests(port, N, (i) => `s${(i * 7) % CUSTOMERS}`, 'many2'));
    const ratio = at20k / at0;
    return {
      name: `single-event ingest at ${CUSTOMERS.toLocaleString('en')} customers (mean of ${N} sequential POST /api/v1/events, lower of 2 runs)`,
      figure: round(at20k, 3),
      unit: 'ms/request',
      target: '≤ 1.2 × the same at 0 customers',
      baseline: { name: 'the same at 0 customers', figure: round(at0, 3), unit: 'ms/request' },
      ratio: round(ratio),
      pass: ratio <= 1.2,
      notes: `${count.totalCount} customers stored; every event's subject is a customer's subject key (attributed)`,
    };
  } finally {
    await child.kill();
  }
}

// ------------------------------------------------------------------------------ bystander latency

async function bystander(port: number, until: () => boolean): Promise<number[]> {
  const lat: number[] = [];
  while (!until()) {
    const t0 = performance.now();
    const r = await send(port, 'GET', '/api/v1/customers?pageSize=10');
    if (r.status !== 200) throw new Error(`bystander got ${r.status}`);
    lat.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 2));
  }
  return lat;
}

async function bystanderBench(): Promise<BenchResult> {
  const EVENTS = 500_000;
  const BATCH = 1000;
  const CONNECTIONS = 2;
  const port = await freePort();
  const child = start(port, ['--memory']);
  try {
    await firstStatus(child, port, '/api/v1/meters', 200);
    await send(port, 'POST', '/api/v1/meters', JSON.stringify({ slug: 'prompts', eventType: 'prompt', aggregation: 'SUM', valueProperty: '$.tokens' }));
    await send(port, 'POST', '/api/v1/customers', JSON.stringify({ key: 'c1', name: 'C1' }));
    // idle baseline
    const idleEnd = performance.now() + 3000;
    const idle = await bystander(port, () => performance.now() > idleEnd);
    let done = false;
    const t0 = performance.now();
    let next = 0;
    const ingester = async () => {
      while (next < EVENTS / BATCH) {
        const b = next++;
        const events = Array.from({ length: BATCH }, (_, i) => ({ specversion: '1.0', id: `b${b}-${i}`, source: 'bench', type: 'prompt', subject: `customer-${i % 100}`, time: new Date(Date.parse('2025-01-01T00:00:00Z') + (b * BATCH + i) * 1000).toISOString(), data: { tokens: i % 1000, model: 'gpt-4o' } }));
        const r = await send(port, 'POST', '/api/v1/events', JSON.stringify(events), 'application/cloudevents-batch+json');
        if (r.status !== 204) throw new Error(`batch answered ${r.status}: ${r.text.slice(0, 200)}`);
      }
    };
    const during = bystander(port, () => done);
    await Promise.all(Array.from({ length: CONNECTIONS }, ingester));
    const ingestS = (performance.now() - t0) / 1000;
    done = true;
    const lat = await during;
    const p99 = percentile(lat, 99);
    const p99idle = percentile(idle, 99);
    return {
      name: `p99 of a bystander GET /api/v1/customers during a ${EVENTS.toLocaleString('en')}-event ingest (${BATCH}-event batches, ${CONNECTIONS} connections)`,
      figure: round(p99, 1),
      unit: 'ms',
      target: '< 1,000 ms (no request waits seconds behind the ingest)',
      baseline: { name: 'the same request on an idle emulator, p99', figure: round(p99idle, 1), unit: 'ms' },
      ratio: round(p99 / p99idle),
      pass: p99 < 1000,
      notes: `${lat.length} bystander requests, p50 ${round(percentile(lat, 50), 1)} ms, max ${round(Math.max(...lat), 1)} ms; ingest took ${round(ingestS, 1)} s (${Math.round(EVENTS / ingestS).toLocaleString('en')} events/s)`,
    };
  } finally {
    await child.kill();
  }
}

/** One very large batch: the longest any bystander waits while it is ingested. */
async function bigBatchBench(): Promise<BenchResult> {
  const EVENTS = 200_000;
  const port = await freePort();
  const child = start(port, ['--memory']);
  try {
    await firstStatus(child, port, '/api/v1/meters', 200);
    await send(port, 'POST', '/api/v1/meters', JSON.stringify({ slug: 'prompts', eventType: 'prompt', aggregation: 'SUM', valueProperty: '$.tokens' }));
    const idleEnd = performance.now() + 2000;
    const idle = await bystander(port, () => performance.now() > idleEnd);
    const body = JSON.stringify(Array.from({ length: EVENTS }, (_, i) => ({ specversion: '1.0', id: `big-${i}`, source: 'bench', type: 'prompt', subject: `customer-${i % 100}`, time: new Date(Date.parse('2025-01-01T00:00:00Z') + i * 1000).toISOString(), data: { tokens: i % 1000, model: 'gpt-4o' } })));
    let done = false;
    const during = bystander(port, () => done);
    const t0 = performance.now();
    const r = await send(port, 'POST', '/api/v1/events', body, 'application/cloudevents-batch+json');
    const took = performance.now() - t0;
    done = true;
    if (r.status !== 204) throw new Error(`batch answered ${r.status}: ${r.text.slice(0, 200)}`);
    const lat = await during;
    const worst = Math.max(...lat);
    return {
      name: `longest bystander wait during one ${EVENTS.toLocaleString('en')}-event batch (${Math.round(body.length / 2 ** 20)} MiB)`,
      figure: round(worst, 0),
      unit: 'ms',
      target: 'measured (the body is parsed and its events checked in steps; schema validation of the body is one synchronous step)',
      baseline: { name: 'the batch request itself, end to end', figure: round(took, 0), unit: 'ms' },
      ratio: round(worst / took),
      pass: true,
      notes: `${lat.length} bystander requests, p99 ${round(percentile(lat, 99), 0)} ms; idle p99 ${round(percentile(idle, 99), 1)} ms`,
    };
  } finally {
    await child.kill();
  }
}

// ------------------------------------------------------------------------------ fsync durability

async function createCustomers(port: number, n: number, tag: string): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await send(port, 'POST', '/api/v1/customers', JSON.stringify({ key: `${tag}-${i}`, name: `C ${i}` }));
    if (r.status !== 201) throw new Error(`create answered ${r.status}: ${r.text}`);
  }
  return (performance.now() - t0) / n;
}

async function durabilityOnce(mode: 'buffered' | 'fsync', n: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), `lm-bench-${mode}-`));
  const port = await freePort();
  const child = start(port, ['--data-dir', dir, '--durability', mode]);
  try {
    await firstStatus(child, port, '/api/v1/meters', 200);
    await createCustomers(port, 50, 'warm');
    return await createCustomers(port, n, 'c');
  } finally {
    await child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fsyncBench(): Promise<BenchResult> {
  const N = 500;
  const buffered = await durabilityOnce('buffered', N);
  const fsync = await durabilityOnce('fsync', N);
  return {
    name: `--durability fsync: sequential POST /api/v1/customers (mean of ${N}, persisted)`,
    figure: round(fsync, 2),
    unit: 'ms/request',
    target: 'measured, no target (the price of power-loss safety)',
    baseline: { name: '--durability buffered (the default)', figure: round(buffered, 2), unit: 'ms/request' },
    ratio: round(fsync / buffered),
    pass: true,
    notes: 'fsync: each acknowledged write waits for fdatasync of the journal; concurrent writes share one sync',
  };
}

export async function run(): Promise<BenchResult[]> {
  const only = process.env.LM_HARDENING_ONLY;
  const out: BenchResult[] = [];
  if (!only || only === 'restart') out.push(await restartBench());
  if (!only || only === 'customers') out.push(await ingestVsCustomersBench());
  if (!only || only === 'bystander') out.push(await bystanderBench());
  if (!only || only === 'fsync') out.push(await fsyncBench());
  if (!only || only === 'bigbatch') out.push(await bigBatchBench());
  return out;
}

if (isMain(import.meta.url)) {
  run().then((rs) => {
    for (const r of rs) console.log(`${r.name}\n  ${r.figure} ${r.unit} (target ${r.target}); baseline ${r.baseline.name}: ${r.baseline.figure} ${r.baseline.unit}; ratio ${r.ratio}; ${r.pass ? 'PASS' : 'FAIL'}\n  ${r.notes ?? ''}`);
  });
}
