import type { App } from '../../../domain/apps/types.ts';
import type { Discounts } from '../../../domain/catalog/types.ts';
import type { TaxConfig } from '../../../domain/catalog/types.ts';
import { InvoiceTrigger } from '../../../domain/billing/invoices/types.ts';
import {
  shortStatus,
  type InvoiceLine,
  type InvoiceView,
  type ListInvoicesInput,
  type PendingLineInput,
  type SimulateInvoiceInput,
  type UpdateInvoiceInput,
  type StoredDetailedLine,
} from '../../../domain/billing/invoices/types.ts';
import type { components } from '../api.gen.ts';
import { cleanPrice } from './catalog.ts';
import { fromApiParty, toApiParty, toApiProfileApps, toApiWorkflow } from './billingSetup.ts';

type S = components['schemas'];

const strings = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : String(v).split(','));

export function fromApiListInvoicesQuery(q: Record<string, unknown>): ListInvoicesInput {
  const s = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
  const out: ListInvoicesInput = {};
  if (typeof q.page === 'number') out.page = q.page;
  if (typeof q.pageSize === 'number') out.pageSize = q.pageSize;
  for (const k of ['statuses', 'extendedStatuses', 'customers'] as const) {
    const v = strings(q[k]);
    if (v) out[k] = v;
  }
  for (const k of ['issuedAfter', 'issuedBefore', 'periodStartAfter', 'periodStartBefore', 'createdAfter', 'createdBefore'] as const) {
    const v = s(k);
    if (v) out[k] = v;
  }
  if (q.includeDeleted === true || q.includeDeleted === 'true') out.includeDeleted = true;
  if (s('order')) out.order = s('order') as 'ASC' | 'DESC';
  if (s('orderBy')) out.orderBy = s('orderBy') as ListInvoicesInput['orderBy'];
  return out;
}

export const invoiceExpands = (q: Record<string, unknown>, fallback: string[] = []): Set<string> => new Set(strings(q.expand) ?? fallback);

function fromApiDiscounts(d: S['BillingDiscounts'] | undefined): Discounts | undefined {
  if (!d) return undefined;
  const out: Discounts = {};
  if (d.percentage) out.percentage = { percentage: d.percentage.percentage, ...(d.percentage.correlationId ? { correlationId: d.percentage.correlationId } : {}) };
  if (d.usage) out.usage = { quantity: String(d.usage.quantity), ...(d.usage.correlationId ? { correlationId: d.usage.correlationId } : {}) };
  return Object.keys(out).length ? out : undefined;
}

/** A v1 pending line: the price and feature come from `rateCard` when given, else the deprecated top-level fields. */
export function fromApiPendingLine(l: S['InvoicePendingLineCreate']): PendingLineInput {
  const rc = l.rateCard;
  const price = cleanPrice(rc?.price ?? l.price ?? null);
  const featureKey = rc?.featureKey ?? l.featureKey;
  const discounts = fromApiDiscounts(rc?.discounts);
  const taxConfig = (rc?.taxConfig ?? l.taxConfig) as TaxConfig | undefined;
  return {
    name: l.name,
    ...(l.description !== undefined ? { description: l.description } : {}),
    ...(l.metadata ? { metadata: l.metadata as Record<string, string> } : {}),
    period: { from: l.period.from, to: l.period.to },
    invoiceAt: l.invoiceAt,
    price: price!,
    ...(featureKey ? { featureKey } : {}),
    ...(discounts ? { discounts } : {}),
    ...(taxConfig ? { taxConfig } : {}),
  };
}

export function fromApiSimulation(customerId: string, b: S['InvoiceSimulationInput']): SimulateInvoiceInput {
  return {
    customerId,
    currency: b.currency,
    ...(b.number ? { number: b.number } : {}),
    lines: b.lines.map((l) => ({
      ...fromApiPendingLine(l),
      ...(l.id ? { id: l.id } : {}),
      quantity: String(l.quantity),
      ...(l.preLinePeriodQuantity !== undefined ? { preLinePeriodQuantity: String(l.preLinePeriodQuantity) } : {}),
    })),
  };
}

