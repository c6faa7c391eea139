import type { Discounts, Price, PriceTier } from '../../../domain/catalog/types.ts';
import type { ChargeTotals, ChargeView, CreateChargeInput } from '../../../domain/billing/charges/types.ts';
import type { components } from '../api.gen.ts';
import { KonnectHandlerError } from '../errors.ts';

type S = components['schemas'];
type ApiTier = S['BillingPriceTier'];

const fromApiTier = (t: ApiTier): PriceTier => ({
  ...(t.up_to_amount !== undefined ? { upToAmount: t.up_to_amount } : {}),
  ...(t.flat_price ? { flatPrice: { type: 'flat' as const, amount: t.flat_price.amount } } : {}),
  ...(t.unit_price ? { unitPrice: { type: 'unit' as const, amount: t.unit_price.amount } } : {}),
});
const toApiTier = (t: PriceTier): ApiTier => ({
  ...(t.upToAmount !== undefined && t.upToAmount !== null ? { up_to_amount: t.upToAmount } : {}),
  ...(t.flatPrice ? { flat_price: { type: 'flat' as const, amount: t.flatPrice.amount } } : {}),
  ...(t.unitPrice ? { unit_price: { type: 'unit' as const, amount: t.unitPrice.amount } } : {}),
});

/** A usage-based charge is priced flat, unit, graduated or volume (a free price rates nothing). */
function fromApiChargePrice(p: S['BillingPrice']): Price {
  switch (p.type) {
    case 'flat':
      return { type: 'flat', amount: p.amount, paymentTerm: 'in_arrears' };
    case 'unit':
      return { type: 'unit', amount: p.amount };
    case 'graduated':
    case 'volume':
      return { type: 'tiered', mode: p.type, tiers: p.tiers.map(fromApiTier) };
    default:
      // the handler's own decoding refuses it (customers/charges/create.go: field "params")
      throw new KonnectHandlerError(400, `unsupported price type: ${p.type}`, [{ field: 'params', rule: '', reason: `unsupported price type: ${p.type}` }]);
  }
}

function toApiChargePrice(p: Price): S['BillingPrice'] {
  switch (p.type) {
    case 'flat':
      return { type: 'flat', amount: p.amount };
    case 'tiered':
      return p.mode === 'volume' ? { type: 'volume', tiers: p.tiers.map(toApiTier) } : { type: 'graduated', tiers: p.tiers.map(toApiTier) };
    default:
      return { type: 'unit', amount: (p as { amount: string }).amount };
  }
}

const period = (p: S['ClosedPeriod']) => ({ from: p.from, to: p.to });

export function fromApiCreateCharge(customerId: string, b: S['CreateChargeRequest']): CreateChargeInput {
  const base = {
    customerId,
    name: b.name,
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.labels ? { labels: b.labels } : {}),
    currency: b.currency,
    invoiceAt: b.invoice_at,
    servicePeriod: period(b.service_period),
    ...(b.full_service_period ? { fullServicePeriod: period(b.full_service_period) } : {}),
    ...(b.billing_period ? { billingPeriod: period(b.billing_period) } : {}),
    settlementMode: b.settlement_mode,
    ...(b.unique_reference_id !== undefined ? { uniqueReferenceId: b.unique_reference_id } : {}),
    ...(b.tax_config
      ? {
          taxConfig: {
            ...(b.tax_config.behavior ? { behavior: b.tax_config.behavior } : {}),
            ...(b.tax_config.tax_code?.id ?? b.tax_config.tax_code_id ? { taxCodeId: (b.tax_config.tax_code?.id ?? b.tax_config.tax_code_id)! } : {}),
          },
        }
      : {}),
  };
  if (b.type === 'flat_fee') {
    return {
      ...base,
      type: 'flat_fee',
      paymentTerm: b.payment_term,
      prorationMode: b.proration_configuration.mode,
      amountBeforeProration: { amount: b.amount_before_proration.amount, currency: b.amount_before_proration.currency },
      ...(b.discounts?.percentage !== undefined ? { percentageDiscount: b.discounts.percentage } : {}),
      ...(b.feature_id !== undefined ? { featureId: b.feature_id } : {}),
    };
  }
  const u = b as S['CreateChargeUsageBasedRequest'];
  const discounts: Discounts = {
    ...(u.discounts?.percentage !== undefined ? { percentage: { percentage: u.discounts.percentage } } : {}),
    ...(u.discounts?.usage !== undefined ? { usage: { quantity: u.discounts.usage } } : {}),
  };
  return {
    ...base,
    type: 'usage_based',
    featureId: u.feature_id,
    price: fromApiChargePrice(u.price as S['BillingPrice']),
    ...(Object.keys(discounts).length > 0 ? { discounts } : {}),
  };
}

