/**
 * OpenMeter v1 product catalog ⇄ domain. The catalog domain mirrors the v1 model, so these are
 * mostly field copies; what they do on purpose: drop the domain's v3-only fields (`featureId`,
 * `unitConfig`, `meterId`) from responses, turn domain issues into v1 `ValidationError`s
 * (`field` is required there) and coerce v1 query parameters into the service list inputs.
 */
import { validationError, type ValidationIssue } from '../../../domain/shared/errors.ts';
import { CATALOG_MESSAGES, CatalogIssueCode } from '../../../domain/catalog/errors.ts';
import type { CreateAddonInput, ListAddonsInput, UpdateAddonInput } from '../../../domain/catalog/AddonService.ts';
import type { CreateFeatureInput, FeatureOrderBy, ListFeaturesInput } from '../../../domain/catalog/FeatureService.ts';
import type { CreatePlanAddonInput, ListPlanAddonsInput, UpdatePlanAddonInput } from '../../../domain/catalog/PlanAddonService.ts';
import type { CreatePlanInput, ListPlansInput, PlanOrderBy, UpdatePlanInput } from '../../../domain/catalog/PlanService.ts';
import type {
  Addon,
  AddonInstanceType,
  AddonStatus,
  Discounts,
  EntitlementTemplate,
  Feature,
  FeatureUnitCost,
  FilterString,
  Metadata,
  PageInput,
  Plan,
  PlanAddon,
  PlanPhase,
  PlanStatus,
  Price,
  RateCard,
  SortOrder,
  TaxConfig,
} from '../../../domain/catalog/types.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];
export type ApiFeature = S['Feature'];
export type ApiPlan = S['Plan'];
export type ApiAddon = S['Addon'];
export type ApiPlanAddon = S['PlanAddon'];
export type ApiRateCard = S['RateCard'];
export type ApiValidationError = S['ValidationError'];

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** v1 `metadata` may be null on input ("no metadata"). */
const meta = (m: Metadata | null | undefined): Metadata | undefined => m ?? undefined;

// ---------------------------------------------------------------------------------------------
// Query parameters (already validated and coerced by the OpenAPI validator)

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined);
const list = (v: unknown): string[] | undefined =>
  v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((x) => (typeof x === 'string' ? x.split(',') : [])).filter((x) => x !== '');

/** `keyVersion[key]=1&keyVersion[key]=2` arrives as `{key: [1, 2]}` (deepObject). */
function keyVersion(v: unknown): Record<string, number[]> | undefined {
  if (!v || typeof v !== 'object') return undefined;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>).map(([k, vs]) => [k, (Array.isArray(vs) ? vs : [vs]).flatMap((x) => String(x).split(',')).map(Number)]),
  );
}

function pageInput(q: Record<string, unknown>, rawKeys: ReadonlySet<string>, limitOffset = false): PageInput {
  // only what the caller sent: the validator may have filled in defaults for the other style
  const pick = (k: string) => (rawKeys.has(k) ? int(q[k]) : undefined);
  return defined({
    page: pick('page'),
    pageSize: pick('pageSize'),
    ...(limitOffset ? { limit: pick('limit'), offset: pick('offset') } : {}),
    // the validator fills in the document's default (ASC); the real default differs per list
    order: rawKeys.has('order') ? (str(q.order) as SortOrder | undefined) : undefined,
  });
}

export function fromApiListFeaturesQuery(q: Record<string, unknown>, rawKeys: ReadonlySet<string>): ListFeaturesInput {
  return defined({
    ...pageInput(q, rawKeys, true),
    meterSlug: list(q.meterSlug),
    includeArchived: bool(q.includeArchived),
    orderBy: rawKeys.has('orderBy') ? (str(q.orderBy) as FeatureOrderBy | undefined) : undefined,
  });
}

/** The real service answers a bare array unless page-based paging was asked for. */
export const wantsFeaturePage = (rawKeys: ReadonlySet<string>): boolean => rawKeys.has('page') || rawKeys.has('pageSize');

export function fromApiListPlansQuery(q: Record<string, unknown>, rawKeys: ReadonlySet<string>): ListPlansInput {
  return defined({
    ...pageInput(q, rawKeys),
    id: list(q.id),
    key: list(q.key),
    keyVersion: keyVersion(q.keyVersion),
    status: list(q.status) as PlanStatus[] | undefined,
    currency: list(q.currency),
    includeDeleted: bool(q.includeDeleted),
    orderBy: rawKeys.has('orderBy') ? (str(q.orderBy) as PlanOrderBy | undefined) : undefined,
    excludeUnitConfig: true,
  });
}

