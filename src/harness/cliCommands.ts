import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addDuration, parseDuration } from '../domain/shared/recurrence.ts';
import { parseInstant, UsageError } from './cliArgs.ts';

/**
 * CLI commands that talk to a running emulator over its control plane, and the scenario runner.
 */
type Call = (method: string, path: string, body?: unknown) => Promise<unknown>;

function control(base: string, apiKey?: string): Call {
  return async (method, path, body) => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new Error(`no localmeter answers at ${base}: start one with \`localmeter start\`, or point at it with --url or $LOCALMETER_URL`);
    }
    const text = await res.text();
    if (res.status === 401) {
      throw new Error(`${method} ${path} → 401: ${apiKey ? 'the emulator refused the API key given' : 'the emulator runs with --auth strict: pass --api-key KEY or set $LOCALMETER_API_KEYS'} (${text})`);
    }
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}

function print(v: unknown): void {
  console.log(JSON.stringify(v, null, 2));
}

const CLOCK_USAGE = 'expected get, freeze, unfreeze, set <instant> or advance <duration | instant>, e.g. `localmeter clock advance P1M`';

export async function clockCommand(base: string, args: string[], apiKey?: string): Promise<void> {
  const [sub = 'get', arg, ...extra] = args;
  if (extra.length > 0) throw new UsageError(`too many arguments: ${extra.join(' ')}`, 'clock');
  const call = control(base, apiKey);
  if (sub === 'get' || sub === 'freeze' || sub === 'unfreeze') {
    if (arg !== undefined) throw new UsageError(`\`clock ${sub}\` takes no argument (got ${arg})`, 'clock');
    return print(await call(sub === 'get' ? 'GET' : 'POST', sub === 'get' ? '/_emulator/clock' : `/_emulator/clock/${sub}`));
  }
  if (sub === 'set') {
    if (!arg) throw new UsageError('`clock set` needs an instant, e.g. `localmeter clock set 2026-01-01T00:00:00Z`', 'clock');
    parseInstant(arg, 'the instant', 'clock');
    return print(await call('PUT', '/_emulator/clock', { now: arg }));
  }
  if (sub === 'advance') {
    if (!arg) throw new UsageError('`clock advance` needs an ISO 8601 duration or instant, e.g. `localmeter clock advance P1M` or `... advance 2026-03-01T00:00:00Z`', 'clock');
    const duration = arg.startsWith('P') ? parseDuration(arg) : undefined;
    if (arg.startsWith('P') && !duration) throw new UsageError(`not an ISO 8601 duration: ${arg} (e.g. P1M, P14D, PT6H, P1Y2M)`, 'clock');
    if (!duration) parseInstant(arg, 'the target', 'clock');
    return print(await advanceWithProgress(call, duration ? { by: arg } : { to: arg }, duration));
  }
  throw new UsageError(`unknown clock subcommand: ${sub}; ${CLOCK_USAGE}`, 'clock');
}

/**
 * An advance answers when every job on the way has run, which takes a while over months of
 * work; on a terminal the clock is polled meanwhile and drawn as a bar on stderr.
 */
