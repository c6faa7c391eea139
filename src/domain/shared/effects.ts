/**
 * Something a command wants done in the outside world (a webhook POST, a Stripe call) or in
 * another namespace (a project's key buckets) once it has committed. Commands never perform
 * I/O: they queue effects on their unit of work (`tx.afterCommit`), the runtime performs them
 * after the commit, and a command that throws takes its effects with it.
 *
 * An effect is plain data, named `<domain>.<verb>`; the runtime's dispatcher knows how to carry
 * each type out and records outcomes through ordinary commands.
 */
export interface Effect {
  readonly type: string;
  readonly [field: string]: unknown;
}

export const EffectType = {
  /** POST the pending deliveries of a notification event to their channels */
  deliverNotification: 'notifications.deliver',
  /** give a new Zuplo project its production / preview / working-copy key buckets */
  provisionProjectBuckets: 'platform.provisionProjectBuckets',
  /** perform an invoicing app's upsert / finalize / delete of an invoice and report back */
  invoiceAppOperation: 'billing.invoiceAppOperation',
  /** ask a remote invoicing app (Stripe) to collect a retried invoice's payment again (decision 0026) */
  retryInvoicePayment: 'billing.retryInvoicePayment',
  /** remove the webhook endpoint of an uninstalled Stripe app from Stripe (404 and 401 ignored) */
  deleteStripeWebhookEndpoint: 'apps.deleteStripeWebhookEndpoint',
  /**
   * a subscription was created, changed, canceled, continued or deleted: billing syncs the
   * customer's lines (the subscription up to `until`, its end on cancel) and invoices what is
   * billable now, as OpenMeter's subscription-sync worker does on the subscription events
   */
  subscriptionChanged: 'subscriptions.changed',
  /** create (or re-point) a monetized subscription's API-key consumer in the Zuplo account's key bucket */
  provisionSubscriptionConsumer: 'monetization.provisionConsumer',
} as const;
