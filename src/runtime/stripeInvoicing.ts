import type Stripe from 'stripe';
import { daysUntilDue, STRIPE_METADATA, stripeInvoiceItems, stripeIssue, type StripeItem } from '../domain/billing/invoices/apps/stripeApp.ts';
import type { AppOperationResult } from '../domain/billing/invoices/ports.ts';
import type { AppOperation, Invoice } from '../domain/billing/invoices/types.ts';
import type { App, CustomerAppData, StripeAppSecrets } from '../domain/apps/types.ts';
import type { ValidationIssue } from '../domain/shared/errors.ts';
import type { Clock } from '../domain/shared/clock.ts';
import type { UnitOfWork } from '../domain/shared/unitOfWork.ts';
import type { Services } from './services.ts';
import { StripeCallError, type StripeGateway } from './stripeGateway.ts';

/**
 * How the effect dispatcher reaches back into the emulator (more commands, in any namespace);
 * declared here so `effects.ts` imports it and not the other way round.
 */
export interface StripeInvoicingContext {
  services: Services;
  clock: Clock;
  stripe: StripeGateway;
  /** the emulated Stripe's automatic collection of these invoices (absent with `--stripe-api-base`: a real Stripe collects by itself) */
  collectStripe?: (stripeInvoiceIds: readonly string[]) => Promise<void>;
  run<T>(ns: string, fn: (tx: UnitOfWork) => T): Promise<T>;
  read<T>(ns: string, fn: (tx: UnitOfWork) => T): T;
}
type EffectContext = StripeInvoicingContext;

/**
 * The Stripe app's invoice operations (openmeter/app/stripe/appinvoice.go, appcustomer.go;
 * stripe.md §6), performed after the command that entered `draft.syncing`, `issuing.syncing` or
 * `delete.syncing` committed. Every call goes through the `stripe` SDK; the outcome is reported
 * through `InvoiceService.completeAppOperation` with Stripe's ids, or with the error as the
 * invoice's critical issue (§6.7), which fails the syncing state.
 */

interface SyncContext {
  ns: string;
  invoice: Invoice;
  app: App;
  secrets: StripeAppSecrets;
  data: CustomerAppData | undefined;
  /** the Stripe customer's `invoice_settings.default_payment_method`, once validation read it */
  stripeDefault?: string | null;
}

/** An error the real app returns from an operation: it becomes the invoice's issue text. */
class SyncFailure extends Error {
  constructor(
    message: string,
    readonly code = 'stripe_error',
    readonly op: 'validate' | 'sync' | 'finalize' | 'delete' = 'sync',
  ) {
    super(message);
  }
}

const stripeText = (e: unknown): string => (e instanceof StripeCallError ? `stripe error: ${e.message}` : (e as Error).message);

