import { describe, expect, it } from 'vitest';
import type { Price, UnitConfig } from '../../../catalog/types.ts';
import { errorCode, rate, rows, type LineRow } from '../testSupport.ts';

const perGb: Price = { type: 'unit', amount: '0.5' };
const gb = (rounding?: UnitConfig['rounding'], precision?: number): UnitConfig => ({
  operation: 'divide',
  conversionFactor: '1000',
  ...(rounding ? { rounding } : {}),
  ...(precision !== undefined ? { precision } : {}),
});

describe('unitConfigMutator (deploy flag unitConfig.enabled on)', () => {
  const cases: { name: string; price?: Price; qty: string; pre?: string; config: UnitConfig; rated: string; lines: LineRow[] }[] = [
    // `productcatalog/unitconfig/unitconfig_test.go` cases, priced at 0.5 per converted unit
    { name: 'divide, no rounding keeps the precise quantity', qty: '1247', config: gb(), rated: '1.247',
      lines: [{ ref: 'unit-price-usage', qty: '1.247', amount: '0.62' }] }, // 1247 ÷ 1000 = 1.247; × 0.5 = 0.6235 → 0.62
    { name: 'rounding none is the same as no rounding', qty: '1247', config: gb('none', 2), rated: '1.247',
      lines: [{ ref: 'unit-price-usage', qty: '1.247' }] }, // precision is ignored without rounding
    { name: 'ceiling bills the started unit', qty: '1247', config: gb('ceiling'), rated: '2',
      lines: [{ ref: 'unit-price-usage', qty: '2', amount: '1' }] }, // ceil(1.247) = 2; 2 × 0.5 = 1
    { name: 'ceiling on an exact boundary', qty: '1000', config: gb('ceiling'), rated: '1',
      lines: [{ ref: 'unit-price-usage', qty: '1', amount: '0.5' }] }, // 1000 ÷ 1000 = 1
    { name: 'floor drops the incomplete unit', qty: '1999', config: gb('floor'), rated: '1',
      lines: [{ ref: 'unit-price-usage', qty: '1', amount: '0.5' }] }, // floor(1.999) = 1
    { name: 'half_up: a tie rounds away from zero', qty: '2500', config: gb('half_up'), rated: '3',
      lines: [{ ref: 'unit-price-usage', qty: '3', amount: '1.5' }] }, // 2.5 → 3
    { name: 'half_up: below the tie rounds down', qty: '2400', config: gb('half_up'), rated: '2',
      lines: [{ ref: 'unit-price-usage', qty: '2', amount: '1' }] }, // 2.4 → 2
    { name: 'precision moves where the tie is evaluated', qty: '245', config: { operation: 'divide', conversionFactor: '100', rounding: 'half_up', precision: 1 }, rated: '2.5',
      lines: [{ ref: 'unit-price-usage', qty: '2.5', amount: '1.25' }] }, // 245 ÷ 100 = 2.45 → 2.5 (1 place)
    { name: 'ceiling with precision keeps decimals', qty: '1247', config: gb('ceiling', 2), rated: '1.25',
      lines: [{ ref: 'unit-price-usage', qty: '1.25', amount: '0.63' }] }, // ceil(1.247, 2) = 1.25; × 0.5 = 0.625 → 0.63
    { name: 'multiply', qty: '3', config: { operation: 'multiply', conversionFactor: '1.5' }, rated: '4.5',
      lines: [{ ref: 'unit-price-usage', qty: '4.5', amount: '2.25' }] }, // 3 × 1.5 = 4.5; × 0.5 = 2.25
    { name: 'a non-terminating quotient keeps 16 places (shopspring Div)', qty: '1', config: { operation: 'divide', conversionFactor: '3' }, rated: '0.3333333333333333',
      lines: [{ ref: 'unit-price-usage', qty: '0.3333333333333333', amount: '0.17' }] }, // 1 ÷ 3 → 16 places; × 0.5 = 0.1666… → 0.17
    { name: 'zero usage stays zero: no detailed line', qty: '0', config: gb('ceiling'), rated: '0', lines: [] }, // ceil(0) = 0
    // tiers are evaluated in converted units: (0,1] at 10, then 1/unit
    { name: 'tier bounds see converted units', qty: '2500',
      price: { type: 'tiered', mode: 'graduated', tiers: [{ upToAmount: '1', unitPrice: { type: 'unit', amount: '10' } }, { unitPrice: { type: 'unit', amount: '1' } }] },
      config: gb('ceiling'), rated: '3',
      lines: [
        { ref: 'graduated-tiered-1-price-usage', qty: '1', amount: '10' }, // ceil(2.5) = 3; (0,1] 1 × 10
        { ref: 'graduated-tiered-2-price-usage', qty: '2', amount: '2' }, // (1,3] 2 × 1
      ] },
    // split child: the pre-line quantity is converted on its own, not as a cumulative total
    { name: 'pre-line quantity converted independently', qty: '1500', pre: '1500',
      price: { type: 'tiered', mode: 'graduated', tiers: [{ upToAmount: '2', unitPrice: { type: 'unit', amount: '10' } }, { unitPrice: { type: 'unit', amount: '1' } }] },
      config: gb('ceiling'), rated: '2',
      // pre ceil(1.5) = 2, qty ceil(1.5) = 2: range (2,4] is all tier 2, 2 × 1 = 2 (converting the 3000 cumulative would give 3 units)
      lines: [{ ref: 'graduated-tiered-2-price-usage', qty: '2', amount: '2' }] },
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(c.price ?? perGb, {
      quantity: c.qty,
      preLinePeriodQuantity: c.pre ?? '0',
      isFirstInPeriod: !c.pre,
      unitConfig: c.config,
      unitConfigEnabled: true,
    });
    const [actual, expected] = rows(r, c.lines);
    expect(actual).toEqual(expected);
    expect(r.ratedQuantity).toBe(c.rated);
    expect(r.meteredQuantity).toBe(c.qty); // the raw metered quantity is kept
  });

  it('converts before the usage discount (free units are converted units)', () => {
    const r = rate(perGb, { quantity: '5300', unitConfig: gb('ceiling'), unitConfigEnabled: true, discounts: { usage: { quantity: '2' } } });
    // ceil(5.3) = 6; 6 − 2 free = 4; 4 × 0.5 = 2
    expect([r.ratedQuantity, r.totals.total, r.usageDiscount?.quantity]).toEqual(['4', '2', '2']);
  });

  it.each<[string, Price]>([
    ['package', { type: 'package', amount: '1', quantityPerPackage: '10' }],
    ['dynamic', { type: 'dynamic', multiplier: '1' }],
  ])('refuses a %s price (only unit and tiered prices convert)', (type, price) => {
    let err: unknown;
    try {
      rate(price, { quantity: '10', unitConfig: gb(), unitConfigEnabled: true });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'rating_unit_config_unsupported_price',
      message: `price type "${type}": unit_config is set on a price that does not support unit conversion`,
    });
  });

  it('a flat price ignores it (the flat pipeline has no pre-calculation step)', () => {
    expect(rate({ type: 'flat', amount: '10' }, { unitConfig: gb(), unitConfigEnabled: true }).totals.total).toBe('10');
  });

  it.each<[UnitConfig, string]>([
    [{ operation: 'divide', conversionFactor: '0' }, 'invalid unit_config on line: conversion_factor must be greater than zero'],
    [{ operation: 'divide', conversionFactor: '-5' }, 'invalid unit_config on line: conversion_factor must be greater than zero'],
    [{ operation: 'modulo' as 'divide', conversionFactor: '2' }, 'invalid unit_config on line: operation: invalid unit config operation: modulo'],
    [{ operation: 'divide', conversionFactor: '2', rounding: 'up' as 'ceiling' }, 'invalid unit_config on line: rounding: invalid unit config rounding mode: up'],
    [{ operation: 'divide', conversionFactor: '2', rounding: 'floor', precision: -1 }, 'invalid unit_config on line: precision must not be negative'],
  ])('re-validates the config: %j', (config, message) => {
    let err: unknown;
    try {
      rate(perGb, { quantity: '10', unitConfig: config, unitConfigEnabled: true });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'rating_unit_config_invalid', message });
  });
});

describe('forbidUnitConfigMutator (deploy flag off, the default)', () => {
  it('refuses to bill the raw quantity of a line that carries a unit config', () => {
    let err: unknown;
    try {
      rate(perGb, { quantity: '1247', unitConfig: gb('ceiling') });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      kind: 'validation',
      code: 'rating_unit_config_disabled',
      message: 'refusing to bill raw quantity: unit_config is set on the line but the unitConfig feature is disabled',
    });
  });

  it('is a no-op without a unit config', () => {
    expect(rate(perGb, { quantity: '1247' }).totals.total).toBe('623.5'); // 1247 × 0.5
  });

  it('also refuses when the flag is explicitly false', () => {
    expect(errorCode(() => rate(perGb, { quantity: '1', unitConfig: gb(), unitConfigEnabled: false }))).toBe('rating_unit_config_disabled');
  });
});
