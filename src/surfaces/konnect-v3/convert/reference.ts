import type { CostBasis, CostBasisCreateInput, CurrencyView, CustomCurrencyCreateInput, LlmCostOverrideInput, LlmCostPrice, LlmPricing, OrganizationDefaultTaxCodes, OrganizationDefaultTaxCodesUpdate, TaxCode, TaxCodeCreateInput, TaxCodeUpsertInput } from '../../../domain/reference/types.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];

const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));

// ---------------------------------------------------------------------------------- currencies

export const toApiCostBasis = (b: CostBasis): S['BillingCostBasis'] => ({
  id: b.id,
  fiat_code: b.fiatCode,
  rate: b.rate,
  ...opt('effective_from', b.effectiveFrom),
  ...opt('effective_to', b.effectiveTo),
  created_at: b.createdAt,
});

export function toApiCurrency(c: CurrencyView): S['BillingCurrencyFiat'] | S['BillingCurrencyCustom'] {
  const common = {
    name: c.name,
    ...opt('symbol', c.symbol),
    precision: c.precision,
    decimal_mark: c.decimalMark,
    thousand_separator: c.thousandSeparator,
    code: c.code,
  };
  if (c.type === 'fiat') return { type: 'fiat', ...common };
  return {
    type: 'custom',
    ...common,
    id: c.id!,
    created_at: c.createdAt!,
    ...opt('cost_basis', c.costBases?.map(toApiCostBasis)),
  };
}

export const fromApiCustomCurrencyCreate = (b: S['CreateCurrencyCustomRequest']): CustomCurrencyCreateInput => ({
  code: b.code,
  name: b.name,
  ...opt('symbol', b.symbol),
  precision: b.precision,
  decimalMark: b.decimal_mark,
  thousandSeparator: b.thousand_separator,
});

export const fromApiCostBasisCreate = (b: S['CreateCostBasisRequest']): CostBasisCreateInput => ({
  fiatCode: b.fiat_code,
  rate: b.rate,
  ...opt('effectiveFrom', b.effective_from),
  ...opt('effectiveTo', b.effective_to),
});

// ---------------------------------------------------------------------------------- tax codes

export const toApiTaxCode = (t: TaxCode): S['BillingTaxCode'] => ({
  id: t.id,
  key: t.key,
  name: t.name,
  ...opt('description', t.description),
  ...opt('labels', t.labels),
  app_mappings: t.appMappings.map((m) => ({ app_type: m.appType as S['BillingAppType'], tax_code: m.taxCode })),
  created_at: t.createdAt,
  updated_at: t.updatedAt,
  ...opt('deleted_at', t.deletedAt),
});

export const fromApiTaxCodeUpsert = (b: S['UpsertTaxCodeRequest']): TaxCodeUpsertInput => ({
  name: b.name,
  ...opt('description', b.description),
  ...opt('labels', b.labels as Record<string, string> | undefined),
  appMappings: (b.app_mappings ?? []).map((m) => ({ appType: m.app_type, taxCode: m.tax_code })),
});

export const fromApiTaxCodeCreate = (b: S['CreateTaxCodeRequest']): TaxCodeCreateInput => ({ key: b.key, ...fromApiTaxCodeUpsert(b) });

export const toApiDefaultTaxCodes = (d: OrganizationDefaultTaxCodes): S['OrganizationDefaultTaxCodes'] => ({
  invoicing_tax_code: { id: d.invoicingTaxCodeId },
  credit_grant_tax_code: { id: d.creditGrantTaxCodeId },
  created_at: d.createdAt,
  updated_at: d.updatedAt,
});

export const fromApiDefaultTaxCodesUpdate = (b: S['UpdateOrganizationDefaultTaxCodesRequest']): OrganizationDefaultTaxCodesUpdate => ({
  ...opt('invoicingTaxCodeId', b.invoicing_tax_code?.id),
  ...opt('creditGrantTaxCodeId', b.credit_grant_tax_code?.id),
});

// ---------------------------------------------------------------------------------- LLM cost

const toApiPricing = (p: LlmPricing): S['LLMCostModelPricing'] => ({
  input_per_token: p.inputPerToken,
  output_per_token: p.outputPerToken,
  ...opt('cache_read_per_token', p.cacheReadPerToken),
  ...opt('cache_write_per_token', p.cacheWritePerToken),
  ...opt('reasoning_per_token', p.reasoningPerToken),
});

export const toApiLlmPrice = (p: LlmCostPrice): S['LLMCostPrice'] => ({
  id: p.id,
  provider: { id: p.providerId, name: p.providerName },
  model: { id: p.modelId, name: p.modelName },
  pricing: toApiPricing(p.pricing),
  currency: p.currency,
  source: p.source,
  effective_from: p.effectiveFrom,
  ...opt('effective_to', p.effectiveTo),
  created_at: p.createdAt,
  updated_at: p.updatedAt,
});

export const fromApiLlmOverride = (b: S['LLMCostOverrideCreate']): LlmCostOverrideInput => ({
  provider: b.provider,
  modelId: b.model_id,
  ...opt('modelName', b.model_name),
  pricing: {
    inputPerToken: b.pricing.input_per_token,
    outputPerToken: b.pricing.output_per_token,
    ...opt('cacheReadPerToken', b.pricing.cache_read_per_token),
    ...opt('cacheWritePerToken', b.pricing.cache_write_per_token),
    ...opt('reasoningPerToken', b.pricing.reasoning_per_token),
  },
  currency: b.currency,
  effectiveFrom: b.effective_from,
  ...opt('effectiveTo', b.effective_to),
});

/** wire field → value, for AIP filters and sorts over prices */
export const llmPriceField = (p: LlmCostPrice, f: string): string | undefined =>
  ({
    id: p.id,
    provider: p.providerId,
    'provider.id': p.providerId,
    model_id: p.modelId,
    'model.id': p.modelId,
    model_name: p.modelName,
    currency: p.currency,
    source: p.source,
    effective_from: p.effectiveFrom,
    effective_to: p.effectiveTo,
  })[f];
