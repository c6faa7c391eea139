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
 * append. The two sizes are measured interleaved so machine load hits both alike.
 */
const WRITES = 500;
const BLOCK = 25;
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

interface Filled {
  stored: number;
  store: Store;
  dir: string;
  fillMs: number;
  times: number[];
  compactingDuring: number;
}

async function fill(stored: number): Promise<Filled> {
  const dir = mkdtempSync(join(tmpdir(), 'localmeter-bench-store-'));
  const store = new Store({ dataDir: dir });
  const f0 = performance.now();
  for (let i = 0; i < stored; i += FILL_CHUNK) {
    const work = store.begin(NS);
    const customers = work.collection('customers');
    for (let j = i; j < Math.min(stored, i + FILL_CHUNK); j++) customers.put(record(j, 'F'));
    await work.commit();
  }
  // a compaction the fill triggered must not overlap the measured writes
  await store.flush();
  return { stored, store, dir, fillMs: performance.now() - f0, times: [], compactingDuring: 0 };
}

/** `count` sequential durable single-record commits, each timed from begin to its append on disk */
async function writeBlock(f: Filled, count: number): Promise<void> {
  const state = f.store.namespace(NS) as unknown as { compacting: Promise<void> | null };
  for (let i = 0; i < count; i++) {
    const rec = record(f.times.length, 'W');
    if (state.compacting) f.compactingDuring++;
    const t0 = performance.now();
    const work = f.store.begin(NS);
    work.collection('customers').put(rec);
    await work.commit();
    f.times.push(performance.now() - t0);
  }
}

const p90 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;

export async function run(): Promise<BenchResult> {
  const small = await fill(1_000);
  const large = await fill(100_000);
  try {
    // Interleaved blocks: on a shared machine, load changes over seconds; both sizes see the same.
    for (let b = 0; b < WRITES / BLOCK; b++) {
      await writeBlock(small, BLOCK);
      await writeBlock(large, BLOCK);
    }
    for (const f of [small, large]) {
      const count = f.store.begin(NS).collection('customers').count();
      if (count !== f.stored + WRITES) throw new Error(`expected ${f.stored + WRITES} records, found ${count}`);
    }
  } finally {
    for (const f of [small, large]) {
      await f.store.flush().catch(() => undefined);
      rmSync(f.dir, { recursive: true, force: true });
    }
  }
  const smallUs = median(small.times) * 1000;
  const largeUs = median(large.times) * 1000;
  const ratio = largeUs / smallUs;
  return {
    name: 'store: one durable single-record commit with 100k stored',
    figure: round(largeUs, 1),
    unit: 'µs',
    target: `≤ ${TARGET_RATIO}× the 1k figure`,
    baseline: { name: 'same commit with 1k records stored', figure: round(smallUs, 1), unit: 'µs' },
    ratio: round(ratio),
    pass: ratio <= TARGET_RATIO,
    notes:
      `median of ${WRITES} sequential commits per size (begin, put, await commit = journal append), sizes interleaved in blocks of ${BLOCK}; ` +
      `p90 100k ${round(p90(large.times) * 1000, 1)} µs, 1k ${round(p90(small.times) * 1000, 1)} µs; ` +
      `writes issued while a compaction ran: 100k ${large.compactingDuring}, 1k ${small.compactingDuring}; ` +
      `${JSON.stringify(record(0, 'F')).length} B records; fill 100k ${round(large.fillMs, 0)} ms (incl. compactions), 1k ${round(small.fillMs, 0)} ms`,
  };
}

if (isMain(import.meta.url)) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