async function advanceWithProgress(call: Call, body: { by: string } | { to: string }, duration: ReturnType<typeof parseDuration>): Promise<unknown> {
  if (!process.stderr.isTTY) return call('POST', '/_emulator/clock/advance', body);
  const from = new Date(((await call('GET', '/_emulator/clock')) as { now: string }).now);
  const to = duration ? addDuration(from, duration) : new Date((body as { to: string }).to);
  // the bar's target must be the server's: send the instant, not the duration
  const request = call('POST', '/_emulator/clock/advance', { to: to.toISOString() });
  let done = false;
  let shown = false;
  const poll = (async () => {
    await new Promise((r) => setTimeout(r, 300));
    while (!done) {
      try {
        const now = new Date(((await call('GET', '/_emulator/clock')) as { now: string }).now);
        if (done) break;
        process.stderr.write(`\r${progressBar(from, to, now)}`);
        shown = true;
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    return await request;
  } finally {
    done = true;
    await poll;
    if (shown) process.stderr.write('\r\x1b[2K');
  }
}

/** `[########------------]  40%  2026-01-13` */
export function progressBar(from: Date, to: Date, now: Date, width = 30): string {
  const span = to.getTime() - from.getTime();
  const f = span <= 0 ? 1 : Math.min(1, Math.max(0, (now.getTime() - from.getTime()) / span));
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(f * 100)).padStart(3)}%  ${now.toISOString().slice(0, 10)}`;
}

export async function resetCommand(base: string, args: string[], apiKey?: string): Promise<void> {
  if (args.length > 1) throw new UsageError(`\`reset\` takes at most one namespace (got ${args.join(' ')})`, 'reset');
  await control(base, apiKey)('POST', '/_emulator/reset', args[0] ? { namespace: args[0] } : {});
  print({ reset: args[0] ?? 'all' });
}

const SNAPSHOT_NAME = /^[A-Za-z0-9._-]+$/;

/** A NAME goes to the snapshot dir; a path (a `/`, or ending in .json) is used as given. */
function snapshotTarget(dir: string, ref: string): { file: string; name?: string } {
  if (ref.includes('/') || ref.includes('\\') || ref.endsWith('.json')) return { file: resolve(ref) };
  if (!SNAPSHOT_NAME.test(ref)) throw new UsageError(`a snapshot name is letters, digits, \`.\`, \`_\` or \`-\` (got ${JSON.stringify(ref)}), e.g. \`localmeter snapshot save before-renewal\``, 'snapshot');
  return { file: join(dir, `${ref}.json`), name: ref };
}

export async function snapshotCommand(base: string, dir: string, args: string[], apiKey?: string): Promise<void> {
  const [sub, ref, ...extra] = args;
  if (extra.length > 0) throw new UsageError(`too many arguments: ${extra.join(' ')}`, 'snapshot');
  const call = control(base, apiKey);
  if (sub === 'list') {
    const names = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
    if (names.length === 0) {
      console.log(`no named snapshots in ${dir} (save one with \`localmeter snapshot save NAME\`)`);
      return;
    }
    for (const f of names.sort()) {
      const path = join(dir, f);
      let clock = '?';
      try {
        const snap = JSON.parse(readFileSync(path, 'utf8')) as { clock?: { now?: string; frozen?: boolean } };
        clock = `${snap.clock?.now ?? '?'}${snap.clock?.frozen ? ' (frozen)' : ''}`;
      } catch {
        clock = 'unreadable';
      }
      const st = statSync(path);
      console.log(`${f.slice(0, -5).padEnd(24)}  clock ${clock}  saved ${st.mtime.toISOString()}  ${Math.ceil(st.size / 1024)} KiB`);
    }
    return;
  }
  if (sub === 'save' || sub === 'load') {
    if (!ref) throw new UsageError(`\`snapshot ${sub}\` needs a name or a file, e.g. \`localmeter snapshot ${sub} before-renewal\``, 'snapshot');
    const { file, name } = snapshotTarget(dir, ref);
    if (sub === 'save') {
      const snap = (await call('GET', '/_emulator/snapshot')) as { clock?: { now?: string } };
      mkdirSync(resolve(file, '..'), { recursive: true });
      writeFileSync(file, JSON.stringify(snap) + '\n');
      return print({ saved: name ?? file, file, clock: snap.clock?.now });
    }
    if (!existsSync(file)) {
      const known = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
      throw new Error(`no snapshot ${name ? `named ${name} (in ${dir})` : `at ${file}`}${known.length > 0 ? `; saved: ${known.join(', ')}` : ''}`);
    }
    const snap = JSON.parse(readFileSync(file, 'utf8')) as { clock?: { now?: string } };
    await call('PUT', '/_emulator/snapshot', snap);
    return print({ loaded: name ?? file, clock: snap.clock?.now });
  }
  throw new UsageError(sub ? `unknown snapshot subcommand: ${sub}; expected save, list or load` : 'expected save, list or load, e.g. `localmeter snapshot save before-renewal`', 'snapshot');
}

