import type { CustomerService } from '../customers/CustomerService.ts';
import type { Customer, CustomerInput } from '../customers/types.ts';
import type { Clock } from '../shared/clock.ts';
import { DomainError, ErrorKind, notFound, validationError } from '../shared/errors.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import type { AppService } from './AppService.ts';
import { AppErrorCode as E } from './errors.ts';
import type { CustomerPaymentApps } from './ports.ts';
import { AppCollections as Col, AppType, type App, type CustomerAppData, type StripeAppSecrets } from './types.ts';

/**
 * The Stripe app's rules that need no Stripe: which app and mapping a customer uses, what a
 * checkout or portal session asks Stripe for, how Stripe's answers become OpenMeter's, and what
 * a webhook event changes. The runtime (`runtime/stripeApp.ts`) makes the Stripe calls between
 * a read here and a command here; nothing in this file performs I/O.
 * Source: openmeter/app/stripe/{adapter/stripe.go,adapter/customer.go,httpdriver/*.go}.
 */

const precondition = (code: string, message: string) => new DomainError(ErrorKind.preconditionFailed, code, message);

/** What a Stripe call for a customer needs: the customer, the app, its secrets and mapping. */
export interface CustomerStripeContext {
  namespace: string;
  customer: Customer;
  app: App;
  secrets: StripeAppSecrets;
  data?: CustomerAppData;
}

export type DeletedCustomerAnswer = 'preconditionFailed' | 'gone';

/** The checkout options both surfaces accept, in the v3 spelling (stripe.md §4.3). */
export interface CheckoutOptions {
  billing_address_collection?: string;
  cancel_url?: string;
  client_reference_id?: string;
  customer_update?: { address?: string; name?: string; shipping?: string };
  consent_collection?: { payment_method_reuse_agreement?: { position?: string }; promotions?: string; terms_of_service?: string };
  currency?: string;
  custom_text?: Record<string, { message?: string } | undefined>;
  expires_at?: number;
  locale?: string;
  metadata?: Record<string, string>;
  return_url?: string;
  success_url?: string;
  ui_mode?: string;
  payment_method_types?: string[];
  redirect_on_completion?: string;
  tax_id_collection?: { enabled?: boolean; required?: string };
}

/** The session fields OpenMeter reads back (a Stripe `checkout.session`). */
export interface StripeCheckoutSession {
  id: string;
  setup_intent?: string | { id: string } | null;
  mode?: string | null;
  created: number;
  expires_at?: number | null;
  currency?: string | null;
  client_secret?: string | null;
  client_reference_id?: string | null;
  customer_email?: string | null;
  status?: string | null;
  url?: string | null;
  cancel_url?: string | null;
  success_url?: string | null;
  return_url?: string | null;
  metadata?: Record<string, string> | null;
}

export interface CheckoutSessionResult {
  customerId: string;
  stripeCustomerId: string;
  sessionId: string;
  setupIntentId: string;
  clientSecret?: string;
  clientReferenceId?: string;
  customerEmail?: string;
  currency?: string;
  createdAt: string;
  expiresAt?: string;
  metadata: Record<string, string>;
  status?: string;
  url?: string;
  mode: string;
  cancelUrl?: string;
  successUrl?: string;
  returnUrl?: string;
}

export interface PortalSessionResult {
  id: string;
  stripeCustomerId: string;
  configurationId: string;
  livemode: boolean;
  createdAt: string;
  returnUrl: string;
  locale: string;
  url: string;
}

export interface WebhookResult {
  namespaceId: string;
  appId: string;
  customerId?: string;
  message?: string;
}

const RESERVED_METADATA = ['om_namespace', 'om_app_id', 'om_customer_id'];

/** The events OpenMeter registers its endpoint for (client/client.go SetupWebhook). */
export const STRIPE_WEBHOOK_EVENTS = [
  'setup_intent.succeeded',
  'setup_intent.setup_failed',
  'setup_intent.requires_action',
  'invoice.finalization_failed',
  'invoice.marked_uncollectible',
  'invoice.overdue',
  'invoice.paid',
  'invoice.payment_action_required',
  'invoice.payment_failed',
  'invoice.payment_succeeded',
  'invoice.sent',
  'invoice.voided',
] as const;
export const STRIPE_WEBHOOK_DESCRIPTION = 'OpenMeter Stripe Webhook, do not delete or modify manually';

/** The Stripe invoice an invoice event is about, as Stripe answers for it now (late events are ruled out on it). */
export interface CurrentStripeInvoice {
  status?: string | null;
  last_finalization_error?: { code?: string; message?: string } | null;
}

/** An invoice event's handler: billing registers one (the wiring). */
export type StripeInvoiceEventHandler = (
  tx: UnitOfWork,
  input: { app: App; event: { id: string; type: string; created: number; object: Record<string, unknown> }; current?: CurrentStripeInvoice },
) => WebhookResult;

