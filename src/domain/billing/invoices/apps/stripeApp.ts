import { AppType } from '../../../apps/types.ts';
import { fiatCurrency } from '../../../shared/currencies.ts';
import { currencyPrecision, D, dec } from '../../../shared/money.ts';
import type { ValidationIssue } from '../../../shared/errors.ts';
import { addDuration, parseDuration } from '../../../shared/recurrence.ts';
import type { InvoicingApp } from '../ports.ts';
import { InvoiceStatus as S, InvoiceTrigger as T, type Invoice, type InvoiceStatus, type InvoiceTrigger } from '../types.ts';

/**
 * The Stripe invoicing app as billing sees it (openmeter/app/stripe/appinvoice.go,
 * calculator.go, httpdriver/webhook.go): what the invoice looks like in Stripe and what Stripe's
 * invoice events do to it. The Stripe calls themselves are made by the runtime
 * (`runtime/stripeInvoicing.ts`) after the command that entered `draft.syncing`,
 * `issuing.syncing` or `delete.syncing` committed; it reports Stripe's answers back through
 * `InvoiceService.completeAppOperation` (decision 0012). Nothing here performs I/O.
 */
export const stripeInvoicingApp: InvoicingApp = {
  type: AppType.stripe,
  remote: true,
  // appcustomer.go ValidateCustomerByID: the mapping is checked here (draft.invalid without it);
  // what Stripe must confirm is checked by the upsert after the commit (stripe.md §6.2)
  validate: (_invoice, _app, ctx) => (ctx.customerData?.stripeCustomerId ? [] : [stripeIssue('validate', 'invoiceCustomers', 'customer has no data for stripe app', 'stripe_customer_data_missing')]),
  upsert: () => ({}),
  finalize: () => ({}),
  delete: () => ({}),
  canDraftSyncAdvance: () => true,
  canIssuingSyncAdvance: () => true,
  // no post-advance hook: a Stripe invoice waits in payment_processing.pending for a webhook
};

export const STRIPE_METADATA = {
  namespace: 'om_namespace',
  appId: 'om_app_id',
  customerId: 'om_customer_id',
  invoiceId: 'om_invoice_id',
  lineId: 'om_line_id',
  lineType: 'om_line_type',
} as const;

export type StripeItemKind = 'line' | 'discount' | 'credit';

/** One `POST /v1/invoiceitems` (without `customer` / `invoice`, which only adds carry). */
export interface StripeItemParams {
  description: string;
  amount: number;
  period: { start: number; end: number };
  metadata: { om_line_id: string; om_line_type: StripeItemKind };
  tax_behavior?: 'inclusive' | 'exclusive';
  tax_code?: string;
}

/** The detailed line (or discount) an item stands for: where its Stripe line id is recorded. */
export interface StripeItem {
  params: StripeItemParams;
  /** the detailed line this item belongs to */
  detailedLineId: string;
  /** the stored external id of the line / discount (update addresses the item by it) */
  externalId?: string;
  /** credits are matched by `om_line_id` of a credit line instead */
  kind: StripeItemKind;
}

const unix = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/** `StripeCalculator.RoundToAmount`: minor units, half away from zero. */
export function toStripeAmount(amount: string, currency: string): number {
  return dec(amount).mul(new D(10).pow(currencyPrecision(currency))).toDecimalPlaces(0, D.ROUND_HALF_UP).toNumber();
}

const group = (digits: string, sep: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);

/** `FormatQuantity`: an integer with thousands separators, otherwise two decimals. */
export function formatQuantity(q: string): string {
  const d = dec(q);
  if (d.isInteger()) return (d.isNegative() ? '-' : '') + group(d.abs().toFixed(0), ',');
  const [i, f] = d.abs().toFixed(2).split('.') as [string, string];
  return `${d.isNegative() ? '-' : ''}${group(i, ',')}.${f}`;
}

/**
 * `FormatAmount`: the currency's symbol and grouping. A non-integer amount is printed with as
 * many decimals as `amount × 10^12` has digits (alpacadecimal's fixed-point `NumDigits`, the real
 * quirk: `0.5` prints `$0.500000000000`).
 */
export function formatAmount(amount: string, currency: string): string {
  const c = fiatCurrency(currency.toUpperCase());
  const symbol = c?.symbol ?? currency.toUpperCase();
  const sep = c?.thousandSeparator ?? ',';
  const mark = c?.decimalMark ?? '.';
  const d = dec(amount);
  const sign = d.isNegative() ? '-' : '';
  if (d.isInteger()) return `${sign}${symbol}${group(d.abs().toFixed(0), sep)}`;
  const places = d.abs().mul(new D(10).pow(12)).trunc().toFixed(0).length;
  const [i, f] = d.abs().toFixed(places).split('.') as [string, string];
  return `${sign}${symbol}${group(i, sep)}${mark}${f}`;
}

/**
 * The invoice items of an invoice, in the order the real app sends them (stripe.md §6.5): per
 * detailed line its amount discounts, its applied credits, then the line itself. The intended
 * sort by description never matches its own parameter types there, so this order stays.
 */