export async function scenarioCommand(files: string[], opts: { update: boolean; ci: boolean; snapshots?: string; target?: string }): Promise<void> {
  if (files.length === 0) throw new UsageError('name at least one scenario file, e.g. `localmeter scenario scenarios/renewal.yaml`', 'scenario');
  const { parseScenario, runScenario, ScenarioError } = await import('./scenario.ts');
  const { checkSnapshot, snapshotFileFor } = await import('./snapshots.ts');
  let failed = false;
  for (const file of files) {
    if (!existsSync(file)) {
      console.log(`FAIL ${file}\n     no such file`);
      failed = true;
      continue;
    }
    let scenario;
    try {
      scenario = parseScenario(readFileSync(file, 'utf8'), file);
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      console.log(`FAIL ${file}\n${err.message.split('\n').map((l) => `     ${l}`).join('\n')}`);
      failed = true;
      continue;
    }
    const bar = stepBar(scenario.name);
    const result = await runScenario(scenario, { target: opts.target, onStep: bar.update }).finally(bar.done);
    const dir = resolve(snapshotFileFor(file, result.name, opts.snapshots), '..');
    // against a target, the deployment's own ids and times make a snapshot meaningless
    const check = opts.target ? { differences: [], written: false, file: '' } : checkSnapshot(result, dir, opts.update ? 'update' : opts.ci ? 'check' : 'new');
    const problems = [...result.failures, ...check.differences];
    console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${result.name}${check.written ? ` (snapshot recorded at ${check.file})` : ''}${opts.target && result.failures.length === 0 ? ` (against ${opts.target})` : ''}`);
    for (const p of problems) console.log(`     ${p}`);
    failed ||= problems.length > 0;
  }
  if (failed) process.exitCode = 1;
}

/**
 * A replay with many steps (a year of advances, thousands of generated events) takes a while:
 * on a terminal its progress is drawn on stderr, and erased when it ends.
 */
export function stepBar(name: string, stream: NodeJS.WriteStream = process.stderr): { update: (i: number, n: number) => void; done: () => void } {
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  let shown = false;
  return {
    update: (i, n) => {
      const width = 30;
      const filled = Math.round((i / n) * width);
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] step ${i + 1}/${n}  ${name}`);
      shown = true;
    },
    done: () => {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}

export async function demoCommand(opts: { customers: number; months: number; seed: number; start: Date; json: boolean }): Promise<void> {
  const { runDemo, demoHeader, demoRow, money } = await import('./demo.ts');
  const started = performance.now();
  const tty = process.stderr.isTTY === true;
  const bar = (done: number, label: string) => {
    if (!tty) return;
    const width = 30;
    const filled = Math.round((done / opts.months) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${opts.months} months  ${label}`);
  };
  const clear = () => tty && process.stderr.write('\r\x1b[2K');
  const plans = ['starter', 'growth', 'scale'];
  if (!opts.json) {
    console.log(`localmeter demo: ${opts.customers} customers, ${opts.months} months from ${opts.start.toISOString().slice(0, 10)}, seed ${opts.seed}`);
    console.log('');
    console.log(demoHeader(plans));
  }
  bar(0, 'setting up the catalog and customers');
  const result = await runDemo({
    ...opts,
    onMonth: (row, i) => {
      clear();
      if (!opts.json) console.log(demoRow(row, plans));
      if (i + 1 < opts.months) bar(i + 1, `billing month ${i + 2}`);
    },
  }).finally(clear);
  if (opts.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const counts = plans.map((p) => `${result.customers.filter((c) => c.plan === p).length} ${p}`).join(', ');
  console.log('');
  console.log(`${result.invoices} invoices, ${money(result.revenue)} USD invoiced; customers: ${counts}; ${result.events} usage events; ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