export async function performStripeInvoiceOperation(ctx: EffectContext, ns: string, input: { invoiceId: string; operation: AppOperation; appId: string }): Promise<void> {
  const sc = ctx.read(ns, (tx): SyncContext | undefined => {
    const invoice = ctx.services.invoices.invoiceById(tx, input.invoiceId);
    const found = ctx.services.apps.stripeSecrets(tx, { id: input.appId });
    if (!invoice || !found) return undefined;
    return { ns, invoice, app: found.app, secrets: found.secrets, data: ctx.services.apps.findCustomerAppData(tx, { customerId: invoice.customerId, appId: input.appId }) };
  });
  let result: AppOperationResult;
  if (!sc) {
    result = { issues: [stripeIssue(input.operation === 'delete' ? 'delete' : 'sync', 'invoiceCustomers', `stripe app not found: ${input.appId}`)] };
  } else {
    try {
      if (input.operation === 'upsert') {
        await validateCustomer(ctx, sc);
        result = await upsert(ctx, sc);
      } else if (input.operation === 'finalize') result = await finalize(ctx, sc);
      else result = await remove(ctx, sc);
    } catch (e) {
      if (e instanceof StripeCallError && e.status === 401) await ctx.run(ns, (tx) => ctx.services.apps.markStripeUnauthorized(tx, { id: input.appId }));
      const op = e instanceof SyncFailure ? e.op : input.operation === 'upsert' ? 'sync' : input.operation === 'finalize' ? 'finalize' : 'delete';
      const code = e instanceof SyncFailure ? e.code : e instanceof StripeCallError && e.code ? e.code : 'stripe_error';
      const issue: ValidationIssue = stripeIssue(op, 'invoiceCustomers', stripeText(e), code);
      result = { issues: [issue] };
    }
  }
  await ctx.run(ns, (tx) => ctx.services.invoices.completeAppOperation(tx, { invoiceId: input.invoiceId, operation: input.operation, result }));
  // Stripe collects a finalized invoice on its own; the emulated one does when asked, now that
  // the app knows the invoice is waiting for its payment
  const external = result.externalIds?.invoicing ?? sc?.invoice.externalIds?.invoicing;
  if (input.operation === 'finalize' && !result.issues?.length && external && ctx.collectStripe) await ctx.collectStripe([external]);
}

/**
 * The card an invoice of this customer is charged with (decision 0033). The real app stamps the
 * payment method it stored from the checkout's `setup_intent.succeeded` on every invoice it
 * creates, and never hears of a card the customer switched to in the billing portal (it handles
 * no `customer.updated`); Zuplo sends its users to the portal to change cards, so its fork must
 * charge that card. Here: when the Stripe customer has an invoice default (only the portal, or
 * whoever calls Stripe directly, sets one), the invoice carries none and Stripe charges the
 * customer's default at charge time; otherwise the stored payment method, as the real app.
 */
function invoicePaymentMethod(stripeDefault: string | null | undefined, data: CustomerAppData | undefined): string | undefined {
  return stripeDefault ? undefined : data?.stripeDefaultPaymentMethodId;
}

const defaultPaymentMethodOf = (c: Stripe.Customer | Stripe.DeletedCustomer): string | null => {
  const d = (c as Stripe.Customer).invoice_settings?.default_payment_method;
  return typeof d === 'string' ? d : (d?.id ?? null);
};

/** A retried payment (decision 0026): Stripe is asked to charge the customer's payment method now. */
export async function retryStripeInvoicePayment(ctx: EffectContext, ns: string, input: { invoiceId: string; appId: string }): Promise<void> {
  const sc = ctx.read(ns, (tx) => {
    const invoice = ctx.services.invoices.invoiceById(tx, input.invoiceId);
    const found = ctx.services.apps.stripeSecrets(tx, { id: input.appId });
    return invoice && found ? { invoice, secrets: found.secrets, data: ctx.services.apps.findCustomerAppData(tx, { customerId: invoice.customerId, appId: input.appId }) } : undefined;
  });
  const stripeId = sc?.invoice.externalIds?.invoicing;
  if (!sc || !stripeId) return;
  try {
    const stripeDefault = sc.data?.stripeCustomerId ? defaultPaymentMethodOf(await ctx.stripe.getCustomer(sc.secrets.apiKey, sc.data.stripeCustomerId)) : null;
    await ctx.stripe.payInvoice(sc.secrets.apiKey, stripeId, invoicePaymentMethod(stripeDefault, sc.data));
  } catch (e) {
    // a declined card is reported by Stripe's invoice.payment_failed webhook, which moved the invoice already
    if (e instanceof StripeCallError && e.status === 401) await ctx.run(ns, (tx) => ctx.services.apps.markStripeUnauthorized(tx, { id: input.appId }));
    else if (!(e instanceof StripeCallError && (e.status === 402 || e.status === 400))) console.error(`[localmeter] could not retry the payment of invoice ${input.invoiceId} in Stripe: ${(e as Error).message}`);
  }
}

