import { createHash } from 'node:crypto';
import { decodeForm, type FormObject, type FormValue } from './form.ts';
import { stripeSignatureHeader } from './signature.ts';

/**
 * A stateful, stripe-mock compatible Stripe: the objects and endpoints OpenMeter's Stripe app
 * uses (docs/decisions/0014), answering in fixtures3 shapes with the acacia additions
 * (`invoice_item` on lines, `payment_intent` on invoices, `secret` on webhook endpoints).
 *
 * Transport-free: `handle` takes a request and answers a response; the HTTP server
 * (`server.ts`), the in-process fetch the app's SDK uses and the nock interceptors all wrap it.
 * Time comes from the emulator's clock, ids from a counter (deterministic per run). Events are
 * signed and POSTed to the matching webhook endpoints after the request's state change is in
 * place, before the response is returned, so a caller sees their effects when its call ends.
 */

/** The version OpenMeter pins (stripe-go v80); also the account's default. */
export const STRIPE_API_VERSION = '2024-09-30.acacia';
export const DEFAULT_STRIPE_PORT = 12111;

export interface StripeRequest {
  method: string;
  /** path without query, e.g. `/v1/customers/cus_1` */
  path: string;
  /** raw query string without `?` */
  query: string;
  headers: Record<string, string | undefined>;
  /** raw form-encoded body */
  body: string;
}

export interface StripeResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface WebhookPost {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface StripeEmulatorOptions {
  /** the emulator clock */
  now: () => Date;
  /** base URL the emulated Stripe is reachable at (checkout and portal pages live there) */
  publicUrl: () => string;
  /** POSTs a signed event to an endpoint; answers the receiver's status (0 = unreachable) */
  deliver: (post: WebhookPost) => Promise<number>;
  /** told after every change of state (the runtime persists it) */
  onChange?: () => void;
}

/** Everything the emulated Stripe knows, as plain JSON (snapshots, the data directory). */
export interface StripeState {
  format: 'localmeter-stripe@1';
  seq: number;
  invoiceSeq: number;
  objects: Array<Record<string, unknown>>;
  revoked: string[];
  /** payment methods whose 3-D Secure challenge was completed when they were set up */
  authenticated?: string[];
}

/** Stripe's test payment methods the emulator knows, by token and by card number. */
export const TEST_CARDS = {
  pm_card_visa: { brand: 'visa', last4: '4242', number: '4242424242424242', failsCharge: false, declinesSetup: false, requires3ds: false },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', number: '5555555555554444', failsCharge: false, declinesSetup: false, requires3ds: false },
  pm_card_chargeCustomerFail: { brand: 'visa', last4: '0341', number: '4000000000000341', failsCharge: true, declinesSetup: false, requires3ds: false },
  /** declined when set up (insufficient funds): a Checkout with it does not complete */
  pm_card_visa_chargeDeclinedInsufficientFunds: { brand: 'visa', last4: '9995', number: '4000000000009995', failsCharge: true, declinesSetup: true, requires3ds: false },
  /**
   * 3-D Secure 2: setting it up (Checkout, billing portal) asks for a challenge first; once
   * completed the card pays like 4242. Charged without a completed challenge (attached through the
   * API), the payment needs the customer's action (`invoice.payment_action_required`).
   */
  pm_card_threeDSecure2Required: { brand: 'visa', last4: '3220', number: '4000000000003220', failsCharge: false, declinesSetup: false, requires3ds: true },
} as const;
/** How the local page's 3-D Secure challenge ends. */
export type ThreeDSecureOutcome = 'complete' | 'fail';
export type TestCard = keyof typeof TEST_CARDS;
export const testCardOf = (tokenOrNumber: string): TestCard | undefined => {
  const n = tokenOrNumber.replace(/\s+/g, '');
  return (Object.keys(TEST_CARDS) as TestCard[]).find((k) => k === n || TEST_CARDS[k].number === n);
};

type Obj = Record<string, unknown> & { id: string; object: string };

/** A card set up on a hosted page: its payment method, or a 3-D Secure challenge still to answer. */
export interface CardSetupOutcome {
  paymentMethod?: string;
  requiresAction?: true;
}

export class StripeError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly extra: { code?: string; param?: string; decline_code?: string } = {},
  ) {
    super(message);
  }
}

const missing = (kind: string, id: string, param = 'id') =>
  new StripeError(404, 'invalid_request_error', `No such ${kind}: '${id}'`, { code: 'resource_missing', param });
const invalid = (message: string, param?: string) => new StripeError(400, 'invalid_request_error', message, param ? { param } : {});

const ACCOUNT_ID = 'acct_1LocalmeterEmu';
const KEY_RE = /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/;

interface Ctx {
  livemode: boolean;
  params: FormObject;
  query: FormObject;
  requestId: string;
  idempotencyKey: string | undefined;
  /** events raised by this request, delivered once it has applied its changes */
  events: Obj[];
}

type Route = { method: string; re: RegExp; run: (ctx: Ctx, ...ids: string[]) => Obj | Record<string, unknown> };

export class StripeEmulator {
  private seq = 0;
  private readonly objects = new Map<string, Obj>();
  private readonly idempotency = new Map<string, { fingerprint: string; response: StripeResponse }>();
  private readonly revoked = new Set<string>();
  private readonly authenticated = new Set<string>();
  private invoiceSeq = 0;
  /** events of a finalization, delivered by the next `collectDue` of the invoice */
  private readonly deferred = new Map<string, Obj[]>();
  /** every delivery attempt, newest last (for `/_emulator` and tests) */
  readonly deliveries: Array<{ eventId: string; type: string; endpointId: string; url: string; status: number }> = [];
  private readonly routes: Route[];

