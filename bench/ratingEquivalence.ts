import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { rateLine } from '../src/domain/billing/rating/rateLine.ts';
import { sumTotals } from '../src/domain/billing/rating/detailedLine.ts';
import * as M from '../src/domain/shared/money.ts';

/**
 * `npx tsx bench/ratingEquivalence.ts --baseline <other checkout> [--n 200000] [--seed 7] [--inputs file.json]`:
 * a performance change to rating must not change one amount string. Rates random lines (every
 * price type, discounts, credits, proration credits, commitments, unit configs, split children,
 * odd and huge decimals, bad input) with this checkout's engine and the baseline's, and compares
 * the results (and the errors) exactly, key order included; the same for `sumTotals` and the
 * money helpers. `--inputs` adds recorded `RatingInput`s (a JSON array).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- generated inputs of every shape, on purpose */
const { values } = parseArgs({ options: { baseline: { type: 'string' }, n: { type: 'string', default: '200000' }, seed: { type: 'string', default: '7' }, inputs: { type: 'string' } } });
if (!values.baseline) throw new Error('--baseline <checkout> is required');
const base = (path: string): Promise<any> => import(pathToFileURL(resolve(values.baseline!, path)).href);
const { rateLine: baseRate } = await base('src/domain/billing/rating/rateLine.ts');
const { sumTotals: baseSum } = await base('src/domain/billing/rating/detailedLine.ts');
const BM = await base('src/domain/shared/money.ts');

