import type { Price } from '../../../domain/catalog/types.ts';
import { shortStatus, type InvoiceLine, type InvoiceView, type StoredDetailedLine, type UpdateInvoiceInput } from '../../../domain/billing/invoices/types.ts';
import type { components } from '../api.gen.ts';
import { fromApiAddress, toApiAddress } from './address.ts';
import { toApiParty } from './billingSetup.ts';
import { fromApiTier, toApiPrice } from './catalog.ts';

type S = components['schemas'];

const totals = (t: InvoiceLine['totals']): S['BillingTotals'] => ({
  amount: t?.amount ?? '0',
  taxes_total: t?.taxesTotal ?? '0',
  taxes_inclusive_total: t?.taxesInclusiveTotal ?? '0',
  taxes_exclusive_total: t?.taxesExclusiveTotal ?? '0',
  charges_total: t?.chargesTotal ?? '0',
  discounts_total: t?.discountsTotal ?? '0',
  credits_total: t?.creditsTotal ?? '0',
  total: t?.total ?? '0',
});

function toApiDetailedLine(d: StoredDetailedLine, line: InvoiceLine): S['BillingInvoiceDetailedLine'] {
  const period = d.period ?? line.period;
  // a proration credit is Zuplo's (decision 0032): it is only ever recorded in a Zuplo bucket, never in a Konnect organisation
  const amount = d.amountDiscounts.flatMap((a) => (a.reason === 'proration_credit' ? [] : [{ id: a.id ?? d.id, reason: a.reason, amount: a.amount, ...(a.description ? { description: a.description } : {}) }]));
  return {
    id: d.id,
    name: d.name,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    service_period: { from: period.from, to: period.to },
    totals: totals(d.totals),
    category: d.category,
    ...(amount.length ? { discounts: { amount } } : {}),
    ...(d.creditsApplied.length ? { credits_applied: d.creditsApplied.map((c) => ({ amount: c.amount, ...(c.description ? { description: c.description } : {}) })) } : {}),
    quantity: d.quantity,
    unit_price: d.perUnitAmount,
  };
}

function toApiLine(l: InvoiceLine): S['BillingInvoiceStandardLine'] {
  const usage = l.usageDiscount ? [{ id: l.usageDiscount.id ?? l.id, reason: 'ratecard_usage' as const, quantity: l.usageDiscount.quantity }] : [];
  return {
    id: l.id,
    type: 'standard_line',
    name: l.name,
    ...(l.description !== undefined ? { description: l.description } : {}),
    ...(l.metadata ? { labels: l.metadata } : {}),
    created_at: l.createdAt,
    updated_at: l.updatedAt,
    lifecycle_controller: l.managedBy === 'manual' ? 'manual' : 'system',
    service_period: { from: l.period.from, to: l.period.to },
    totals: totals(l.totals),
    ...(usage.length ? { discounts: { usage } } : {}),
    rate_card: {
      price: toApiPrice(l.price) as S['BillingInvoiceLineRateCard']['price'],
      ...(l.featureKey ? { feature_key: l.featureKey } : {}),
      ...(l.discounts
        ? {
            discounts: {
              ...(l.discounts.percentage ? { percentage: Number(l.discounts.percentage.percentage) } : {}),
              ...(l.discounts.usage ? { usage: l.discounts.usage.quantity } : {}),
            },
          }
        : {}),
    },
    detailed_lines: (l.detailedLines ?? []).map((d) => toApiDetailedLine(d, l)),
    ...(l.price.type !== 'flat' && l.meteredQuantity !== undefined ? { usage_quantity_detail: { raw_quantity: l.meteredQuantity, invoiced_quantity: l.quantity ?? l.meteredQuantity } } : {}),
  };
}