  constructor(private readonly opts: StripeEmulatorOptions) {
    const r = (method: string, pattern: string, run: Route['run']): Route => ({
      method,
      re: new RegExp(`^${pattern.replace(/\{id\}/g, '([^/]+)')}$`),
      run,
    });
    this.routes = [
      r('GET', '/v1/account', () => this.account()),
      r('POST', '/v1/webhook_endpoints', (c) => this.createWebhookEndpoint(c)),
      r('GET', '/v1/webhook_endpoints', (c) => this.list('webhook_endpoint', c, '/v1/webhook_endpoints')),
      r('GET', '/v1/webhook_endpoints/{id}', (_c, id) => this.get('webhook_endpoint', id!)),
      r('POST', '/v1/webhook_endpoints/{id}', (c, id) => this.updateWebhookEndpoint(c, id!)),
      r('DELETE', '/v1/webhook_endpoints/{id}', (_c, id) => this.remove('webhook_endpoint', id!)),
      r('POST', '/v1/customers', (c) => this.createCustomer(c)),
      r('GET', '/v1/customers', (c) => this.list('customer', c, '/v1/customers', (o) => !o.deleted)),
      r('GET', '/v1/customers/{id}', (c, id) => this.getCustomer(c, id!)),
      r('POST', '/v1/customers/{id}', (c, id) => this.updateCustomer(c, id!)),
      r('DELETE', '/v1/customers/{id}', (c, id) => this.deleteCustomer(c, id!)),
      r('GET', '/v1/customers/{id}/payment_methods', (c, id) => this.list('payment_method', c, `/v1/customers/${id}/payment_methods`, (o) => o.customer === this.liveCustomer(id!).id)),
      r('POST', '/v1/payment_methods', (c) => this.createPaymentMethod(c)),
      r('GET', '/v1/payment_methods/{id}', (_c, id) => this.paymentMethod(id!)),
      r('POST', '/v1/payment_methods/{id}/attach', (c, id) => this.attachPaymentMethod(c, id!, str(c.params.customer, 'customer'))),
      r('POST', '/v1/payment_methods/{id}/detach', (c, id) => this.detachPaymentMethod(c, id!)),
      r('POST', '/v1/setup_intents', (c) => this.createSetupIntent(c)),
      r('GET', '/v1/setup_intents/{id}', (c, id) => this.expand(this.get('setup_intent', id!), c)),
      r('POST', '/v1/setup_intents/{id}/confirm', (c, id) => this.confirmSetupIntent(c, id!, optStr(c.params.payment_method))),
      r('POST', '/v1/checkout/sessions', (c) => this.createCheckoutSession(c)),
      r('GET', '/v1/checkout/sessions/{id}', (c, id) => this.expand(this.get('checkout.session', id!), c)),
      r('POST', '/v1/checkout/sessions/{id}/expire', (c, id) => this.expireCheckoutSession(c, id!)),
      r('POST', '/v1/billing_portal/sessions', (c) => this.createPortalSession(c)),
      r('POST', '/v1/invoices', (c) => this.createInvoice(c)),
      r('GET', '/v1/invoices', (c) => this.list('invoice', c, '/v1/invoices', (o) => c.query.customer === undefined || o.customer === c.query.customer)),
      r('GET', '/v1/invoices/{id}', (c, id) => this.expand(this.get('invoice', id!), c)),
      r('POST', '/v1/invoices/{id}', (c, id) => this.updateInvoice(c, id!)),
      r('DELETE', '/v1/invoices/{id}', (_c, id) => this.deleteInvoice(id!)),
      r('GET', '/v1/invoices/{id}/lines', (c, id) => this.invoiceLines(c, id!)),
      r('POST', '/v1/invoices/{id}/finalize', (c, id) => this.finalizeInvoice(c, id!)),
      r('POST', '/v1/invoices/{id}/pay', (c, id) => this.payInvoice(c, id!, optStr(c.params.payment_method))),
      r('POST', '/v1/invoices/{id}/void', (c, id) => this.closeInvoice(c, id!, 'void')),
      r('POST', '/v1/invoices/{id}/mark_uncollectible', (c, id) => this.closeInvoice(c, id!, 'uncollectible')),
      r('POST', '/v1/invoiceitems', (c) => this.createInvoiceItem(c)),
      r('GET', '/v1/invoiceitems/{id}', (_c, id) => this.invoiceItem(id!)),
      r('POST', '/v1/invoiceitems/{id}', (c, id) => this.updateInvoiceItem(c, id!)),
      r('DELETE', '/v1/invoiceitems/{id}', (_c, id) => this.deleteInvoiceItem(id!)),
      r('GET', '/v1/events', (c) => this.list('event', c, '/v1/events', (o) => c.query.type === undefined || o.type === c.query.type)),
      r('GET', '/v1/events/{id}', (_c, id) => this.get('event', id!)),
    ];
  }

  // ------------------------------------------------------------------------------- transport