let s = Number(values.seed);
const rnd = () => ((s = (s * 48271) % 2147483647) / 2147483647);
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const chance = (p: number) => rnd() < p;
const num = (): string => {
  const k = rnd();
  if (k < 0.1) return '0';
  if (k < 0.13) return pick(['9'.repeat(59) + '.995', '1' + '0'.repeat(60), '123456789'.repeat(7) + '.125', '0.' + '3'.repeat(70), '9'.repeat(58) + '.5', '5'.repeat(61)]);
  if (k < 0.15) return pick(['0.5', '1', '0.005', '0.0049999', '-0', '0.000', '10.50', '1e3', '-1', 'abc', '100', '1000000', '0.00001']);
  const int = String(Math.floor(rnd() * 10 ** Math.floor(rnd() * 8)));
  if (chance(0.4)) return int;
  const fr = String(Math.floor(rnd() * 10 ** (1 + Math.floor(rnd() * 7)))).padStart(1 + Math.floor(rnd() * 6), '0');
  return `${int}.${fr}`;
};
const pos = () => { const n = num(); return n; };
const tier = () => ({ ...(chance(0.5) ? { flatPrice: chance(0.8) ? { type: 'flat', amount: pos() } : null } : {}), ...(chance(0.8) ? { unitPrice: chance(0.9) ? { type: 'unit', amount: pos() } : null } : {}) });
const commit = () => ({ ...(chance(0.3) ? { minimumAmount: pos() } : {}), ...(chance(0.3) ? { maximumAmount: pos() } : {}) });
const price = (): any => {
  switch (pick(['flat', 'unit', 'tiered', 'tiered', 'package', 'dynamic'])) {
    case 'flat': return { type: 'flat', amount: pos(), ...(chance(0.5) ? { paymentTerm: pick(['in_advance', 'in_arrears']) } : {}) };
    case 'unit': return { type: 'unit', amount: pos(), ...commit() };
    case 'package': return { type: 'package', amount: pos(), quantityPerPackage: pick(['1', '10', '1000', '2.5']), ...commit() };
    case 'dynamic': return { type: 'dynamic', ...(chance(0.5) ? { multiplier: pick(['1', '1.5', '0.333']) } : {}), ...commit() };
    default: {
      const n = 1 + Math.floor(rnd() * 4);
      const ups = Array.from({ length: n - 1 }, () => pick(['10', '100', '1000', '1000000', '5.5', '50']));
      const tiers = ups.map((u) => ({ upToAmount: u, ...tier() }));
      if (chance(0.95)) tiers.push({ ...(chance(0.5) ? { upToAmount: null } : {}), ...tier() } as any);
      if (chance(0.5)) tiers.reverse();
      return { type: 'tiered', mode: pick(['graduated', 'graduated', 'volume']), tiers, ...commit() };
    }
  }
};
const P1 = { from: '2025-01-01T00:00:00.000Z', to: '2025-02-01T00:00:00.000Z' };
const input = (): any => {
  const split = chance(0.3);
  return {
    lineName: pick(['api', 'Tokens']),
    currency: pick(['USD', 'USD', 'JPY', 'KWD', 'EUR', 'xyz']),
    price: price(),
    ...(chance(0.3) ? { discounts: { ...(chance(0.6) ? { percentage: { percentage: pick([10, 50, 100, 0, '33.3', 12.5, 150, '7']), ...(chance(0.8) ? { correlationId: 'P' } : {}) } } : {}), ...(chance(0.6) ? { usage: { quantity: pick(['10', '1000', '0', '5.5', '-1']), ...(chance(0.5) ? { correlationId: 'U' } : {}) } } : {}) } } : {}),
    ...(chance(0.1) ? { correlationIds: { percentage: 'cp', ...(chance(0.5) ? { usage: 'cu' } : {}) } } : {}),
    quantity: num(),
    preLinePeriodQuantity: split && chance(0.5) ? num() : '0',
    isFirstInPeriod: split ? chance(0.5) : true,
    isLastInPeriod: split ? chance(0.5) : true,
    previouslyBilledAmount: split && chance(0.5) ? num() : '0',
    period: P1,
    ...(split ? { splitGroupPeriod: { from: '2025-01-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' } } : {}),
    ...(chance(0.2) ? { creditsApplied: Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, i) => ({ amount: pick(['1', '0.5', '2.345', '10', '100', '0.001', '0']), ...(chance(0.5) ? { description: `c${i}` } : {}), ...(chance(0.3) ? { creditRealizationId: `R${i}` } : {}) })) } : {}),
    ...(chance(0.15) ? { prorationCredit: { amount: pick(['1', '5.555', '1000', '0.01', '0']), previousSubscriptionId: 'S', maxPercentage: '0.5' } } : {}),
    ...(chance(0.1) ? { ignoreMinimumCommitment: chance(0.5) } : {}),
    ...(chance(0.1) ? { unitConfig: { operation: pick(['multiply', 'divide']), conversionFactor: pick(['1000', '0.5', '3']), ...(chance(0.6) ? { rounding: pick(['none', 'ceiling', 'floor', 'half_up']) } : {}), ...(chance(0.5) ? { precision: pick([0, 2, 4]) } : {}) } } : {}),
    ...(chance(0.1) ? { unitConfigEnabled: chance(0.7) } : {}),
  };
};
const run = (f: (i: any) => any, i: any) => { try { return { ok: f(i) }; } catch (e: any) { return { err: { code: e.code, message: e.message, issues: e.issues, kind: e.kind, name: e.constructor?.name } }; } };
const same = (a: any, b: any) => isDeepStrictEqual(a, b) && JSON.stringify(a) === JSON.stringify(b);
let n = 0, bad = 0, errs = 0;
const check = (i: any) => {
  n++;
  const a = run(rateLine, structuredClone(i)), b = run(baseRate, structuredClone(i));
  if ('err' in a) errs++;
  if (!same(a, b)) { bad++; if (bad <= 5) console.log('DIFF', JSON.stringify(i), '\n new', JSON.stringify(a), '\n old', JSON.stringify(b)); }
  if ('ok' in a && 'ok' in b) {
    // sumTotals over these results, and over pairs
    const t = [a.ok.totals, ...a.ok.detailedLines.map((d: any) => d.totals)];
    if (!same(run((x: any) => sumTotals(x, i.currency), t), run((x: any) => baseSum(x, i.currency), t))) { bad++; console.log('SUMDIFF', JSON.stringify(t)); }
  }
};
if (values.inputs) for (const i of JSON.parse(readFileSync(values.inputs, 'utf8')) as any[]) check(i);
const N = Number(values.n);
for (let k = 0; k < N; k++) check(input());
// money helpers on odd values
for (let k = 0; k < 20000; k++) {
  const v = chance(0.5) ? num() : String(rnd() * 1000 - 500);
  const c = pick(['USD', 'JPY', 'KWD', 'xyz']);
  for (const [name, f, g] of [['dec', (x: any) => M.dec(x).toFixed(), (x: any) => BM.dec(x).toFixed()], ['round', (x: any) => M.roundMoney(x, c).toFixed(), (x: any) => BM.roundMoney(x, c).toFixed()], ['str', (x: any) => M.toDecimalString(x), (x: any) => BM.toDecimalString(x)]] as const) {
    const a = run(f as any, v), b = run(g as any, v);
    if (!same(a, b)) { bad++; if (bad < 10) console.log('MONEY', name, v, JSON.stringify(a), JSON.stringify(b)); }
  }
}
const FIELDS = ['amount', 'chargesTotal', 'discountsTotal', 'creditsTotal', 'taxesInclusiveTotal', 'taxesExclusiveTotal', 'taxesTotal', 'total'];
for (let k = 0; k < 30000; k++) {
  const c = pick(['USD', 'JPY', 'KWD', 'xyz']);
  const all = Array.from({ length: Math.floor(rnd() * 5) }, () => Object.fromEntries(FIELDS.filter(() => chance(0.95)).map((f) => [f, chance(0.3) ? '0' : chance(0.1) ? pick(['10.50', '1e3', '-0', '0.000', '-3.333', '123456789012345678901234567890123456789012345678901234567890.123456', '-0.005']) : num()])));
  const a = run((x: any) => sumTotals(x, c), all), b = run((x: any) => baseSum(x, c), all);
  n++;
  if (!same(a, b)) { bad++; if (bad < 10) console.log('SUM', JSON.stringify(all), JSON.stringify(a), JSON.stringify(b)); }
}
console.log(`${n} inputs (${errs} errors), ${bad} differences`);
if (bad) process.exit(1);
