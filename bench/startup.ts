import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './types.ts';
import { freePort, isMain, median, round, spawnChild, startEmulatorProcess, type Child } from './util.ts';

/**
 * Target: ≤ 1 s from spawning `node dist/cli.js start --memory` (what `npm start` runs, after its esbuild step) to the first 200 from
 * `GET /api/v1/meters` (that request compiles the operation's validator lazily; the cost counts).
 * Then the first answer of one operation on each other surface. Median of 5 starts.
 * Baseline: spawning a one-line node http server until its first answer (process start cost).
 */
const STARTS = 5;
const TARGET_MS = 1000;

/** one GET; resolves with the status, or null while nothing listens yet */
function probe(port: number, path: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Tight poll: retries as soon as a connection is refused, with a 1 ms pause to leave the child the CPU. */
async function firstAnswer(child: Child, port: number, path: string, want?: number): Promise<{ ms: number; status: number }> {
  for (;;) {
    if (child.proc.exitCode !== null) throw new Error(`exited (${child.proc.exitCode}) before answering ${path}:\n${child.output()}`);
    const status = await probe(port, path);
    if (status !== null && (want === undefined || status === want)) return { ms: performance.now(), status };
    await new Promise((r) => setTimeout(r, 1));
  }
}

interface Start {
  meters: number;
  konnect: number;
  zuplo: number;
  statuses: string;
}

async function startOnce(): Promise<Start> {
  const port = await freePort();
  const t0 = performance.now();
  const child = startEmulatorProcess(port, {});
  try {
    const m = await firstAnswer(child, port, '/api/v1/meters', 200);
    const k = await firstAnswer(child, port, '/v3/openmeter/meters');
    const z = await firstAnswer(child, port, '/v3/metering/bckt_x/meters');
    return { meters: m.ms - t0, konnect: k.ms - t0, zuplo: z.ms - t0, statuses: `${m.status}/${k.status}/${z.status}` };
  } finally {
    await child.kill();
  }
}

async function bareOnce(): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawnChild(process.execPath, ['-e', `require('http').createServer((q,s)=>s.end('ok')).listen(${port}, '127.0.0.1')`]);
  try {
    return (await firstAnswer(child, port, '/', 200)).ms - t0;
  } finally {
    await child.kill();
  }
}

/** wall time of a process that runs to completion */
async function exitTime(args: string[]): Promise<number> {
  const t0 = performance.now();
  const child = spawnChild(process.execPath, args);
  await new Promise<void>((r) => child.proc.once('exit', () => r()));
  if (child.proc.exitCode !== 0) throw new Error(`node ${args.join(' ')} failed:\n${child.output()}`);
  return performance.now() - t0;
}

const medianOf = async (n: number, f: () => Promise<number>): Promise<number> => {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await f());
  return median(xs);
};

export async function run(): Promise<BenchResult> {
  // One unmeasured start warms the OS file cache for node_modules, as any second start finds it.
  await startOnce();
  const starts: Start[] = [];
  for (let i = 0; i < STARTS; i++) starts.push(await startOnce());
  const meters = median(starts.map((s) => s.meters));
  const konnect = median(starts.map((s) => s.konnect));
  const zuplo = median(starts.map((s) => s.zuplo));
  const bare = await medianOf(STARTS, bareOnce);
  const nodeEmpty = await medianOf(STARTS, () => exitTime(['-e', '']));
  // `--help` imports the whole module graph (cli.ts imports the runtime statically) and exits
  const importAll = await medianOf(STARTS, () => exitTime(['dist/cli.js', '--help']));
  const importAllTsx = await medianOf(STARTS, () => exitTime(['--import', 'tsx', 'src/cli.ts', '--help']));
  return {
    name: 'startup: spawn to first 200 from GET /api/v1/meters',
    figure: round(meters, 0),
    unit: 'ms',
    target: `≤ ${TARGET_MS} ms (median of ${STARTS})`,
    baseline: { name: 'node -e http.createServer, spawn to first answer', figure: round(bare, 0), unit: 'ms' },
    ratio: round(meters / bare),
    pass: meters <= TARGET_MS,
    notes:
      `first answer (from spawn) konnect GET /v3/openmeter/meters ${round(konnect, 0)} ms, zuplo GET /v3/metering/bckt_x/meters ${round(zuplo, 0)} ms ` +
      `(statuses v1/konnect/zuplo ${starts[0]!.statuses}); ` +
      `node -e "" ${round(nodeEmpty, 0)} ms; loading everything then exiting: built bundle ${round(importAll, 0)} ms, ` +
      `the same sources through tsx ${round(importAllTsx, 0)} ms; ` +
      `individual starts ${starts.map((s) => round(s.meters, 0)).join(', ')} ms`,
  };
}

if (isMain(import.meta.url)) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