/** v3 invoices (`api/v3/handlers/billinginvoices`): list items carry no lines; `collection_at` falls back to `created_at`. */
export function toApiInvoice(inv: InvoiceView, opts: { lines: boolean }): S['BillingInvoiceStandard'] {
  const a = inv.statusDetails.availableActions;
  const act = (x: { resultingState: string } | undefined) => (x ? { resulting_state: x.resultingState } : undefined);
  const actions: { -readonly [K in keyof S['BillingInvoiceAvailableActions']]: S['BillingInvoiceAvailableActions'][K] } = {};
  if (a.advance) actions.advance = act(a.advance)!;
  if (a.approve) actions.approve = act(a.approve)!;
  if (a.delete) actions.delete = act(a.delete)!;
  if (a.retry) actions.retry = act(a.retry)!;
  if (a.snapshotQuantities) actions.snapshot_quantities = act(a.snapshotQuantities)!;
  const supplier = toApiParty(inv.supplier);
  const external = {
    ...(inv.externalIds?.invoicing ? { invoicing_id: inv.externalIds.invoicing } : {}),
    ...(inv.externalIds?.payment ? { payment_id: inv.externalIds.payment } : {}),
  };
  const w = inv.workflow;
  return {
    id: inv.id,
    type: 'standard',
    ...(inv.description !== undefined ? { description: inv.description } : {}),
    ...(inv.metadata ? { labels: inv.metadata } : {}),
    created_at: inv.createdAt,
    updated_at: inv.updatedAt,
    ...(inv.deletedAt ? { deleted_at: inv.deletedAt } : {}),
    number: inv.number,
    currency: inv.currency,
    supplier: { ...(supplier.name !== undefined ? { name: supplier.name } : {}), ...(supplier.tax_id ? { tax_id: supplier.tax_id } : {}), ...(supplier.addresses ? { addresses: supplier.addresses } : {}) },
    customer: {
      id: inv.customer.id,
      name: inv.customer.name,
      ...(inv.customer.key !== undefined ? { key: inv.customer.key } : {}),
      usage_attribution: { subject_keys: inv.customer.usageAttribution.subjectKeys },
      ...(inv.customer.addresses?.[0] ? { billing_address: toApiAddress(inv.customer.addresses[0]) } : {}),
    },
    totals: totals(inv.totals),
    service_period: { from: inv.period?.from ?? inv.createdAt, to: inv.period?.to ?? inv.createdAt },
    ...(inv.validationIssues.length
      ? {
          validation_issues: inv.validationIssues.map((i) => ({
            code: i.code,
            message: i.message,
            severity: (i.severity ?? 'critical') as 'critical' | 'warning',
            ...(i.field ? { field: i.field } : {}),
          })),
        }
      : {}),
    ...(Object.keys(external).length ? { external_references: external } : {}),
    // OpenMeter writes "deleted", outside its own enum; a response must match the document here
    status: (inv.status === 'deleted' ? 'draft' : shortStatus(inv.status)) as S['BillingInvoiceStandardStatus'],
    status_details: { immutable: inv.statusDetails.immutable, failed: inv.statusDetails.failed, extended_status: inv.status, available_actions: actions },
    ...(inv.issuedAt ? { issued_at: inv.issuedAt } : {}),
    ...(inv.draftUntil ? { draft_until: inv.draftUntil } : {}),
    ...(inv.quantitySnapshotedAt ? { quantity_snapshotted_at: inv.quantitySnapshotedAt } : {}),
    collection_at: inv.collectionAt ?? inv.createdAt,
    ...(inv.dueAt ? { due_at: inv.dueAt } : {}),
    ...(inv.sentToCustomerAt ? { sent_to_customer_at: inv.sentToCustomerAt } : {}),
    workflow: {
      apps: { tax: { id: inv.apps.tax }, invoicing: { id: inv.apps.invoicing }, payment: { id: inv.apps.payment } },
      source_billing_profile: { id: inv.profileId },
      workflow: {
        invoicing: { auto_advance: w.invoicing.autoAdvance, draft_period: w.invoicing.draftPeriod, due_after: w.invoicing.dueAfter },
        payment: (w.payment.collectionMethod === 'send_invoice'
          ? { collection_method: 'send_invoice', due_after: w.invoicing.dueAfter }
          : { collection_method: 'charge_automatically' }) as S['BillingInvoiceWorkflow']['payment'],
      },
    },
    ...(opts.lines ? { lines: inv.lines.filter((l) => !l.deletedAt).map(toApiLine) } : {}),
  };
}