export class StripeAppService {
  private invoiceEvents: StripeInvoiceEventHandler | undefined;

  constructor(private readonly deps: { clock: Clock; apps: AppService; customers: CustomerService; paymentApps: CustomerPaymentApps }) {}

  /** The seam for invoice webhooks (stripe.md §7.2): until billing registers, they change nothing. */
  onInvoiceEvent(handler: StripeInvoiceEventHandler): void {
    this.invoiceEvents = handler;
  }

  // ------------------------------------------------------------------------- customer context

  /**
   * The customer and the Stripe app its billing profile pays with (billing/service/
   * customeroverride.go GetCustomerApp): a deleted customer → 412 (v3: 410), a profile whose
   * payment app is not Stripe → 412. `appId` selects an app explicitly (v1 checkout).
   */
  customerContext(tx: UnitOfWork, input: { customerIdOrKey: string; appId?: string; deleted?: DeletedCustomerAnswer; paymentAppNotStripe?: 'preconditionFailed' | 'notFound' }): CustomerStripeContext {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerIdOrKey });
    if (customer.deletedAt) {
      if (input.deleted === 'gone') throw new DomainError(ErrorKind.gone, 'customer_deleted', 'The requested resource is no longer available');
      throw precondition('customer_deleted', `customer is deleted [namespace=${tx.namespace} customer.id=${customer.id}]`);
    }
    const app = this.stripeApp(tx, input.appId ?? this.deps.paymentApps.paymentAppOf(tx, customer.id), customer.id, input.appId !== undefined, input.paymentAppNotStripe);
    const secrets = this.deps.apps.stripeSecrets(tx, { id: app.id })!.secrets;
    const data = tx.collection<CustomerAppData>(Col.customerAppData).get(`${customer.id}/${app.id}`);
    return { namespace: tx.namespace, customer, app, secrets, ...(data?.stripeCustomerId ? { data } : {}) };
  }

  /** The app a v1 checkout for a customer that does not exist yet uses: the default profile's. */
  defaultProfileStripeApp(tx: UnitOfWork): { app: App; secrets: StripeAppSecrets } {
    const appId = this.deps.paymentApps.defaultPaymentApp(tx);
    const app = appId ? this.deps.apps.stripeSecrets(tx, { id: appId }) : undefined;
    if (!app) throw notFound('stripe_app_not_found', 'no stripe billing profile found, none is marked as default, provide the app id or create a default stripe billing profile');
    return app;
  }

  /** v1 `GET /customers/{id}/stripe`: the mapping, or 412 when there is none. */
  getCustomerStripeData(tx: UnitOfWork, input: { customerIdOrKey: string }): { app: App; data: CustomerAppData } {
    const ctx = this.customerContext(tx, input);
    if (!ctx.data) throw precondition('customer_app_data_not_found', 'customer has no data for stripe app');
    return { app: ctx.app, data: ctx.data };
  }

  /** Checked before Stripe is asked (adapter/customer.go): a payment method id starts with `pm_`. */
  validateStripeData(input: { stripeCustomerId: string; stripeDefaultPaymentMethodId?: string }): void {
    if (typeof input.stripeCustomerId !== 'string' || input.stripeCustomerId === '') throw validationError(E.customerAppDataInvalid, 'stripe customer id is required');
    if (input.stripeDefaultPaymentMethodId !== undefined && !input.stripeDefaultPaymentMethodId.startsWith('pm_')) {
      throw validationError(E.customerAppDataInvalid, 'stripe default payment method id must start with pm_');
    }
  }

  /**
   * Stores the mapping once Stripe confirmed the customer (and the payment method's owner).
   * Omitting the payment method clears a stored one; a Stripe customer maps to one customer per app.
   */
  linkStripeCustomer(tx: UnitOfWork, input: { appId: string; customerId: string; stripeCustomerId: string; stripeDefaultPaymentMethodId?: string }): CustomerAppData {
    const col = tx.collection<CustomerAppData>(Col.customerAppData);
    const id = `${input.customerId}/${input.appId}`;
    const taken = col.findOne((d) => d.appId === input.appId && d.stripeCustomerId === input.stripeCustomerId && d.customerId !== input.customerId);
    if (taken) throw precondition('stripe_customer_already_mapped', 'unique stripe customer id');
    const prev = col.get(id);
    const now = this.deps.clock.now().toISOString();
    const rec: CustomerAppData = {
      id,
      customerId: input.customerId,
      appId: input.appId,
      type: AppType.stripe,
      stripeCustomerId: input.stripeCustomerId,
      ...(input.stripeDefaultPaymentMethodId !== undefined ? { stripeDefaultPaymentMethodId: input.stripeDefaultPaymentMethodId } : {}),
      ...(prev?.metadata ? { metadata: prev.metadata } : {}),
      createdAt: prev?.createdAt ?? now,
      updatedAt: now,
    };
    col.put(rec);
    return rec;
  }

  /** v1 checkout with a customer-create body: the customer is created first, as there. */
  createCustomer(tx: UnitOfWork, input: CustomerInput): Customer {
    return this.deps.customers.createCustomer(tx, input);
  }

  // ---------------------------------------------------------------------------------- checkout

  /** 400s the real service answers before calling Stripe (stripe.md §4.2 step 6). */
  validateCheckoutOptions(o: CheckoutOptions): void {
    if (o.ui_mode === 'embedded' && o.cancel_url) throw validationError('invalid_checkout_options', 'cancel url is not allowed for embedded ui mode');
    if (o.ui_mode === 'hosted' && !o.success_url) throw validationError('invalid_checkout_options', 'success url is required for hosted ui mode');
    for (const k of RESERVED_METADATA) if (o.metadata && k in o.metadata) throw validationError('invalid_checkout_options', `metadata key ${k} is reserved`);
  }

  /** The form params of `POST /v1/checkout/sessions` (client/checkout.go). */
  checkoutParams(ctx: { namespace: string; appId: string; customer: Customer; stripeCustomerId: string }, o: CheckoutOptions): Record<string, unknown> {
    const currency = (o.currency ?? ctx.customer.currency)?.toLowerCase();
    const customText = o.custom_text
      ? Object.fromEntries(Object.entries(o.custom_text).flatMap(([k, v]) => (v?.message !== undefined ? [[k, { message: v.message }]] : [])))
      : undefined;
    return clean({
      customer: ctx.stripeCustomerId,
      mode: 'setup',
      setup_intent_data: { metadata: { ...(o.metadata ?? {}), om_namespace: ctx.namespace, om_app_id: ctx.appId, om_customer_id: ctx.customer.id } },
      billing_address_collection: o.billing_address_collection,
      cancel_url: o.cancel_url,
      client_reference_id: o.client_reference_id,
      customer_update: o.customer_update,
      currency,
      consent_collection: o.consent_collection,
      custom_text: customText && Object.keys(customText).length > 0 ? customText : undefined,
      expires_at: o.expires_at,
      locale: o.locale,
      return_url: o.return_url,
      success_url: o.success_url,
      ui_mode: o.ui_mode,
      payment_method_types: o.payment_method_types,
      redirect_on_completion: o.redirect_on_completion,
      tax_id_collection: o.tax_id_collection,
    });
  }

  /** Stripe's session as OpenMeter answers it (adapter/stripe.go CreateCheckoutSession). */
  checkoutResult(ctx: { customerId: string; stripeCustomerId: string }, s: StripeCheckoutSession): CheckoutSessionResult {
    const setupIntent = typeof s.setup_intent === 'string' ? s.setup_intent : s.setup_intent?.id;
    if (!setupIntent) throw new Error('setup intent is required');
    if (s.mode !== 'setup') throw new Error(`unexpected checkout session mode: ${String(s.mode)}`);
    const opt = (v: string | null | undefined) => (v ? v : undefined);
    return clean({
      customerId: ctx.customerId,
      stripeCustomerId: ctx.stripeCustomerId,
      sessionId: s.id,
      setupIntentId: setupIntent,
      clientSecret: opt(s.client_secret),
      clientReferenceId: opt(s.client_reference_id),
      customerEmail: opt(s.customer_email),
      currency: s.currency ? s.currency.toUpperCase() : undefined,
      createdAt: new Date(s.created * 1000).toISOString(),
      expiresAt: s.expires_at ? new Date(s.expires_at * 1000).toISOString() : undefined,
      metadata: { ...(s.metadata ?? {}) },
      status: opt(s.status),
      url: opt(s.url),
      mode: s.mode,
      cancelUrl: opt(s.cancel_url),
      successUrl: opt(s.success_url),
      returnUrl: opt(s.return_url),
    }) as CheckoutSessionResult;
  }

  // ------------------------------------------------------------------------------------ portal

  validatePortalOptions(o: { returnUrl?: string; locale?: string }): void {
    if (o.returnUrl !== undefined && o.returnUrl === '') throw validationError('invalid_portal_options', 'return url cannot be empty');
    if (o.locale !== undefined && o.locale === '') throw validationError('invalid_portal_options', 'locale cannot be empty');
  }

  /** `locale` is never sent: the answer carries whatever Stripe returned (`""` for null). */
  portalResult(stripeCustomerId: string, s: { id: string; configuration?: string | { id: string } | null; livemode: boolean; created: number; return_url?: string | null; locale?: string | null; url: string }): PortalSessionResult {
    return {
      id: s.id,
      stripeCustomerId,
      configurationId: typeof s.configuration === 'string' ? s.configuration : (s.configuration?.id ?? ''),
      livemode: s.livemode,
      createdAt: new Date(s.created * 1000).toISOString(),
      returnUrl: s.return_url ?? '',
      locale: s.locale ?? '',
      url: s.url,
    };
  }

  // ---------------------------------------------------------------------------------- webhooks

  /**
   * A verified event for `app` (httpdriver/webhook.go). Setup-intent success stores the
   * customer's default payment method (Stripe is not called); invoice events go to billing.
   */
  handleWebhookEvent(
    tx: UnitOfWork,
    input: { app: App; event: { id: string; type: string; created: number; data: { object: Record<string, unknown> } }; current?: CurrentStripeInvoice },
  ): WebhookResult {
    const { app, event } = input;
    const base = { namespaceId: tx.namespace, appId: app.id };
    switch (event.type) {
      case 'setup_intent.succeeded':
        return this.setupIntentSucceeded(tx, app, event.id, event.data.object);
      case 'setup_intent.setup_failed':
      case 'setup_intent.requires_action':
      case 'invoice.payment_succeeded':
        return base;
      case 'invoice.finalization_failed':
      case 'invoice.marked_uncollectible':
      case 'invoice.overdue':
      case 'invoice.paid':
      case 'invoice.payment_action_required':
      case 'invoice.payment_failed':
      case 'invoice.sent':
      case 'invoice.voided':
        // no Stripe-backed invoice exists until billing registers: "no invoice found" is a no-op there too
        if (typeof event.data.object.id !== 'string' || event.data.object.id === '') throw validationError('invalid_webhook_event', 'failed to unmarshal invoice: invoice id is required');
        return this.invoiceEvents
          ? this.invoiceEvents(tx, { app, event: { id: event.id, type: event.type, created: event.created, object: event.data.object }, ...(input.current ? { current: input.current } : {}) })
          : base;
      default:
        throw validationError('unsupported_event_type', `unsupported event type: ${event.type}`);
    }
  }

  private setupIntentSucceeded(tx: UnitOfWork, app: App, eventId: string, intent: Record<string, unknown>): WebhookResult {
    const md = (intent.metadata ?? {}) as Record<string, string>;
    if (!('om_app_id' in md)) return { namespaceId: '', appId: '', message: 'ignoring event as it was not initiated by the openmeter app' };
    if (md.om_app_id === '') throw validationError('invalid_webhook_event', `appid metadata cannot be empty if provided for app: ${app.id} in event: ${eventId}`);
    if (md.om_app_id !== app.id) return { namespaceId: '', appId: '', message: 'ignoring event as it was initiated by a different openmeter app' };
    if (!('om_namespace' in md)) throw validationError('invalid_webhook_event', `namespace metadata is required for app: ${app.id} in event: ${eventId}`);
    if (md.om_namespace === '') throw validationError('invalid_webhook_event', `namespace metadata cannot be empty if provided for app: ${app.id} in event: ${eventId}`);
    if (md.om_namespace !== tx.namespace) throw validationError('invalid_webhook_event', `namespace mismatch: in request ${tx.namespace}, in payment intent metadata ${md.om_namespace} in event: ${eventId}`);
    const customer = idOf(intent.customer);
    if (!customer) throw validationError('invalid_webhook_event', `payment intent customer is required for app: ${app.id} in event: ${eventId}`);
    const pm = idOf(intent.payment_method);
    if (!pm) throw validationError('invalid_webhook_event', `payment intent payment method is required for app ${app.id} in event: ${eventId}`);
    const col = tx.collection<CustomerAppData>(Col.customerAppData);
    const data = col.findOne((d) => d.appId === app.id && d.stripeCustomerId === customer);
    if (!data) throw precondition('customer_app_data_not_found', `stripe customer ${customer} is not mapped to any customer of app ${app.id}`);
    col.put({ ...data, stripeDefaultPaymentMethodId: pm, updatedAt: this.deps.clock.now().toISOString() });
    return { namespaceId: tx.namespace, appId: app.id, customerId: data.customerId, message: 'customer default payment method set' };
  }

  private stripeApp(tx: UnitOfWork, appId: string | undefined, customerId: string, explicit: boolean, notStripe: 'preconditionFailed' | 'notFound' = 'preconditionFailed'): App {
    const found = appId ? this.deps.apps.stripeSecrets(tx, { id: appId }) : undefined;
    if (found) return found.app;
    if (explicit) throw notFound(E.notFound, `app not found: ${appId}`);
    if (notStripe === 'notFound') throw notFound('stripe_app_not_found', 'customer has a billing profile, but the payment app is not a stripe app');
    throw precondition('stripe_app_not_found', `no stripe app found in billing profile for customer ${customerId}`);
  }
}

const idOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : undefined);

/** Drops undefined members (optional fields are omitted, never null). */
function clean<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
