#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseInstant, parsePort, UsageError } from './harness/cliArgs.ts';
import { startEmulator } from './runtime/main.ts';
import { VERSION } from './version.ts';

/**
 * The command line. Each command declares its options in one table: the parser, the help text
 * and the error messages all come from it, so they cannot disagree.
 */
type OptionSpec = { type: 'string' | 'boolean'; short?: string; arg?: string; multiple?: boolean; help: string };

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string[];
  options: Record<string, OptionSpec>;
  examples: string[];
  /** what the command needs that is not an option (validated in `run`) */
  notes?: string[];
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<void>;
}

const URL_OPTION: OptionSpec = { type: 'string', arg: 'URL', help: 'the running emulator (default $LOCALMETER_URL or http://127.0.0.1:$PORT, port 8787)' };
const API_KEY_OPTION: OptionSpec = { type: 'string', arg: 'KEY', help: 'the key to send to an emulator started with --auth strict (default: the first of $LOCALMETER_API_KEYS)' };

const COMMANDS: CommandSpec[] = [
  {
    name: 'start',
    summary: 'serve OpenMeter v1, Konnect v3, Zuplo and the control plane on one port',
    usage: ['localmeter start [options]'],
    options: {
      port: { type: 'string', arg: 'N', help: 'port to listen on (default $PORT or 8787; 0 = any free port)' },
      host: { type: 'string', arg: 'HOST', help: 'interface to bind (default $HOST or 127.0.0.1)' },
      'data-dir': { type: 'string', arg: 'DIR', help: 'where state is kept (default $LOCALMETER_DATA_DIR or ./.localmeter); one emulator per dir' },
      memory: { type: 'boolean', help: 'keep nothing on disk' },
      seed: { type: 'string', arg: 'N', help: 'integer seed for reproducible ids (default $LOCALMETER_SEED)' },
      frozen: { type: 'boolean', help: 'freeze the clock (time then moves only by `localmeter clock`)' },
      start: { type: 'string', arg: 'INSTANT', help: 'set the clock to this ISO 8601 instant (default: the instant kept in the data dir, else now)' },
      'validate-responses': { type: 'boolean', help: 'answer 500 when a response breaks the spec (also $LOCALMETER_VALIDATE_RESPONSES=1)' },
      quiet: { type: 'boolean', help: 'no request or error logging' },
      durability: { type: 'string', arg: 'MODE', help: 'buffered (default) or fsync: acknowledge a write only once the disk has it (survives power loss; slower)' },
      auth: { type: 'string', arg: 'MODE', help: 'open (default: any token or none) or strict: every request needs one of the API keys' },
      'api-key': { type: 'string', arg: 'KEY', multiple: true, help: 'a key strict auth accepts as a bearer token (repeatable; also $LOCALMETER_API_KEYS, comma separated)' },
      'stripe-port': { type: 'string', arg: 'N', help: 'port of the emulated Stripe, stripe-mock compatible, always on 127.0.0.1 (default $LOCALMETER_STRIPE_PORT or 12111; 0 = any free port)' },
      'stripe-api-base': { type: 'string', arg: 'URL', help: 'the Stripe the Stripe app calls instead of the emulated one: a stripe-mock, or https://api.stripe.com with test keys (default $LOCALMETER_STRIPE_API_BASE)' },
    },
    examples: ['localmeter start', 'localmeter start --port 9000 --data-dir ./state', 'localmeter start --memory --frozen --start 2026-01-01T00:00:00Z --seed 1'],
    notes: ['The clock (its instant, and whether it is frozen) is kept in the data dir across restarts.'],
    run: (v) => runStart(v),
  },
  {
    name: 'clock',
    summary: 'read or move the running emulator’s clock',
    usage: ['localmeter clock [get]', 'localmeter clock freeze|unfreeze', 'localmeter clock set <ISO instant>', 'localmeter clock advance <ISO duration | ISO instant>'],
    options: { url: URL_OPTION, 'api-key': API_KEY_OPTION },
    examples: ['localmeter clock advance P1M', 'localmeter clock advance 2026-03-01T00:00:00Z', 'localmeter clock set 2026-01-01T00:00:00Z'],
    notes: ['`advance` runs every job that falls due on the way; on a terminal it shows progress on stderr.', 'Going back with `set` does not undo anything: load a named snapshot to travel back.'],
    run: async (v, p) => (await import('./harness/cliCommands.ts')).clockCommand(controlUrl(v), p, apiKeyOf(v)),
  },
  {
    name: 'snapshot',
    summary: 'save, list and load named snapshots of the whole state (loading one travels back in time)',
    usage: ['localmeter snapshot save <NAME | file.json>', 'localmeter snapshot list', 'localmeter snapshot load <NAME | file.json>'],
    options: { url: URL_OPTION, 'api-key': API_KEY_OPTION, dir: { type: 'string', arg: 'DIR', help: 'where named snapshots are kept (default <data dir>/snapshots, i.e. ./.localmeter/snapshots)' } },
    examples: ['localmeter snapshot save before-renewal', 'localmeter clock advance P1M', 'localmeter snapshot load before-renewal', 'localmeter snapshot save ./state.json'],
    notes: ['A NAME is letters, digits, `.`, `_` or `-`; anything with a `/` or ending in .json is a file path.'],
    run: async (v, p) => (await import('./harness/cliCommands.ts')).snapshotCommand(controlUrl(v), snapshotDir(v), p, apiKeyOf(v)),
  },
  {
    name: 'reset',
    summary: 'drop all state, or one namespace’s',
    usage: ['localmeter reset [namespace]'],
    options: { url: URL_OPTION, 'api-key': API_KEY_OPTION },
    examples: ['localmeter reset', 'localmeter reset zuplo-bucket:bckt_1'],
    run: async (v, p) => (await import('./harness/cliCommands.ts')).resetCommand(controlUrl(v), p, apiKeyOf(v)),
  },
  {
    name: 'scenario',
    summary: 'replay scenario scripts and compare them with their recorded snapshots',
    usage: ['localmeter scenario <file.yaml>... [--update] [--ci] [--snapshots DIR]', 'localmeter scenario <file.yaml>... --target URL'],
    options: {
      update: { type: 'boolean', help: 'record the output as the new expected snapshot' },
      ci: { type: 'boolean', help: 'never record a missing snapshot (also when $CI is set)' },
      snapshots: { type: 'string', arg: 'DIR', help: 'where snapshots are kept (default: snapshots/ next to each scenario file)' },
      target: { type: 'string', arg: 'URL', help: 'replay against another deployment speaking the same API (a real OpenMeter, a shared localmeter) instead of a fresh in-memory emulator' },
    },
    examples: ['localmeter scenario scenarios/*.yaml', 'localmeter scenario scenarios/renewal.yaml --update', 'localmeter scenario scenarios/catalog.yaml --target https://openmeter.example.com'],
    notes: [
      'A new scenario whose expectations pass records its snapshot on its first run (not under --ci or $CI).',
      'Any 5xx answer fails the run unless the step expects that exact status.',
      'With --target, a scenario that moves the clock (advance, /_emulator/...) fails before sending anything; the others run unchanged, their expectations checked, snapshots neither compared nor recorded (ids and times are the deployment\'s own).',
    ],
    run: async (v, p) =>
      (await import('./harness/cliCommands.ts')).scenarioCommand(p, {
        update: v.update === true,
        ci: v.ci === true || isCi(),
        snapshots: typeof v.snapshots === 'string' ? v.snapshots : undefined,
        target: typeof v.target === 'string' ? httpUrl(v.target, '--target', 'scenario') : undefined,
      }),
  },
  {
    name: 'demo',
    summary: 'bill a seeded catalog and N invented customers month by month, and print invoices and revenue',
    usage: ['localmeter demo [--customers N] [--months M] [--seed S] [--start INSTANT]'],
    options: {
      customers: { type: 'string', arg: 'N', help: 'customers to invent with @faker-js/faker (default 50)' },
      months: { type: 'string', arg: 'M', help: 'months to bill (default 12)' },
      seed: { type: 'string', arg: 'S', help: 'integer seed: the same seed prints the same table (default 1)' },
      start: { type: 'string', arg: 'INSTANT', help: 'the first month (default 2026-01-01T00:00:00Z)' },
      json: { type: 'boolean', help: 'print the result as JSON instead of a table' },
    },
    examples: ['localmeter demo', 'localmeter demo --customers 500 --months 36 --seed 7'],
    notes: [
      'Runs in memory and touches nothing else: three plans (Starter, Growth, Scale), customers spread over them, one usage event a customer a day.',
      'Revenue is what was invoiced in each month, by plan; a progress bar runs on stderr on a terminal.',
    ],
    run: async (v) => (await import('./harness/cliCommands.ts')).demoCommand({
      customers: positiveInt(v.customers, '--customers', 50, 'demo'),
      months: positiveInt(v.months, '--months', 12, 'demo'),
      seed: v.seed === undefined ? 1 : integer(String(v.seed), '--seed', 'demo'),
      start: typeof v.start === 'string' ? parseInstant(v.start, '--start', 'demo') : new Date('2026-01-01T00:00:00Z'),
      json: v.json === true,
    }),
  },
];

