import { Decimal } from 'decimal.js';

/**
 * Every amount and quantity is a Decimal; strings at rest and on the wire. This module is the
 * only place that rounds, so currency precision is decided once.
 */
export const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -30, toExpPos: 60 });
export type Dec = Decimal;

const FIAT_PRECISION: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0,
  VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};

/** ISO 4217 minor units; 2 unless listed above. */
export const currencyPrecision = (currency: string): number => FIAT_PRECISION[currency.toUpperCase()] ?? 2;

export const dec = (v: Decimal.Value | undefined | null): Decimal => new D(v ?? 0);

/** Half away from zero at the currency's precision (OpenMeter RoundToPrecision). */
export const roundMoney = (v: Decimal.Value, currency: string): Decimal =>
  // ROUND_HALF_UP in decimal.js rounds half away from zero.
  new D(v).toDecimalPlaces(currencyPrecision(currency), Decimal.ROUND_HALF_UP);

/** Canonical decimal string: no exponent, no trailing zeros ("10.50" -> "10.5", "0" -> "0"). */
export const toDecimalString = (v: Decimal.Value): string => {
  const d = new D(v);
  return d.isZero() ? '0' : d.toFixed();
};

export const isDecimalString = (s: unknown): s is string => typeof s === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(s);