  async handle(req: StripeRequest): Promise<StripeResponse> {
    const requestId = `req_${this.nextSuffix()}`;
    const headers: Record<string, string> = { 'request-id': requestId, 'stripe-version': req.headers['stripe-version'] ?? STRIPE_API_VERSION };
    const fail = (e: StripeError): StripeResponse => ({
      status: e.status,
      headers,
      body: {
        error: {
          type: e.type,
          message: e.message,
          ...e.extra,
          ...(e.extra.code ? { doc_url: `https://stripe.com/docs/error-codes/${e.extra.code.replace(/_/g, '-')}` } : {}),
          request_log_url: `${this.opts.publicUrl()}/logs/${requestId}`,
        },
      },
    });
    const key = bearer(req.headers.authorization);
    if (!key) return fail(new StripeError(401, 'invalid_request_error', 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').'));
    if (!KEY_RE.test(key) || this.revoked.has(key)) return fail(new StripeError(401, 'invalid_request_error', `Invalid API Key provided: ${maskKey(key)}`));
    const method = req.method.toUpperCase();
    const idemKey = req.headers['idempotency-key'];
    const fingerprint = `${method} ${req.path} ${req.body}`;
    const scoped = idemKey !== undefined && method !== 'GET' ? `${key}:${idemKey}` : undefined;
    if (scoped !== undefined) {
      const prev = this.idempotency.get(scoped);
      if (prev && prev.fingerprint !== fingerprint) {
        return fail(
          new StripeError(
            400,
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idemKey}' if you meant to execute a different request.`,
          ),
        );
      }
      if (prev) return { ...prev.response, headers: { ...prev.response.headers, 'idempotent-replayed': 'true' } };
    }
    const route = this.routes.find((x) => x.method === method && x.re.test(req.path));
    const ctx: Ctx = {
      livemode: /^(sk|rk)_live_/.test(key),
      params: method === 'GET' || method === 'DELETE' ? decodeForm(req.query) : { ...decodeForm(req.query), ...decodeForm(req.body) },
      query: decodeForm(req.query),
      requestId,
      idempotencyKey: idemKey,
      events: [],
    };
    let res: StripeResponse;
    try {
      if (!route) throw new StripeError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${req.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`);
      const ids = route.re.exec(req.path)!.slice(1).map(decodeURIComponent);
      const body = route.run(ctx, ...ids);
      res = { status: 200, headers, body: structuredClone(body) };
    } catch (e) {
      // a bug here must still answer in Stripe's envelope, as stripe-mock's 500s do
      res = fail(e instanceof StripeError ? e : new StripeError(500, 'api_error', `The emulated Stripe failed: ${(e as Error).message}`));
    }
    if (scoped !== undefined) {
      res.headers['idempotency-key'] = idemKey!;
      this.idempotency.set(scoped, { fingerprint, response: res });
    }
    if (method !== 'GET') this.opts.onChange?.();
    await this.deliverAll(ctx.events);
    return res;
  }

  exportState(): StripeState {
    return { format: 'localmeter-stripe@1', seq: this.seq, invoiceSeq: this.invoiceSeq, objects: [...this.objects.values()].map((o) => structuredClone(o)), revoked: [...this.revoked], authenticated: [...this.authenticated] };
  }

  /** Replaces everything with a state `exportState` wrote (idempotency keys are not kept). */
  importState(state: StripeState): void {
    if (state.format !== 'localmeter-stripe@1') throw new Error('not an emulated Stripe state (expected format "localmeter-stripe@1")');
    this.reset();
    this.seq = state.seq;
    this.invoiceSeq = state.invoiceSeq;
    for (const o of state.objects) this.objects.set(o.id as string, structuredClone(o) as Obj);
    for (const k of state.revoked) this.revoked.add(k);
    for (const k of state.authenticated ?? []) this.authenticated.add(k);
  }

  // ------------------------------------------------------------------------ emulator controls

  /** Makes every later call with this key answer 401 (a rolled key). */
  revokeKey(key: string): void {
    this.revoked.add(key);
    this.opts.onChange?.();
  }

  /**
   * Completes an open checkout session as a customer paying with `card` would (the local page).
   * A 3-D Secure card without `challenge` leaves the session open and its setup intent in
   * `requires_action` (the page shows the challenge); `challenge` completes or fails it.
   */
  async completeCheckoutSession(id: string, card: string, challenge?: ThreeDSecureOutcome): Promise<CardSetupOutcome & { session: Record<string, unknown>; redirectUrl?: string }> {
    const ctx = this.internalCtx();
    const session = this.get('checkout.session', id);
    const test = this.testCard(card);
    if (session.status !== 'open') throw invalid(`This Checkout Session is ${String(session.status)} and can no longer be completed.`);
    const customerId = session.customer as string;
    const intent = this.get('setup_intent', session.setup_intent as string);
    const setUp = await this.setUpCard(ctx, intent, customerId, test, challenge);
    if (setUp.requiresAction) return { session: structuredClone(this.get('checkout.session', id)), requiresAction: true };
    const completed = this.put({ ...session, status: 'complete', payment_status: 'no_payment_required', setup_intent: intent.id });
    this.raise(ctx, 'checkout.session.completed', completed);
    this.opts.onChange?.();
    await this.deliverAll(ctx.events);
    const success = session.success_url as string | null;
    return { session: structuredClone(completed), paymentMethod: setUp.paymentMethod, ...(success ? { redirectUrl: success.replace('{CHECKOUT_SESSION_ID}', id) } : {}) };
  }

  /**
   * The billing portal's "add payment method" as the customer does it on the portal page: the
   * card is set up through a setup intent of its own (no metadata: OpenMeter's app ignores its
   * `setup_intent.succeeded`), attached (`payment_method.attached`) and made the customer's
   * invoice default (`customer.updated`), so the next charge uses it. A declined or failed
   * challenge changes nothing.
   */
  async updatePortalPaymentMethod(sessionId: string, card: string, challenge?: ThreeDSecureOutcome): Promise<CardSetupOutcome & { customer: Record<string, unknown>; redirectUrl?: string }> {
    const ctx = this.internalCtx();
    const session = this.get('billing_portal.session', sessionId);
    ctx.livemode = session.livemode === true;
    const test = this.testCard(card);
    const customerId = session.customer as string;
    const customer = this.liveCustomer(customerId);
    // a challenge answers the intent the first attempt left waiting
    const waiting = challenge ? [...this.objects.values()].find((o) => o.object === 'setup_intent' && o.portal_session === sessionId && o.status === 'requires_action') : undefined;
    const intent = waiting ?? this.put({ ...this.newSetupIntent(ctx, { customer: customerId, metadata: {} }), portal_session: sessionId });
    if (!waiting) this.raise(ctx, 'setup_intent.created', intent);
    const setUp = await this.setUpCard(ctx, intent, customerId, test, challenge);
    if (setUp.requiresAction) return { customer: structuredClone(customer), requiresAction: true };
    const previous = customer.invoice_settings as Record<string, unknown>;
    const next = this.put({ ...customer, invoice_settings: { ...previous, default_payment_method: setUp.paymentMethod } });
    this.raise(ctx, 'customer.updated', next, { invoice_settings: { default_payment_method: previous.default_payment_method ?? null } });
    this.opts.onChange?.();
    await this.deliverAll(ctx.events);
    const back = session.return_url as string | null;
    return { customer: structuredClone(next), paymentMethod: setUp.paymentMethod, ...(back ? { redirectUrl: back } : {}) };
  }

  private testCard(card: string): TestCard {
    const test = testCardOf(card);
    if (!test) throw invalid(`Unknown test card: ${card}. Use one of ${Object.keys(TEST_CARDS).join(', ')} or their numbers.`, 'card');
    return test;
  }

  /**
   * One card set up on a setup intent, as Stripe's hosted pages do it: declined → the intent
   * waits for another payment method (`setup_intent.setup_failed`, 402); a 3-D Secure card
   * without an outcome → `requires_action` (`setup_intent.requires_action`); a failed challenge →
   * `setup_failed` (402); else the card is attached and the intent succeeds.
   */
  private async setUpCard(ctx: Ctx, intent: Obj, customerId: string, test: TestCard, challenge: ThreeDSecureOutcome | undefined): Promise<CardSetupOutcome> {
    const fail = async (error: { type: string; code: string; decline_code?: string; message: string }): Promise<never> => {
      const failed = this.put({ ...intent, status: 'requires_payment_method', next_action: null, last_setup_error: error });
      this.raise(ctx, 'setup_intent.setup_failed', failed);
      this.opts.onChange?.();
      await this.deliverAll(ctx.events);
      throw new StripeError(402, 'card_error', error.message, { code: error.code, ...(error.decline_code ? { decline_code: error.decline_code } : {}) });
    };
    const card = TEST_CARDS[test];
    // Stripe keeps the session open and the intent waiting for another payment method
    if (card.declinesSetup) return fail({ type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' });
    if (card.requires3ds) {
      if (intent.status !== 'requires_action') {
        intent = this.put({ ...intent, status: 'requires_action', next_action: { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect' } } });
        this.raise(ctx, 'setup_intent.requires_action', intent);
      }
      if (challenge === undefined) {
        this.opts.onChange?.();
        await this.deliverAll(ctx.events);
        return { requiresAction: true };
      }
      if (challenge === 'fail') {
        return fail({
          type: 'invalid_request_error',
          code: 'setup_intent_authentication_failure',
          message: 'The latest attempt to set up the payment method has failed because authentication failed.',
        });
      }
    }
    const pm = this.attachPaymentMethod(ctx, test, customerId);
    if (card.requires3ds) this.authenticated.add(pm.id);
    this.succeedSetupIntent(ctx, { ...intent, next_action: null, last_setup_error: null }, pm.id);
    return { paymentMethod: pm.id };
  }

  /**
   * Automatic collection: every open, auto-advancing `charge_automatically` invoice whose
   * `next_payment_attempt` has come is charged once, and its `invoice.paid` or
   * `invoice.payment_failed` delivered. Real Stripe waits about an hour after finalization and
   * retries on its own schedule; here the attempt comes as soon as whoever drives the emulated
   * Stripe asks (the app's runtime right after it recorded the finalization, the HTTP server
   * after a finalize it served), and a failed attempt is not retried (no `next_payment_attempt`).
   * `ids` limits the attempt to those invoices.
   */
  async collectDue(ids?: readonly string[]): Promise<void> {
    const now = this.unix();
    const due = [...this.objects.values()].filter(
      (o) =>
        o.object === 'invoice' &&
        (ids === undefined || ids.includes(o.id)) &&
        o.status === 'open' &&
        o.auto_advance === true &&
        typeof o.next_payment_attempt === 'number' &&
        o.next_payment_attempt <= now,
    );
    const ctx = this.internalCtx();
    for (const [id, events] of [...this.deferred]) {
      if (ids !== undefined && !ids.includes(id)) continue;
      this.deferred.delete(id);
      ctx.events.push(...events);
    }
    if (due.length === 0 && ctx.events.length === 0) return;
    for (const inv of due) {
      ctx.livemode = inv.livemode === true;
      this.charge(ctx, inv, undefined);
    }
    this.opts.onChange?.();
    await this.deliverAll(ctx.events);
  }

  /** An object by id (tests and the checkout page). */
  find(id: string): Record<string, unknown> | undefined {
    const o = this.objects.get(id);
    return o ? structuredClone(o) : undefined;
  }

  reset(): void {
    this.objects.clear();
    this.idempotency.clear();
    this.revoked.clear();
    this.authenticated.clear();
    this.deliveries.length = 0;
    this.deferred.clear();
    this.seq = 0;
    this.invoiceSeq = 0;
    this.opts.onChange?.();
  }

  // ----------------------------------------------------------------------------------- account

  private account(): Obj {
    return {
      id: ACCOUNT_ID,
      object: 'account',
      business_profile: { name: 'Localmeter Emulated Stripe', url: null, support_email: null, product_description: null },
      business_type: null,
      capabilities: { card_payments: 'active', transfers: 'active' },
      charges_enabled: true,
      country: 'US',
      created: 1_700_000_000,
      default_currency: 'usd',
      details_submitted: true,
      email: 'emulator@localmeter.test',
      metadata: {},
      payouts_enabled: true,
      settings: { dashboard: { display_name: 'localmeter', timezone: 'Etc/UTC' } },
      type: 'standard',
    };
  }

  // ------------------------------------------------------------------------- webhook endpoints

  private createWebhookEndpoint(c: Ctx): Obj {
    const url = str(c.params.url, 'url');
    const events = strList(c.params.enabled_events, 'enabled_events');
    return this.put({
      id: this.newId('we'),
      object: 'webhook_endpoint',
      api_version: optStr(c.params.api_version) ?? null,
      application: null,
      created: this.unix(),
      description: optStr(c.params.description) ?? null,
      enabled_events: events,
      livemode: c.livemode,
      metadata: meta(c.params.metadata),
      secret: `whsec_${this.digest('whsec').slice(0, 32)}`,
      status: 'enabled',
      url,
    });
  }

  private updateWebhookEndpoint(c: Ctx, id: string): Obj {
    const we = this.get('webhook_endpoint', id);
    const { secret: _secret, ...rest } = we;
    const next = this.put({
      ...we,
      ...(c.params.url !== undefined ? { url: str(c.params.url, 'url') } : {}),
      ...(c.params.enabled_events !== undefined ? { enabled_events: strList(c.params.enabled_events, 'enabled_events') } : {}),
      ...(c.params.description !== undefined ? { description: optStr(c.params.description) ?? null } : {}),
      ...(c.params.disabled !== undefined ? { status: c.params.disabled === 'true' ? 'disabled' : 'enabled' } : {}),
      ...(c.params.metadata !== undefined ? { metadata: mergeMeta(rest.metadata, c.params.metadata) } : {}),
    });
    return withoutSecret(next);
  }

  // --------------------------------------------------------------------------------- customers

  private createCustomer(c: Ctx): Obj {
    const id = this.newId('cus');
    return this.put({
      id,
      object: 'customer',
      address: addressOf(c.params.address),
      balance: 0,
      created: this.unix(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: optStr(c.params.description) ?? null,
      discount: null,
      email: optStr(c.params.email) ?? null,
      invoice_prefix: this.digest(id).slice(0, 7).toUpperCase(),
      invoice_settings: {
        custom_fields: null,
        default_payment_method: optStr(pick(c.params.invoice_settings, 'default_payment_method')) ?? null,
        footer: null,
        rendering_options: null,
      },
      livemode: c.livemode,
      metadata: meta(c.params.metadata),
      name: optStr(c.params.name) ?? null,
      next_invoice_sequence: 1,
      phone: optStr(c.params.phone) ?? null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    });
  }

  private getCustomer(c: Ctx, id: string): Obj {
    const cus = this.get('customer', id);
    if (cus.deleted) return { id, object: 'customer', deleted: true };
    const expands = expandList(c);
    // `tax` is includable: Stripe returns it only when asked
    const withTax = expands.includes('tax')
      ? { ...cus, tax: { automatic_tax: cus.address && (cus.address as Record<string, unknown>).country ? 'supported' : 'unrecognized_location', ip_address: null, location: null } }
      : cus;
    return this.expand(withTax, c);
  }

  private liveCustomer(id: string, param = 'customer'): Obj {
    const cus = this.objects.get(id);
    if (!cus || cus.object !== 'customer' || cus.deleted) throw missing('customer', id, param);
    return cus;
  }

  private updateCustomer(c: Ctx, id: string): Obj {
    const cus = this.liveCustomer(id, 'id');
    const dpm = pick(c.params.invoice_settings, 'default_payment_method');
    if (typeof dpm === 'string' && dpm !== '') {
      const pm = this.paymentMethod(dpm);
      if (pm.customer !== id) throw invalid(`No such PaymentMethod: '${dpm}'; It's possible this PaymentMethod exists on one of your connected accounts, in which case you should retry this request on that connected account.`, 'invoice_settings[default_payment_method]');
    }
    return this.expand(
      this.put({
        ...cus,
        ...(c.params.name !== undefined ? { name: optStr(c.params.name) ?? null } : {}),
        ...(c.params.email !== undefined ? { email: optStr(c.params.email) ?? null } : {}),
        ...(c.params.description !== undefined ? { description: optStr(c.params.description) ?? null } : {}),
        ...(c.params.address !== undefined ? { address: addressOf(c.params.address) } : {}),
        ...(c.params.metadata !== undefined ? { metadata: mergeMeta(cus.metadata, c.params.metadata) } : {}),
        ...(dpm !== undefined ? { invoice_settings: { ...(cus.invoice_settings as object), default_payment_method: optStr(dpm) ?? null } } : {}),
      }),
      c,
    );
  }

