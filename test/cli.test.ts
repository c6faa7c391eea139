import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { progressBar } from '../src/harness/cliCommands.ts';

const CLI = join(process.cwd(), 'src/cli.ts');
// by path: the scenario tests run the CLI from directories with no node_modules
const TSX = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
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
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'start', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
    const first = await start({ PORT: String(port), LOCALMETER_DATA_DIR: dataDir, LOCALMETER_STRIPE_PORT: String(await freePort()) });
    const banner = first.output();
    expect(banner).toContain(`http://127.0.0.1:${port}`);
    for (const surface of ['/api/v1', '/v3/openmeter', '/api/v3/openmeter', '/v3/metering/', '/_emulator/health']) expect(banner).toContain(surface);

    const base = `http://127.0.0.1:${port}`;
    const created = await fetch(`${base}/api/v1/meters`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'calls', eventType: 'call', aggregation: 'COUNT' }) });
    expect(created.status).toBe(200); // OpenMeter answers a new meter with 200
    expect(existsSync(join(dataDir, 'namespaces', 'default'))).toBe(true);
    await stop(first.child);
    // a clean stop folds the journal into the lowdb snapshot
    expect(existsSync(join(dataDir, 'namespaces', 'default', 'db.json'))).toBe(true);

    const port2 = await freePort();
    await start({ LOCALMETER_DATA_DIR: dataDir }, ['--port', String(port2), '--stripe-port', String(await freePort())]);
    const meters = (await (await fetch(`http://127.0.0.1:${port2}/api/v1/meters`)).json()) as Array<{ slug: string }>;
    expect(meters.map((m) => m.slug)).toEqual(['calls']);
  }, 90_000);

  it('serves the emulated Stripe on --stripe-port; --stripe-api-base points the Stripe app at another Stripe', async () => {
    const [portA, stripeA, portB, stripeB] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const a = await start({}, ['--memory', '--port', String(portA), '--stripe-port', String(stripeA)]);
    expect(a.output()).toContain(`http://127.0.0.1:${stripeA}`);
    const health = (await (await fetch(`http://127.0.0.1:${portA}/_emulator/health`)).json()) as { stripe: unknown };
    expect(health.stripe).toEqual({ port: stripeA, url: `http://127.0.0.1:${stripeA}`, appApiBase: 'in-process' });
    // B's Stripe app uses A's emulated Stripe as if it were stripe-mock or Stripe test mode
    await start({ LOCALMETER_STRIPE_API_BASE: `http://127.0.0.1:${stripeA}` }, ['--memory', '--port', String(portB), '--stripe-port', String(stripeB)]);
    const key = 'sk_test_51CliStripeApiBase';
    const inst = await fetch(`http://127.0.0.1:${portB}/api/v1/marketplace/listings/stripe/install/apikey`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: key }) });
    expect(inst.status).toBe(200);
    const appId = ((await inst.json()) as { app: { id: string } }).app.id;
    const endpoints = (await (await fetch(`http://127.0.0.1:${stripeA}/v1/webhook_endpoints`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: Array<{ url: string }> };
    expect(endpoints.data.map((e) => e.url)).toEqual([`http://127.0.0.1:${portB}/api/v1/apps/${appId}/stripe/webhook`]);
    const none = (await (await fetch(`http://127.0.0.1:${stripeB}/v1/webhook_endpoints`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: unknown[] };
    expect(none.data).toEqual([]);
  }, 90_000);
});

