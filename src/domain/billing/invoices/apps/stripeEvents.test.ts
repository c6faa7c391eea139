import { describe, expect, it } from 'vitest';
import { createServiceWorld } from '../../../../runtime/serviceWorld.ts';
import { AppOperation, InvoiceStatus } from '../types.ts';

/**
 * Stripe's invoice events against billing's state machine (service/billing.go
 * HandleInvoiceStateTransition). The real service serialises a webhook behind the invoice's lock,
 * so an event never meets an invoice whose app call is still running; here the event waits on the
 * invoice until the operation's report is in.
 */
function world() {
  const w = createServiceWorld();
  const { services, tx } = w;
  const { app } = services.billingProfiles.installApp(tx, {
    app: { method: 'apiKey', type: 'stripe', apiKey: 'sk_test_51LocalmeterEvents', stripe: { appId: 'app_stripe', accountId: 'acct_1', webhookId: 'we_1', webhookSecret: 'whsec_1' } },
    createBillingProfile: true,
  } as never);
  const customer = services.customers.createCustomer(tx, { name: 'Ada', key: 'ada', usageAttribution: { subjectKeys: ['ada'] } } as never);
  services.stripeApps.linkStripeCustomer(tx, { appId: app.id, customerId: customer.id, stripeCustomerId: 'cus_1', stripeDefaultPaymentMethodId: 'pm_1' });
  services.invoices.createPendingLines(tx, {
    customerId: customer.id,
    currency: 'USD',
    lines: [{ name: 'Pro plan', period: { from: '2025-12-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, invoiceAt: '2025-12-01T00:00:00Z', price: { type: 'flat', amount: '49' } as never }],
  });
  const [inv] = services.invoices.invoicePendingLines(tx, { customerId: customer.id });
  return { ...w, app, invoiceId: inv!.id };
}

describe('Stripe invoice events (httpdriver/webhook.go)', () => {
  it('invoice.paid arriving while the finalize call still runs waits for its report, then pays the invoice', () => {
    const { services, tx, app, invoiceId } = world();
    const status = () => services.invoices.getInvoice(tx, { id: invoiceId }).status;
    expect(status()).toBe(InvoiceStatus.draftSyncing);
    services.invoices.completeAppOperation(tx, { invoiceId, operation: AppOperation.upsert, result: { externalIds: { invoicing: 'in_1' } } });
    expect(status()).toBe(InvoiceStatus.issuingSyncing);
    services.invoices.applyStripeInvoiceEvent(tx, { appId: app.id, stripeInvoiceId: 'in_1', type: 'invoice.paid', created: 1767225600, current: { status: 'paid' } });
    expect(status()).toBe(InvoiceStatus.issuingSyncing);
    services.invoices.completeAppOperation(tx, { invoiceId, operation: AppOperation.finalize, result: { invoiceNumber: 'ABC-0001', externalIds: { invoicing: 'in_1', payment: 'pi_1' } } });
    const inv = services.invoices.getInvoice(tx, { id: invoiceId });
    expect(inv).toMatchObject({ status: InvoiceStatus.paid, number: 'ABC-0001', validationIssues: [] });
    expect(inv.pendingAppEvents).toBeUndefined();
  });

  it.each([
    ['invoice.payment_failed', 'open', InvoiceStatus.paymentFailed],
    ['invoice.payment_action_required', 'open', InvoiceStatus.paymentActionRequired],
    ['invoice.overdue', 'open', InvoiceStatus.overdue],
    ['invoice.marked_uncollectible', 'uncollectible', InvoiceStatus.uncollectible],
    ['invoice.voided', 'void', InvoiceStatus.voided],
    // the Stripe invoice as fetched now rules out late events
    ['invoice.paid', 'open', InvoiceStatus.paymentPending],
    ['invoice.voided', 'open', InvoiceStatus.paymentPending],
  ])('%s with the Stripe invoice %s → %s', (type, stripeStatus, expected) => {
    const { services, tx, app, invoiceId } = world();
    services.invoices.completeAppOperation(tx, { invoiceId, operation: AppOperation.upsert, result: { externalIds: { invoicing: 'in_1' } } });
    services.invoices.completeAppOperation(tx, { invoiceId, operation: AppOperation.finalize, result: { externalIds: { invoicing: 'in_1' } } });
    expect(services.invoices.getInvoice(tx, { id: invoiceId }).status).toBe(InvoiceStatus.paymentPending);
    services.invoices.applyStripeInvoiceEvent(tx, { appId: app.id, stripeInvoiceId: 'in_1', type, created: 1767225600, current: { status: stripeStatus } });
    expect(services.invoices.getInvoice(tx, { id: invoiceId }).status).toBe(expected);
  });

  it('an event about another app\'s invoice is an error (500 there); an unknown Stripe invoice is nothing', () => {
    const { services, tx, invoiceId } = world();
    services.invoices.completeAppOperation(tx, { invoiceId, operation: AppOperation.upsert, result: { externalIds: { invoicing: 'in_1' } } });
    expect(() => services.invoices.applyStripeInvoiceEvent(tx, { appId: 'other', stripeInvoiceId: 'in_1', type: 'invoice.paid', created: 0, current: { status: 'paid' } })).toThrow(/not managed by the app/);
    expect(() => services.invoices.applyStripeInvoiceEvent(tx, { appId: 'other', stripeInvoiceId: 'in_unknown', type: 'invoice.paid', created: 0, current: { status: 'paid' } })).not.toThrow();
  });
});
