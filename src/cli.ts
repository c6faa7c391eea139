#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator } from './runtime/main.ts';

const USAGE = `localmeter — a local OpenMeter / Konnect / Zuplo billing emulator

usage:
  localmeter start [--port 8787] [--host 127.0.0.1] [--data-dir ./.localmeter] [--memory] [--seed N] [--frozen] [--start ISO] [--validate-responses]
  localmeter scenario <file.yaml> [--update]     replay a scenario and compare with its snapshot
  localmeter clock [get|freeze|unfreeze|advance <ISO-duration>|set <ISO>] [--url http://127.0.0.1:8787]
  localmeter reset [--url ...]

environment: PORT, HOST, LOCALMETER_DATA_DIR, LOCALMETER_SEED, LOCALMETER_VALIDATE_RESPONSES=1 (same as --validate-responses)`;

async function main(argv: string[]): Promise<void> {
  const [command = 'start', ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      memory: { type: 'boolean' },
      seed: { type: 'string' },
      frozen: { type: 'boolean' },
      start: { type: 'string' },
      url: { type: 'string' },
      update: { type: 'boolean' },
      quiet: { type: 'boolean' },
      'validate-responses': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || command === 'help' || command === '--help') {
    console.log(USAGE);
    return;
  }
  if (command === 'start') {
    const port = Number(values.port ?? process.env.PORT ?? 8787);
    const host = values.host ?? process.env.HOST ?? '127.0.0.1';
    const dataDir = values.memory ? null : resolve(values['data-dir'] ?? process.env.LOCALMETER_DATA_DIR ?? './.localmeter');
    const seedText = values.seed ?? process.env.LOCALMETER_SEED;
    const running = await startEmulator({
      port,
      host,
      dataDir,
      seed: seedText === undefined ? undefined : Number(seedText),
      frozen: values.frozen ?? false,
      start: values.start ? new Date(values.start) : undefined,
      // Validating responses is for developing localmeter (tests, `npm run dev`): a response that
      // breaks the spec then fails loudly. A user's `npm start` should not turn it into a 500.
      validateResponses: values['validate-responses'] ?? process.env.LOCALMETER_VALIDATE_RESPONSES === '1',
      quiet: values.quiet ?? false,
    });
    console.log(`localmeter listening on ${running.url}  (data: ${dataDir ?? 'memory'})`);
    console.log(`  OpenMeter v1   ${running.url}/api/v1   (@openmeter/sdk baseUrl: ${running.url})`);
    console.log(`  Konnect v3     ${running.url}/v3/openmeter  and  ${running.url}/api/v3/openmeter`);
    console.log(`  Zuplo          ${running.url}/v1/...  ${running.url}/v3/metering/{bucketId}/...  (ZUPLO_DEVELOPER_API_ENDPOINT=${running.url})`);
    console.log(`  control        ${running.url}/_emulator/health`);
    const shutdown = async () => {
      await running.stop();
      process.exit(0);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
    return;
  }
  const { runCliCommand } = await import('./harness/cliCommands.ts');
  await runCliCommand(command, positionals, values);
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
