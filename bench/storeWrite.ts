import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Store } from '../src/store/Store.ts';
import type { BenchResult } from './types.ts';
import { isMain, median, round } from './util.ts';

/**
 * Target: one durable single-record commit with 100,000 records stored costs ≤ 1.5× the same
 * commit with 1,000 stored. Each size gets its own temp data dir; the fill is flushed (including
 * any compaction it started) before the clock runs, and every measured write awaits its journal
 * append.
 */
const WRITES = 500;
const FILL_CHUNK = 1000;
const NS = 'bench';
const TARGET_RATIO = 1.5;

/** a ~300-byte record shaped like a stored customer */
function record(i: number, tag: string): { id: string } & Record<string, unknown> {
  const id = `01J${tag}${String(i).padStart(22 - tag.length, '0')}`;
  return {
    id,
    key: `customer-${tag}-${i}`,
    name: `Customer ${i} of the ${tag} bench`,
    primaryEmail: `customer${i}@example.com`,
    currency: 'USD',
    usageAttribution: { subjectKeys: [`customer-${tag}-${i}`] },
    metadata: { tier: i % 3 === 0 ? 'gold' : 'silver', region: 'eu-west-1' },
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
}

interface Measured {
  medianUs: number;
  p90Us: number;
  fillMs: number;
  recordBytes: number;
}

async function measure(stored: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'localmeter-bench-store-'));
  const store = new Store({ dataDir: dir });
  try {
    const f0 = performance.now();
    for (let i = 0; i < stored; i += FILL_CHUNK) {
      const work = store.begin(NS);
      const customers = work.collection('customers');
      for (let j = i; j < Math.min(stored, i + FILL_CHUNK); j++) customers.put(record(j, 'F'));
      await work.commit();
    }
    // a compaction the fill triggered must not overlap the measured writes
    await store.flush();
    const fillMs = performance.now() - f0;
    const times: number[] = [];
    for (let i = 0; i < WRITES; i++) {
      const rec = record(i, 'W');
      const t0 = performance.now();
      const work = store.begin(NS);
      work.collection('customers').put(rec);
      await work.commit();
      times.push(performance.now() - t0);
    }
    const count = store.begin(NS).collection('customers').count();
    if (count !== stored + WRITES) throw new Error(`expected ${stored + WRITES} records, found ${count}`);
    await store.flush();
    const sorted = [...times].sort((a, b) => a - b);
    return { medianUs: median(times) * 1000, p90Us: sorted[Math.floor(sorted.length * 0.9)]! * 1000, fillMs, recordBytes: JSON.stringify(record(0, 'F')).length };
  } finally {
    await store.flush().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult> {
  const small = await measure(1_000);
  const large = await measure(100_000);
  const ratio = large.medianUs / small.medianUs;
  return {
    name: 'store: one durable single-record commit with 100k stored',
    figure: round(large.medianUs, 1),
    unit: 'µs',
    target: `≤ ${TARGET_RATIO}× the 1k figure`,
    baseline: { name: 'same commit with 1k records stored', figure: round(small.medianUs, 1), unit: 'µs' },
    ratio: round(ratio),
    pass: ratio <= TARGET_RATIO,
    notes:
      `median of ${WRITES} sequential commits (begin, put, await commit = journal append); ` +
      `p90 100k ${round(large.p90Us, 1)} µs, 1k ${round(small.p90Us, 1)} µs; ` +
      `${small.recordBytes} B records; fill 100k ${round(large.fillMs, 0)} ms (incl. compaction), 1k ${round(small.fillMs, 0)} ms`,
  };
}

if (isMain(import.meta.url)) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