  private deleteCustomer(_c: Ctx, id: string): Record<string, unknown> {
    const cus = this.liveCustomer(id, 'id');
    this.put({ ...cus, deleted: true });
    return { id, object: 'customer', deleted: true };
  }

  // --------------------------------------------------------------------------- payment methods

  /** A stored payment method, or an unattached one for a test token (stripe-mock answers those). */
  private paymentMethod(id: string): Obj {
    const stored = this.objects.get(id);
    if (stored && stored.object === 'payment_method') return stored;
    const test = testCardOf(id);
    if (test) return this.cardObject(id, test, null, false);
    throw missing('PaymentMethod', id, 'payment_method');
  }

  private cardObject(id: string, test: TestCard, customer: string | null, livemode: boolean): Obj {
    const card = TEST_CARDS[test];
    return {
      id,
      object: 'payment_method',
      allow_redisplay: 'unspecified',
      billing_details: {
        address: { city: 'San Francisco', country: 'US', line1: '1234 Fake Street', line2: null, postal_code: '94102', state: 'CA' },
        email: null,
        name: null,
        phone: null,
      },
      card: {
        brand: card.brand,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        country: 'US',
        display_brand: card.brand,
        exp_month: 12,
        exp_year: 2034,
        fingerprint: this.digest(card.number).slice(0, 16),
        funding: 'credit',
        last4: card.last4,
        networks: { available: [card.brand], preferred: null },
        wallet: null,
      },
      created: this.unix(),
      customer,
      livemode,
      metadata: {},
      type: 'card',
    };
  }

  private createPaymentMethod(c: Ctx): Obj {
    if (optStr(c.params.type) !== 'card') throw invalid('The emulator creates card payment methods only (type=card).', 'type');
    const token = optStr(pick(c.params.card, 'token')) ?? optStr(pick(c.params.card, 'number')) ?? '';
    const test = testCardOf(token.replace(/^tok_/, 'pm_card_'));
    if (!test) throw invalid(`Use a test card: card[token]=tok_visa|tok_mastercard|tok_chargeCustomerFail or card[number] ${Object.values(TEST_CARDS).map((x) => x.number).join(', ')}.`, 'card');
    return this.put(this.cardObject(this.newId('pm'), test, null, c.livemode));
  }

  /** Attaching a test token creates a new payment method for the customer, as Stripe does. */
  private attachPaymentMethod(c: Ctx, id: string, customerId: string): Obj {
    this.liveCustomer(customerId);
    const existing = this.objects.get(id);
    let pm: Obj;
    if (existing && existing.object === 'payment_method') {
      if (existing.customer && existing.customer !== customerId) throw invalid(`The payment method you provided has already been attached to a customer.`, 'payment_method');
      pm = this.put({ ...existing, customer: customerId });
    } else {
      const test = testCardOf(id);
      if (!test) throw missing('PaymentMethod', id, 'payment_method');
      pm = this.put(this.cardObject(this.newId('pm'), test, customerId, c.livemode));
    }
    this.raise(c, 'payment_method.attached', pm);
    return pm;
  }

