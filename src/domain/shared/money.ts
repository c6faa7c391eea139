import { Decimal } from 'decimal.js';
import { FIAT_MINOR_UNITS } from './currencies.ts';

/**
 * Every amount and quantity is a Decimal; strings at rest and on the wire. This module is the
 * only place that rounds, so currency precision is decided once.
 */
export const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -30, toExpPos: 60 });
export type Dec = Decimal;

/**
 * ISO 4217 minor units come from the reference currency table (one source for rounding and for
 * the currency listings); unknown codes (custom currencies, typos) round at 2.
 */
export const currencyPrecision = (currency: string): number => {
  // asked for every rounding of every amount: remembered per code rather than upper-cased each time
  let p = precisionOf.get(currency);
  if (p === undefined) {
    p = FIAT_MINOR_UNITS[currency.toUpperCase()] ?? 2;
    if (precisionOf.size >= 1024) precisionOf.clear();
    precisionOf.set(currency, p);
  }
  return p;
};
const precisionOf = new Map<string, number>();

/**
 * Parsed decimal strings. Amounts repeat (a price's "0.00002" on every line of a plan, "0", "1"),
 * and parsing is most of what a Decimal costs; Decimals are immutable, so one parse can be
 * shared. Small and bounded: when full it starts over, so one-off strings (most quantities) cannot
 * grow it, and what it holds dies young (a cache of thousands measured slower: its entries lived
 * long enough to be promoted, and the collector paid for them).
 */
const parsed = new Map<string, Decimal>();
/** the canonical strings of parsed Decimals whose source string already was canonical */
const printed = new Map<Decimal, string>();
const PARSED_MAX = 256;
/** what toDecimalString prints: no exponent, no leading or trailing zeros, no "-0" */
const CANONICAL = /^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/;
const parse = (s: string): Decimal => {
  let d = parsed.get(s);
  if (d === undefined) {
    d = new D(s);
    if (parsed.size >= PARSED_MAX) {
      parsed.clear();
      printed.clear();
      printed.set(ONE, '1');
    }
    parsed.set(s, d);
    if (CANONICAL.test(s) && s !== '-0') printed.set(d, s);
  }
  return d;
};

/** Shared constants: Decimals are immutable, so one instance serves every line. */
export const ZERO: Decimal = new D(0);
export const ONE: Decimal = new D(1);
printed.set(ONE, '1');

export const dec = (v: Decimal.Value | undefined | null): Decimal => (typeof v === 'string' ? parse(v) : new D(v ?? 0));

/** Half away from zero at the currency's precision (OpenMeter RoundToPrecision). */
export const roundMoney = (v: Decimal.Value, currency: string): Decimal => {
  const d = v instanceof D ? v : typeof v === 'string' ? parse(v) : new D(v);
  const places = currencyPrecision(currency);
  // already at the currency's precision (most amounts): rounding would only copy it
  if (d.decimalPlaces() <= places) return d;
  // ROUND_HALF_UP in decimal.js rounds half away from zero.
  return d.toDecimalPlaces(places, Decimal.ROUND_HALF_UP);
};

/** Canonical decimal string: no exponent, no trailing zeros ("10.50" -> "10.5", "0" -> "0"). */
export const toDecimalString = (v: Decimal.Value): string => {
  const d = v instanceof D ? v : typeof v === 'string' ? parse(v) : new D(v);
  return printed.get(d) ?? (d.isZero() ? '0' : d.toFixed());
};

export const isDecimalString = (s: unknown): s is string => typeof s === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(s);

/**
 * Decimal division as OpenMeter's decimals do it (shopspring `Div`, which alpacadecimal keeps):
 * the quotient is rounded half away from zero at 16 decimal places.
 */
export const divideDecimal = (a: Decimal.Value, b: Decimal.Value): Decimal =>
  new D(a).div(b).toDecimalPlaces(16, Decimal.ROUND_HALF_UP);

export const QuantityRounding = { ceiling: 'ceiling', floor: 'floor', halfUp: 'half_up' } as const;
export type QuantityRounding = (typeof QuantityRounding)[keyof typeof QuantityRounding];

/** Quantity rounding at `places` decimals: RoundCeil / RoundFloor / Round (half away from zero). */
export const roundQuantity = (v: Decimal.Value, places: number, mode: QuantityRounding): Decimal => {
  const rm = mode === 'ceiling' ? Decimal.ROUND_CEIL : mode === 'floor' ? Decimal.ROUND_FLOOR : Decimal.ROUND_HALF_UP;
  return new D(v).toDecimalPlaces(places, rm);
};