export function fromApiListAddonsQuery(q: Record<string, unknown>, rawKeys: ReadonlySet<string>): ListAddonsInput {
  return defined({
    ...pageInput(q, rawKeys),
    id: list(q.id),
    key: list(q.key),
    keyVersion: keyVersion(q.keyVersion),
    status: list(q.status) as AddonStatus[] | undefined,
    currency: list(q.currency),
    includeDeleted: bool(q.includeDeleted),
    orderBy: rawKeys.has('orderBy') ? (str(q.orderBy) as ListAddonsInput['orderBy']) : undefined,
    excludeUnitConfig: true,
  });
}

export function fromApiListPlanAddonsQuery(planIdOrKey: string, q: Record<string, unknown>, rawKeys: ReadonlySet<string>): ListPlanAddonsInput {
  return defined({
    ...pageInput(q, rawKeys),
    planIdOrKey,
    id: list(q.id),
    key: list(q.key),
    keyVersion: keyVersion(q.keyVersion),
    includeDeleted: bool(q.includeDeleted),
    orderBy: rawKeys.has('orderBy') ? (str(q.orderBy) as ListPlanAddonsInput['orderBy']) : undefined,
  });
}


// ---------------------------------------------------------------------------------------------
// Issues

/**
 * Domain issues → v1 `ValidationError` (read-only `validationErrors`): `code`, `field`,
 * `message` and the issue's own attributes, no severity; `null` when there is nothing to
 * report (productcatalog/http/mapping.go FromValidationErrors, no omitempty).
 */
export function toApiValidationErrors(issues: ValidationIssue[]): ApiValidationError[] | null {
  if (issues.length === 0) return null;
  return issues.map((i) => {
    const { code, message, field, severity: _s, component: _c, ...attrs } = i;
    return { field: field ?? '', code, message, ...(Object.keys(attrs).length > 0 ? { attributes: attrs } : {}) };
  });
}

/**
 * v1 has no `unit_config`: a plan or add-on carrying one (authored through v3) is refused
 * rather than shown without it, since that would change what its prices mean
 * (plan/httpdriver/plan.go, addon/httpdriver/addon.go: ErrUnitConfigNotRepresentable).
 */