/** One CLI invocation to completion: exit code and everything it printed. */
const cli = (args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', TSX, CLI, ...args], { cwd: opts.cwd ?? process.cwd(), env: { ...process.env, CI: '', ...opts.env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });

const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

const getJson = async (url: string) => (await fetch(url)).json() as Promise<Record<string, unknown>>;

describe('localmeter help, version and argument errors', () => {
  it('prints the version and a help per command', async () => {
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    expect((await cli(['--version'])).stdout.trim()).toBe(version);
    const overview = await cli(['--help']);
    for (const c of ['start', 'clock', 'snapshot', 'reset', 'scenario']) expect(overview.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    const start = await cli(['start', '--help']);
    expect(start.stdout).toContain('localmeter start — ');
    expect(start.stdout).toContain('--data-dir DIR');
    const clock = await cli(['help', 'clock']);
    expect(clock.stdout).toContain('localmeter clock advance <ISO duration | ISO instant>');
    expect(clock.stdout).not.toContain('--data-dir');
  }, 60_000);

  it.each([
    [['start', '--port', 'abc'], '--port expects a port number from 0 to 65535, e.g. --port 8787 (got "abc")'],
    [['start', '--start', 'march'], '--start expects an ISO 8601 instant, e.g. --start 2026-01-01T00:00:00Z (got "march")'],
    [['start', '--seed', 'x'], '--seed expects an integer, e.g. --seed 1'],
    [['start', '--prot', '1'], 'unknown option --prot for `localmeter start` (it takes --port, '],
    [['start', '--memory', '--data-dir', 'x'], '--memory and --data-dir exclude each other'],
    [['clock', 'advance', 'P1X'], 'not an ISO 8601 duration: P1X (e.g. P1M, P14D, PT6H, P1Y2M)'],
    [['clock', 'set', 'tomorrow'], 'the instant expects an ISO 8601 instant, e.g. 2026-01-01T00:00:00Z (got "tomorrow")'],
    [['snapshot'], 'expected save, list or load, e.g. `localmeter snapshot save before-renewal`'],
    [['snapshot', 'save', 'a b'], 'a snapshot name is letters, digits'],
    [['scnario'], 'unknown command: scnario (did you mean `localmeter scenario`?)'],
  ])('%j fails with exit code 2, saying what is wrong and the right form', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toMatch(/usage:|commands:/);
  }, 60_000);

  it('a command that needs a running emulator says none answers', async () => {
    const r = await cli(['clock', '--url', `http://127.0.0.1:${await freePort()}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no localmeter answers at http://127.0.0.1:');
  }, 60_000);

  it('draws an advance as a bar', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    expect(progressBar(from, new Date('2026-01-11T00:00:00Z'), new Date('2026-01-05T00:00:00Z'), 10)).toBe('[####------]  40%  2026-01-05');
    expect(progressBar(from, from, from, 4)).toBe('[####] 100%  2026-01-01');
  });
});

describe('localmeter start refuses what would lose data', () => {
  it('exits non-zero when the port is taken, without claiming to listen', async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const r = await cli(['start', '--memory', '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(r.stdout).not.toContain('listening');
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('exits non-zero when another live instance holds the data dir, and takes over a stale lock', async () => {
    const dataDir = tempDir('lm-lock-');
    const first = await start({ LOCALMETER_DATA_DIR: dataDir }, ['--port', String(await freePort())]);
    const lock = JSON.parse(readFileSync(join(dataDir, 'localmeter.lock'), 'utf8')) as { pid: number; url: string };
    expect(lock.pid).toBe(first.child.pid);
    const second = await cli(['start', '--port', String(await freePort()), '--data-dir', dataDir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`the data dir ${dataDir} is in use by another localmeter (pid ${first.child.pid}, serving ${lock.url})`);
    await stop(first.child);
    expect(existsSync(join(dataDir, 'localmeter.lock'))).toBe(false);

    // a lock left by a process that is gone (killed -9, a crashed container)
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.once('exit', r));
    writeFileSync(join(dataDir, 'localmeter.lock'), JSON.stringify({ pid: dead.pid }));
    const third = await start({ LOCALMETER_DATA_DIR: dataDir }, ['--port', String(await freePort())]);
    expect(third.output()).toContain('listening');
    expect((JSON.parse(readFileSync(join(dataDir, 'localmeter.lock'), 'utf8')) as { pid: number }).pid).toBe(third.child.pid);
  }, 90_000);
});

describe('localmeter keeps the clock in the data dir', () => {
  it('a frozen clock comes back at its instant, a running one keeps running from where it was', async () => {
    const dataDir = tempDir('lm-clock-');
    let port = await freePort();
    const a = await start({ LOCALMETER_DATA_DIR: dataDir }, ['--port', String(port), '--frozen', '--start', '2026-01-01T00:00:00Z']);
    const moved = await cli(['clock', 'advance', 'P1M', '--url', `http://127.0.0.1:${port}`]);
    expect(moved.code).toBe(0);
    expect(moved.stderr).toBe(''); // not a terminal: no progress bar
    await stop(a.child);

    port = await freePort();
    const b = await start({ LOCALMETER_DATA_DIR: dataDir }, ['--port', String(port)]);
    expect(b.output()).toContain('clock          2026-02-01T00:00:00.000Z (frozen)');
    expect(await getJson(`http://127.0.0.1:${port}/_emulator/clock`)).toEqual({ now: '2026-02-01T00:00:00.000Z', frozen: true });
    await cli(['clock', 'unfreeze', '--url', `http://127.0.0.1:${port}`]);
    await stop(b.child);

    port = await freePort();
    await start({ LOCALMETER_DATA_DIR: dataDir }, ['--port', String(port)]);
    const c = (await getJson(`http://127.0.0.1:${port}/_emulator/clock`)) as { now: string; frozen: boolean };
    expect(c.frozen).toBe(false);
    const ms = new Date(c.now).getTime() - Date.parse('2026-02-01T00:00:00Z');
    // running since the unfreeze, through the restart: seconds, not a reset to wall time
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThan(120_000);
  }, 120_000);
});

describe('localmeter snapshot', () => {
  it('saves named snapshots, lists them, and loading one travels back in time', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const snapDir = tempDir('lm-snaps-');
    await start({}, ['--memory', '--port', String(port), '--frozen', '--start', '2026-01-01T00:00:00Z']);
    const env = { LOCALMETER_URL: url };
    await fetch(`${url}/api/v1/meters`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'calls', eventType: 'call', aggregation: 'COUNT' }) });
    const saved = await cli(['snapshot', 'save', 'before-renewal', '--dir', snapDir], { env });
    expect(saved.code).toBe(0);
    expect(JSON.parse(saved.stdout)).toMatchObject({ saved: 'before-renewal', clock: '2026-01-01T00:00:00.000Z' });

    await cli(['clock', 'advance', 'P1M'], { env });
    await fetch(`${url}/api/v1/meters/calls`, { method: 'DELETE' });
    const list = await cli(['snapshot', 'list', '--dir', snapDir], { env });
    expect(list.stdout).toMatch(/^before-renewal +clock 2026-01-01T00:00:00.000Z \(frozen\)/);

    const loaded = await cli(['snapshot', 'load', 'before-renewal', '--dir', snapDir], { env });
    expect(loaded.code).toBe(0);
    expect(await getJson(`${url}/_emulator/clock`)).toEqual({ now: '2026-01-01T00:00:00.000Z', frozen: true });
    const meters = (await (await fetch(`${url}/api/v1/meters`)).json()) as Array<{ slug: string }>;
    expect(meters.map((m) => m.slug)).toEqual(['calls']);

    const missing = await cli(['snapshot', 'load', 'nope', '--dir', snapDir], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no snapshot named nope (in ${snapDir}); saved: before-renewal`);
  }, 120_000);
});

describe('localmeter clock, snapshot and reset under --auth strict', () => {
  it('send --api-key (or the first of $LOCALMETER_API_KEYS) as a bearer token; without one they say how to give it', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const snapDir = tempDir('lm-snaps-');
    // the server's own keys come from its flags; the CLI must not see them through the environment
    await start({ LOCALMETER_API_KEYS: '' }, ['--memory', '--port', String(port), '--frozen', '--start', '2026-01-01T00:00:00Z', '--auth', 'strict', '--api-key', 'k-one', '--api-key', 'k-two']);
    const env = { LOCALMETER_URL: url, LOCALMETER_API_KEYS: '' };

    const refused = await cli(['clock', 'advance', 'P1M'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('401');
    expect(refused.stderr).toContain('--api-key');
    const wrong = await cli(['reset', '--api-key', 'nope'], { env });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('refused the API key');

    expect((await cli(['clock', 'advance', 'P1M', '--api-key', 'k-two'], { env })).code).toBe(0);
    const fromEnv = { ...env, LOCALMETER_API_KEYS: ' , k-one,k-two' };
    const clock = await cli(['clock'], { env: fromEnv });
    expect(clock.code).toBe(0);
    expect(JSON.parse(clock.stdout)).toEqual({ now: '2026-02-01T00:00:00.000Z', frozen: true });
    expect((await cli(['snapshot', 'save', 'strict', '--dir', snapDir], { env: fromEnv })).code).toBe(0);
    expect((await cli(['reset'], { env: fromEnv })).code).toBe(0);
    const loaded = await cli(['snapshot', 'load', 'strict', '--dir', snapDir, '--api-key', 'k-one'], { env });
    expect(loaded.code).toBe(0);
    expect(JSON.parse(loaded.stdout)).toMatchObject({ loaded: 'strict', clock: '2026-02-01T00:00:00.000Z' });
  }, 120_000);
});

describe('localmeter scenario', () => {
  const scenario = (status: number) => `name: probe
steps:
  - request: { method: POST, path: /api/v1/meters, body: { slug: m, eventType: e, aggregation: COUNT } }
    expect: { status: ${status} }
    snapshot: meter
`;

  it('records a new passing scenario next to its file (whatever the cwd), then checks it', async () => {
    const dir = tempDir('lm-scn-');
    mkdirSync(join(dir, 'suite'));
    writeFileSync(join(dir, 'suite/probe.yaml'), scenario(200));
    const elsewhere = tempDir('lm-cwd-');
    const first = await cli(['scenario', join(dir, 'suite/probe.yaml')], { cwd: elsewhere });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`ok   probe (snapshot recorded at ${join(dir, 'suite/snapshots/probe.json')})`);
    expect(existsSync(join(elsewhere, 'snapshots'))).toBe(false);
    const again = await cli(['scenario', 'suite/probe.yaml'], { cwd: dir });
    expect(again.stdout.trim()).toBe('ok   probe');
  }, 60_000);

  it('under CI a missing snapshot fails; a failing scenario records nothing; a bad script names file:line:column', async () => {
    const dir = tempDir('lm-scn-ci-');
    writeFileSync(join(dir, 'probe.yaml'), scenario(200));
    const ci = await cli(['scenario', 'probe.yaml'], { cwd: dir, env: { CI: 'true' } });
    expect(ci.code).toBe(1);
    expect(ci.stdout).toContain('no snapshot at');

    writeFileSync(join(dir, 'probe.yaml'), scenario(201));
    const failing = await cli(['scenario', 'probe.yaml'], { cwd: dir });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('step 1: expected status 201, got 200');
    expect(existsSync(join(dir, 'snapshots/probe.json'))).toBe(false);

    writeFileSync(join(dir, 'typo.yaml'), 'name: typo\nsteps:\n  - request: { method: GET, path: /api/v1/meters }\n    expct: { status: 200 }\n');
    const typo = await cli(['scenario', 'typo.yaml'], { cwd: dir });
    expect(typo.code).toBe(1);
    expect(typo.stdout).toContain('typo.yaml:4:5: unknown key `expct` in step 1; expected one of request, ingest, generate, advance, invoices, balance, expect, save, snapshot, note');
  }, 60_000);
});
