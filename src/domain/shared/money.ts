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
export const currencyPrecision = (currency: string): number => FIAT_MINOR_UNITS[currency.toUpperCase()] ?? 2;

/**
 * Parsed decimal strings. Amounts repeat (a price's "0.00002" on every line of a plan, "0", "1"),
 * and parsing is most of what a Decimal costs; Decimals are immutable, so one parse can be
 * shared. Bounded: when full it starts over, so one-off strings (most quantities) cannot grow it.
 */
const parsed = new Map<string, Decimal>();
const PARSED_MAX = 4096;
const parse = (s: string): Decimal => {
  let d = parsed.get(s);
  if (d === undefined) {
    d = new D(s);
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(s, d);
  }
  return d;
};

export const dec = (v: Decimal.Value | undefined | null): Decimal => (typeof v === 'string' ? parse(v) : new D(v ?? 0));

/** Half away from zero at the currency's precision (OpenMeter RoundToPrecision). */
export const roundMoney = (v: Decimal.Value, currency: string): Decimal =>
  // ROUND_HALF_UP in decimal.js rounds half away from zero.
  (v instanceof D ? v : typeof v === 'string' ? parse(v) : new D(v)).toDecimalPlaces(currencyPrecision(currency), Decimal.ROUND_HALF_UP);

/** Canonical decimal string: no exponent, no trailing zeros ("10.50" -> "10.5", "0" -> "0"). */
export const toDecimalString = (v: Decimal.Value): string => {
  const d = v instanceof D ? v : typeof v === 'string' ? parse(v) : new D(v);
  return d.isZero() ? '0' : d.toFixed();
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
