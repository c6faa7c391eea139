import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseScenario, runScenario } from '../src/harness/scenario.ts';
import { startTestEmulator } from '../src/harness/testEmulator.ts';
import type { BenchResult } from './types.ts';
import { isMain, ROOT, round } from './util.ts';

/**
 * Target (issue 13): the scenario library, which `npm test` replays in full, stays cheap —
 * every scenario in scenarios/ one after the other, each against its own fresh emulator, in
 * ≤ 30 s (well under a minute of test time). Baseline: starting and stopping as many empty
 * emulators, the fixed cost a scenario pays before its first step. Wall and process CPU time are
 * both printed: on a shared machine the CPU figure is the steadier one.
 */
const TARGET_MS = 30_000;

async function measure(): Promise<{ ms: number; cpuMs: number; scenarios: number; slowest: string; failures: number; baselineMs: number }> {
  const dir = join(ROOT, 'scenarios');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  // one warm-up start: module loading and the validators' first compile are not the library's cost
  await (await startTestEmulator()).stop();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let slowest = { name: '', ms: 0 };
  let failures = 0;
  for (const f of files) {
    const s0 = performance.now();
    const r = await runScenario(parseScenario(readFileSync(join(dir, f), 'utf8'), f));
    const ms = performance.now() - s0;
    failures += r.failures.length;
    if (ms > slowest.ms) slowest = { name: r.name, ms };
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const b0 = performance.now();
  for (let i = 0; i < files.length; i++) await (await startTestEmulator()).stop();
  const baselineMs = performance.now() - b0;
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, scenarios: files.length, slowest: `${slowest.name} ${round(slowest.ms, 0)} ms`, failures, baselineMs };
}

export async function run(): Promise<BenchResult> {
  const m = await measure();
  return {
    name: `scenario library: ${m.scenarios} scenarios replayed one after the other`,
    figure: round(m.ms, 0),
    unit: 'ms',
    target: `≤ ${TARGET_MS} ms`,
    baseline: { name: `start + stop ${m.scenarios} empty emulators`, figure: round(m.baselineMs, 0), unit: 'ms' },
    ratio: round(m.ms / m.baselineMs, 2),
    pass: m.ms <= TARGET_MS && m.failures === 0,
    notes: `process CPU ${round(m.cpuMs, 0)} ms (the machine may be shared); slowest ${m.slowest}; ${m.failures} failed expectations`,
  };
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run(), null, 2));
