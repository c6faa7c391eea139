/** Wire-neutral reference-data records (camelCase; instants ISO-8601, amounts decimal strings). */

export const CurrencyType = { fiat: 'fiat', custom: 'custom' } as const;
export type CurrencyType = (typeof CurrencyType)[keyof typeof CurrencyType];

/** A currency as the listings show it: ISO fiat (static) or a namespace's custom currency. */
export interface CurrencyView {
  type: CurrencyType;
  code: string;
  name: string;
  symbol?: string;
  precision: number;
  decimalMark: string;
  thousandSeparator: string;
  /** custom only */
  id?: string;
  /** custom only */
  createdAt?: string;
  /** custom only, when asked for: active and scheduled cost bases */
  costBases?: CostBasis[];
}

export interface CustomCurrency {
  id: string;
  /** 4–24 characters, unique per namespace, never an ISO code */
  code: string;
  name: string;
  symbol?: string;
  precision: number;
  decimalMark: string;
  thousandSeparator: string;
  createdAt: string;
}

export interface CustomCurrencyCreateInput {
  code: string;
  name: string;
  symbol?: string;
  precision: number;
  decimalMark: string;
  thousandSeparator: string;
}

/** How many units of a fiat currency one unit of a custom currency costs, from a date. */
export interface CostBasis {
  id: string;
  currencyId: string;
  fiatCode: string;
  /** decimal string, > 0 */
  rate: string;
  /** from when the rate applies (defaults to creation time) */
  effectiveFrom: string;
  /** optional hard end; otherwise the rate applies until a later basis for the same fiat code starts */
  effectiveTo?: string;
  createdAt: string;
}

export interface CostBasisCreateInput {
  fiatCode: string;
  rate: string;
  effectiveFrom?: string;
  effectiveTo?: string;
}

export const TaxAppType = { sandbox: 'sandbox', stripe: 'stripe', externalInvoicing: 'external_invoicing' } as const;
export type TaxAppType = (typeof TaxAppType)[keyof typeof TaxAppType];

export interface TaxCodeAppMapping {
  appType: string;
  taxCode: string;
}

export interface TaxCode {
  id: string;
  /** unique among non-deleted tax codes of the namespace */
  key: string;
  name: string;
  description?: string;
  labels?: Record<string, string>;
  appMappings: TaxCodeAppMapping[];
  createdAt: string;
  updatedAt: string;
  /** soft delete: the record stays listable with `includeDeleted` */
  deletedAt?: string;
}

export interface TaxCodeCreateInput {
  key: string;
  name: string;
  description?: string;
  labels?: Record<string, string>;
  appMappings: TaxCodeAppMapping[];
}

export type TaxCodeUpsertInput = Omit<TaxCodeCreateInput, 'key'>;

/** One record per namespace (id `organization`). */
export interface OrganizationDefaultTaxCodes {
  id: string;
  invoicingTaxCodeId: string;
  creditGrantTaxCodeId: string;
  createdAt: string;
  updatedAt: string;
}

export interface OrganizationDefaultTaxCodesUpdate {
  invoicingTaxCodeId?: string;
  creditGrantTaxCodeId?: string;
}

export const LlmPriceSource = { manual: 'manual', system: 'system' } as const;
export type LlmPriceSource = (typeof LlmPriceSource)[keyof typeof LlmPriceSource];

/** Per-token prices, decimal strings. */
export interface LlmPricing {
  inputPerToken: string;
  outputPerToken: string;
  cacheReadPerToken?: string;
  cacheWritePerToken?: string;
  reasoningPerToken?: string;
}

export interface LlmCostPrice {
  id: string;
  providerId: string;
  providerName: string;
  modelId: string;
  modelName: string;
  pricing: LlmPricing;
  currency: string;
  source: LlmPriceSource;
  effectiveFrom: string;
  effectiveTo?: string;
  createdAt: string;
  updatedAt: string;
}

export interface LlmCostOverrideInput {
  provider: string;
  modelId: string;
  modelName?: string;
  pricing: LlmPricing;
  currency: string;
  effectiveFrom: string;
  effectiveTo?: string;
}

/** Progress of a long-running operation (v1 `/info/progress/{id}`). */
export interface Progress {
  id: string;
  success: number;
  failed: number;
  total: number;
  updatedAt: string;
}

/** Events ingested since midnight UTC, per subject and validity (v1 debug metrics). */
export interface EventCount {
  subject: string;
  invalid: boolean;
  count: number;
}
