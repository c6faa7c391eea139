import type { ApiKeyService } from '../../domain/apikeys/ApiKeyService.ts';
import type { AppService } from '../../domain/apps/AppService.ts';
import type { CheckoutOptions, CheckoutSessionResult, DeletedCustomerAnswer, PortalSessionResult, StripeAppService, WebhookResult } from '../../domain/apps/StripeAppService.ts';
import type { App, CapabilityType, CustomerAppData, CustomerAppDataItemInput, UpdateAppInput } from '../../domain/apps/types.ts';
import type { CustomerInput } from '../../domain/customers/types.ts';
import type { BillingProfileService } from '../../domain/billing/profiles/BillingProfileService.ts';
import type { ChargeService } from '../../domain/billing/charges/ChargeService.ts';
import type { CreditService } from '../../domain/billing/credits/CreditService.ts';
import type { CustomerBilling, CustomerBillingAppData, CustomerBillingService } from '../../domain/billing/profiles/CustomerBillingService.ts';
import type { AddonService } from '../../domain/catalog/AddonService.ts';
import type { FeatureService } from '../../domain/catalog/FeatureService.ts';
import type { PlanAddonService } from '../../domain/catalog/PlanAddonService.ts';
import type { PlanService } from '../../domain/catalog/PlanService.ts';
import type { FeatureCostService } from '../../domain/cost/FeatureCostService.ts';
import type { CustomerService } from '../../domain/customers/CustomerService.ts';
import type { EntitlementService } from '../../domain/entitlements/EntitlementService.ts';
import type { MeteringService } from '../../domain/metering/MeteringService.ts';
import type { NotificationService } from '../../domain/notifications/NotificationService.ts';
import type { SubscriptionService } from '../../domain/subscriptions/SubscriptionService.ts';
import type { MonetizationService } from '../../domain/monetization/MonetizationService.ts';
import type { PortalService } from '../../domain/portal/PortalService.ts';
import type { InvoiceService } from '../../domain/billing/invoices/InvoiceService.ts';
import type { AuditLogService } from '../../domain/platform/AuditLogService.ts';
import type { EdgeService } from '../../domain/platform/EdgeService.ts';
import type { PlatformService } from '../../domain/platform/PlatformService.ts';
import type { CurrencyService } from '../../domain/reference/CurrencyService.ts';
import type { InfoService } from '../../domain/reference/InfoService.ts';
import type { LlmCostService } from '../../domain/reference/LlmCostService.ts';
import type { TaxCodeService } from '../../domain/reference/TaxCodeService.ts';
import type { DueJob, JobRecord } from '../../domain/shared/jobs.ts';
import type { UnitOfWork } from '../../domain/shared/unitOfWork.ts';

/** The domain services of one emulator instance: what handlers call. */
export interface DomainServices {
  metering: MeteringService;
  features: FeatureService;
  plans: PlanService;
  addons: AddonService;
  planAddons: PlanAddonService;
  customers: CustomerService;
  /** what a feature's usage costs (v3 feature cost query) */
  featureCosts: FeatureCostService;
  /** entitlements of customers and their grants (balances replayed from the meter on read) */
  entitlements: EntitlementService;
  /** Zuplo API-key buckets, consumers, keys, managers */
  apiKeys: ApiKeyService;
  /** Zuplo control plane: accounts, projects, environments, deploys, variables */
  platform: PlatformService;
  /** Zuplo tunnels, custom domains, certificates, fleets */
  edge: EdgeService;
  auditLogs: AuditLogService;
  /** reference data: ISO + custom currencies and cost bases, tax codes, LLM prices, v1 info/debug */
  currencies: CurrencyService;
  taxCodes: TaxCodeService;
  llmCosts: LlmCostService;
  info: InfoService;
  /** installed billing apps, marketplace listings, customer app data */
  apps: AppService;
  /** the Stripe app's rules between Stripe calls (customer mapping, sessions, webhook events) */
  stripeApps: StripeAppService;
  /** billing profiles, the default profile and customer overrides */
  billingProfiles: BillingProfileService;
  /** v3 customer billing: a customer's profile binding and its payment app's data */
  customerBilling: CustomerBillingService;
  /** billing credits: grants, the customer credit ledger, balances and transactions */
  credits: CreditService;
  /** flat-fee and usage-based charges, realized by the clock against credits */
  charges: ChargeService;
  invoices: InvoiceService;
  /** notification channels, rules and events (deliveries are effects the runtime performs) */
  notifications: NotificationService;
  /** subscriptions, their edits and add-ons; provisions the entitlements of their items over time */
  subscriptions: SubscriptionService;
  /** Zuplo monetization: bucket configuration, plan invites, subscriptions that own API keys, access and payment status */
  monetization: MonetizationService;
  /** the developer portal's view of a bucket, scoped to the signed-in customer */
  portal: PortalService;
}

/**
 * The Stripe app's operations that talk to Stripe. The runtime makes the calls before a command
 * (passing the answers in) or after one (effects), never inside a unit of work; a handler calls
 * one of these instead of a service method.
 */