export function assertV1Representable<T extends { phases?: PlanPhase[]; rateCards?: RateCard[] }>(x: T): T {
  const cards = x.phases ? x.phases.flatMap((ph) => ph.rateCards) : (x.rateCards ?? []);
  if (cards.some((rc) => rc.unitConfig)) {
    const message = CATALOG_MESSAGES[CatalogIssueCode.unitConfigNotRepresentable]!;
    throw validationError(CatalogIssueCode.unitConfigNotRepresentable, message, [
      { code: CatalogIssueCode.unitConfigNotRepresentable, message, severity: 'critical' },
    ]);
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Features

export function fromApiFeatureCreate(b: S['FeatureCreateInputs']): CreateFeatureInput {
  return defined({
    key: b.key,
    name: b.name,
    meterSlug: b.meterSlug,
    meterGroupByFilters: b.meterGroupByFilters,
    advancedMeterGroupByFilters: b.advancedMeterGroupByFilters as Record<string, FilterString> | undefined,
    unitCost: b.unitCost as FeatureUnitCost | undefined,
    metadata: b.metadata,
  });
}

export function toApiFeature(f: Feature): ApiFeature {
  return defined({
    id: f.id,
    key: f.key,
    name: f.name,
    metadata: f.metadata,
    meterSlug: f.meterSlug,
    meterGroupByFilters: f.meterGroupByFilters,
    advancedMeterGroupByFilters: f.advancedMeterGroupByFilters as ApiFeature['advancedMeterGroupByFilters'],
    unitCost: f.unitCost as ApiFeature['unitCost'],
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
    archivedAt: f.archivedAt,
  });
}

// ---------------------------------------------------------------------------------------------
// Rate cards

type WireRateCard = {
  type: string;
  key: string;
  name: string;
  description?: string;
  metadata?: Metadata | null;
  featureKey?: string;
  entitlementTemplate?: unknown;
  taxConfig?: unknown;
  billingCadence: string | null;
  price: unknown;
  discounts?: unknown;
};

/**
 * Prices and entitlement templates are `oneOf`s, and the request validator fills in the
 * defaults of every branch it tries (a unit price arrives with `paymentTerm` and `multiplier`,
 * a boolean template with `isSoftLimit`): keep only the members of the type actually named.
 */
const PRICE_FIELDS: Record<string, readonly string[]> = {
  flat: ['type', 'amount', 'paymentTerm'],
  unit: ['type', 'amount', 'minimumAmount', 'maximumAmount'],
  tiered: ['type', 'mode', 'tiers', 'minimumAmount', 'maximumAmount'],
  package: ['type', 'amount', 'quantityPerPackage', 'minimumAmount', 'maximumAmount'],
  dynamic: ['type', 'multiplier', 'minimumAmount', 'maximumAmount'],
};
const TEMPLATE_FIELDS: Record<string, readonly string[]> = {
  metered: ['type', 'metadata', 'isSoftLimit', 'issueAfterReset', 'issueAfterResetPriority', 'preserveOverageAtReset', 'usagePeriod'],
  static: ['type', 'metadata', 'config'],
  boolean: ['type', 'metadata'],
};

function pick(o: Record<string, unknown>, fields: readonly string[] | undefined): Record<string, unknown> {
  if (!fields) return o;
  return Object.fromEntries(fields.filter((f) => o[f] !== undefined).map((f) => [f, o[f]]));
}

function cleanTier(t: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (t.upToAmount !== undefined && t.upToAmount !== null) out.upToAmount = t.upToAmount;
  out.flatPrice = t.flatPrice ? pick(t.flatPrice as Record<string, unknown>, ['type', 'amount']) : null;
  out.unitPrice = t.unitPrice ? pick(t.unitPrice as Record<string, unknown>, ['type', 'amount']) : null;
  return out;
}

export function cleanPrice(p: unknown): Price | null {
  if (!p || typeof p !== 'object') return null;
  const o = p as Record<string, unknown>;
  const out = pick(o, PRICE_FIELDS[String(o.type)]);
  if (Array.isArray(out.tiers)) out.tiers = (out.tiers as Record<string, unknown>[]).map(cleanTier);
  return out as unknown as Price;
}

/**
 * Besides the branch defaults, a metered template always arrives with the spec's default
 * `issueAfterResetPriority: 1`; the real service (no defaulting) would see it absent, and a
 * priority without `issueAfterReset` is a rule violation — so that default is dropped.
 */
function fromApiEntitlementTemplate(t: unknown): EntitlementTemplate | undefined {
  if (!t || typeof t !== 'object') return undefined;
  const m = pick(t as Record<string, unknown>, TEMPLATE_FIELDS[String((t as { type?: unknown }).type)]);
  if (m.type === 'metered' && (m.issueAfterReset === undefined || m.issueAfterReset === null) && m.issueAfterResetPriority === 1) {
    delete m.issueAfterResetPriority;
  }
  return m as unknown as EntitlementTemplate;
}

const toApiEntitlementTemplate = (t: EntitlementTemplate | undefined) =>
  t ? pick(t as unknown as Record<string, unknown>, TEMPLATE_FIELDS[t.type]) : undefined;

export function fromApiRateCard(rc: ApiRateCard): RateCard {
  const w = rc as WireRateCard;
  return defined({
    type: w.type,
    key: w.key,
    name: w.name,
    description: w.description,
    metadata: meta(w.metadata),
    featureKey: w.featureKey,
    entitlementTemplate: fromApiEntitlementTemplate(w.entitlementTemplate),
    taxConfig: w.taxConfig as TaxConfig | undefined,
    billingCadence: w.billingCadence,
    price: cleanPrice(w.price),
    discounts: w.discounts as Discounts | undefined,
  }) as RateCard;
}

export function toApiRateCard(rc: RateCard): ApiRateCard {
  const discounts = rc.discounts
    ? defined({
        percentage: rc.discounts.percentage ? { percentage: Number(rc.discounts.percentage.percentage) } : undefined,
        usage: rc.discounts.usage ? { quantity: rc.discounts.usage.quantity } : undefined,
      })
    : undefined;
  return defined({
    type: rc.type,
    key: rc.key,
    name: rc.name,
    description: rc.description,
    metadata: rc.metadata,
    featureKey: rc.featureKey,
    entitlementTemplate: toApiEntitlementTemplate(rc.entitlementTemplate),
    taxConfig: rc.taxConfig,
    billingCadence: rc.billingCadence ?? null,
    price: cleanPrice(rc.price),
    discounts,
  }) as unknown as ApiRateCard;
}

// ---------------------------------------------------------------------------------------------
// Plans

const fromApiPhase = (ph: S['PlanPhase']): PlanPhase =>
  defined({
    key: ph.key,
    name: ph.name,
    description: ph.description,
    metadata: meta(ph.metadata),
    duration: ph.duration ?? null,
    rateCards: (ph.rateCards ?? []).map(fromApiRateCard),
  });

type PlanBody = Omit<S['PlanReplaceUpdate'], 'proRatingConfig' | 'settlementMode'> &
  Partial<Pick<S['PlanReplaceUpdate'], 'proRatingConfig' | 'settlementMode'>>;

function planBody(b: PlanBody): Omit<CreatePlanInput, 'key' | 'currency'> {
  return defined({
    name: b.name,
    description: b.description,
    metadata: meta(b.metadata),
    alignment: b.alignment,
    billingCadence: b.billingCadence,
    proRatingConfig: b.proRatingConfig ? { enabled: b.proRatingConfig.enabled ?? true, mode: b.proRatingConfig.mode ?? 'prorate_prices' } : undefined,
    settlementMode: b.settlementMode,
    phases: (b.phases ?? []).map(fromApiPhase),
  });
}

export function fromApiPlanCreate(b: S['PlanCreate']): CreatePlanInput {
  return defined({ ...planBody(b), key: b.key, currency: b.currency });
}

export function fromApiPlanUpdate(id: string, b: S['PlanReplaceUpdate']): UpdatePlanInput {
  return { ...planBody(b), id };
}

export function toApiPlan(p: Plan): ApiPlan {
  return defined({
    id: p.id,
    key: p.key,
    version: p.version,
    name: p.name,
    description: p.description,
    metadata: p.metadata,
    currency: p.currency,
    billingCadence: p.billingCadence,
    // Zuplo's `max_consumption_based` only exists on a Zuplo bucket's plans, whose document allows it (decision 0032)
    proRatingConfig: p.proRatingConfig as S['ProRatingConfig'],
    // no `alignment`: the real FromPlan never sets it (plan/httpdriver/mapping.go)
    settlementMode: p.settlementMode ?? 'credit_then_invoice',
    effectiveFrom: p.effectiveFrom,
    effectiveTo: p.effectiveTo,
    status: p.status,
    phases: p.phases.map((ph) =>
      defined({
        key: ph.key,
        name: ph.name,
        description: ph.description,
        metadata: ph.metadata,
        duration: ph.duration ?? null,
        rateCards: ph.rateCards.map(toApiRateCard),
      }),
    ),
    validationErrors: toApiValidationErrors(p.validationErrors),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    deletedAt: p.deletedAt,
  });
}

// ---------------------------------------------------------------------------------------------
// Add-ons

export function fromApiAddonCreate(b: S['AddonCreate']): CreateAddonInput {
  return defined({
    key: b.key,
    name: b.name,
    description: b.description,
    metadata: meta(b.metadata),
    instanceType: b.instanceType as AddonInstanceType,
    currency: b.currency,
    rateCards: (b.rateCards ?? []).map(fromApiRateCard),
  });
}

export function fromApiAddonUpdate(id: string, b: S['AddonReplaceUpdate']): UpdateAddonInput {
  return defined({
    id,
    name: b.name,
    description: b.description,
    metadata: meta(b.metadata),
    instanceType: b.instanceType as AddonInstanceType,
    rateCards: (b.rateCards ?? []).map(fromApiRateCard),
  });
}

export function toApiAddon(a: Addon): ApiAddon {
  return defined({
    id: a.id,
    key: a.key,
    version: a.version,
    name: a.name,
    description: a.description,
    metadata: a.metadata,
    annotations: a.annotations,
    instanceType: a.instanceType,
    currency: a.currency,
    effectiveFrom: a.effectiveFrom,
    effectiveTo: a.effectiveTo,
    status: a.status,
    rateCards: a.rateCards.map(toApiRateCard),
    validationErrors: toApiValidationErrors(a.validationErrors),
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    deletedAt: a.deletedAt,
  });
}

// ---------------------------------------------------------------------------------------------
// Plan add-ons

export function fromApiPlanAddonCreate(planId: string, b: S['PlanAddonCreate']): CreatePlanAddonInput {
  return defined({ planId, addonId: b.addonId, fromPlanPhase: b.fromPlanPhase, maxQuantity: b.maxQuantity, metadata: b.metadata });
}

export function fromApiPlanAddonUpdate(planId: string, planAddonId: string, b: S['PlanAddonReplaceUpdate']): UpdatePlanAddonInput {
  return defined({ planId, planAddonId, fromPlanPhase: b.fromPlanPhase, maxQuantity: b.maxQuantity, metadata: b.metadata });
}

export function toApiPlanAddon(pa: PlanAddon): ApiPlanAddon {
  return defined({
    addon: toApiAddon(pa.addon),
    fromPlanPhase: pa.fromPlanPhase,
    maxQuantity: pa.maxQuantity,
    metadata: pa.metadata,
    annotations: pa.annotations,
    validationErrors: toApiValidationErrors(pa.validationErrors),
    createdAt: pa.createdAt,
    updatedAt: pa.updatedAt,
    deletedAt: pa.deletedAt,
  });
}