// ------------------------------------------------------------------------------- validation

/** appcustomer.go ValidateCustomerByID (stripe.md §6.2). */
async function validateCustomer(ctx: EffectContext, sc: SyncContext): Promise<void> {
  const fail = (m: string) => new SyncFailure(m, 'stripe_customer_invalid', 'validate');
  if (!sc.data?.stripeCustomerId) throw fail('customer has no data for stripe app');
  const key = sc.secrets.apiKey;
  const cus = sc.data.stripeCustomerId;
  let customer: Stripe.Customer | Stripe.DeletedCustomer;
  try {
    customer = await ctx.stripe.getCustomer(key, cus);
  } catch (e) {
    if (e instanceof StripeCallError && e.code === 'resource_missing') throw fail(`stripe customer not found in stripe account [stripe.customer_id=${cus} stripe.account_id=${sc.app.stripeAccountId ?? ''}]`);
    throw e;
  }
  const live = customer as Stripe.Customer;
  sc.stripeDefault = defaultPaymentMethodOf(live);
  if (sc.invoice.workflow.payment.collectionMethod === 'send_invoice') {
    if (!live.email) throw fail(`stripe customer missing email: ${cus}`);
  } else {
    let pm: Stripe.PaymentMethod | undefined;
    if (sc.data.stripeDefaultPaymentMethodId) pm = await ctx.stripe.getPaymentMethod(key, sc.data.stripeDefaultPaymentMethodId);
    else {
      const d = live.invoice_settings?.default_payment_method;
      pm = d && typeof d === 'object' ? d : undefined;
      if (!pm) throw fail('stripe customer must have a default payment method');
    }
    if (!pm.billing_details?.address) throw fail('stripe customer default payment method must have a billing address');
  }
  const tax = sc.invoice.workflow.tax;
  if (tax.enabled && tax.enforced) {
    const status = live.tax?.automatic_tax;
    if (status === 'not_collecting' || status === 'failed' || status === 'unrecognized_location') throw fail(`stripe tax: customer tax status is ${status}`);
  }
}

// -------------------------------------------------------------------------------- operations

const addParams = (item: StripeItem, customer: string, invoice: string): Stripe.InvoiceItemCreateParams => ({ ...item.params, customer, invoice });

/** client/invoice_line.go AddInvoiceLines: POST each item, then list the lines to learn their ids. */
async function addItems(ctx: EffectContext, sc: SyncContext, stripeInvoiceId: string, items: StripeItem[], result: AppOperationResult): Promise<void> {
  if (items.length === 0) return;
  const key = sc.secrets.apiKey;
  const created: Array<{ item: StripeItem; id: string }> = [];
  for (const item of items) created.push({ item, id: (await ctx.stripe.createInvoiceItem(key, addParams(item, sc.data!.stripeCustomerId!, stripeInvoiceId))).id });
  const lines = await ctx.stripe.listInvoiceLines(key, stripeInvoiceId);
  const lineOfItem = new Map<string, string>();
  for (const l of lines) {
    const ii = (l as unknown as { invoice_item?: string | { id: string } | null }).invoice_item;
    const id = typeof ii === 'string' ? ii : ii?.id;
    if (id) lineOfItem.set(id, l.id);
  }
  for (const c of created) {
    const lineId = lineOfItem.get(c.id);
    if (!lineId) throw new SyncFailure(`failed to add line items to invoice in stripe: invoice item ${c.id} not found in the lines of invoice ${stripeInvoiceId}`);
    // credits are not recorded; discounts and lines keep their Stripe line id
    if (c.item.kind === 'discount') result.discountExternalIds = { ...(result.discountExternalIds ?? {}), [c.item.params.metadata.om_line_id]: lineId };
    if (c.item.kind === 'line') result.lineExternalIds = { ...(result.lineExternalIds ?? {}), [c.item.params.metadata.om_line_id]: lineId };
  }
}

