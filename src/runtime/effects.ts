import type { ProvisionConsumerInput } from '../domain/monetization/MonetizationService.ts';
import { EffectType, type Effect } from '../domain/shared/effects.ts';
import { accountNamespace } from '../surfaces/http/namespaces.ts';
import { toGoTimes } from '../surfaces/http/wireTime.ts';
import { StripeCallError } from './stripeGateway.ts';
import { performStripeInvoiceOperation, retryStripeInvoicePayment, type StripeInvoicingContext } from './stripeInvoicing.ts';
import { deliverWebhook } from './webhookDelivery.ts';
import type { AppOperation } from '../domain/billing/invoices/types.ts';

/** How the dispatcher reaches back into the emulator: more commands, in any namespace. */
export type EffectContext = StripeInvoicingContext;

type EffectHandler = (ctx: EffectContext, namespace: string, effect: Effect) => Promise<void>;

/**
 * Performs the effects a command queued, after that command committed: outbound calls
 * (webhooks today; Stripe next) and follow-up commands in other namespaces. Outcomes are
 * recorded by ordinary commands, whose own effects are performed in turn. A failure to carry
 * one out is the effect's own business (a webhook records FAILED); it never undoes the command.
 */
export class EffectDispatcher {
  private readonly handlers = new Map<string, EffectHandler>([
    [EffectType.deliverNotification, deliverNotification],
    [EffectType.provisionProjectBuckets, provisionProjectBuckets],
    [EffectType.invoiceAppOperation, invoiceAppOperation],
    [EffectType.deleteStripeWebhookEndpoint, deleteStripeWebhookEndpoint],
    [EffectType.subscriptionChanged, (ctx, ns, e) => subscriptionsChanged(ctx, ns, [e])],
    [EffectType.retryInvoicePayment, (ctx, ns, e) => retryStripeInvoicePayment(ctx, ns, { invoiceId: e.invoiceId as string, appId: e.appId as string })],
    [EffectType.provisionSubscriptionConsumer, provisionSubscriptionConsumer],
  ]);

  constructor(private readonly ctx: EffectContext) {}

  async dispatch(namespace: string, effects: readonly Effect[]): Promise<void> {
    // invoicing-app operations of one command are reported in one command: a collection run
    // that creates a thousand invoices commits their reports once, not a thousand times
    // one command's subscription events sync each customer once (a change cancels one and creates another)
    const subs = effects.filter((e) => e.type === EffectType.subscriptionChanged);
    if (subs.length > 1) {
      await this.dispatch(namespace, effects.filter((e) => e.type !== EffectType.subscriptionChanged));
      await subscriptionsChanged(this.ctx, namespace, subs);
      return;
    }
    const appOps = effects.filter((e) => e.type === EffectType.invoiceAppOperation && e.remote !== true);
    if (appOps.length > 1) {
      await this.dispatch(namespace, effects.filter((e) => !appOps.includes(e)));
      await invoiceAppOperations(this.ctx, namespace, appOps);
      return;
    }
    for (const e of effects) {
      const handle = this.handlers.get(e.type);
      if (!handle) throw new Error(`no dispatcher for effect ${e.type}`);
      await handle(this.ctx, namespace, e);
    }
  }
}

/** POSTs every pending delivery of the event in parallel and records each outcome. */
const deliverNotification: EffectHandler = async (ctx, ns, effect) => {
  const eventId = effect.eventId as string;
  const pending = ctx.read(ns, (tx) => ctx.services.notifications.pendingDeliveries(tx, { eventId }));
  // OpenMeter writes Go RFC 3339 instants in webhook payloads as on its API
  const outcomes = await Promise.all(pending.map((d) => deliverWebhook(d, { clock: ctx.clock, encode: toGoTimes })));
  for (const o of outcomes) await ctx.run(ns, (tx) => ctx.services.notifications.recordDelivery(tx, o));
};

/** A project's production / preview / working-copy buckets live in its account's namespace. */
const provisionProjectBuckets: EffectHandler = async (ctx, _ns, effect) => {
  const accountName = effect.accountName as string;
  const projectName = effect.projectName as string;
  await ctx.run(accountNamespace(accountName), (tx) => ctx.services.apiKeys.ensureProjectBuckets(tx, { accountName, projectName }));
};

/** a monetized subscription's consumer and key, in the Zuplo account's key bucket */
const provisionSubscriptionConsumer: EffectHandler = async (ctx, _ns, effect) => {
  const { type: _t, accountName, ...input } = effect as unknown as { type: string; accountName: string } & ProvisionConsumerInput;
  await ctx.run(accountNamespace(accountName), (tx) => ctx.services.monetization.provisionConsumer(tx, input));
};

/**
 * An invoicing app's upsert / finalize / delete of an invoice. The sandbox and custom invoicing
 * apps call nothing outside, so performing the operation is reporting it done; the Stripe app
 * (`remote`) calls Stripe first and reports its answers. The outcome moves the invoice on as an
 * ordinary command (whose own effects follow).
 */
const invoiceAppOperation: EffectHandler = (ctx, ns, effect) =>
  effect.remote === true
    ? performStripeInvoiceOperation(ctx, ns, { invoiceId: effect.invoiceId as string, operation: effect.operation as AppOperation, appId: effect.appId as string })
    : invoiceAppOperations(ctx, ns, [effect]);

async function invoiceAppOperations(ctx: EffectContext, ns: string, effects: readonly Effect[]): Promise<void> {
  await ctx.run(ns, (tx) => {
    for (const e of effects) {
      ctx.services.invoices.completeAppOperation(tx, { invoiceId: e.invoiceId as string, operation: e.operation as 'upsert' | 'finalize' | 'delete' });
    }
  });
}
/**
 * Billing reacts to subscription events as OpenMeter's subscription-sync worker does, in a
 * command of its own: a failure there leaves the subscription change in place (the real worker
 * logs and retries the event).
 */
async function subscriptionsChanged(ctx: EffectContext, ns: string, effects: readonly Effect[]): Promise<void> {
  const byCustomer = new Map<string, Array<{ subscriptionId: string; until: string }>>();
  for (const e of effects) {
    const horizons = byCustomer.get(e.customerId as string) ?? [];
    if (typeof e.until === 'string') horizons.push({ subscriptionId: e.subscriptionId as string, until: e.until });
    byCustomer.set(e.customerId as string, horizons);
  }
  for (const [customerId, horizons] of byCustomer) {
    try {
      await ctx.run(ns, (tx) => ctx.services.invoices.synchronizeSubscriptionsAndInvoice(tx, { customerId, horizons }));
    } catch (err) {
      console.error(`[localmeter] billing could not sync the subscriptions of customer ${customerId}: ${(err as Error).message}`);
    }
  }
}

/**
 * An uninstalled Stripe app's endpoint is removed from Stripe (service/factory.go UninstallApp):
 * 404 and 401 are ignored there; any other failure is logged and leaves the endpoint behind.
 */
const deleteStripeWebhookEndpoint: EffectHandler = async (ctx, _ns, effect) => {
  try {
    await ctx.stripe.deleteWebhookEndpoint(effect.apiKey as string, effect.webhookId as string);
  } catch (e) {
    if (e instanceof StripeCallError && (e.status === 404 || e.status === 401)) return;
    console.error(`[localmeter] could not delete Stripe webhook endpoint ${String(effect.webhookId)} of app ${String(effect.appId)}: ${(e as Error).message}`);
  }
};