export function fromApiInvoiceUpdate(id: string, b: S['InvoiceReplaceUpdate']): UpdateInvoiceInput {
  const w = b.workflow.workflow;
  return {
    id,
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.metadata ? { metadata: b.metadata as Record<string, string> } : {}),
    supplier: fromApiParty(b.supplier),
    customer: fromApiParty(b.customer),
    workflow: {
      autoAdvance: w.invoicing.autoAdvance,
      draftPeriod: w.invoicing.draftPeriod,
      dueAfter: w.invoicing.dueAfter,
      ...(w.payment?.collectionMethod ? { collectionMethod: w.payment.collectionMethod } : {}),
    },
    lines: b.lines.map((l) => ({ ...fromApiPendingLine(l), ...(l.id ? { id: l.id } : {}) })),
  };
}

export const CUSTOM_INVOICING_TRIGGERS: Record<S['CustomInvoicingPaymentTrigger'], (typeof InvoiceTrigger)[keyof typeof InvoiceTrigger]> = {
  paid: InvoiceTrigger.paid,
  payment_failed: InvoiceTrigger.failed,
  payment_uncollectible: InvoiceTrigger.paymentUncollectible,
  payment_overdue: InvoiceTrigger.paymentOverdue,
  action_required: InvoiceTrigger.actionRequired,
  void: InvoiceTrigger.void,
};

const totals = (t: InvoiceLine['totals']): S['InvoiceTotals'] => ({
  amount: t?.amount ?? '0',
  chargesTotal: t?.chargesTotal ?? '0',
  discountsTotal: t?.discountsTotal ?? '0',
  creditsTotal: t?.creditsTotal ?? '0',
  taxesInclusiveTotal: t?.taxesInclusiveTotal ?? '0',
  taxesExclusiveTotal: t?.taxesExclusiveTotal ?? '0',
  taxesTotal: t?.taxesTotal ?? '0',
  total: t?.total ?? '0',
});

function toApiDetailedLine(d: StoredDetailedLine, line: InvoiceLine, inv: InvoiceView): S['InvoiceDetailedLine'] {
  const period = d.period ?? line.period;
  const amount = d.amountDiscounts.map((a) => ({
    id: a.id ?? d.id,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    amount: a.amount,
    ...(a.description ? { description: a.description } : {}),
    ...(a.externalIds?.invoicing ? { externalIds: { invoicing: a.externalIds.invoicing } } : {}),
    reason:
      a.reason === 'maximum_spend'
        ? { type: 'maximum_spend' }
        : a.reason === 'proration_credit'
          ? // Zuplo's fork (DiscountReasonProrationCredit, decision 0032): only a Zuplo bucket records one
            { type: 'proration_credit', previousSubscriptionId: a.previousSubscriptionId ?? '', maxPercentage: a.maxPercentage ?? '0' }
          : { type: 'ratecard_percentage', correlationId: a.correlationId ?? '', percentage: Number(line.discounts?.percentage?.percentage ?? 0) },
  })) as unknown as S['InvoiceLineAmountDiscount'][];
  return {
    type: 'flat_fee',
    id: d.id,
    name: d.name,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    invoiceAt: line.invoiceAt,
    currency: inv.currency,
    status: 'detailed',
    managedBy: 'system',
    invoice: { id: inv.id },
    period: { from: period.from, to: period.to },
    perUnitAmount: d.perUnitAmount,
    quantity: d.quantity,
    ...(d.externalIds?.invoicing ? { externalIds: { invoicing: d.externalIds.invoicing } } : {}),
    category: d.category,
    paymentTerm: d.paymentTerm,
    rateCard: { price: { type: 'flat', paymentTerm: d.paymentTerm, amount: d.perUnitAmount }, quantity: d.quantity },
    ...(d.creditsApplied.length ? { creditAllocations: d.creditsApplied.map((c) => ({ amount: c.amount, ...(c.description ? { description: c.description } : {}) })) } : {}),
    ...(amount.length ? { discounts: { amount } } : {}),
    totals: totals(d.totals),
  };
}

