import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** `localmeter start` as a user runs it, configured through the environment. */
async function start(env: Record<string, string>, args: string[] = []): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 30_000;
  while (!out.includes('/_emulator/health')) {
    if (child.exitCode !== null) throw new Error(`exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`no start within 30 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out };
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

describe('localmeter start', () => {
  it('honours PORT and LOCALMETER_DATA_DIR, prints what it serves, and keeps data across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lm-cli-'));
    dirs.push(dataDir);
    const port = await freePort();
    const first = await start({ PORT: String(port), LOCALMETER_DATA_DIR: dataDir });
    const banner = first.output();
    expect(banner).toContain(`http://127.0.0.1:${port}`);
    for (const surface of ['/api/v1', '/v3/openmeter', '/api/v3/openmeter', '/v3/metering/', '/_emulator/health']) expect(banner).toContain(surface);

    const base = `http://127.0.0.1:${port}`;
    const created = await fetch(`${base}/api/v1/meters`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'calls', eventType: 'call', aggregation: 'COUNT' }) });
    expect(created.status).toBe(201);
    expect(existsSync(join(dataDir, 'namespaces', 'default'))).toBe(true);
    await stop(first.child);
    // a clean stop folds the journal into the lowdb snapshot
    expect(existsSync(join(dataDir, 'namespaces', 'default', 'db.json'))).toBe(true);

    const port2 = await freePort();
    await start({ LOCALMETER_DATA_DIR: dataDir }, ['--port', String(port2)]);
    const meters = (await (await fetch(`http://127.0.0.1:${port2}/api/v1/meters`)).json()) as Array<{ slug: string }>;
    expect(meters.map((m) => m.slug)).toEqual(['calls']);
  }, 90_000);
});
