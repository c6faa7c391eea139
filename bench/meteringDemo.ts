import { memoryEventStores } from '../src/domain/metering/testSupport.ts';
import { FixedClock } from '../src/domain/shared/clock.ts';
import type { IdGenerator } from '../src/domain/shared/ids.ts';
import { createServices } from '../src/runtime/services.ts';
import { createMemoryUnitOfWork } from '../src/store/memoryUnitOfWork.ts';
import type { BenchResult } from './types.ts';
import { isMain, round } from './util.ts';

/**
 * The metering share of `localmeter demo --customers 500 --months 36` (issue 13), measured apart
 * from billing: 540,000 events of 500 customers, one a customer a day at a random time of the day
 * (so most arrive out of time order), ingested in-process in 5,000-event batches month by month,
 * and after each month the two `groupBy: customer_id` queries billing makes over it. Figure:
 * process CPU time of that (steadier than wall time on a shared machine). Baseline: the least
 * any store does with the same events — copy each into a new object, add its (source, id) to a
 * Set and its time to an array, then sort a month's times once.
 */
const CUSTOMERS = 500;
const MONTHS = 36;
const DAYS = 30;
const BATCH = 5000;
const TARGET_MS = 1500;
const DAY = 86_400_000;
const START = Date.parse('2026-01-01T00:00:00Z');
const models = ['gpt-4o', 'claude-sonnet', 'llama-3'];

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

function month(m: number, keys: string[], rnd: () => number): Record<string, unknown>[] {
  const start = START + m * DAYS * DAY;
  const out: Record<string, unknown>[] = [];
  for (let day = start; day < start + DAYS * DAY; day += DAY) {
    for (const k of keys) {
      out.push({ specversion: '1.0', id: `d${m}-${day}-${k}`, source: 'demo', type: 'tokens', subject: k, time: new Date(day + (rnd() % DAY)).toISOString(), data: { tokens: rnd() % 5000, model: models[rnd() % 3] } });
    }
  }
  return out;
}

/** distinct ULID-shaped ids (Crockford base32 counter) for 500 customers and their subscriptions */
class CountingIds implements IdGenerator {
  private n = 0;
  next(): string {
    let n = ++this.n, s = '';
    for (let i = 0; i < 16; i++, n = Math.floor(n / 32)) s = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[n % 32]! + s;
    return '01J0000000' + s;
  }
}

function generator() {
  let x = 42;
  return () => ((x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff), x);
}

export async function run(): Promise<BenchResult> {
  const services = createServices({ clock: new FixedClock(new Date(START)), ids: new CountingIds(), events: memoryEventStores(), zuploAccount: 'bench' });
  const tx = createMemoryUnitOfWork();
  for (const hook of services.namespaceHooks) hook.onNamespaceCreated(tx);
  services.metering.createMeter(tx, { key: 'tokens', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.tokens', groupBy: { model: '$.model' } });
  const keys = Array.from({ length: CUSTOMERS }, (_, i) => `c${String(i + 1).padStart(4, '0')}-customer`);
  for (const key of keys) services.customers.createCustomer(tx, { key, name: key, usageAttribution: { subjectKeys: [key] } });

  let ingestMs = 0, queryMs = 0, rows = 0;
  let rnd = generator();
  for (let m = 0; m < MONTHS; m++) {
    const events = month(m, keys, rnd);
    let c = process.cpuUsage();
    for (let i = 0; i < events.length; i += BATCH) services.metering.ingestEvents(tx, events.slice(i, i + BATCH));
    ingestMs += cpuMs(c);
    const from = new Date(START + m * DAYS * DAY).toISOString(), to = new Date(START + (m + 1) * DAYS * DAY).toISOString();
    c = process.cpuUsage();
    for (let q = 0; q < 2; q++) rows += services.metering.queryMeter(tx, 'tokens', { from, to, groupBy: ['customer_id'] }).data.length;
    queryMs += cpuMs(c);
  }

  // baseline: the same events, copied, deduplicated by a Set and their times sorted once a month
  rnd = generator();
  let baseMs = 0;
  const seen = new Set<string>();
  const kept: object[] = [];
  for (let m = 0; m < MONTHS; m++) {
    const events = month(m, keys, rnd);
    const c = process.cpuUsage();
    const times: number[] = [];
    for (const e of events) {
      const k = `${e.source as string}\u0000${e.id as string}`;
      if (seen.has(k)) continue;
      seen.add(k);
      kept.push({ ...e });
      times.push(Date.parse(e.time as string));
    }
    times.sort((a, b) => a - b);
    baseMs += cpuMs(c);
  }

  const figure = ingestMs + queryMs;
  return {
    name: `metering share of the demo: ${CUSTOMERS * DAYS * MONTHS} events ingested in ${BATCH}-event batches + 2 queries a month, CPU`,
    figure: round(figure, 0),
    unit: 'ms',
    target: `≤ ${TARGET_MS} ms`,
    baseline: { name: 'copy each event, dedupe by a Set, sort a month of times', figure: round(baseMs, 0), unit: 'ms' },
    ratio: round(figure / baseMs, 2),
    pass: figure <= TARGET_MS,
    notes: `ingest ${round(ingestMs, 0)} ms, queries ${round(queryMs, 0)} ms (${MONTHS * 2} queries, ${rows} rows; the first of a month sorts the late events and extends the meter column); ${kept.length} events kept by the baseline`,
  };
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run(), null, 2));