function toApiLine(l: InvoiceLine, inv: InvoiceView): S['InvoiceLine'] {
  const price = l.price as unknown as S['InvoiceLine']['price'];
  const usage = l.usageDiscount
    ? [
        {
          id: l.usageDiscount.id ?? l.id,
          createdAt: l.updatedAt,
          updatedAt: l.updatedAt,
          quantity: l.usageDiscount.quantity,
          ...(l.usageDiscount.preLinePeriodQuantity ? { preLinePeriodQuantity: l.usageDiscount.preLinePeriodQuantity } : {}),
          reason: { type: 'ratecard_usage', correlationId: l.usageDiscount.correlationId ?? '', quantity: l.discounts?.usage?.quantity ?? '0' },
        },
      ]
    : [];
  const nonZero = (v: string | undefined) => (v !== undefined && v !== '0' ? v : undefined);
  return {
    type: 'usage_based',
    id: l.id,
    name: l.name,
    ...(l.description !== undefined ? { description: l.description } : {}),
    ...(l.metadata ? { metadata: l.metadata } : {}),
    createdAt: l.createdAt,
    updatedAt: l.updatedAt,
    ...(l.deletedAt ? { deletedAt: l.deletedAt } : {}),
    invoiceAt: l.invoiceAt,
    currency: l.currency,
    status: 'valid',
    managedBy: l.managedBy,
    invoice: { id: inv.id },
    period: { from: l.period.from, to: l.period.to },
    ...(l.taxConfig ? { taxConfig: l.taxConfig as S['TaxConfig'] } : {}),
    ...(l.featureKey ? { featureKey: l.featureKey } : {}),
    ...(l.quantity !== undefined ? { quantity: l.quantity } : {}),
    ...(l.meteredQuantity !== undefined && l.meteredQuantity !== l.quantity ? { meteredQuantity: l.meteredQuantity } : {}),
    ...(nonZero(l.preLinePeriodQuantity) ? { preLinePeriodQuantity: l.preLinePeriodQuantity } : {}),
    ...(nonZero(l.meteredPreLinePeriodQuantity) ? { meteredPreLinePeriodQuantity: l.meteredPreLinePeriodQuantity } : {}),
    price,
    rateCard: {
      price: l.price as unknown as S['InvoiceUsageBasedRateCard']['price'],
      ...(l.featureKey ? { featureKey: l.featureKey } : {}),
      ...(l.taxConfig ? { taxConfig: l.taxConfig as S['TaxConfig'] } : {}),
      ...(l.discounts
        ? {
            discounts: {
              ...(l.discounts.percentage ? { percentage: { percentage: Number(l.discounts.percentage.percentage), correlationId: l.discounts.percentage.correlationId } } : {}),
              ...(l.discounts.usage ? { usage: { quantity: l.discounts.usage.quantity, correlationId: l.discounts.usage.correlationId } } : {}),
            } as S['BillingDiscounts'],
          }
        : {}),
    },
    ...(usage.length ? { discounts: { usage } as unknown as S['InvoiceLineDiscounts'] } : {}),
    children: (l.detailedLines ?? []).map((d) => toApiDetailedLine(d, l, inv)),
    totals: totals(l.totals),
    ...(l.subscription
      ? {
          subscription: {
            subscription: { id: l.subscription.subscriptionId },
            phase: { id: l.subscription.phaseId },
            item: { id: l.subscription.itemId },
            billingPeriod: l.subscription.billingPeriod,
          },
        }
      : {}),
  };
}

export interface InvoiceEncodeOptions {
  lines?: boolean;
  includeDeletedLines?: boolean;
  /** `expand=workflow.apps`: the apps themselves */
  appsById?: Map<string, App>;
}