function positiveInt(v: unknown, flag: string, fallback: number, command: string): number {
  if (v === undefined) return fallback;
  const n = integer(String(v), flag, command, String(fallback));
  if (n < 1) throw new UsageError(`${flag} expects a whole number of at least 1, e.g. ${flag} ${fallback} (got ${JSON.stringify(v)})`, command);
  return n;
}

function integer(text: string, flag: string, command: string, example = '1'): number {
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`${flag} expects an integer, e.g. ${flag} ${example} (got ${JSON.stringify(text)})`, command);
  return Number(text);
}

const COMMON: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', help: 'this help' },
};

const isCi = () => !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `localmeter ${VERSION} — a local OpenMeter / Konnect / Zuplo billing emulator`,
    '',
    'usage: localmeter <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'localmeter <command> --help   options and examples of one command',
    'localmeter --version          the version',
  ].join('\n');
}

export function commandHelp(cmd: CommandSpec): string {
  const opts = Object.entries({ ...cmd.options, ...COMMON }).map(([name, o]) => [`${o.short ? `-${o.short}, ` : ''}--${name}${o.arg ? ` ${o.arg}` : ''}`, o.help] as const);
  const width = Math.max(...opts.map(([f]) => f.length));
  return [
    `localmeter ${cmd.name} — ${cmd.summary}`,
    '',
    'usage:',
    ...cmd.usage.map((u) => `  ${u}`),
    '',
    'options:',
    ...opts.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`),
    ...(cmd.notes ? ['', ...cmd.notes] : []),
    '',
    'examples:',
    ...cmd.examples.map((e) => `  ${e}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v' || first === 'version') {
    console.log(VERSION);
    return;
  }
  if (first === '--help' || first === '-h') {
    console.log(overview());
    return;
  }
  if (first === 'help') {
    const cmd = rest[0] ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    if (rest[0] && !cmd) throw new UsageError(`unknown command: ${rest[0]}`);
    console.log(cmd ? commandHelp(cmd) : overview());
    return;
  }
  // `localmeter` alone, or `localmeter --port 9000`, starts the emulator
  const name = first === undefined || first.startsWith('-') ? 'start' : first;
  const args = first === undefined || first.startsWith('-') ? argv : rest;
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new UsageError(`unknown command: ${name}${suggest(name)}`);
  const options = { ...cmd.options, ...COMMON } as NonNullable<ParseArgsConfig['options']>;
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new UsageError(parseErrorMessage(err, cmd), cmd.name);
  }
  if (parsed.values.help) {
    console.log(commandHelp(cmd));
    return;
  }
  await cmd.run(parsed.values, parsed.positionals);
}

