import type Stripe from 'stripe';
import { STRIPE_WEBHOOK_DESCRIPTION, STRIPE_WEBHOOK_EVENTS, type CurrentStripeInvoice, type CustomerStripeContext } from '../domain/apps/StripeAppService.ts';
import { AppType, type App, type StripeInstallFacts, type UpdateAppInput } from '../domain/apps/types.ts';
import type { Clock } from '../domain/shared/clock.ts';
import { DomainError, ErrorKind, notFound, validationError } from '../domain/shared/errors.ts';
import type { IdGenerator } from '../domain/shared/ids.ts';
import type { UnitOfWork } from '../domain/shared/unitOfWork.ts';
import { verifyStripeSignature } from '../stripe/signature.ts';
import type { StripeAppPort } from '../surfaces/http/emulatorPort.ts';
import type { Services } from './services.ts';
import { StripeCallError, type StripeGateway } from './stripeGateway.ts';

export interface StripeAppDeps {
  services: Services;
  clock: Clock;
  ids: IdGenerator;
  gateway: StripeGateway;
  run<T>(ns: string, fn: (tx: UnitOfWork) => T): Promise<T>;
  read<T>(ns: string, fn: (tx: UnitOfWork) => T): T;
  /** namespaces with data (a webhook names only the app) */
  namespaces(): string[];
  /** where Stripe reaches this emulator (the webhook URL registered at install) */
  baseUrl(): string;
}

/** stripe-go's webhook tolerance in OpenMeter (httpdriver/webhook.go): 10 000 hours. */
const WEBHOOK_TOLERANCE_SECONDS = 10_000 * 3600;
const WEBHOOK_MAX_BYTES = 512 * 1024;

/**
 * The Stripe app's operations: each reads what it needs, calls Stripe through the SDK, then
 * runs one command with Stripe's answers (docs/decisions/0014). A 401 from Stripe on an app's
 * stored key marks the app `unauthorized` (its own command) and answers 401.
 */