export function toApiInvoice(inv: InvoiceView, opts: InvoiceEncodeOptions = {}): S['Invoice'] {
  const a = inv.statusDetails.availableActions;
  const action = (x: { resultingState: string } | undefined) => (x ? { resultingState: x.resultingState } : undefined);
  const availableActions: { -readonly [K in keyof S['InvoiceAvailableActions']]: S['InvoiceAvailableActions'][K] } = {};
  if (a.advance) availableActions.advance = action(a.advance)!;
  if (a.approve) availableActions.approve = action(a.approve)!;
  if (a.delete) availableActions.delete = action(a.delete)!;
  if (a.retry) availableActions.retry = action(a.retry)!;
  if (a.snapshotQuantities) availableActions.snapshotQuantities = action(a.snapshotQuantities)!;
  if (inv.kind === 'gathering') availableActions.invoice = {};
  const lines = opts.lines ? inv.lines.filter((l) => opts.includeDeletedLines || !l.deletedAt).map((l) => toApiLine(l, inv)) : undefined;
  return {
    id: inv.id,
    type: 'standard',
    ...(inv.description !== undefined ? { description: inv.description } : {}),
    ...(inv.metadata ? { metadata: inv.metadata } : {}),
    createdAt: inv.createdAt,
    updatedAt: inv.updatedAt,
    ...(inv.deletedAt ? { deletedAt: inv.deletedAt } : {}),
    number: inv.number,
    currency: inv.currency,
    // OpenMeter writes the short status "deleted", which its own InvoiceStatus enum lacks; a
    // response that breaks the document is refused here, so a deleted invoice reads as the draft
    // it was, with `extendedStatus: deleted` and `deletedAt` telling the truth
    status: (inv.status === 'deleted' ? 'draft' : shortStatus(inv.status)) as S['InvoiceStatus'],
    statusDetails: {
      immutable: inv.statusDetails.immutable,
      failed: inv.statusDetails.failed,
      extendedStatus: inv.status,
      availableActions,
    },
    supplier: toApiParty(inv.supplier),
    customer: {
      id: inv.customer.id,
      ...(inv.customer.key !== undefined ? { key: inv.customer.key } : {}),
      name: inv.customer.name,
      usageAttribution: { subjectKeys: inv.customer.usageAttribution.subjectKeys },
      ...(inv.customer.addresses ? { addresses: inv.customer.addresses as S['Address'][] } : {}),
    },
    totals: totals(inv.totals),
    ...(inv.issuedAt ? { issuedAt: inv.issuedAt } : {}),
    ...(inv.draftUntil ? { draftUntil: inv.draftUntil } : {}),
    ...(inv.quantitySnapshotedAt ? { quantitySnapshotedAt: inv.quantitySnapshotedAt } : {}),
    ...(inv.collectionAt ? { collectionAt: inv.collectionAt } : {}),
    ...(inv.dueAt ? { dueAt: inv.dueAt } : {}),
    ...(inv.period ? { period: { from: inv.period.from, to: inv.period.to } } : {}),
    ...(inv.sentToCustomerAt ? { sentToCustomerAt: inv.sentToCustomerAt } : {}),
    ...(inv.voidedAt ? { voidedAt: inv.voidedAt } : {}),
    workflow: {
      sourceBillingProfileId: inv.profileId,
      apps: toApiProfileApps(inv.apps, opts.appsById),
      workflow: toApiWorkflow(inv.workflow),
    },
    ...(lines ? { lines } : {}),
    ...(inv.validationIssues.length
      ? {
          validationIssues: inv.validationIssues.map((i) => ({
            id: typeof i.id === 'string' ? i.id : inv.id,
            createdAt: inv.updatedAt,
            updatedAt: inv.updatedAt,
            severity: (i.severity ?? 'critical') as 'critical' | 'warning',
            code: i.code,
            message: i.message,
            ...(i.field ? { field: i.field } : {}),
            component: i.component ?? 'openmeter',
          })) as unknown as S['ValidationIssue'][],
        }
      : {}),
    ...(inv.externalIds ? { externalIds: inv.externalIds } : {}),
  };
}