/** appinvoice.go UpsertStandardInvoice: create when the invoice has no Stripe id yet, else update. */
async function upsert(ctx: EffectContext, sc: SyncContext): Promise<AppOperationResult> {
  return sc.invoice.externalIds?.invoicing ? update(ctx, sc, sc.invoice.externalIds.invoicing) : create(ctx, sc);
}

async function create(ctx: EffectContext, sc: SyncContext): Promise<AppOperationResult> {
  const inv = sc.invoice;
  const wf = inv.workflow;
  const sendInvoice = wf.payment.collectionMethod === 'send_invoice';
  const stripeDefault = sc.stripeDefault !== undefined ? sc.stripeDefault : defaultPaymentMethodOf(await ctx.stripe.getCustomer(sc.secrets.apiKey, sc.data!.stripeCustomerId!));
  const pm = invoicePaymentMethod(stripeDefault, sc.data);
  const params: Stripe.InvoiceCreateParams = {
    // client/invoice.go sends the OpenMeter code as it is (upper case)
    currency: inv.currency,
    customer: sc.data!.stripeCustomerId!,
    auto_advance: false,
    automatic_tax: { enabled: wf.tax.enabled },
    collection_method: sendInvoice ? 'send_invoice' : 'charge_automatically',
    ...(pm ? { default_payment_method: pm } : {}),
    ...(sendInvoice ? { days_until_due: daysUntilDue(wf.invoicing.dueAfter, ctx.clock.now()) } : {}),
    metadata: { [STRIPE_METADATA.namespace]: sc.ns, [STRIPE_METADATA.appId]: sc.app.id, [STRIPE_METADATA.customerId]: inv.customerId, [STRIPE_METADATA.invoiceId]: inv.id },
  };
  let created: Stripe.Invoice;
  try {
    created = await ctx.stripe.createInvoice(sc.secrets.apiKey, params, `invoice-create-${inv.id}`);
  } catch (e) {
    throw new SyncFailure(`failed to create invoice in stripe: ${stripeText(e)}`, e instanceof StripeCallError && e.code ? e.code : 'stripe_error');
  }
  const result: AppOperationResult = { externalIds: { invoicing: created.id }, ...(created.number ? { invoiceNumber: created.number } : {}) };
  try {
    await addItems(ctx, sc, created.id, stripeInvoiceItems(inv), result);
  } catch (e) {
    // the real app loses the external id here too: a retry creates again with the same idempotency key
    if (e instanceof SyncFailure) throw e;
    throw new SyncFailure(`failed to add line items to invoice in stripe: ${stripeText(e)}`, e instanceof StripeCallError && e.code ? e.code : 'stripe_error');
  }
  return result;
}