  private detachPaymentMethod(c: Ctx, id: string): Obj {
    const pm = this.paymentMethod(id);
    if (!pm.customer) throw invalid(`The payment method you provided is not attached to a customer so detachment is impossible.`, 'payment_method');
    const next = this.put({ ...pm, customer: null });
    this.raise(c, 'payment_method.detached', next);
    return next;
  }

  // ------------------------------------------------------------------------------ setup intents

  private newSetupIntent(c: Ctx, fields: { customer: string | null; metadata: Record<string, string>; usage?: string; paymentMethodTypes?: string[] }): Obj {
    const id = this.newId('seti');
    return this.put({
      id,
      object: 'setup_intent',
      application: null,
      automatic_payment_methods: null,
      cancellation_reason: null,
      client_secret: `${id}_secret_${this.digest(id).slice(0, 24)}`,
      created: this.unix(),
      customer: fields.customer,
      description: null,
      flow_directions: null,
      last_setup_error: null,
      latest_attempt: null,
      livemode: c.livemode,
      mandate: null,
      metadata: fields.metadata,
      next_action: null,
      on_behalf_of: null,
      payment_method: null,
      payment_method_options: {},
      payment_method_types: fields.paymentMethodTypes ?? ['card'],
      single_use_mandate: null,
      status: 'requires_payment_method',
      usage: fields.usage ?? 'off_session',
    });
  }

  private createSetupIntent(c: Ctx): Obj {
    const customer = optStr(c.params.customer);
    if (customer) this.liveCustomer(customer);
    const si = this.newSetupIntent(c, { customer: customer ?? null, metadata: meta(c.params.metadata), ...(optStr(c.params.usage) ? { usage: optStr(c.params.usage)! } : {}) });
    this.raise(c, 'setup_intent.created', si);
    const pm = optStr(c.params.payment_method);
    return c.params.confirm === 'true' ? this.confirmSetupIntent(c, si.id, pm) : pm ? this.put({ ...si, payment_method: pm, status: 'requires_confirmation' }) : si;
  }

  private confirmSetupIntent(c: Ctx, id: string, paymentMethod: string | undefined): Obj {
    const si = this.get('setup_intent', id);
    if (si.status === 'succeeded' || si.status === 'canceled') throw invalid(`You cannot confirm this SetupIntent because it has a status of ${String(si.status)}.`);
    const pmId = paymentMethod ?? (si.payment_method as string | null);
    if (!pmId) throw invalid('You cannot confirm this SetupIntent because it\'s missing a payment method.', 'payment_method');
    let pm = this.paymentMethod(pmId);
    if (si.customer && pm.customer !== si.customer) pm = this.attachPaymentMethod(c, pmId, si.customer as string);
    return this.succeedSetupIntent(c, si, pm.id);
  }

  private succeedSetupIntent(c: Ctx, si: Obj, pmId: string): Obj {
    const next = this.put({ ...si, payment_method: pmId, status: 'succeeded' });
    this.raise(c, 'setup_intent.succeeded', next);
    return next;
  }

  // --------------------------------------------------------------------------- checkout, portal

