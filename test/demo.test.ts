import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/harness/demo.ts';

/** `localmeter demo`: a seeded catalog and invented customers billed month by month. */
describe('localmeter demo', () => {
  const start = new Date('2026-01-01T00:00:00Z');

  it('is the same table for the same seed, another for another seed; one invoice a customer a month', async () => {
    const a = await runDemo({ customers: 4, months: 2, seed: 5, start });
    const b = await runDemo({ customers: 4, months: 2, seed: 5, start });
    const c = await runDemo({ customers: 4, months: 2, seed: 6, start });
    expect(b).toEqual(a);
    expect(c.customers.map((x) => x.name)).not.toEqual(a.customers.map((x) => x.name));
    expect(c.revenue).not.toBe(a.revenue);
    // January: each customer's in-advance platform fee; February: February's fee + January's tokens
    expect(a.months.map((m) => [m.month, m.invoices])).toEqual([
      ['2026-01', 4],
      ['2026-02', 4],
    ]);
    expect(a.events).toBe(4 * (31 + 28)); // one event a customer a day
    // January's revenue is exactly the fees: 19 Starter, 99 Growth, 499 Scale, in advance
    const fee = { starter: 19, growth: 99, scale: 499 } as Record<string, number>;
    expect(a.months[0]!.revenue).toBe(new Decimal(a.customers.reduce((s, x) => s + fee[x.plan]!, 0)).toFixed(2));
    // revenue by plan adds up to the month, months add up to the total
    for (const m of a.months) expect(Object.values(m.revenueByPlan).reduce((s, v) => s.add(v), new Decimal(0)).toFixed(2)).toBe(m.revenue);
    expect(a.months.reduce((s, m) => s.add(m.revenue), new Decimal(0)).toFixed(2)).toBe(a.revenue);
  }, 60_000);

  it('prints a table month by month, and no progress bar when stderr is not a terminal', async () => {
    const TSX = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, ['--import', TSX, 'src/cli.ts', 'demo', '--customers', '3', '--months', '2', '--seed', '2'], { timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    const lines = out.stdout.split('\n');
    expect(lines[0]).toBe('localmeter demo: 3 customers, 2 months from 2026-01-01, seed 2');
    expect(lines[2]).toMatch(/^month +invoices +starter +growth +scale +revenue +cumulative$/);
    expect(lines[3]).toMatch(/^2026-01 +3 +[\d,.]+ +[\d,.]+ +[\d,.]+ +[\d,.]+ +[\d,.]+$/);
    expect(lines[4]).toMatch(/^2026-02 +3 /);
    expect(out.stdout).toMatch(/\n6 invoices, [\d,.]+ USD invoiced; customers: \d starter, \d growth, \d scale; 177 usage events; [\d.]+ s\n$/); // 3 × (31 + 28) events
  }, 60_000);

  it('refuses a bad count with an example', async () => {
    const TSX = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
    const out = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, ['--import', TSX, 'src/cli.ts', 'demo', '--customers', 'lots'], { timeout: 60_000 }, (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr })),
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('localmeter: --customers expects an integer, e.g. --customers 50 (got "lots")');
  }, 60_000);
});