function fromApiLinePrice(p: Record<string, unknown>, paymentTerm?: string): Price {
  switch (p.type) {
    case 'flat':
      return { type: 'flat', amount: String(p.amount), ...(paymentTerm ? { paymentTerm: paymentTerm as 'in_advance' | 'in_arrears' } : {}) };
    case 'unit':
      return { type: 'unit', amount: String(p.amount) };
    default:
      return { type: 'tiered', mode: p.type as 'graduated' | 'volume', tiers: (p.tiers as S['BillingPriceGraduated']['tiers']).map(fromApiTier) };
  }
}

/**
 * PUT is a full replace of the mutable parts; an omitted `lines` array leaves the lines as they
 * are (`current`), a given one creates, merges and deletes by id.
 */
export function fromApiInvoiceUpdate(id: string, b: S['UpdateInvoiceStandardRequest'], current: InvoiceView): UpdateInvoiceInput {
  const wf = b.workflow?.workflow;
  const pay = wf?.payment as { due_after?: string } | undefined;
  const lines = b.lines;
  return {
    id,
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.labels ? { metadata: b.labels } : {}),
    supplier: {
      name: b.supplier.name ?? '',
      ...(b.supplier.tax_id ? { taxId: { ...(b.supplier.tax_id.code !== undefined ? { code: b.supplier.tax_id.code } : {}) } } : {}),
      ...(b.supplier.addresses?.billing_address ? { addresses: [fromApiAddress(b.supplier.addresses.billing_address as S['Address'])] } : {}),
    },
    customer: {
      name: b.customer.name,
      ...(b.customer.billing_address ? { addresses: [fromApiAddress(b.customer.billing_address as S['Address'])] } : {}),
    },
    workflow: {
      autoAdvance: wf?.invoicing?.auto_advance ?? true,
      draftPeriod: wf?.invoicing?.draft_period ?? 'P0D',
      dueAfter: pay?.due_after ?? 'P30D',
      collectionMethod: pay?.due_after !== undefined ? 'send_invoice' : 'charge_automatically',
    },
    lines: lines
      ? lines.map((l) => ({
          ...(l.id ? { id: l.id } : {}),
          name: l.name,
          ...(l.description !== undefined ? { description: l.description } : {}),
          ...(l.labels ? { metadata: l.labels } : {}),
          period: { from: l.service_period.from, to: l.service_period.to },
          invoiceAt: current.lines.find((x) => x.id === l.id)?.invoiceAt ?? l.service_period.to,
          price: fromApiLinePrice(l.rate_card.price as unknown as Record<string, unknown>, current.lines.find((x) => x.id === l.id)?.price.type === 'flat' ? ((current.lines.find((x) => x.id === l.id)!.price as { paymentTerm?: string }).paymentTerm) : undefined),
          ...(l.rate_card.feature_key ? { featureKey: l.rate_card.feature_key } : {}),
          ...(l.rate_card.discounts
            ? {
                discounts: {
                  ...(l.rate_card.discounts.percentage !== undefined ? { percentage: { percentage: l.rate_card.discounts.percentage } } : {}),
                  ...(l.rate_card.discounts.usage !== undefined ? { usage: { quantity: String(l.rate_card.discounts.usage) } } : {}),
                },
              }
            : {}),
        }))
      : current.lines
          .filter((l) => !l.deletedAt)
          .map((l) => ({
            id: l.id,
            name: l.name,
            ...(l.description !== undefined ? { description: l.description } : {}),
            ...(l.metadata ? { metadata: l.metadata } : {}),
            period: l.period,
            invoiceAt: l.invoiceAt,
            price: l.price,
            ...(l.featureKey ? { featureKey: l.featureKey } : {}),
            ...(l.discounts ? { discounts: l.discounts } : {}),
          })),
  };
}