function parseErrorMessage(err: unknown, cmd: CommandSpec): string {
  const e = err as { code?: string; message?: string };
  const m = /'(-{1,2}[^' ]+)/.exec(e.message ?? '');
  const flag = m?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${flag ?? ''} for \`localmeter ${cmd.name}\` (it takes ${Object.keys(cmd.options).map((o) => `--${o}`).join(', ')})`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = flag?.replace(/^-+/, '').split(/[ =]/)[0] ?? '';
    const spec = cmd.options[name];
    return spec?.type === 'string' ? `--${name} needs a value: --${name} ${spec.arg ?? 'VALUE'} (${spec.help})` : `--${name} takes no value`;
  }
  return e.message ?? String(err);
}

function suggest(name: string): string {
  const near = COMMANDS.find((c) => c.name.startsWith(name.slice(0, 2)));
  return near ? ` (did you mean \`localmeter ${near.name}\`?)` : ` (commands: ${COMMANDS.map((c) => c.name).join(', ')})`;
}

function httpUrl(raw: string, flag: string, command?: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new UsageError(`${flag} expects an http URL, e.g. ${flag} http://127.0.0.1:8787 (got ${raw})`, command);
  }
  return raw.replace(/\/+$/, '');
}

const controlUrl = (v: Record<string, unknown>): string => httpUrl(String(v.url ?? process.env.LOCALMETER_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`), '--url');

/** In strict mode the control plane wants a key like every surface: --api-key, else the first of $LOCALMETER_API_KEYS. */
const apiKeyOf = (v: Record<string, unknown>): string | undefined =>
  typeof v['api-key'] === 'string' && v['api-key'].trim() !== ''
    ? v['api-key'].trim()
    : (process.env.LOCALMETER_API_KEYS ?? '')
        .split(',')
        .map((k) => k.trim())
        .find((k) => k !== '');

const snapshotDir = (v: Record<string, unknown>): string =>
  resolve(typeof v.dir === 'string' ? v.dir : `${process.env.LOCALMETER_DATA_DIR ?? './.localmeter'}/snapshots`);

const usage = (message: string): never => {
  throw new UsageError(message, 'start');
};

async function runStart(values: Record<string, string | boolean | undefined>): Promise<void> {
  const portText = typeof values.port === 'string' ? values.port : process.env.PORT;
  const port = portText === undefined || portText === '' ? 8787 : parsePort(portText, typeof values.port === 'string' ? '--port' : '$PORT');
  const host = (typeof values.host === 'string' ? values.host : undefined) ?? process.env.HOST ?? '127.0.0.1';
  if (values.memory && typeof values['data-dir'] === 'string') throw new UsageError('--memory and --data-dir exclude each other: --memory keeps nothing on disk', 'start');
  const dataDir = values.memory ? null : resolve((values['data-dir'] as string | undefined) ?? process.env.LOCALMETER_DATA_DIR ?? './.localmeter');
  const seedText = (values.seed as string | undefined) ?? process.env.LOCALMETER_SEED;
  if (seedText !== undefined && !/^-?\d+$/.test(seedText)) throw new UsageError(`${values.seed !== undefined ? '--seed' : '$LOCALMETER_SEED'} expects an integer, e.g. --seed 1 (got ${JSON.stringify(seedText)})`, 'start');
  const start = typeof values.start === 'string' ? parseInstant(values.start, '--start', 'start') : undefined;
  const stripePortText = typeof values['stripe-port'] === 'string' ? values['stripe-port'] : process.env.LOCALMETER_STRIPE_PORT;
  const stripePort = stripePortText === undefined || stripePortText === '' ? 12111 : parsePort(stripePortText, typeof values['stripe-port'] === 'string' ? '--stripe-port' : '$LOCALMETER_STRIPE_PORT');
  const stripeApiBase = (typeof values['stripe-api-base'] === 'string' ? values['stripe-api-base'] : undefined) ?? process.env.LOCALMETER_STRIPE_API_BASE;
  if (stripeApiBase !== undefined && !/^https?:\/\/[^/]+/.test(stripeApiBase)) throw new UsageError(`--stripe-api-base expects an http(s) URL, e.g. http://127.0.0.1:12111 (got ${JSON.stringify(stripeApiBase)})`, 'start');
  const running = await startEmulator({
    stripePort,
    stripePortIsDefault: stripePortText === undefined || stripePortText === '',
    ...(stripeApiBase ? { stripeApiBase } : {}),
    port,
    host,
    dataDir,
    seed: seedText === undefined ? undefined : Number(seedText),
    // absent: the clock kept in the data dir decides
    frozen: values.frozen === true ? true : undefined,
    start,
    // Validating responses is for developing localmeter (tests, `npm run dev`): a response that
    // breaks the spec then fails loudly. A user's `npm start` should not turn it into a 500.
    validateResponses: values['validate-responses'] === true || process.env.LOCALMETER_VALIDATE_RESPONSES === '1',
    quiet: values.quiet === true,
    durability: values.durability === undefined || values.durability === 'buffered' ? 'buffered' : values.durability === 'fsync' ? 'fsync' : usage(`--durability expects buffered or fsync (got ${JSON.stringify(values.durability)})`),
    auth: values.auth === undefined || values.auth === 'open' ? 'open' : values.auth === 'strict' ? 'strict' : usage(`--auth expects open or strict (got ${JSON.stringify(values.auth)})`),
    apiKeys: (values as { 'api-key'?: string[] })['api-key'],
  });
  const { url } = running;
  const clock = running.emulator.clock;
  console.log(`localmeter ${VERSION} listening on ${url}  (data: ${dataDir ?? 'memory'})`);
  console.log(`  OpenMeter v1   ${url}/api/v1   (@openmeter/sdk baseUrl: ${url})`);
  console.log(`  Konnect v3     ${url}/v3/openmeter  and  ${url}/api/v3/openmeter`);
  console.log(`  Zuplo          ${url}/v1/...  ${url}/v3/metering/{bucketId}/...  (ZUPLO_DEVELOPER_API_ENDPOINT=${url})`);
  console.log(`  Stripe (emu)   ${running.stripeUrl}   (stripe SDK: host 127.0.0.1, port ${new URL(running.stripeUrl ?? 'http://x:0').port}, protocol http)`);
  if (stripeApiBase) console.log(`  Stripe app     calls ${stripeApiBase} instead of the emulated Stripe`);
  console.log(`  clock          ${clock.now().toISOString()} (${clock.frozen ? 'frozen' : 'running'})`);
  console.log(`  control        ${url}/_emulator/health`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await running.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    const cmd = COMMANDS.find((c) => c.name === err.command);
    console.error(`localmeter: ${err.message}`);
    console.error(cmd ? `\nusage:\n${cmd.usage.map((u) => `  ${u}`).join('\n')}\nexample: ${cmd.examples[0]}\nmore: localmeter ${cmd.name} --help` : `\n${overview()}`);
    process.exit(2);
  }
  console.error(`localmeter: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
