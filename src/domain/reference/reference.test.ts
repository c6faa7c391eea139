import { describe, expect, it } from 'vitest';
import { createMemoryUnitOfWork } from '../../store/memoryUnitOfWork.ts';
import { FixedClock } from '../shared/clock.ts';
import { DomainError } from '../shared/errors.ts';
import { SequentialIds } from '../shared/ids.ts';
import { currencyPrecision, roundMoney } from '../shared/money.ts';
import { CurrencyService } from './CurrencyService.ts';
import { FIAT_CURRENCIES, fiatCurrency } from '../shared/currencies.ts';
import { BUILT_IN_LLM_PRICES, perToken } from './llmPrices.ts';
import { LlmCostService } from './LlmCostService.ts';
import { TaxCodeService } from './TaxCodeService.ts';

const deps = () => ({ clock: new FixedClock(new Date('2026-01-01T00:00:00Z')), ids: new SequentialIds() });
const kindOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : 'other';
  }
  return undefined;
};

describe('ISO 4217 table', () => {
  it.each([
    ['JPY', 0], ['KRW', 0], ['CLP', 0], ['XOF', 0], ['USD', 2], ['EUR', 2], ['HUF', 2],
    ['KWD', 3], ['BHD', 3], ['TND', 3], ['CLF', 4], ['UYW', 4],
  ])('%s has %i minor units in the table and in money.ts', (code, units) => {
    expect(fiatCurrency(code)?.minorUnits).toBe(units);
    expect(currencyPrecision(code)).toBe(units);
    expect(currencyPrecision(code.toLowerCase())).toBe(units);
  });

  it('is the one source of money.ts precision', () => {
    for (const c of FIAT_CURRENCIES) expect(currencyPrecision(c.code)).toBe(c.minorUnits);
    expect(roundMoney('1.5', 'JPY').toString()).toBe('2');
    expect(roundMoney('1.2345', 'KWD').toString()).toBe('1.235');
    expect(currencyPrecision('CREDITS')).toBe(2);
  });

  it('has unique upper-case codes and no withdrawn ones', () => {
    const codes = FIAT_CURRENCIES.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^[A-Z]{3}$/);
    for (const gone of ['HRK', 'CUC', 'ZWL', 'SLL', 'XAU', 'XXX']) expect(fiatCurrency(gone)).toBeUndefined();
  });
});

describe('CurrencyService', () => {
  it('keeps the active basis per fiat code plus scheduled ones', () => {
    const d = deps();
    const s = new CurrencyService(d);
    const tx = createMemoryUnitOfWork();
    const cur = s.createCustomCurrency(tx, { code: 'TOKENS', name: 'Tokens', precision: 0, decimalMark: '.', thousandSeparator: ',' });
    const old = s.createCostBasis(tx, cur.id!, { fiatCode: 'USD', rate: '1', effectiveFrom: '2025-01-01T00:00:00Z' });
    const cur2 = s.createCostBasis(tx, cur.id!, { fiatCode: 'USD', rate: '2.50', effectiveFrom: '2025-06-01T00:00:00Z' });
    const expired = s.createCostBasis(tx, cur.id!, { fiatCode: 'EUR', rate: '3', effectiveFrom: '2025-01-01T00:00:00Z', effectiveTo: '2025-12-01T00:00:00Z' });
    const next = s.createCostBasis(tx, cur.id!, { fiatCode: 'USD', rate: '3', effectiveFrom: '2026-02-01T00:00:00Z' });
    expect(cur2.rate).toBe('2.5');
    expect(s.currentCostBases(tx, cur.id!).map((b) => b.id)).toEqual([cur2.id, next.id]);
    d.clock.set(new Date('2026-03-01T00:00:00Z'));
    expect(s.currentCostBases(tx, cur.id!).map((b) => b.id)).toEqual([next.id]);
    expect(s.listCostBases(tx, cur.id!).map((b) => b.id)).toEqual([expired.id, old.id, cur2.id, next.id]);
  });

  it.each([
    [{ code: 'USDX', name: '', precision: 2 }, 'validation:currency_name_required'],
    [{ code: 'AB', name: 'x', precision: 2 }, 'validation:currency_code_invalid'],
    [{ code: 'GOLD', name: 'x', precision: -1 }, 'validation:currency_precision_invalid'],
    [{ code: 'GOLD', name: 'x', precision: 1.5 }, 'validation:currency_precision_invalid'],
  ])('rejects %j', (input, expected) => {
    const s = new CurrencyService(deps());
    expect(kindOf(() => s.createCustomCurrency(createMemoryUnitOfWork(), { decimalMark: '.', thousandSeparator: ',', ...input }))).toBe(expected);
  });
});

describe('TaxCodeService', () => {
  it('frees a key on delete and refuses duplicates while alive', () => {
    const s = new TaxCodeService(deps());
    const tx = createMemoryUnitOfWork();
    const a = s.createTaxCode(tx, { key: 'vat', name: 'VAT', appMappings: [] });
    expect(kindOf(() => s.createTaxCode(tx, { key: 'vat', name: 'VAT 2', appMappings: [] }))).toBe('conflict:tax_code_key_conflict');
    s.deleteTaxCode(tx, a.id);
    expect(kindOf(() => s.getTaxCode(tx, a.id))).toBe('notFound:tax_code_not_found');
    expect(kindOf(() => s.upsertTaxCode(tx, a.id, { name: 'x', appMappings: [] }))).toBe('gone:tax_code_deleted');
    expect(s.createTaxCode(tx, { key: 'vat', name: 'VAT', appMappings: [] }).id).not.toBe(a.id);
    expect(s.listTaxCodes(tx, { includeDeleted: true })).toHaveLength(2);
  });
});

describe('LLM prices', () => {
  it.each([
    ['2.50', '0.0000025'], ['0.075', '0.000000075'], ['15', '0.000015'], ['0', '0'], ['1000000', '1'], ['18.75', '0.00001875'],
  ])('%s per million is %s per token', (m, t) => expect(perToken(m)).toBe(t));

  it('has ULID ids and decimal prices', () => {
    for (const p of BUILT_IN_LLM_PRICES) {
      expect(p.id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
      expect(p.pricing.inputPerToken).toMatch(/^[0-9]+(\.[0-9]+)?$/);
    }
  });

  it('an effective override shadows the built-in price; an expired one does not', () => {
    const d = deps();
    const s = new LlmCostService(d);
    const tx = createMemoryUnitOfWork();
    const builtIn = BUILT_IN_LLM_PRICES.find((p) => p.modelId === 'gpt-4o')!;
    const ov = s.createOverride(tx, { provider: 'openai', modelId: 'gpt-4o', pricing: { inputPerToken: '0.000001', outputPerToken: '0.000002' }, currency: 'USD', effectiveFrom: '2025-01-01T00:00:00Z', effectiveTo: '2026-06-01T00:00:00Z' });
    expect(s.getPrice(tx, builtIn.id).id).toBe(ov.id);
    expect(s.listPrices(tx).filter((p) => p.modelId === 'gpt-4o').map((p) => p.source)).toEqual(['manual']);
    d.clock.set(new Date('2026-07-01T00:00:00Z'));
    expect(s.getPrice(tx, builtIn.id)).toBe(builtIn);
    expect(s.listPrices(tx).filter((p) => p.modelId === 'gpt-4o').map((p) => p.source)).toEqual(['system']);
  });
});