export interface StripeAppPort {
  installApp(ns: string, input: { type: string; name?: string; apiKey: string; createBillingProfile: boolean }): Promise<{ app: App; defaultForCapabilityTypes: CapabilityType[] }>;
  /** any app's update; a Stripe key in it is verified with Stripe first */
  updateApp(ns: string, input: UpdateAppInput): Promise<App>;
  updateApiKey(ns: string, input: { id: string; apiKey: string }): Promise<App>;
  upsertCustomerData(ns: string, input: { customerIdOrKey: string; stripeCustomerId: string; stripeDefaultPaymentMethodId?: string; deleted?: DeletedCustomerAnswer }): Promise<{ app: App; data: CustomerAppData }>;
  /** v1 `PUT /customers/{id}/apps`: Stripe items are checked in Stripe before the upsert */
  upsertCustomerAppData(ns: string, input: { customerIdOrKey: string; items: CustomerAppDataItemInput[] }): Promise<Array<CustomerAppData & { app: App }>>;
  /** v3 `PUT /customers/{id}/billing` and `…/billing/app-data`: Stripe data is checked in Stripe before it is stored */
  updateCustomerBilling(ns: string, input: { customerId: string; billingProfileId?: string; appData?: CustomerBillingAppData }): Promise<CustomerBilling>;
  updateCustomerBillingAppData(ns: string, input: { customerId: string; appData: CustomerBillingAppData }): Promise<CustomerBilling>;
  createCheckoutSession(
    ns: string,
    input: { customerIdOrKey?: string; createCustomer?: CustomerInput; appId?: string; stripeCustomerId?: string; options: CheckoutOptions; deleted: DeletedCustomerAnswer },
  ): Promise<CheckoutSessionResult>;
  createPortalSession(ns: string, input: { customerIdOrKey: string; configurationId?: string; locale?: string; returnUrl?: string; deleted: DeletedCustomerAnswer }): Promise<PortalSessionResult>;
  /** `POST /api/v1/apps/{id}/stripe/webhook`: the app is found in whichever namespace holds it */
  handleWebhook(input: { appId: string; payload: string; signature: string | undefined }): Promise<WebhookResult>;
}

/** A function that runs as one command; a Promise-returning one would commit before its first await. */
export type Command<T> = (tx: UnitOfWork) => T extends PromiseLike<unknown> ? never : T;

/** What the surfaces need from the composition root (runtime/Emulator implements it). */
export interface EmulatorPort {
  readonly services: DomainServices;
  readonly stripeApp: StripeAppPort;
  /** one command = one unit of work in `ns`: commits once if `fn` returns, then performs its effects */
  run<T>(ns: string, fn: Command<T>): Promise<T>;
  /** read-only access to `ns` (nothing written is kept) */
  read<T>(ns: string, fn: (tx: UnitOfWork) => T): T;
  readonly log: { info(...args: unknown[]): void; error(...args: unknown[]): void };
  readonly control: ControlPort;
}

export interface JournalEntryView {
  id: number;
  at: string;
  method: string;
  path: string;
  surface: string;
  operationId?: string;
  status: number;
  durationMs: number;
  /** the decoded request body (JSON, text) when one was sent and it was at most 64 KiB */
  body?: unknown;
  /** a larger or binary body is noted by its size only: the journal must not hold an ingest load */
  bodyBytes?: number;
}

/** The emulator's own control plane (`/_emulator`): only the control surface uses it. */
export interface ControlPort {
  clock(): { now: Date; frozen: boolean };
  setClock(now: Date): void;
  freezeClock(): void;
  unfreezeClock(): void;
  /** moves the clock to `target`, running every job due on the way, in time order */
  advanceTo(target: Date): Promise<JobRecord[]>;
  pendingJobs(until: Date): DueJob[];
  reset(namespace?: string): Promise<void>;
  exportSnapshot(): Promise<Record<string, unknown>>;
  importSnapshot(snapshot: Record<string, unknown>): Promise<void>;
  requests(filter: { limit?: number; surface?: string; status?: number; operationId?: string }): JournalEntryView[];
  clearRequests(): void;
  uptimeSeconds(): number;
  /** the emulated Stripe's port and URL, and what the Stripe app calls */
  stripeInfo(): { port: number; url?: string; appApiBase: string };
  /** completes a checkout session of the emulated Stripe with a test card (the local page's action) */
  completeStripeCheckout(
    sessionId: string,
    card: string,
    challenge?: 'complete' | 'fail',
  ): Promise<{ session: Record<string, unknown>; paymentMethod?: string; requiresAction?: true; redirectUrl?: string }>;
  /** adds a test card in a billing portal session of the emulated Stripe and makes it the default (the portal page's action) */
  updateStripePortalPaymentMethod(
    sessionId: string,
    card: string,
    challenge?: 'complete' | 'fail',
  ): Promise<{ customer: Record<string, unknown>; paymentMethod?: string; requiresAction?: true; redirectUrl?: string }>;
  revokeStripeKey(key: string): void;
}
