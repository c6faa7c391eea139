import type { Clock } from '../shared/clock.ts';
import { IssueCollector, notFound } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import { D, isDecimalString, toDecimalString } from '../shared/money.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { fiatCurrency } from '../shared/currencies.ts';
import { ReferenceErrorCode as C } from './errors.ts';
import { BUILT_IN_LLM_PRICES } from './llmPrices.ts';
import { checkPeriod, instant } from './time.ts';
import { LlmPriceSource, type LlmCostOverrideInput, type LlmCostPrice, type LlmPricing } from './types.ts';

const OVERRIDES = 'llmCostOverrides';
const PRICING_FIELDS = ['inputPerToken', 'outputPerToken', 'cacheReadPerToken', 'cacheWritePerToken', 'reasoningPerToken'] as const;
const WIRE_FIELD: Record<(typeof PRICING_FIELDS)[number], string> = {
  inputPerToken: 'input_per_token',
  outputPerToken: 'output_per_token',
  cacheReadPerToken: 'cache_read_per_token',
  cacheWritePerToken: 'cache_write_per_token',
  reasoningPerToken: 'reasoning_per_token',
};

const sameModel = (a: LlmCostPrice, b: { providerId: string; modelId: string; currency: string }) =>
  a.providerId === b.providerId && a.modelId === b.modelId && a.currency === b.currency;

/**
 * LLM token prices: a built-in (system) table, shadowed per namespace by manual overrides.
 * An override is unique per (provider, model, currency) — creating one again updates it — and
 * it shadows the built-in price only while it is effective; a scheduled or expired override
 * leaves the built-in price visible.
 */
export class LlmCostService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator }) {}

  /** effective prices: built-ins not shadowed at `now`, plus every effective override (callers sort/filter) */
  listPrices(tx: UnitOfWork): LlmCostPrice[] {
    const active = this.listOverrides(tx).filter((o) => this.isEffective(o));
    const system = BUILT_IN_LLM_PRICES.filter((p) => !active.some((o) => sameModel(p, o)));
    return [...system, ...active];
  }

  /** a built-in id answers with the override that shadows it, if one does */
  getPrice(tx: UnitOfWork, id: string): LlmCostPrice {
    const override = tx.collection<LlmCostPrice>(OVERRIDES).get(id);
    if (override) return override;
    const system = BUILT_IN_LLM_PRICES.find((p) => p.id === id);
    if (!system) throw notFound(C.llmPriceNotFound, `LLM cost price ${id} not found`);
    return this.listOverrides(tx).find((o) => sameModel(system, o) && this.isEffective(o)) ?? system;
  }

  listOverrides(tx: UnitOfWork): LlmCostPrice[] {
    return tx.collection<LlmCostPrice>(OVERRIDES).list();
  }

  /** create or (same provider, model and currency) update */
  createOverride(tx: UnitOfWork, input: LlmCostOverrideInput): LlmCostPrice {
    const issues = new IssueCollector();
    const provider = input.provider?.trim() ?? '';
    const modelId = input.modelId?.trim() ?? '';
    if (!provider) issues.add(C.llmOverrideInvalid, 'provider must not be empty', 'provider');
    if (!modelId) issues.add(C.llmOverrideInvalid, 'model_id must not be empty', 'model_id');
    if (!fiatCurrency(input.currency)) issues.add(C.llmOverrideInvalid, `${input.currency} is not an ISO 4217 currency`, 'currency');
    const pricing = (input.pricing ?? {}) as LlmPricing;
    for (const f of PRICING_FIELDS) {
      const v = pricing[f];
      if (v === undefined && f !== 'inputPerToken' && f !== 'outputPerToken') continue;
      if (!isDecimalString(v) || new D(v).isNegative()) issues.add(C.llmOverrideInvalid, `${WIRE_FIELD[f]} must be a non-negative decimal`, `pricing.${WIRE_FIELD[f]}`);
    }
    issues.throwIfAny();
    const effectiveFrom = instant(input.effectiveFrom, 'effective_from', C.effectivePeriodInvalid);
    const effectiveTo = input.effectiveTo !== undefined ? instant(input.effectiveTo, 'effective_to', C.effectivePeriodInvalid) : undefined;
    checkPeriod(effectiveFrom, effectiveTo, C.effectivePeriodInvalid);

    const col = tx.collection<LlmCostPrice>(OVERRIDES);
    const existing = col.findOne((o) => sameModel(o, { providerId: provider, modelId, currency: input.currency }));
    const known = BUILT_IN_LLM_PRICES.find((p) => p.providerId === provider && p.modelId === modelId);
    const knownProvider = BUILT_IN_LLM_PRICES.find((p) => p.providerId === provider);
    const now = this.deps.clock.now().toISOString();
    const record: LlmCostPrice = {
      id: existing?.id ?? this.deps.ids.next(),
      providerId: provider,
      providerName: knownProvider?.providerName ?? provider,
      modelId,
      modelName: input.modelName ?? known?.modelName ?? existing?.modelName ?? modelId,
      pricing: Object.fromEntries(PRICING_FIELDS.filter((f) => pricing[f] !== undefined).map((f) => [f, toDecimalString(pricing[f]!)])) as unknown as LlmPricing,
      currency: input.currency,
      source: LlmPriceSource.manual,
      effectiveFrom,
      ...(effectiveTo !== undefined ? { effectiveTo } : {}),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    col.put(record);
    return record;
  }

  deleteOverride(tx: UnitOfWork, id: string): void {
    const col = tx.collection<LlmCostPrice>(OVERRIDES);
    if (!col.get(id)) throw notFound(C.llmOverrideNotFound, `LLM cost override ${id} not found`);
    col.delete(id);
  }

  private isEffective(p: LlmCostPrice): boolean {
    const t = this.deps.clock.now().getTime();
    return Date.parse(p.effectiveFrom) <= t && (p.effectiveTo === undefined || Date.parse(p.effectiveTo) > t);
  }
}