export function createStripeApp(d: StripeAppDeps): StripeAppPort {
  const s = d.services;

  /** Stripe's answer as OpenMeter maps it (client/client.go, client/appclient.go providerError). */
  const providerError = (e: unknown): DomainError => {
    if (!(e instanceof StripeCallError)) return e as DomainError;
    if (e.status === 400) return validationError('stripe_error', `stripe error: ${e.message}, request log url: ${e.requestLogUrl ?? ''}`);
    if (e.status === 401) return new DomainError(ErrorKind.unauthorized, 'stripe_unauthorized', `stripe authentication error: ${e.message}`);
    return new DomainError(ErrorKind.preconditionFailed, 'stripe_provider_error', `stripe error: ${e.message}`);
  };

  /** A call with an app's stored key: a 401 flips the app to `unauthorized`. */
  const withApp = async <T>(ns: string, appId: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      if (e instanceof StripeCallError && e.status === 401) await d.run(ns, (tx) => s.apps.markStripeUnauthorized(tx, { id: appId }));
      throw providerError(e);
    }
  };

  const plain = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      throw providerError(e);
    }
  };

  /** adapter/customer.go: the Stripe customer must exist and own the payment method. */
  const verifyStripeCustomer = async (ctx: Pick<CustomerStripeContext, 'namespace' | 'app' | 'secrets'>, stripeCustomerId: string, pm: string | undefined): Promise<void> => {
    const key = ctx.secrets.apiKey;
    try {
      await d.gateway.getCustomer(key, stripeCustomerId);
    } catch (e) {
      if (e instanceof StripeCallError && e.code === 'resource_missing') {
        throw new DomainError(ErrorKind.preconditionFailed, 'stripe_customer_not_found', `stripe customer ${stripeCustomerId} not found in stripe account: ${ctx.app.stripeAccountId}`);
      }
      if (e instanceof StripeCallError && e.status === 401) await d.run(ctx.namespace, (tx) => s.apps.markStripeUnauthorized(tx, { id: ctx.app.id }));
      throw providerError(e);
    }
    if (pm === undefined) return;
    const method = await withApp(ctx.namespace, ctx.app.id, () => d.gateway.getPaymentMethod(key, pm));
    const owner = typeof method.customer === 'string' ? method.customer : method.customer?.id;
    if (owner !== stripeCustomerId) {
      throw new DomainError(
        ErrorKind.preconditionFailed,
        'stripe_payment_method_not_owned',
        `stripe payment method ${pm} does not belong to stripe customer ${stripeCustomerId} in stripe account: ${ctx.app.stripeAccountId}`,
      );
    }
  };

  const secretsOf = (ns: string, app: App): Pick<CustomerStripeContext, 'namespace' | 'app' | 'secrets'> => {
    const found = d.read(ns, (tx) => s.apps.stripeSecrets(tx, { id: app.id }));
    if (!found) throw notFound('app_not_found', `app not found: ${app.id}`);
    return { namespace: ns, app: found.app, secrets: found.secrets };
  };

  const accountOf = async (apiKey: string): Promise<Stripe.Account> => plain(() => d.gateway.account(apiKey));

  return {
    async installApp(ns, input) {
      const install = (stripe?: StripeInstallFacts) =>
        d.run(ns, (tx) =>
          s.billingProfiles.installApp(tx, {
            app: { method: 'apiKey', type: input.type, apiKey: input.apiKey, ...(input.name !== undefined ? { name: input.name } : {}), ...(stripe ? { stripe } : {}) },
            createBillingProfile: input.createBillingProfile,
          }),
        );
      // the domain refuses what needs no Stripe call (unknown type, malformed key) on its own
      if (input.type !== AppType.stripe || typeof input.apiKey !== 'string' || input.apiKey.length < 11) return install();
      const account = await accountOf(input.apiKey);
      const appId = d.ids.next();
      const webhook = await plain(() =>
        d.gateway.createWebhookEndpoint(input.apiKey, {
          url: `${d.baseUrl()}/api/v1/apps/${appId}/stripe/webhook`,
          description: STRIPE_WEBHOOK_DESCRIPTION,
          events: STRIPE_WEBHOOK_EVENTS,
          metadata: { om_namespace: ns, om_app_id: appId },
        }),
      );
      return install({
        appId,
        accountId: account.id,
        businessName: account.business_profile?.name ?? null,
        country: account.country ?? null,
        webhookId: webhook.id,
        webhookSecret: webhook.secret ?? '',
      });
    },

    async updateApp(ns, input: UpdateAppInput) {
      if (input.secretApiKey === undefined) return d.run(ns, (tx) => s.apps.updateApp(tx, input));
      const app = d.read(ns, (tx) => s.apps.getApp(tx, { id: input.id }));
      if (app.type !== AppType.stripe) return d.run(ns, (tx) => s.apps.updateApp(tx, input));
      const account = await accountOf(input.secretApiKey);
      return d.run(ns, (tx) => s.apps.updateApp(tx, { ...input, stripeAccountId: account.id }));
    },

    async updateApiKey(ns, input) {
      const app = d.read(ns, (tx) => s.apps.getApp(tx, { id: input.id }));
      if (app.type !== AppType.stripe) throw validationError('app_type_mismatch', `app ${app.id} is of type ${app.type}, not stripe`);
      const account = await accountOf(input.apiKey);
      return d.run(ns, (tx) => s.apps.updateStripeApiKey(tx, { id: input.id, apiKey: input.apiKey, stripeAccountId: account.id }));
    },

    async upsertCustomerData(ns, input) {
      s.stripeApps.validateStripeData(input);
      const ctx = d.read(ns, (tx) => s.stripeApps.customerContext(tx, { customerIdOrKey: input.customerIdOrKey, ...(input.deleted ? { deleted: input.deleted } : {}) }));
      await verifyStripeCustomer(ctx, input.stripeCustomerId, input.stripeDefaultPaymentMethodId);
      const data = await d.run(ns, (tx) =>
        s.stripeApps.linkStripeCustomer(tx, {
          appId: ctx.app.id,
          customerId: ctx.customer.id,
          stripeCustomerId: input.stripeCustomerId,
          ...(input.stripeDefaultPaymentMethodId !== undefined ? { stripeDefaultPaymentMethodId: input.stripeDefaultPaymentMethodId } : {}),
        }),
      );
      return { app: ctx.app, data };
    },

    async upsertCustomerAppData(ns, input) {
      const { resolved } = d.read(ns, (tx) => s.apps.resolveCustomerAppData(tx, input));
      // items are upserted one after the other there: each Stripe item is checked in Stripe first
      for (const { item, app } of resolved) {
        if (app.type === AppType.stripe) await verifyStripeCustomer(secretsOf(ns, app), item.stripeCustomerId!, item.stripeDefaultPaymentMethodId);
      }
      return d.run(ns, (tx) => s.apps.upsertCustomerAppData(tx, input));
    },

    async updateCustomerBilling(ns, input) {
      const plan = d.read(ns, (tx) => s.customerBilling.stripeDataToVerify(tx, { ...input, route: 'billing' }));
      if (plan) await verifyStripeCustomer(secretsOf(ns, plan.app), plan.stripeCustomerId, plan.stripeDefaultPaymentMethodId);
      return d.run(ns, (tx) => s.customerBilling.updateCustomerBilling(tx, input));
    },

    async updateCustomerBillingAppData(ns, input) {
      const plan = d.read(ns, (tx) => s.customerBilling.stripeDataToVerify(tx, { ...input, route: 'appData' }));
      if (plan) await verifyStripeCustomer(secretsOf(ns, plan.app), plan.stripeCustomerId, plan.stripeDefaultPaymentMethodId);
      return d.run(ns, (tx) => s.customerBilling.updateCustomerBillingAppData(tx, input));
    },

    async createCheckoutSession(ns, input) {
      s.stripeApps.validateCheckoutOptions(input.options);
      if (input.stripeCustomerId !== undefined && !input.stripeCustomerId.startsWith('cus_')) throw validationError('invalid_stripe_customer_id', 'stripe customer id must start with cus_');
      let customerIdOrKey = input.customerIdOrKey;
      if (input.createCustomer) {
        // the default profile must have a Stripe payment app before anything is created
        if (input.appId === undefined) d.read(ns, (tx) => s.stripeApps.defaultProfileStripeApp(tx));
        customerIdOrKey = (await d.run(ns, (tx) => s.stripeApps.createCustomer(tx, input.createCustomer!))).id;
      }
      if (customerIdOrKey === undefined) throw validationError('invalid_customer', 'customer id, key or a customer to create is required');
      const ctx = d.read(ns, (tx) =>
        s.stripeApps.customerContext(tx, { customerIdOrKey: customerIdOrKey!, deleted: input.deleted, paymentAppNotStripe: 'notFound', ...(input.appId !== undefined ? { appId: input.appId } : {}) }),
      );
      const key = ctx.secrets.apiKey;
      let stripeCustomerId = ctx.data?.stripeCustomerId;
      if (stripeCustomerId !== undefined && input.stripeCustomerId !== undefined && input.stripeCustomerId !== stripeCustomerId) {
        throw new Error(`customer ${ctx.customer.id} is already mapped to stripe customer ${stripeCustomerId}, not ${input.stripeCustomerId}`);
      }
      if (stripeCustomerId === undefined) {
        stripeCustomerId =
          input.stripeCustomerId ??
          (
            await withApp(ns, ctx.app.id, () =>
              d.gateway.createCustomer(key, {
                name: ctx.customer.name,
                ...(ctx.customer.primaryEmail ? { email: ctx.customer.primaryEmail } : {}),
                metadata: { om_namespace: ns, om_customer_id: ctx.customer.id },
              }),
            )
          ).id;
        await verifyStripeCustomer(ctx, stripeCustomerId, undefined);
        const linked = stripeCustomerId;
        await d.run(ns, (tx) => s.stripeApps.linkStripeCustomer(tx, { appId: ctx.app.id, customerId: ctx.customer.id, stripeCustomerId: linked }));
      }
      const params = s.stripeApps.checkoutParams({ namespace: ns, appId: ctx.app.id, customer: ctx.customer, stripeCustomerId }, input.options);
      const session = await withApp(ns, ctx.app.id, () => d.gateway.createCheckoutSession(key, params));
      return s.stripeApps.checkoutResult({ customerId: ctx.customer.id, stripeCustomerId }, session as Parameters<Services['stripeApps']['checkoutResult']>[1]);
    },

    async createPortalSession(ns, input) {
      s.stripeApps.validatePortalOptions(input);
      const ctx = d.read(ns, (tx) => s.stripeApps.customerContext(tx, { customerIdOrKey: input.customerIdOrKey, deleted: input.deleted }));
      if (!ctx.data?.stripeCustomerId) throw new DomainError(ErrorKind.preconditionFailed, 'customer_app_data_not_found', 'customer has no data for stripe app');
      const cus = ctx.data.stripeCustomerId;
      const session = await withApp(ns, ctx.app.id, () =>
        d.gateway.createPortalSession(ctx.secrets.apiKey, {
          customer: cus,
          ...(input.configurationId !== undefined ? { configuration: input.configurationId } : {}),
          ...(input.returnUrl !== undefined ? { return_url: input.returnUrl } : {}),
        }),
      );
      return s.stripeApps.portalResult(cus, session);
    },

    async handleWebhook(input) {
      // the real reader stops at 512 KiB and answers 413 (a status, not a domain rule)
      if (Buffer.byteLength(input.payload) > WEBHOOK_MAX_BYTES) throw Object.assign(new Error('cannot read payload: http: request body too large'), { status: 413 });
      let found: { ns: string; app: App; secret: string } | undefined;
      for (const ns of d.namespaces()) {
        const hit = d.read(ns, (tx) => s.apps.stripeSecrets(tx, { id: input.appId }));
        if (hit) found = { ns, app: hit.app, secret: hit.secrets.webhookSecret ?? '' };
        if (found) break;
      }
      if (!found) throw notFound('app_not_found', `app not found: ${input.appId}`);
      const now = Math.floor(d.clock.now().getTime() / 1000);
      const check = verifyStripeSignature(input.signature, input.payload, found.secret, now, WEBHOOK_TOLERANCE_SECONDS);
      if (!check.ok) throw validationError('invalid_webhook_event', `failed to construct webhook event: ${check.reason}`);
      let event: { id: string; type: string; created: number; api_version?: string | null; data: { object: Record<string, unknown> } };
      try {
        event = JSON.parse(input.payload) as typeof event;
      } catch (e) {
        throw validationError('invalid_webhook_event', `failed to construct webhook event: failed to parse webhook body json: ${(e as Error).message}`);
      }
      // stripe-go v80 accepts events of its own release train only
      const version = event.api_version ?? '';
      if (!version.includes('.') || version.split('.').pop() !== 'acacia') {
        throw validationError(
          'invalid_webhook_event',
          `failed to construct webhook event: Received event with API version ${version}, but stripe-go 80.2.1 expects API version 2024-09-30.acacia. We recommend that you create a WebhookEndpoint with this API version. Otherwise, you can disable this error by using \`ConstructEventWithOptions(..., ConstructEventOptions{..., ignoreAPIVersionMismatch: true})\` but be wary that objects may be incorrectly deserialized.`,
        );
      }
      const app = found.app;
      const object = event.data?.object ?? {};
      // an invoice event acts on the Stripe invoice as it is now (late events are ruled out), so
      // Stripe is asked first when there is an invoice that the event could move
      let current: CurrentStripeInvoice | undefined;
      const stripeInvoiceId = typeof object.id === 'string' ? object.id : '';
      if (event.type.startsWith('invoice.') && stripeInvoiceId !== '') {
        const needed = d.read(found.ns, (tx) => s.invoices.stripeInvoiceEventNeedsInvoice(tx, { appId: app.id, type: event.type, stripeInvoiceId }));
        if (needed) {
          const key = d.read(found.ns, (tx) => s.apps.stripeSecrets(tx, { id: app.id }))!.secrets.apiKey;
          const inv = await withApp(found.ns, app.id, () => d.gateway.getInvoice(key, stripeInvoiceId));
          current = { status: inv.status, last_finalization_error: inv.last_finalization_error ? { ...(inv.last_finalization_error.code ? { code: inv.last_finalization_error.code } : {}), message: inv.last_finalization_error.message ?? '' } : null };
        }
      }
      return d.run(found.ns, (tx) => s.stripeApps.handleWebhookEvent(tx, { app, event: { id: event.id, type: event.type, created: event.created, data: { object } }, ...(current ? { current } : {}) }));
    },
  };
}
