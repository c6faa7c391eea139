import { readFileSync } from 'node:fs';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rateLine } from '../src/domain/billing/rating/rateLine.ts';
import type { Price } from '../src/domain/catalog/types.ts';
import type { RatingInput, RatingResult } from '../src/domain/billing/rating/types.ts';
import { isMain, median, round } from './util.ts';

/**
 * The rating engine alone, on the lines the demo bills (`localmeter demo --customers 500 --months 36`
 * rates about 36,500 lines: a flat in-advance fee and a usage line per invoice, over unit, graduated
 * tiered and minimum-spend prices). Process CPU per pass, median of the passes.
 *
 * `npx tsx bench/rating.ts [--baseline <checkout>] [--passes 15] [--inputs recorded.json]`: with a baseline (another checkout
 * of the repository, e.g. `git worktree add /tmp/base main`), both engines rate the same lines in
 * alternating passes, every result is first checked to be identical, and the ratio is printed.
 */
type Rate = (input: RatingInput) => RatingResult;

const PERIOD = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };
const PLANS: { weight: number; flat: string; usage: () => Price; daily: [number, number] }[] = [
  { weight: 6, flat: '19', usage: () => ({ type: 'unit', amount: '0.00002' }), daily: [2_000, 60_000] },
  {
    weight: 3,
    flat: '99',
    usage: () => ({
      type: 'tiered',
      mode: 'graduated',
      tiers: [
        { upToAmount: '1000000', flatPrice: null, unitPrice: { type: 'unit', amount: '0' } },
        { flatPrice: null, unitPrice: { type: 'unit', amount: '0.000015' } },
      ],
    }) as Price,
    daily: [20_000, 400_000],
  },
  { weight: 1, flat: '499', usage: () => ({ type: 'unit', amount: '0.00001', minimumAmount: '100' }), daily: [200_000, 2_000_000] },
];

/** 500 customers × 36 months × (flat + usage), with a fixed pseudo-random draw (no Math.random: repeatable). */
export function demoLines(customers = 500, months = 36): RatingInput[] {
  let s = 1;
  const rnd = () => ((s = (s * 48271) % 2147483647) / 2147483647);
  const out: RatingInput[] = [];
  for (let c = 0; c < customers; c++) {
    let w = rnd() * 10;
    const plan = PLANS.find((p) => (w -= p.weight) < 0) ?? PLANS[0]!;
    const daily = plan.daily[0] + Math.floor(rnd() * (plan.daily[1] - plan.daily[0]));
    // as in the invoice service: a usage line shares its subscription item's price object, a flat
    // line gets a copy of its own (its payment term filled in)
    const usage = plan.usage();
    for (let m = 0; m < months; m++) {
      const base = { currency: 'USD', preLinePeriodQuantity: '0', isFirstInPeriod: true, isLastInPeriod: true, previouslyBilledAmount: '0', period: { ...PERIOD } };
      out.push({ ...base, lineName: 'Platform', price: { type: 'flat', amount: plan.flat, paymentTerm: 'in_advance' }, quantity: '1' });
      const qty = String(Math.round(daily * 30 * (0.8 + rnd() * 0.4)));
      out.push({ ...base, lineName: 'Tokens', price: usage, quantity: qty });
    }
  }
  return out;
}

const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/**
 * One pass of every engine over all lines, interleaved in chunks of 1,000 lines so that load from
 * other processes falls on the engines alike: the CPU each engine spent in this pass.
 */
function pass(rates: Rate[], lines: RatingInput[]): number[] {
  const spent = rates.map(() => 0);
  for (let i = 0; i < lines.length; i += 1000) {
    const chunk = lines.slice(i, i + 1000);
    rates.forEach((rate, j) => {
      const t0 = cpuMs();
      for (const l of chunk) rate(l);
      spent[j]! += cpuMs() - t0;
    });
  }
  return spent;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { baseline: { type: 'string' }, passes: { type: 'string', default: '15' }, inputs: { type: 'string' } } });
  const passes = Number(values.passes);
  // --inputs: recorded RatingInputs (a JSON array) instead of the invented ones
  const lines = values.inputs ? (JSON.parse(readFileSync(values.inputs, 'utf8')) as RatingInput[]) : demoLines();
  const engines: { name: string; rate: Rate }[] = [{ name: 'this checkout', rate: rateLine }];
  if (values.baseline) {
    const mod = (await import(pathToFileURL(resolve(values.baseline, 'src/domain/billing/rating/rateLine.ts')).href)) as { rateLine: Rate };
    engines.push({ name: `baseline ${values.baseline}`, rate: mod.rateLine });
    const differ = lines.filter((l) => !isDeepStrictEqual(rateLine(l), mod.rateLine(l)));
    if (differ.length) throw new Error(`${differ.length} of ${lines.length} lines rate differently from the baseline, e.g. ${JSON.stringify(differ[0])}`);
    console.log(`all ${lines.length} lines rate identically in both`);
  }
  const rates = engines.map((e) => e.rate);
  for (let i = 0; i < 3; i++) pass(rates, lines); // warm-up: JIT
  const times = engines.map(() => [] as number[]);
  const ratios: number[] = [];
  for (let i = 0; i < passes; i++) {
    const spent = pass(rates, lines);
    spent.forEach((t, j) => times[j]!.push(t));
    if (spent.length === 2) ratios.push(spent[0]! / spent[1]!);
  }
  const med = times.map(median);
  engines.forEach((e, j) => console.log(`${e.name}: ${round(med[j]!, 1)} ms CPU per ${lines.length} lines (median of ${passes}; fastest ${round(Math.min(...times[j]!), 1)})`));
  if (engines.length === 2) console.log(`ratio this/baseline: ${round(median(ratios), 3)} (median of the passes' ratios; range ${round(Math.min(...ratios), 3)}–${round(Math.max(...ratios), 3)})`);
}

if (isMain(import.meta.url)) await main();
