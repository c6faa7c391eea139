import type { Clock } from '../shared/clock.ts';
import { conflict, IssueCollector, notFound } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import { D, isDecimalString, toDecimalString } from '../shared/money.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { FIAT_CURRENCIES, fiatCurrency } from '../shared/currencies.ts';
import { ReferenceErrorCode as C } from './errors.ts';
import { checkPeriod, instant } from './time.ts';
import {
  CurrencyType,
  type CostBasis,
  type CostBasisCreateInput,
  type CurrencyView,
  type CustomCurrency,
  type CustomCurrencyCreateInput,
} from './types.ts';

const CURRENCIES = 'customCurrencies';
const COST_BASES = 'costBases';

/** Precision beyond this cannot be represented by any ledger we emulate; the vendor gives no bound. */
export const MAX_CUSTOM_PRECISION = 18;

/**
 * Currencies a namespace can bill in: the static ISO 4217 table plus its own custom currencies,
 * each custom currency priced in fiat through dated cost bases.
 */
export class CurrencyService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator }) {}

  /** ISO 4217 billing currencies (fund codes excluded), ordered by code. */
  listFiatCurrencies(): CurrencyView[] {
    return FIAT_CURRENCIES.filter((c) => !c.fund).map((c) => ({
      type: CurrencyType.fiat,
      code: c.code,
      name: c.name,
      symbol: c.symbol,
      precision: c.minorUnits,
      decimalMark: c.decimalMark,
      thousandSeparator: c.thousandSeparator,
    }));
  }

  /** Fiat then custom currencies (callers sort/filter); `withCostBases` adds active + scheduled bases to custom ones. */
  listCurrencies(tx: UnitOfWork, input: { type?: CurrencyType; withCostBases?: boolean } = {}): CurrencyView[] {
    const fiat = input.type === CurrencyType.custom ? [] : this.listFiatCurrencies();
    const custom =
      input.type === CurrencyType.fiat
        ? []
        : tx
            .collection<CustomCurrency>(CURRENCIES)
            .list()
            .map((c) => this.view(tx, c, input.withCostBases ?? false));
    return [...fiat, ...custom];
  }

  createCustomCurrency(tx: UnitOfWork, input: CustomCurrencyCreateInput): CurrencyView {
    const issues = new IssueCollector();
    const code = input.code?.trim() ?? '';
    if (code.length < 4 || code.length > 24) issues.add(C.currencyCodeInvalid, 'custom currency code must be 4 to 24 characters', 'code');
    else if (fiatCurrency(code.toUpperCase())) issues.add(C.currencyCodeInvalid, `custom currency code ${code} conflicts with an ISO 4217 code`, 'code');
    if (!Number.isInteger(input.precision) || input.precision < 0 || input.precision > MAX_CUSTOM_PRECISION) {
      issues.add(C.currencyPrecisionInvalid, `precision must be an integer between 0 and ${MAX_CUSTOM_PRECISION}`, 'precision');
    }
    if (!input.name?.trim()) issues.add(C.currencyNameRequired, 'name must not be empty', 'name');
    if (input.decimalMark === input.thousandSeparator) issues.add(C.currencySeparatorsInvalid, 'decimal_mark and thousand_separator must differ', 'thousand_separator');
    issues.throwIfAny();
    const col = tx.collection<CustomCurrency>(CURRENCIES);
    const existing = col.findOne((c) => c.code.toLowerCase() === code.toLowerCase());
    if (existing) throw conflict(C.currencyCodeConflict, `custom currency with code ${code} already exists`, { conflictingEntityId: existing.id });
    const record: CustomCurrency = {
      id: this.deps.ids.next(),
      code,
      name: input.name,
      ...(input.symbol !== undefined ? { symbol: input.symbol } : {}),
      precision: input.precision,
      decimalMark: input.decimalMark,
      thousandSeparator: input.thousandSeparator,
      createdAt: this.deps.clock.now().toISOString(),
    };
    col.put(record);
    return this.view(tx, record, true);
  }

  getCustomCurrency(tx: UnitOfWork, id: string): CurrencyView {
    return this.view(tx, this.customCurrency(tx, id), true);
  }

  /** Every cost basis of the currency (expired ones too), by fiat code then effective_from. */
  listCostBases(tx: UnitOfWork, currencyId: string, input: { fiatCode?: string } = {}): CostBasis[] {
    this.customCurrency(tx, currencyId);
    return tx
      .collection<CostBasis>(COST_BASES)
      .find((b) => b.currencyId === currencyId && (input.fiatCode === undefined || b.fiatCode === input.fiatCode))
      .sort(byFiatThenStart);
  }

  createCostBasis(tx: UnitOfWork, currencyId: string, input: CostBasisCreateInput): CostBasis {
    this.customCurrency(tx, currencyId);
    const issues = new IssueCollector();
    if (!fiatCurrency(input.fiatCode) || fiatCurrency(input.fiatCode)?.fund) {
      issues.add(C.costBasisFiatCodeInvalid, `${input.fiatCode} is not an ISO 4217 billing currency`, 'fiat_code');
    }
    if (!isDecimalString(input.rate) || !new D(input.rate).gt(0)) issues.add(C.costBasisRateInvalid, 'rate must be a positive decimal', 'rate');
    issues.throwIfAny();
    const now = this.deps.clock.now().toISOString();
    const effectiveFrom = input.effectiveFrom !== undefined ? instant(input.effectiveFrom, 'effective_from', C.effectivePeriodInvalid) : now;
    const effectiveTo = input.effectiveTo !== undefined ? instant(input.effectiveTo, 'effective_to', C.effectivePeriodInvalid) : undefined;
    checkPeriod(effectiveFrom, effectiveTo, C.effectivePeriodInvalid);
    const record: CostBasis = {
      id: this.deps.ids.next(),
      currencyId,
      fiatCode: input.fiatCode,
      rate: toDecimalString(input.rate),
      effectiveFrom,
      ...(effectiveTo !== undefined ? { effectiveTo } : {}),
      createdAt: now,
    };
    tx.collection<CostBasis>(COST_BASES).put(record);
    return record;
  }

  /**
   * Active and scheduled bases at `at`: per fiat code, the latest basis that has started (unless
   * its effective_to has passed) plus every basis that starts later. Superseded and expired
   * bases are left out, as the vendor describes `cost_basis`.
   */
  currentCostBases(tx: UnitOfWork, currencyId: string, at: Date = this.deps.clock.now()): CostBasis[] {
    const t = at.getTime();
    const all = tx.collection<CostBasis>(COST_BASES).find((b) => b.currencyId === currencyId).sort(byFiatThenStart);
    const out: CostBasis[] = [];
    const fiats = [...new Set(all.map((b) => b.fiatCode))];
    for (const fiat of fiats) {
      const mine = all.filter((b) => b.fiatCode === fiat);
      const started = mine.filter((b) => Date.parse(b.effectiveFrom) <= t);
      const active = started[started.length - 1];
      if (active && (active.effectiveTo === undefined || Date.parse(active.effectiveTo) > t)) out.push(active);
      out.push(...mine.filter((b) => Date.parse(b.effectiveFrom) > t));
    }
    return out;
  }

  private customCurrency(tx: UnitOfWork, id: string): CustomCurrency {
    const c = tx.collection<CustomCurrency>(CURRENCIES).get(id);
    if (!c) throw notFound(C.currencyNotFound, `custom currency ${id} not found`);
    return c;
  }

  private view(tx: UnitOfWork, c: CustomCurrency, withCostBases: boolean): CurrencyView {
    return {
      type: CurrencyType.custom,
      id: c.id,
      code: c.code,
      name: c.name,
      ...(c.symbol !== undefined ? { symbol: c.symbol } : {}),
      precision: c.precision,
      decimalMark: c.decimalMark,
      thousandSeparator: c.thousandSeparator,
      createdAt: c.createdAt,
      ...(withCostBases ? { costBases: this.currentCostBases(tx, c.id) } : {}),
    };
  }
}

const byFiatThenStart = (a: CostBasis, b: CostBasis): number =>
  a.fiatCode.localeCompare(b.fiatCode) || Date.parse(a.effectiveFrom) - Date.parse(b.effectiveFrom) || a.id.localeCompare(b.id);
