import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchResult } from './types.ts';
import { ROOT } from './util.ts';

/**
 * `npm run bench [-- --only <name>] [-- --write]`: runs the benchmarks one after the other, each
 * in its own process (they share the machine with their own baselines), prints each figure against its baseline and
 * target, and with --write puts the table between the bench markers in README.md.
 */
const BENCHES: Record<string, string> = {
  ingest: 'ingest.ts',
  meterQuery: 'meterQuery.ts',
  listMeters: 'listMeters.ts',
  startup: 'startup.ts',
  storeWrite: 'storeWrite.ts',
  subscriptions: 'subscriptions.ts',
  hardening: 'hardening.ts',
  invoices: 'invoices.ts',
  scenarios: 'scenarios.ts',
  demo: 'demo.ts',
  meteringDemo: 'meteringDemo.ts',
};

/**
 * Each benchmark runs in a fresh process: one that held a million events a moment ago (the
 * meter-query benchmark) slows the next one's measurements through GC and a busy core.
 */
function runIsolated(file: string): Promise<BenchResult | BenchResult[]> {
  const out = join(mkdtempSync(join(tmpdir(), 'lm-bench-')), 'result.json');
  const script = `const m = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'bench', file)).href)}); const r = await m.run(); (await import('node:fs')).writeFileSync(process.env.LM_BENCH_OUT, JSON.stringify(r));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, LM_BENCH_OUT: out } });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench/${file} exited with ${code}`));
      resolve(JSON.parse(readFileSync(out, 'utf8')) as BenchResult | BenchResult[]);
    });
  });
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

const fmt = (n: number): string => (Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: 2 }) : 'n/a');
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(rows: Array<{ bench: string; r: BenchResult }>): string {
  const lines = [
    '| benchmark | figure | target | baseline (same run) | ratio | pass | notes |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(({ bench, r }) =>
      `| \`${bench}\` ${cell(r.name)} | ${fmt(r.figure)} ${r.unit} | ${cell(r.target)} | ${cell(r.baseline.name)}: ${fmt(r.baseline.figure)} ${r.baseline.unit} | ${fmt(r.ratio)} | ${r.pass ? '✅' : '❌'} | ${cell(r.notes ?? '')} |`,
    ),
  ];
  return lines.join('\n');
}

function writeReadme(md: string, when: string): void {
  const path = join(ROOT, 'README.md');
  // re-read right before writing: other people edit the rest of the file
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} block`);
  const block = `${START}\n_Last run ${when} on ${process.version}, ${process.platform}/${process.arch}._\n\n${md}\n${END}`;
  writeFileSync(path, text.slice(0, a) + block + text.slice(b + END.length));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, write: { type: 'boolean' } } });
  const names = values.only ? [values.only] : Object.keys(BENCHES);
  for (const n of names) if (!BENCHES[n]) throw new Error(`unknown benchmark "${n}" (have: ${Object.keys(BENCHES).join(', ')})`);
  const rows: Array<{ bench: string; r: BenchResult }> = [];
  let failed = false;
  for (const n of names) {
    console.log(`\n▶ ${n}`);
    const t0 = Date.now();
    let results: BenchResult[];
    try {
      const out = await runIsolated(BENCHES[n]!);
      results = Array.isArray(out) ? out : [out];
    } catch (e) {
      failed = true;
      const msg = e instanceof Error ? e.message : String(e);
      console.log(`  ERROR ${msg}`);
      results = [{ name: `${n} (did not complete)`, figure: Number.NaN, unit: '', target: '', baseline: { name: '', figure: Number.NaN, unit: '' }, ratio: Number.NaN, pass: false, notes: `error: ${msg.slice(0, 300)}` }];
    }
    for (const r of results) {
      rows.push({ bench: n, r });
      console.log(`  ${r.pass ? 'PASS' : 'FAIL'}  ${r.name}`);
      console.log(`        ${fmt(r.figure)} ${r.unit}   target ${r.target}`);
      console.log(`        baseline ${r.baseline.name}: ${fmt(r.baseline.figure)} ${r.baseline.unit}   ratio ${fmt(r.ratio)}`);
      if (r.notes) console.log(`        ${r.notes}`);
    }
    console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const md = table(rows);
  console.log(`\n${md}`);
  if (values.write) {
    if (values.only) console.log('\n--write with --only would drop the other rows from README.md; not written.');
    else {
      writeReadme(md, new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC');
      console.log('\nREADME.md bench block updated.');
    }
  }
  if (failed || rows.some((x) => !x.r.pass)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
