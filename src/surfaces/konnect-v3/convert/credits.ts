import type { CreateGrantInput, CreditGrant, CreditTransaction, GrantStatus, TransactionCursor } from '../../../domain/billing/credits/types.ts';
import type { components } from '../api.gen.ts';
import { AipQueryError } from '../aip.ts';
import { KonnectBadRequest } from '../errors.ts';

type S = components['schemas'];

/**
 * The request as the v3 validator leaves it (schema defaults already injected: priority 10, cost
 * basis "1.0"). What the real handler's decoding refuses (filters that are empty or repeat a
 * key) is its own 400 in the Konnect shape; the service's rules come after, in the domain.
 */
export function fromApiCreateGrant(customerId: string, b: S['CreateCreditGrantRequest']): CreateGrantInput {
  const features = b.filters?.features ?? [];
  if (features.some((k) => k === '') || new Set(features).size !== features.length) {
    throw new KonnectBadRequest('invalid filters: feature keys must be non-empty and unique');
  }
  const purchase = b.purchase as Partial<S['CreateCreditGrantPurchase']> | undefined;
  return {
    customerId,
    name: b.name,
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.labels ? { labels: b.labels } : {}),
    fundingMethod: b.funding_method,
    currency: b.currency,
    amount: b.amount,
    ...(purchase
      ? {
          purchase: {
            currency: purchase.currency!,
            ...(purchase.per_unit_cost_basis !== undefined ? { perUnitCostBasis: purchase.per_unit_cost_basis } : {}),
            ...(purchase.availability_policy !== undefined ? { availabilityPolicy: purchase.availability_policy } : {}),
          },
        }
      : {}),
    ...(b.tax_config
      ? { taxConfig: { ...(b.tax_config.behavior ? { behavior: b.tax_config.behavior } : {}), ...(b.tax_config.tax_code ? { taxCodeId: b.tax_config.tax_code.id } : {}) } }
      : {}),
    ...(b.filters?.features && b.filters.features.length > 0 ? { featureKeys: b.filters.features } : {}),
    priority: b.priority ?? 10,
    ...(b.effective_at !== undefined ? { effectiveAt: new Date(b.effective_at).toISOString() } : {}),
    ...(b.expires_after !== undefined ? { expiresAfter: b.expires_after } : {}),
    ...(b.key !== undefined ? { key: b.key } : {}),
  };
}

/** customers/credits/convert.go toAPIBillingCreditGrant: `effective_at` only when it was sent, labels always. */
export function toApiCreditGrant(g: CreditGrant, status: GrantStatus): S['BillingCreditGrant'] {
  return {
    id: g.id,
    name: g.name,
    ...(g.description !== undefined ? { description: g.description } : {}),
    labels: { ...(g.labels ?? {}) },
    created_at: g.createdAt,
    updated_at: g.updatedAt,
    funding_method: g.fundingMethod,
    currency: g.currency,
    amount: g.amount,
    ...(g.purchase
      ? {
          purchase: {
            currency: g.purchase.currency,
            per_unit_cost_basis: g.purchase.perUnitCostBasis,
            amount: g.purchase.amount,
            ...(g.purchase.availabilityPolicy ? { availability_policy: g.purchase.availabilityPolicy } : {}),
            settlement_status: g.purchase.settlementStatus,
          } as S['BillingCreditGrantPurchase'],
        }
      : {}),
    ...(g.taxConfig
      ? {
          tax_config: {
            ...(g.taxConfig.behavior ? { behavior: g.taxConfig.behavior as S['BillingTaxBehavior'] } : {}),
            ...(g.taxConfig.taxCodeId ? { tax_code: { id: g.taxConfig.taxCodeId } } : {}),
          },
        }
      : {}),
    ...(g.featureKeys ? { filters: { features: g.featureKeys } } : {}),
    priority: g.priority,
    ...(g.effectiveAt !== undefined ? { effective_at: g.effectiveAt } : {}),
    ...(g.key !== undefined ? { key: g.key } : {}),
    ...(g.expiresAt !== undefined ? { expires_at: g.expiresAt } : {}),
    ...(g.voidedAt !== undefined ? { voided_at: g.voidedAt } : {}),
    status,
  };
}

export const toApiCreditTransaction = (t: CreditTransaction): S['BillingCreditTransaction'] => ({
  id: t.id,
  name: t.name,
  ...(t.labels ? { labels: t.labels } : {}),
  created_at: t.createdAt,
  booked_at: t.bookedAt,
  type: t.type,
  currency: t.currency,
  amount: t.amount,
  available_balance: { before: t.balanceBefore, after: t.balanceAfter },
});

/** base64 of `{booked_at, created_at, id}` (customers/credits/convert.go). */
export const encodeTransactionCursor = (c: TransactionCursor): string =>
  Buffer.from(JSON.stringify({ booked_at: c.bookedAt, created_at: c.createdAt, id: c.id })).toString('base64');

export function decodeTransactionCursor(raw: string, param: string): TransactionCursor {
  try {
    const p = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as { booked_at?: unknown; created_at?: unknown; id?: unknown };
    if (typeof p.booked_at !== 'string' || typeof p.created_at !== 'string' || typeof p.id !== 'string' || p.id === '') throw new Error('incomplete');
    if (Number.isNaN(Date.parse(p.booked_at)) || Number.isNaN(Date.parse(p.created_at))) throw new Error('bad time');
    return { bookedAt: new Date(p.booked_at).toISOString(), createdAt: new Date(p.created_at).toISOString(), id: p.id };
  } catch {
    throw new AipQueryError(param, 'invalid cursor', 'format');
  }
}