/** appinvoice.go updateInvoice (stripe.md §6.4): every kept item is sent again, the rest deleted. */
async function update(ctx: EffectContext, sc: SyncContext, stripeInvoiceId: string): Promise<AppOperationResult> {
  const key = sc.secrets.apiKey;
  const inv = sc.invoice;
  const updated = await ctx.stripe.updateInvoice(key, stripeInvoiceId, { automatic_tax: { enabled: inv.workflow.tax.enabled } });
  const result: AppOperationResult = { externalIds: { invoicing: updated.id }, ...(updated.number ? { invoiceNumber: updated.number } : {}) };
  const lines = await ctx.stripe.listInvoiceLines(key, stripeInvoiceId);
  const toRemove = new Set<string>();
  const byId = new Map<string, Stripe.InvoiceLineItem>();
  const creditLines = new Map<string, Stripe.InvoiceLineItem>();
  for (const l of lines) {
    const ii = (l as unknown as { invoice_item?: string | { id: string } | null }).invoice_item;
    const itemId = typeof ii === 'string' ? ii : ii?.id;
    if (!itemId) continue;
    toRemove.add(l.id);
    byId.set(l.id, l);
    byId.set(itemId, l);
    if (l.metadata?.[STRIPE_METADATA.lineType] === 'credit' && l.metadata[STRIPE_METADATA.lineId]) creditLines.set(l.metadata[STRIPE_METADATA.lineId]!, l);
  }
  const adds: StripeItem[] = [];
  const updates: Array<{ id: string; item: StripeItem }> = [];
  const items = stripeInvoiceItems(inv);
  const lineExternal = new Map<string, string | undefined>();
  for (const it of items) if (it.kind === 'line') lineExternal.set(it.detailedLineId, it.externalId);
  for (const it of items) {
    const existing = it.kind === 'credit' ? creditLines.get(it.params.metadata.om_line_id) : it.externalId ? byId.get(it.externalId) : undefined;
    if (it.kind !== 'credit' && it.externalId && !existing) throw new SyncFailure(`${it.kind} not found in stripe lines: ${it.externalId}`);
    if (!existing) {
      adds.push(it);
      continue;
    }
    toRemove.delete(existing.id);
    updates.push({ id: existing.id, item: it });
    if (it.kind === 'line') result.lineExternalIds = { ...(result.lineExternalIds ?? {}), [it.detailedLineId]: existing.id };
    // the real quirk: a kept discount is recorded with its parent line's Stripe id
    if (it.kind === 'discount') {
      const parent = lineExternal.get(it.detailedLineId);
      if (parent) result.discountExternalIds = { ...(result.discountExternalIds ?? {}), [it.params.metadata.om_line_id]: parent };
    }
  }
  await addItems(ctx, sc, stripeInvoiceId, adds, result);
  for (const u of updates) await ctx.stripe.updateInvoiceItem(key, u.id, u.item.params);
  for (const id of toRemove) await ctx.stripe.deleteInvoiceItem(key, id);
  return result;
}

/** issuing.syncing: the upsert runs again, then FinalizeStandardInvoice (stripe.md §6.6). */
async function finalize(ctx: EffectContext, sc: SyncContext): Promise<AppOperationResult> {
  const synced = await upsert(ctx, sc);
  const stripeId = synced.externalIds?.invoicing;
  if (!stripeId) throw new SyncFailure('stripe invoice id is required', 'stripe_error', 'finalize');
  const key = sc.secrets.apiKey;
  let done: Stripe.Invoice;
  try {
    done = await ctx.stripe.finalizeInvoice(key, stripeId);
  } catch (e) {
    if (!(e instanceof StripeCallError && e.code === 'customer_tax_location_invalid')) throw new SyncFailure(`failed to finalize invoice in stripe: ${stripeText(e)}`, e instanceof StripeCallError && e.code ? e.code : 'stripe_error', 'finalize');
    if (sc.invoice.workflow.tax.enforced) throw new SyncFailure(`tax enforced but stripe tax returns error: ${stripeText(e)}`, e.code, 'finalize');
    await ctx.stripe.updateInvoice(key, stripeId, { automatic_tax: { enabled: false } });
    done = await ctx.stripe.finalizeInvoice(key, stripeId);
  }
  const pi = (done as unknown as { payment_intent?: string | { id: string } | null }).payment_intent;
  const paymentId = typeof pi === 'string' ? pi : pi?.id;
  return {
    ...synced,
    ...(done.number ? { invoiceNumber: done.number } : {}),
    externalIds: { ...(synced.externalIds ?? {}), ...(paymentId ? { payment: paymentId } : {}) },
  };
}

/** DeleteStandardInvoice: the real quirk — an invoice never synced has no Stripe id and fails. */
async function remove(ctx: EffectContext, sc: SyncContext): Promise<AppOperationResult> {
  const id = sc.invoice.externalIds?.invoicing;
  if (!id) throw new SyncFailure('stripe invoice id is required', 'stripe_error', 'delete');
  await ctx.stripe.deleteInvoice(sc.secrets.apiKey, id);
  return {};
}
