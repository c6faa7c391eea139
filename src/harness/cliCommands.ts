/**
 * CLI commands that talk to a running emulator over its control plane (and the scenario runner).
 */
export async function runCliCommand(command: string, args: string[], flags: Record<string, unknown>): Promise<void> {
  const base = String(flags.url ?? process.env.LOCALMETER_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`);
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  switch (command) {
    case 'clock': {
      const [sub = 'get', arg] = args;
      if (sub === 'get') return print(await call('GET', '/_emulator/clock'));
      if (sub === 'freeze') return print(await call('POST', '/_emulator/clock/freeze'));
      if (sub === 'unfreeze') return print(await call('POST', '/_emulator/clock/unfreeze'));
      if (sub === 'set' && arg) return print(await call('PUT', '/_emulator/clock', { now: arg }));
      if (sub === 'advance' && arg) return print(await call('POST', '/_emulator/clock/advance', arg.startsWith('P') ? { by: arg } : { to: arg }));
      throw new Error('usage: localmeter clock [get|freeze|unfreeze|set <ISO instant>|advance <ISO duration|ISO instant>]');
    }
    case 'reset':
      await call('POST', '/_emulator/reset', args[0] ? { namespace: args[0] } : {});
      return print({ reset: args[0] ?? 'all' });
    case 'snapshot': {
      const [sub = 'save', file] = args;
      const { readFileSync, writeFileSync } = await import('node:fs');
      if (sub === 'save') {
        const snap = await call('GET', '/_emulator/snapshot');
        if (file) writeFileSync(file, JSON.stringify(snap, null, 2));
        else print(snap);
        return;
      }
      if (sub === 'load' && file) {
        await call('PUT', '/_emulator/snapshot', JSON.parse(readFileSync(file, 'utf8')));
        return print({ loaded: file });
      }
      throw new Error('usage: localmeter snapshot [save [file]|load <file>]');
    }
    case 'scenario': {
      if (args.length === 0) throw new Error('usage: localmeter scenario <file.yaml>... [--update]');
      const { readFileSync } = await import('node:fs');
      const { parseScenario, runScenario } = await import('./scenario.ts');
      const { checkSnapshot } = await import('./snapshots.ts');
      let failed = false;
      for (const file of args) {
        const result = await runScenario(parseScenario(readFileSync(file, 'utf8')));
        const check = checkSnapshot(result, 'snapshots', flags.update === true);
        const problems = [...result.failures, ...check.differences];
        console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${result.name}${check.written ? ` (snapshot written to ${check.file})` : ''}`);
        for (const p of problems) console.log(`     ${p}`);
        failed ||= problems.length > 0;
      }
      if (failed) process.exitCode = 1;
      return;
    }
    default:
      throw new Error(`unknown command: ${command} (try: localmeter help)`);
  }
}

function print(v: unknown): void {
  console.log(JSON.stringify(v, null, 2));
}