const toApiTotals = (t: ChargeTotals): S['BillingTotals'] => ({
  amount: t.amount,
  taxes_total: t.taxesTotal,
  taxes_inclusive_total: t.taxesInclusiveTotal,
  taxes_exclusive_total: t.taxesExclusiveTotal,
  charges_total: t.chargesTotal,
  discounts_total: t.discountsTotal,
  credits_total: t.creditsTotal,
  total: t.total,
});

/** customers/charges/convert.go: charges made through the API are `manual`, a subscription's `system`; labels always present. */
export function toApiCharge(v: ChargeView): S['BillingCharge'] {
  const c = v.charge;
  const common = {
    id: c.id,
    name: c.name,
    ...(c.description !== undefined ? { description: c.description } : {}),
    labels: { ...(c.labels ?? {}) },
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    ...(c.deletedAt ? { deleted_at: c.deletedAt } : {}),
    customer: { id: c.customerId },
    // a subscription's charge is the system's (convert.go ConvertLifecycleControllerToAPI), with its item reference
    lifecycle_controller: c.subscription ? ('system' as const) : ('manual' as const),
    ...(c.subscription ? { subscription: { id: c.subscription.subscriptionId, phase: { id: c.subscription.phaseId, item: { id: c.subscription.itemId } } } } : {}),
    currency: c.currency,
    status: c.deletedAt ? ('deleted' as const) : c.status,
    invoice_at: c.invoiceAt,
    service_period: c.servicePeriod,
    full_service_period: c.fullServicePeriod,
    billing_period: c.billingPeriod,
    ...(v.advanceAfter ? { advance_after: v.advanceAfter } : {}),
    ...(c.uniqueReferenceId !== undefined ? { unique_reference_id: c.uniqueReferenceId } : {}),
    settlement_mode: c.settlementMode,
    ...(c.taxConfig
      ? {
          tax_config: {
            ...(c.taxConfig.behavior ? { behavior: c.taxConfig.behavior as S['BillingTaxBehavior'] } : {}),
            ...(c.taxConfig.taxCodeId ? { tax_code_id: c.taxConfig.taxCodeId, tax_code: { id: c.taxConfig.taxCodeId } } : {}),
          },
        }
      : {}),
    ...(c.featureId ? { feature_id: c.featureId } : {}),
  };
  const pct = c.discounts?.percentage?.percentage;
  if (c.type === 'flat_fee') {
    return {
      ...common,
      type: 'flat_fee',
      ...(c.featureKey ? { feature_key: c.featureKey } : {}),
      payment_term: c.paymentTerm!,
      ...(pct !== undefined ? { discounts: { percentage: Number(pct) } } : {}),
      proration_configuration: { mode: c.prorationMode! },
      amount_after_proration: { amount: c.amountAfterProration!, currency: c.currency },
      price: { type: 'flat', amount: c.amountBeforeProration! },
    } as S['BillingChargeFlatFee'];
  }
  return {
    ...common,
    type: 'usage_based',
    feature_key: c.featureKey ?? '',
    feature_id: c.featureId ?? '',
    ...(c.discounts
      ? { discounts: { ...(pct !== undefined ? { percentage: Number(pct) } : {}), ...(c.discounts.usage ? { usage: c.discounts.usage.quantity } : {}) } }
      : {}),
    totals: { booked: toApiTotals(v.booked!), ...(v.realtime ? { realtime: toApiTotals(v.realtime) } : {}) },
    price: toApiChargePrice(c.price!),
  } as S['BillingChargeUsageBased'];
}