  private createCheckoutSession(c: Ctx): Obj {
    const p = c.params;
    const mode = str(p.mode, 'mode');
    if (mode !== 'setup') throw invalid('The emulated Stripe creates Checkout Sessions in setup mode only (mode=setup), as OpenMeter uses them.', 'mode');
    const customer = optStr(p.customer);
    if (customer) this.liveCustomer(customer);
    const uiMode = optStr(p.ui_mode) ?? 'hosted';
    if (uiMode === 'hosted' && !optStr(p.success_url)) throw invalid('You must provide a success_url.', 'success_url');
    if (uiMode === 'embedded' && optStr(p.cancel_url)) throw invalid('You may not specify a cancel_url when ui_mode is embedded.', 'cancel_url');
    if (uiMode === 'embedded' && !optStr(p.return_url) && p.redirect_on_completion !== 'never') throw invalid('return_url is required when ui_mode is embedded.', 'return_url');
    const currency = optStr(p.currency)?.toLowerCase() ?? null;
    const siData = (typeof p.setup_intent_data === 'object' && !Array.isArray(p.setup_intent_data) ? p.setup_intent_data : {}) as FormObject;
    const si = this.newSetupIntent(c, {
      customer: customer ?? null,
      metadata: meta(siData.metadata),
      ...(Array.isArray(p.payment_method_types) ? { paymentMethodTypes: strList(p.payment_method_types, 'payment_method_types') } : {}),
    });
    const id = `cs_${c.livemode ? 'live' : 'test'}_${this.digest(si.id).slice(0, 58)}`;
    const expiresAt = optStr(p.expires_at) ? Number(p.expires_at) : this.unix() + 24 * 3600;
    return this.put({
      id,
      object: 'checkout.session',
      billing_address_collection: optStr(p.billing_address_collection) ?? null,
      cancel_url: optStr(p.cancel_url) ?? null,
      client_reference_id: optStr(p.client_reference_id) ?? null,
      client_secret: uiMode === 'embedded' ? `${id}_secret_${this.digest(id).slice(0, 24)}` : null,
      consent_collection: p.consent_collection ?? null,
      created: this.unix(),
      currency,
      custom_text: p.custom_text ?? { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
      customer: customer ?? null,
      customer_creation: null,
      customer_details: null,
      // Stripe fills this only from a `customer_email` param, which OpenMeter never sends
      customer_email: null,
      expires_at: expiresAt,
      livemode: c.livemode,
      locale: optStr(p.locale) ?? null,
      metadata: meta(p.metadata),
      mode,
      payment_intent: null,
      payment_method_types: si.payment_method_types,
      payment_status: 'no_payment_required',
      redirect_on_completion: optStr(p.redirect_on_completion) ?? (uiMode === 'embedded' ? 'always' : undefined),
      return_url: optStr(p.return_url) ?? null,
      setup_intent: si.id,
      status: 'open',
      success_url: optStr(p.success_url) ?? null,
      tax_id_collection: p.tax_id_collection ? { enabled: pick(p.tax_id_collection, 'enabled') === 'true', required: optStr(pick(p.tax_id_collection, 'required')) ?? 'never' } : null,
      ui_mode: uiMode,
      url: uiMode === 'hosted' ? `${this.opts.publicUrl()}/checkout/${id}` : null,
    });
  }

  private expireCheckoutSession(c: Ctx, id: string): Obj {
    const s = this.get('checkout.session', id);
    if (s.status !== 'open') throw invalid(`Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${String(s.status)}".`);
    const next = this.put({ ...s, status: 'expired' });
    this.raise(c, 'checkout.session.expired', next);
    return next;
  }

  private createPortalSession(c: Ctx): Obj {
    const customer = str(c.params.customer, 'customer');
    this.liveCustomer(customer);
    const configuration = optStr(c.params.configuration) ?? this.defaultPortalConfiguration(c).id;
    if (!this.objects.has(configuration)) throw missing('configuration', configuration, 'configuration');
    const id = this.newId('bps');
    return this.put({
      id,
      object: 'billing_portal.session',
      configuration,
      created: this.unix(),
      customer,
      flow: null,
      livemode: c.livemode,
      locale: optStr(c.params.locale) ?? null,
      on_behalf_of: null,
      return_url: optStr(c.params.return_url) ?? null,
      url: `${this.opts.publicUrl()}/billing_portal/${id}`,
    });
  }

  private defaultPortalConfiguration(c: Ctx): Obj {
    const existing = [...this.objects.values()].find((o) => o.object === 'billing_portal.configuration' && o.is_default);
    if (existing) return existing;
    return this.put({ id: this.newId('bpc'), object: 'billing_portal.configuration', active: true, is_default: true, created: this.unix(), livemode: c.livemode, metadata: {} });
  }

  // ---------------------------------------------------------------------------------- invoices

  private createInvoice(c: Ctx): Obj {
    const p = c.params;
    const customer = this.liveCustomer(str(p.customer, 'customer'));
    const collection = optStr(p.collection_method) ?? 'charge_automatically';
    if (collection === 'send_invoice' && !optStr(p.days_until_due) && !optStr(p.due_date)) throw invalid('Missing required param: days_until_due.', 'days_until_due');
    const id = this.newId('in');
    return this.put({
      id,
      object: 'invoice',
      account_country: 'US',
      amount_due: 0,
      amount_paid: 0,
      amount_remaining: 0,
      attempt_count: 0,
      attempted: false,
      auto_advance: p.auto_advance === undefined ? true : p.auto_advance === 'true',
      automatic_tax: { enabled: pick(p.automatic_tax, 'enabled') === 'true', liability: null, status: null },
      collection_method: collection,
      created: this.unix(),
      currency: (optStr(p.currency) ?? (customer.currency as string | null) ?? 'usd').toLowerCase(),
      customer: customer.id,
      customer_email: customer.email ?? null,
      customer_name: customer.name ?? null,
      default_payment_method: optStr(p.default_payment_method) ?? null,
      description: optStr(p.description) ?? null,
      due_date: collection === 'send_invoice' ? this.unix() + Number(optStr(p.days_until_due) ?? '0') * 86400 : null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      last_finalization_error: null,
      lines: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/invoices/${id}/lines` },
      livemode: c.livemode,
      metadata: meta(p.metadata),
      next_payment_attempt: null,
      number: null,
      paid: false,
      payment_intent: null,
      period_end: this.unix(),
      period_start: this.unix(),
      status: 'draft',
      status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
      subtotal: 0,
      tax: null,
      total: 0,
    });
  }

  private updateInvoice(c: Ctx, id: string): Obj {
    const inv = this.get('invoice', id);
    const p = c.params;
    const editable = inv.status === 'draft';
    if (!editable && Object.keys(p).some((k) => !['metadata', 'description', 'expand', 'auto_advance'].includes(k))) {
      throw invalid(`You can only modify metadata, description and auto_advance on a ${String(inv.status)} invoice.`);
    }
    return this.put({
      ...inv,
      ...(p.automatic_tax !== undefined ? { automatic_tax: { ...(inv.automatic_tax as object), enabled: pick(p.automatic_tax, 'enabled') === 'true' } } : {}),
      ...(p.auto_advance !== undefined ? { auto_advance: p.auto_advance === 'true' } : {}),
      ...(p.default_payment_method !== undefined ? { default_payment_method: optStr(p.default_payment_method) ?? null } : {}),
      ...(p.description !== undefined ? { description: optStr(p.description) ?? null } : {}),
      ...(p.metadata !== undefined ? { metadata: mergeMeta(inv.metadata, p.metadata) } : {}),
    });
  }

  private deleteInvoice(id: string): Record<string, unknown> {
    const inv = this.get('invoice', id);
    if (inv.status !== 'draft') throw invalid(`You can only delete draft invoices. This invoice has status ${String(inv.status)}.`);
    for (const ii of this.itemsOf(id)) this.objects.delete(ii.id);
    this.objects.delete(id);
    return { id, object: 'invoice', deleted: true };
  }

  private itemsOf(invoiceId: string): Obj[] {
    return [...this.objects.values()].filter((o) => o.object === 'invoiceitem' && o.invoice === invoiceId && !o.deleted);
  }

  private lineOf(ii: Obj): Record<string, unknown> {
    return {
      id: ii.line_id,
      object: 'line_item',
      amount: ii.amount,
      currency: ii.currency,
      description: ii.description,
      discountable: true,
      discounts: [],
      invoice: ii.invoice,
      // acacia: OpenMeter matches lines to items through this top-level field
      invoice_item: ii.id,
      livemode: ii.livemode,
      metadata: ii.metadata,
      parent: { type: 'invoice_item_details', invoice_item_details: { invoice_item: ii.id, proration: false, subscription: null } },
      period: ii.period,
      proration: false,
      quantity: 1,
      type: 'invoiceitem',
    };
  }

  private invoiceLines(c: Ctx, id: string): Record<string, unknown> {
    this.get('invoice', id);
    const all = this.itemsOf(id).map((ii) => this.lineOf(ii));
    return this.page(all, c, `/v1/invoices/${id}/lines`);
  }

  /** Totals and the embedded first page of lines, after any item change. */
  private recompute(invoiceId: string): Obj {
    const inv = this.get('invoice', invoiceId);
    const lines = this.itemsOf(invoiceId).map((ii) => this.lineOf(ii));
    const total = lines.reduce((s, l) => s + (l.amount as number), 0);
    return this.put({
      ...inv,
      subtotal: total,
      total,
      amount_due: Math.max(total, 0),
      amount_remaining: Math.max(total, 0),
      lines: { object: 'list', data: lines.slice(0, 10), has_more: lines.length > 10, total_count: lines.length, url: `/v1/invoices/${invoiceId}/lines` },
    });
  }

  private createInvoiceItem(c: Ctx): Obj {
    const p = c.params;
    const customer = this.liveCustomer(str(p.customer, 'customer'));
    const invoiceId = optStr(p.invoice);
    const inv = invoiceId ? this.get('invoice', invoiceId) : undefined;
    if (inv && inv.status !== 'draft') throw invalid(`You can only add invoice items to draft invoices. Invoice ${inv.id} has status ${String(inv.status)}.`, 'invoice');
    if (inv && inv.customer !== customer.id) throw invalid(`The invoice ${inv.id} does not belong to customer ${customer.id}.`, 'invoice');
    if (optStr(p.amount) === undefined && optStr(p.unit_amount) === undefined) throw invalid('Missing required param: amount.', 'amount');
    const amount = Number(optStr(p.amount) ?? Number(optStr(p.unit_amount)) * Number(optStr(p.quantity) ?? '1'));
    if (!Number.isInteger(amount)) throw invalid(`Invalid integer: ${String(p.amount)}`, 'amount');
    const id = this.newId('ii');
    const item = this.put({
      id,
      object: 'invoiceitem',
      amount,
      currency: (optStr(p.currency) ?? (inv?.currency as string | undefined) ?? 'usd').toLowerCase(),
      customer: customer.id,
      date: this.unix(),
      description: optStr(p.description) ?? null,
      discountable: true,
      invoice: inv?.id ?? null,
      line_id: this.newId('il'),
      livemode: c.livemode,
      metadata: meta(p.metadata),
      period: { start: Number(optStr(pick(p.period, 'start')) ?? this.unix()), end: Number(optStr(pick(p.period, 'end')) ?? this.unix()) },
      proration: false,
      quantity: 1,
      tax_behavior: optStr(p.tax_behavior) ?? null,
      tax_code: optStr(p.tax_code) ?? null,
    });
    if (inv) this.recompute(inv.id);
    return publicItem(item);
  }

  /** OpenMeter updates and deletes items by the id of their invoice line (`il_…`). */
  private itemByIdOrLine(id: string): Obj {
    const direct = this.objects.get(id);
    if (direct && direct.object === 'invoiceitem' && !direct.deleted) return direct;
    const byLine = [...this.objects.values()].find((o) => o.object === 'invoiceitem' && o.line_id === id && !o.deleted);
    if (!byLine) throw missing('invoiceitem', id);
    return byLine;
  }

  private invoiceItem(id: string): Obj {
    return publicItem(this.itemByIdOrLine(id));
  }

  private updateInvoiceItem(c: Ctx, id: string): Obj {
    const ii = this.itemByIdOrLine(id);
    const p = c.params;
    const inv = ii.invoice ? this.get('invoice', ii.invoice as string) : undefined;
    if (inv && inv.status !== 'draft') throw invalid(`Invoice items on a ${String(inv.status)} invoice cannot be updated.`);
    const next = this.put({
      ...ii,
      ...(p.amount !== undefined ? { amount: Number(optStr(p.amount)) } : {}),
      ...(p.description !== undefined ? { description: optStr(p.description) ?? null } : {}),
      ...(p.metadata !== undefined ? { metadata: mergeMeta(ii.metadata, p.metadata) } : {}),
      ...(p.period !== undefined ? { period: { start: Number(optStr(pick(p.period, 'start'))), end: Number(optStr(pick(p.period, 'end'))) } } : {}),
      ...(p.tax_behavior !== undefined ? { tax_behavior: optStr(p.tax_behavior) ?? null } : {}),
      ...(p.tax_code !== undefined ? { tax_code: optStr(p.tax_code) ?? null } : {}),
    });
    if (inv) this.recompute(inv.id);
    return publicItem(next);
  }

  private deleteInvoiceItem(id: string): Record<string, unknown> {
    const ii = this.itemByIdOrLine(id);
    const inv = ii.invoice ? this.get('invoice', ii.invoice as string) : undefined;
    if (inv && inv.status !== 'draft') throw invalid(`Invoice items on a ${String(inv.status)} invoice cannot be deleted.`);
    this.objects.delete(ii.id);
    if (inv) this.recompute(inv.id);
    return { id: ii.id, object: 'invoiceitem', deleted: true };
  }

  private finalizeInvoice(c: Ctx, id: string): Obj {
    const inv = this.recompute(id);
    if (inv.status !== 'draft') throw invalid(`This invoice is already finalized, you can't re-finalize a non-draft invoice.`);
    const customer = this.get('customer', inv.customer as string);
    const seq = Number(customer.next_invoice_sequence ?? 1);
    this.put({ ...customer, next_invoice_sequence: seq + 1 });
    this.invoiceSeq += 1;
    const due = inv.amount_due as number;
    const now = this.unix();
    const paid = due === 0;
    const autoAdvance = c.params.auto_advance === undefined ? inv.auto_advance : c.params.auto_advance === 'true';
    const next = this.put({
      ...inv,
      auto_advance: autoAdvance,
      // automatic collection: Stripe attempts the charge on its own (collectDue)
      next_payment_attempt: !paid && autoAdvance && inv.collection_method === 'charge_automatically' ? now : null,
      number: `${String(customer.invoice_prefix)}-${String(seq).padStart(4, '0')}`,
      hosted_invoice_url: `${this.opts.publicUrl()}/invoice/${id}`,
      invoice_pdf: `${this.opts.publicUrl()}/invoice/${id}/pdf`,
      payment_intent: paid ? null : this.newId('pi'),
      paid,
      status: paid ? 'paid' : 'open',
      status_transitions: { ...(inv.status_transitions as object), finalized_at: now, ...(paid ? { paid_at: now } : {}) },
    });
    this.raise(c, 'invoice.finalized', next);
    // What follows a finalization reaches the endpoints after the finalize was answered, as
    // Stripe's asynchronous webhooks do: the caller (OpenMeter's app) records the finalization
    // before it hears of the payment. They go out with the next `collectDue` of this invoice.
    const later: Ctx = { ...c, events: [] };
    // an auto-advancing send_invoice invoice is emailed to the customer at finalization
    if (!paid && autoAdvance && inv.collection_method === 'send_invoice') this.raise(later, 'invoice.sent', next);
    if (paid) {
      this.raise(later, 'invoice.paid', next);
      this.raise(later, 'invoice.payment_succeeded', next);
    }
    if (later.events.length) this.deferred.set(id, [...(this.deferred.get(id) ?? []), ...later.events]);
    return next;
  }

  /**
   * Charges the invoice's payment method (`payment_method` param, the invoice's default, then
   * the customer's). `pm_card_chargeCustomerFail` attaches fine but is declined here.
   */
  private payInvoice(c: Ctx, id: string, paymentMethod: string | undefined): Obj {
    let inv = this.get('invoice', id);
    if (inv.status === 'draft') inv = this.finalizeInvoice(c, id);
    if (inv.status === 'paid') throw invalid('Invoice is already paid.');
    if (inv.status !== 'open') throw invalid(`This invoice can no longer be paid: it has status ${String(inv.status)}.`);
    const failure = this.charge(c, inv, paymentMethod);
    if (failure) throw failure;
    return this.get('invoice', id);
  }

  /**
   * One payment attempt on an open invoice: the payment method given, else the invoice's
   * default, else the customer's. A declined card or no payment method at all raises
   * `invoice.payment_failed` and answers the error; success pays the invoice.
   */
  private charge(c: Ctx, inv: Obj, paymentMethod: string | undefined): StripeError | undefined {
    const customer = this.get('customer', inv.customer as string);
    const pmId = paymentMethod ?? (inv.default_payment_method as string | null) ?? ((customer.invoice_settings as Record<string, unknown>).default_payment_method as string | null);
    const declined = (e: StripeError): StripeError => {
      const failed = this.put({ ...inv, attempted: true, attempt_count: (inv.attempt_count as number) + 1, next_payment_attempt: null });
      this.raise(c, 'invoice.payment_failed', failed);
      return e;
    };
    if (!pmId) {
      return declined(invalid('This customer has no attached payment source or default payment method. Please consider adding a default payment method.', 'payment_method'));
    }
    const pm = this.paymentMethod(pmId);
    const test = (Object.keys(TEST_CARDS) as TestCard[]).find((k) => TEST_CARDS[k].last4 === (pm.card as Record<string, unknown>).last4);
    const now = this.unix();
    if (test && TEST_CARDS[test].failsCharge) {
      return declined(new StripeError(402, 'card_error', 'Your card was declined.', { code: 'card_declined', decline_code: 'generic_decline' }));
    }
    if (test && TEST_CARDS[test].requires3ds && !this.authenticated.has(pm.id)) {
      // the bank asks the customer to authenticate: the invoice stays open, waiting for them
      const waiting = this.put({ ...inv, attempted: true, attempt_count: (inv.attempt_count as number) + 1, next_payment_attempt: null });
      this.raise(c, 'invoice.payment_action_required', waiting);
      return new StripeError(402, 'card_error', 'Your card was declined. This transaction requires authentication.', { code: 'authentication_required', decline_code: 'authentication_required' });
    }
    const next = this.put({
      ...inv,
      amount_paid: inv.amount_due,
      amount_remaining: 0,
      attempted: true,
      attempt_count: (inv.attempt_count as number) + 1,
      next_payment_attempt: null,
      paid: true,
      status: 'paid',
      status_transitions: { ...(inv.status_transitions as object), paid_at: now },
    });
    this.raise(c, 'invoice.paid', next);
    this.raise(c, 'invoice.payment_succeeded', next);
    return undefined;
  }

  private closeInvoice(c: Ctx, id: string, to: 'void' | 'uncollectible'): Obj {
    const inv = this.get('invoice', id);
    const allowed = to === 'void' ? ['open', 'uncollectible'] : ['open'];
    if (!allowed.includes(inv.status as string)) throw invalid(`You can only ${to === 'void' ? 'void' : 'mark as uncollectible'} invoices with status ${allowed.join(' or ')}; this one is ${String(inv.status)}.`);
    const next = this.put({
      ...inv,
      status: to,
      status_transitions: { ...(inv.status_transitions as object), ...(to === 'void' ? { voided_at: this.unix() } : { marked_uncollectible_at: this.unix() }) },
    });
    this.raise(c, to === 'void' ? 'invoice.voided' : 'invoice.marked_uncollectible', next);
    return next;
  }

  // ------------------------------------------------------------------------------------ events

  private raise(c: Ctx, type: string, object: Obj, previousAttributes?: Record<string, unknown>): void {
    const evt = this.put({
      id: this.newId('evt'),
      object: 'event',
      api_version: STRIPE_API_VERSION,
      created: this.unix(),
      data: { object: structuredClone(object.object === 'webhook_endpoint' ? withoutSecret(object) : publicOf(object)), ...(previousAttributes ? { previous_attributes: previousAttributes } : {}) },
      livemode: c.livemode,
      pending_webhooks: 0,
      request: { id: c.requestId, idempotency_key: c.idempotencyKey ?? null },
      type,
    });
    c.events.push(evt);
  }

  /** Signed POSTs to every enabled endpoint listening for each event, in order. */
  private async deliverAll(events: Obj[]): Promise<void> {
    for (const evt of events) {
      const endpoints = [...this.objects.values()].filter(
        (o) => o.object === 'webhook_endpoint' && !o.deleted && o.status === 'enabled' && o.livemode === evt.livemode && ((o.enabled_events as string[]).includes('*') || (o.enabled_events as string[]).includes(evt.type as string)),
      );
      for (const we of endpoints) {
        // an endpoint created with an api_version receives events rendered in it
        const body = JSON.stringify({ ...evt, api_version: (we.api_version as string | null) ?? STRIPE_API_VERSION }, null, 2);
        const t = this.unix();
        const status = await this.opts.deliver({
          url: we.url as string,
          headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': stripeSignatureHeader(we.secret as string, t, body), 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
          body,
        });
        this.deliveries.push({ eventId: evt.id, type: evt.type as string, endpointId: we.id, url: we.url as string, status });
      }
    }
  }

  // ----------------------------------------------------------------------------------- helpers

  private internalCtx(): Ctx {
    return { livemode: false, params: {}, query: {}, requestId: `req_${this.nextSuffix()}`, idempotencyKey: undefined, events: [] };
  }

  private get(object: string, id: string): Obj {
    const o = this.objects.get(id);
    if (!o || o.object !== object || (o.deleted && object !== 'customer')) throw missing(object.replace('checkout.session', 'checkout.session').replace('_', ' '), id);
    return o;
  }

  private remove(object: string, id: string): Record<string, unknown> {
    this.get(object, id);
    this.objects.delete(id);
    return { id, object, deleted: true };
  }

  private put(o: Obj): Obj {
    this.objects.set(o.id, o);
    return o;
  }

  private list(object: string, c: Ctx, url: string, filter: (o: Obj) => boolean = () => true): Record<string, unknown> {
    const all = [...this.objects.values()].filter((o) => o.object === object && !o.deleted && filter(o)).map((o) => publicOf(o));
    // Stripe lists newest first
    return this.page(all.reverse(), c, url);
  }

  private page(all: Array<Record<string, unknown>>, c: Ctx, url: string): Record<string, unknown> {
    const limit = Math.min(Math.max(Number(optStr(c.query.limit) ?? '10') || 10, 1), 100);
    const after = optStr(c.query.starting_after);
    const before = optStr(c.query.ending_before);
    let from = 0;
    let to = all.length;
    if (after) from = all.findIndex((x) => x.id === after) + 1;
    if (before) to = Math.max(all.findIndex((x) => x.id === before), 0);
    const data = before ? all.slice(Math.max(to - limit, 0), to) : all.slice(from, from + limit);
    return { object: 'list', data, has_more: before ? to - limit > 0 : from + limit < all.length, url };
  }

  /** `expand[]` paths: an id at the end of the path is replaced by its object. */
  private expand<T extends Record<string, unknown>>(o: T, c: Ctx): T {
    const out = structuredClone(publicOf(o as unknown as Obj)) as Record<string, unknown>;
    for (const path of expandList(c)) {
      const segs = path.split('.');
      let node: Record<string, unknown> | undefined = out;
      for (let i = 0; i < segs.length - 1 && node; i++) node = node[segs[i]!] as Record<string, unknown> | undefined;
      const leaf = segs[segs.length - 1]!;
      if (node && typeof node[leaf] === 'string') {
        const target = this.objects.get(node[leaf] as string);
        if (target) node[leaf] = structuredClone(publicOf(target));
      }
    }
    return out as T;
  }

  private newId(prefix: string): string {
    return `${prefix}_${this.nextSuffix()}`;
  }

  /** 14 characters like Stripe's, deterministic: `1LM` + the counter in base 36. */
  private nextSuffix(): string {
    this.seq += 1;
    return `1LM${this.seq.toString(36).padStart(11, '0')}`;
  }

  private digest(s: string): string {
    return createHash('sha256').update(`localmeter-stripe:${s}`).digest('hex');
  }

  private unix(): number {
    return Math.floor(this.opts.now().getTime() / 1000);
  }
}

// ------------------------------------------------------------------------------------ params

function bearer(h: string | undefined): string | undefined {
  if (!h) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  if (m) return m[1]!.trim();
  // basic auth with the key as user name, as curl -u sk_test_…: does
  const b = /^Basic\s+(.+)$/i.exec(h.trim());
  if (b) return Buffer.from(b[1]!, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

const maskKey = (k: string): string => (k.length > 8 ? `${k.slice(0, 8)}${'*'.repeat(Math.max(k.length - 12, 0))}${k.slice(-4)}` : k);

function str(v: FormValue | undefined, param: string): string {
  if (typeof v !== 'string' || v === '') throw invalid(`Missing required param: ${param}.`, param);
  return v;
}

function optStr(v: FormValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function strList(v: FormValue | undefined, param: string): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string')) throw invalid(`Missing required param: ${param}.`, param);
  return v as string[];
}

function pick(v: FormValue | undefined, key: string): FormValue | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v[key] : undefined;
}

function meta(v: FormValue | undefined): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string' && x !== '') out[k] = x;
  return out;
}

/** Stripe merges metadata on update; an empty value removes a key, `metadata=` clears all. */
function mergeMeta(current: unknown, v: FormValue | undefined): Record<string, string> {
  if (v === '') return {};
  const out = { ...((current as Record<string, string>) ?? {}) };
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === '') delete out[k];
      else if (typeof x === 'string') out[k] = x;
    }
  }
  return out;
}

function addressOf(v: FormValue | undefined): Record<string, string | null> | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const f = (k: string) => optStr(pick(v, k)) ?? null;
  return { city: f('city'), country: f('country'), line1: f('line1'), line2: f('line2'), postal_code: f('postal_code'), state: f('state') };
}

function expandList(c: Ctx): string[] {
  const e = c.params.expand ?? c.query.expand;
  if (Array.isArray(e)) return e.filter((x): x is string => typeof x === 'string');
  return typeof e === 'string' ? [e] : [];
}

const withoutSecret = (we: Obj): Obj => {
  const { secret: _s, ...rest } = we;
  return rest as Obj;
};

/** Internal bookkeeping fields never leave the emulator. */
function publicOf(o: Obj): Obj {
  if (o.object === 'invoiceitem') return publicItem(o);
  if (o.object === 'webhook_endpoint') return withoutSecret(o);
  if (o.object === 'setup_intent' && 'portal_session' in o) {
    const { portal_session: _s, ...rest } = o;
    return rest as Obj;
  }
  return o;
}

function publicItem(ii: Obj): Obj {
  const { line_id: _l, ...rest } = ii;
  return rest as Obj;
}
