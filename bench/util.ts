import { execFileSync } from 'node:child_process';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

/** Shared plumbing for the HTTP benchmarks: free ports, child processes that always die, load runs. */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Asks the OS for a free port (listen on 0), then releases it for the child to take. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

export interface Child {
  proc: ChildProcess;
  output(): string;
  kill(): Promise<void>;
}

/** Spawns a process whose output is kept for error messages; `kill` waits for it to be gone. */
export function spawnChild(cmd: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 20_000) out = out.slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    output: () => out,
    kill: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Polls `url` until it answers (any status), the child exits, or the timeout passes. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.proc.exitCode !== null) throw new Error(`process exited (${child.proc.exitCode}) before answering ${url}:\n${child.output()}`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`no answer from ${url} within ${timeoutMs} ms:\n${child.output()}`);
}

let built = false;
/** `npm start` runs the esbuild bundle (dist/cli.js); the benchmarks measure that same artefact. */
export function ensureBuilt(): void {
  if (built) return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  built = true;
}

export function startEmulatorProcess(port: number, env: Record<string, string> = { NODE_ENV: 'production' }): Child {
  ensureBuilt();
  return spawnChild(process.execPath, ['--enable-source-maps', 'dist/cli.js', 'start', '--memory', '--port', String(port), '--quiet'], env);
}

/** A bare Express 5 app in its own process: the baseline for "what does Node + Express cost". */
export function startBareExpress(port: number, mode: { kind: 'ingest' } | { kind: 'json'; path: string; body: string }): Child {
  const route =
    mode.kind === 'ingest'
      ? `app.use(express.json({ type: '*/*', limit: '50mb' })); app.post('/api/v1/events', (req, res) => { if (!Array.isArray(req.body)) return res.status(400).end(); res.status(204).end(); });`
      : `const body = JSON.parse(${JSON.stringify(mode.body)}); app.get(${JSON.stringify(mode.path)}, (req, res) => res.json(body));`;
  const src = `const express = require('express'); const app = express(); app.disable('x-powered-by'); app.set('etag', false); ${route} app.listen(${port}, '127.0.0.1');`;
  return spawnChild(process.execPath, ['-e', src], { NODE_ENV: 'production' });
}

export interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
  reqPerSec: number;
  latencyP50: number;
  latencyP99: number;
}

export async function load(opts: autocannon.Options): Promise<LoadResult> {
  const r = await autocannon({ connections: 4, duration: 10, ...opts });
  const durationS = r.duration;
  return {
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationS,
    reqPerSec: r['2xx'] / durationS,
    latencyP50: r.latency.p50,
    latencyP99: r.latency.p99,
  };
}

export const isMain = (metaUrl: string): boolean => metaUrl === `file://${process.argv[1]}`;
