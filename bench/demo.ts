import { performance } from 'node:perf_hooks';
import { runDemo } from '../src/harness/demo.ts';
import type { BenchResult } from './types.ts';
import { isMain, round } from './util.ts';

/**
 * Target (issue 13): `localmeter demo --customers 500 --months 36` — three years of monthly
 * billing for 500 invented customers, one usage event each a day (≈ 548,000 events, 18,000
 * invoices) — in ≤ 10 s. Baseline: the same three years for 50 customers, so the ratio shows
 * how the cost grows with the tenant (10× the customers; linear would be 10). Wall and process
 * CPU time are both printed: on a shared machine the CPU figure is the steadier one.
 */
const TARGET_MS = 10_000;
const START = new Date('2026-01-01T00:00:00Z');

async function measure(customers: number, months: number) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await runDemo({ customers, months, seed: 1, start: START });
  const cpu = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, invoices: r.invoices, events: r.events, revenue: r.revenue };
}

export async function run(): Promise<BenchResult> {
  // warm-up: module loading and the validators' first compile belong to neither figure
  await runDemo({ customers: 1, months: 1, seed: 1, start: START });
  const small = await measure(50, 36);
  const big = await measure(500, 36);
  return {
    name: 'demo: 500 customers, 36 months',
    figure: round(big.ms, 0),
    unit: 'ms',
    target: `≤ ${TARGET_MS} ms`,
    baseline: { name: 'the same 36 months for 50 customers', figure: round(small.ms, 0), unit: 'ms' },
    ratio: round(big.ms / small.ms, 2),
    pass: big.ms <= TARGET_MS,
    notes: `process CPU ${round(big.cpuMs, 0)} ms (50 customers: ${round(small.cpuMs, 0)} ms; the machine may be shared); ${big.invoices} invoices, ${big.events} events, ${big.revenue} USD invoiced`,
  };
}

if (isMain(import.meta.url)) {
  const [customers, months] = process.argv.slice(2).map(Number);
  if (customers) console.log(await measure(customers, months ?? 36));
  else console.log(JSON.stringify(await run(), null, 2));
}
