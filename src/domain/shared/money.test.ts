import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { currencyPrecision, D, dec, ONE, roundMoney, toDecimalString, ZERO } from './money.ts';

// OpenMeter rounds with alpacadecimal RoundToPrecision: half away from zero at the currency's
// minor units (`pkg/currencyx`); our strings are canonical (no exponent, no trailing zeros).
describe('money', () => {
  it.each([
    ['1.005', 'USD', '1.01'], // half away from zero
    ['-1.005', 'USD', '-1.01'],
    ['1.004999', 'USD', '1'],
    ['99.5', 'JPY', '100'], // 0 minor units
    ['10.0005', 'KWD', '10.001'], // 3 minor units
    ['10.0005', 'kwd', '10.001'], // codes are case-insensitive
    ['2.345', 'XYZ', '2.35'], // unknown code: 2
    ['12.5', 'USD', '12.5'], // already at the precision
    ['-0.004', 'USD', '0'], // a negative zero prints as 0
  ])('roundMoney(%s, %s) = %s', (v, currency, want) => {
    expect(toDecimalString(roundMoney(v, currency))).toBe(want);
    // a second time (from the parse cache) gives the same
    expect(toDecimalString(roundMoney(v, currency))).toBe(want);
    expect(toDecimalString(roundMoney(dec(v), currency))).toBe(want);
  });

  it.each([
    ['10.50', '10.5'],
    ['0.000', '0'],
    ['-0', '0'],
    ['-0.0', '0'],
    ['007', '7'],
    ['1e3', '1000'],
    ['1.5e-7', '0.00000015'],
    ['-3.30', '-3.3'],
    ['0.00002', '0.00002'],
    ['123456789012345678901234567890.123456789', '123456789012345678901234567890.123456789'],
  ])('toDecimalString(%s) = %s, parsed once or many times', (v, want) => {
    for (let i = 0; i < 3; i++) {
      expect(toDecimalString(v)).toBe(want);
      expect(toDecimalString(dec(v))).toBe(want);
      expect(toDecimalString(new D(v))).toBe(want);
    }
  });

  it('the parse cache starts over when full without changing any value', () => {
    const strings = Array.from({ length: 2000 }, (_, i) => `${i}.${i % 7}0`);
    for (const s of strings) expect(toDecimalString(dec(s))).toBe(new D(s).toFixed());
    for (const s of strings.reverse()) expect(dec(s).eq(new D(s))).toBe(true);
    expect(toDecimalString(ONE)).toBe('1');
    expect(toDecimalString(ZERO)).toBe('0');
  });

  it('arithmetic on shared Decimals leaves them as they were', () => {
    const a = dec('0.00002');
    a.mul('1234567').add(1).toDecimalPlaces(2);
    expect(dec('0.00002').toFixed()).toBe('0.00002');
    expect(dec('0.00002')).toBe(a);
  });

  it('bad input is refused every time, not remembered', () => {
    expect(() => dec('ten')).toThrow(/DecimalError/);
    expect(() => dec('ten')).toThrow(/DecimalError/);
    expect(() => roundMoney('1,5', 'USD')).toThrow(/DecimalError/);
  });

  it('a Decimal of another configuration keeps its own constructor when it needs no rounding', () => {
    const foreign = new Decimal('12.5');
    expect(roundMoney(foreign, 'USD').constructor).toBe(Decimal);
    expect(dec(foreign).constructor).toBe(D);
    expect(dec(undefined).isZero()).toBe(true);
    expect(dec(null).isZero()).toBe(true);
    expect(dec(2.5).toFixed()).toBe('2.5');
  });

  it('currency precision', () => {
    expect([currencyPrecision('USD'), currencyPrecision('usd'), currencyPrecision('JPY'), currencyPrecision('KWD'), currencyPrecision('NOPE')]).toEqual([2, 2, 0, 3, 2]);
  });
});
