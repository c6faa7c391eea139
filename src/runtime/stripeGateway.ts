import Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../stripe/StripeEmulator.ts';

/** A Stripe answer other than 2xx (or no answer: status 0), with what OpenMeter's mapping needs. */
export class StripeCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly requestLogUrl?: string,
  ) {
    super(message);
  }
}

export interface StripeGatewayOptions {
  /** `--stripe-api-base`: a real stripe-mock or Stripe; absent → `fetchImpl` (the emulated Stripe in process) */
  apiBase?: string;
  fetchImpl?: typeof fetch;
}

/**
 * The Stripe app's client: the `stripe` SDK pinned to OpenMeter's API version (acacia), two
 * retries as stripe-go does (the SDK then sends an Idempotency-Key on every POST). Only the
 * runtime calls it, before a command or as an effect after one, never inside a unit of work.
 */
export class StripeGateway {
  private readonly clients = new Map<string, Stripe>();

  constructor(private readonly opts: StripeGatewayOptions) {}

  private client(apiKey: string): Stripe {
    let c = this.clients.get(apiKey);
    if (c) return c;
    const base = this.opts.apiBase ? new URL(this.opts.apiBase) : undefined;
    c = new Stripe(apiKey, {
      apiVersion: STRIPE_API_VERSION as Stripe.LatestApiVersion,
      maxNetworkRetries: 2,
      telemetry: false,
      ...(base
        ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' }
        : {}),
      ...(this.opts.fetchImpl && !base ? { httpClient: Stripe.createFetchHttpClient(this.opts.fetchImpl) } : {}),
    });
    this.clients.set(apiKey, c);
    return c;
  }

  private async call<T>(fn: (s: Stripe) => Promise<T>, apiKey: string): Promise<T> {
    try {
      return await fn(this.client(apiKey));
    } catch (e) {
      if (e instanceof Stripe.errors.StripeError) {
        const raw = e.raw as { request_log_url?: string } | undefined;
        throw new StripeCallError(e.statusCode ?? 0, e.message, e.code, raw?.request_log_url);
      }
      throw new StripeCallError(0, (e as Error).message);
    }
  }

  account(apiKey: string): Promise<Stripe.Account> {
    return this.call((s) => s.accounts.retrieve(), apiKey);
  }

  createWebhookEndpoint(apiKey: string, p: { url: string; description: string; events: readonly string[]; metadata: Record<string, string> }): Promise<Stripe.WebhookEndpoint> {
    return this.call(
      (s) =>
        s.webhookEndpoints.create({
          url: p.url,
          description: p.description,
          api_version: STRIPE_API_VERSION as Stripe.WebhookEndpointCreateParams.ApiVersion,
          enabled_events: [...p.events] as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
          metadata: p.metadata,
        }),
      apiKey,
    );
  }

  deleteWebhookEndpoint(apiKey: string, id: string): Promise<unknown> {
    return this.call((s) => s.webhookEndpoints.del(id), apiKey);
  }

  getCustomer(apiKey: string, id: string): Promise<Stripe.Customer | Stripe.DeletedCustomer> {
    return this.call((s) => s.customers.retrieve(id, { expand: ['invoice_settings.default_payment_method', 'tax'] }), apiKey);
  }

  createCustomer(apiKey: string, p: { name: string; email?: string; metadata: Record<string, string> }): Promise<Stripe.Customer> {
    return this.call((s) => s.customers.create(p), apiKey);
  }

  getPaymentMethod(apiKey: string, id: string): Promise<Stripe.PaymentMethod> {
    return this.call((s) => s.paymentMethods.retrieve(id), apiKey);
  }

  createCheckoutSession(apiKey: string, params: Record<string, unknown>): Promise<Stripe.Checkout.Session> {
    return this.call((s) => s.checkout.sessions.create(params as Stripe.Checkout.SessionCreateParams), apiKey);
  }

  createPortalSession(apiKey: string, p: { customer: string; configuration?: string; return_url?: string }): Promise<Stripe.BillingPortal.Session> {
    return this.call((s) => s.billingPortal.sessions.create(p), apiKey);
  }

  // ------------------------------------------------------------------- invoices (stripe.md §6)

  getInvoice(apiKey: string, id: string): Promise<Stripe.Invoice> {
    return this.call((s) => s.invoices.retrieve(id), apiKey);
  }

  /** client/invoice.go CreateInvoice: the idempotency key names the OpenMeter invoice. */
  createInvoice(apiKey: string, params: Stripe.InvoiceCreateParams, idempotencyKey: string): Promise<Stripe.Invoice> {
    return this.call((s) => s.invoices.create(params, { idempotencyKey }), apiKey);
  }

  updateInvoice(apiKey: string, id: string, params: Stripe.InvoiceUpdateParams): Promise<Stripe.Invoice> {
    return this.call((s) => s.invoices.update(id, params), apiKey);
  }

  deleteInvoice(apiKey: string, id: string): Promise<unknown> {
    return this.call((s) => s.invoices.del(id), apiKey);
  }

  finalizeInvoice(apiKey: string, id: string): Promise<Stripe.Invoice> {
    return this.call((s) => s.invoices.finalizeInvoice(id, { auto_advance: true }), apiKey);
  }

  payInvoice(apiKey: string, id: string, paymentMethod: string | undefined): Promise<Stripe.Invoice> {
    return this.call((s) => s.invoices.pay(id, paymentMethod ? { payment_method: paymentMethod } : {}), apiKey);
  }

  /** every line of the invoice, page after page */
  listInvoiceLines(apiKey: string, id: string): Promise<Stripe.InvoiceLineItem[]> {
    return this.call((s) => s.invoices.listLineItems(id, { limit: 100 }).autoPagingToArray({ limit: 10_000 }), apiKey);
  }

  createInvoiceItem(apiKey: string, params: Stripe.InvoiceItemCreateParams): Promise<Stripe.InvoiceItem> {
    return this.call((s) => s.invoiceItems.create(params), apiKey);
  }

  /** addressed by the invoice-line id (`il_…`) as the real app does */
  updateInvoiceItem(apiKey: string, id: string, params: Stripe.InvoiceItemUpdateParams): Promise<Stripe.InvoiceItem> {
    return this.call((s) => s.invoiceItems.update(id, params), apiKey);
  }

  deleteInvoiceItem(apiKey: string, id: string): Promise<unknown> {
    return this.call((s) => s.invoiceItems.del(id), apiKey);
  }
}