export function stripeInvoiceItems(inv: Invoice): StripeItem[] {
  const items: StripeItem[] = [];
  const defaultTax = (inv.workflow.invoicing as { defaultTaxConfig?: { behavior?: string; stripe?: { code?: string } } }).defaultTaxConfig;
  for (const line of inv.lines) {
    if (line.deletedAt) continue;
    const tax = { ...(defaultTax ?? {}), ...(line.taxConfig ?? {}) } as { behavior?: string; stripe?: { code?: string } };
    const taxParams: Pick<StripeItemParams, 'tax_behavior' | 'tax_code'> = {
      ...(tax.behavior === 'inclusive' || tax.behavior === 'exclusive' ? { tax_behavior: tax.behavior as 'inclusive' | 'exclusive' } : {}),
      ...(tax.stripe?.code ? { tax_code: tax.stripe.code } : {}),
    };
    for (const d of line.detailedLines ?? []) {
      const period = d.period ?? line.period;
      const p = { start: unix(period.from), end: unix(period.to) };
      // detailed lines carry no description of their own here: the name is the whole text
      const name = d.name;
      for (const a of d.amountDiscounts) {
        const id = a.id ?? d.id;
        items.push({
          kind: 'discount',
          detailedLineId: d.id,
          ...(a.externalIds?.invoicing ? { externalId: a.externalIds.invoicing } : {}),
          params: {
            description: a.description ? `${name} (${a.description})` : name,
            amount: -toStripeAmount(dec(a.amount).add(dec((a as { roundingAmount?: string }).roundingAmount ?? '0')).toString(), inv.currency),
            period: p,
            metadata: { om_line_id: id, om_line_type: 'discount' },
            ...taxParams,
          },
        });
      }
      for (const c of d.creditsApplied) {
        const id = c.creditRealizationId ?? d.id;
        items.push({
          kind: 'credit',
          detailedLineId: d.id,
          params: {
            description: `credits applied for ${name}${c.description ? ` (${c.description})` : ''}`,
            amount: -toStripeAmount(c.amount, inv.currency),
            period: p,
            metadata: { om_line_id: id, om_line_type: 'credit' },
            ...taxParams,
          },
        });
      }
      const amount = dec(d.totals.amount).isZero() ? d.totals.chargesTotal : d.totals.amount;
      const qty = dec(d.quantity);
      const description = qty.gt(1) || qty.isNegative() ? `${name} (${formatQuantity(d.quantity)} x ${formatAmount(d.perUnitAmount, inv.currency)})` : name;
      items.push({
        kind: 'line',
        detailedLineId: d.id,
        ...(d.externalIds?.invoicing ? { externalId: d.externalIds.invoicing } : {}),
        params: { description, amount: toStripeAmount(amount, inv.currency), period: p, metadata: { om_line_id: d.id, om_line_type: 'line' }, ...taxParams },
      });
    }
  }
  return items;
}

/**
 * `days_until_due` of a send_invoice invoice: the whole days of `dueAfter`; a due period that
 * truncates to 0 days (`P1M`) counts the days between now and now + dueAfter, rounded.
 */
export function daysUntilDue(dueAfter: string, now: Date): number {
  const d = parseDuration(dueAfter);
  if (!d) return 0;
  // `Period.DaysDecimal` ignores years and months
  const days = Math.floor(d.weeks * 7 + d.days + (d.hours * 3600 + d.minutes * 60 + d.seconds) / 86400);
  if (days > 0) return days;
  return Math.round((addDuration(now, d).getTime() - now.getTime()) / 86_400_000);
}

/** A Stripe error turned into the invoice's critical issue (stripe.md §6.7). */
export function stripeIssue(op: 'validate' | 'sync' | 'finalize' | 'delete', capability: 'invoiceCustomers' | 'collectPayments', message: string, code = 'stripe_error'): ValidationIssue {
  return { code, message, severity: 'critical', component: `app.stripe.${capability}.${op}` };
}

// ------------------------------------------------------------------------------ invoice events

/** What a Stripe invoice event does (httpdriver/webhook.go HandleInvoiceStateTransition). */
export interface StripeInvoiceEventRule {
  trigger: InvoiceTrigger;
  /** already there: nothing to do */
  targets: InvoiceStatus[];
  /** short-status categories (or exact statuses) in which the event is ignored */
  ignore: string[];
  /** the check on the Stripe invoice as fetched now (late events are ruled out) */
  check: (stripe: { status?: string | null; last_finalization_error?: unknown }) => boolean;
}

export const STRIPE_INVOICE_EVENTS: Record<string, StripeInvoiceEventRule> = {
  'invoice.paid': { trigger: T.paid, targets: [S.paid], ignore: [], check: (i) => i.status === 'paid' },
  'invoice.payment_failed': { trigger: T.failed, targets: [S.paymentFailed], ignore: ['paid', 'uncollectible'], check: (i) => i.status === 'open' },
  'invoice.payment_action_required': { trigger: T.actionRequired, targets: [S.paymentActionRequired], ignore: ['paid', 'uncollectible'], check: (i) => i.status === 'open' },
  'invoice.overdue': { trigger: T.paymentOverdue, targets: [S.overdue], ignore: ['uncollectible'], check: (i) => i.status === 'open' },
  'invoice.marked_uncollectible': { trigger: T.paymentUncollectible, targets: [S.uncollectible], ignore: [], check: (i) => i.status === 'uncollectible' },
  'invoice.voided': { trigger: T.void, targets: [S.voided], ignore: ['paid'], check: (i) => i.status === 'void' },
  'invoice.finalization_failed': {
    trigger: T.failed,
    targets: [S.issuingSyncFailed, S.paymentFailed],
    ignore: ['payment_processing', 'paid', 'uncollectible'],
    check: (i) => i.last_finalization_error !== null && i.last_finalization_error !== undefined,
  },
};

/** `StandardInvoiceStatusCategory…` matchers: the part before the first dot. */
export const inStatusCategory = (status: InvoiceStatus, categories: string[]): boolean => categories.includes(status.split('.')[0]!);
