import type { App, AppType } from '../../apps/types.ts';
import type { Feature } from '../../catalog/types.ts';
import type { Customer } from '../../customers/types.ts';
import type { ValidationIssue } from '../../shared/errors.ts';
import type { Dec } from '../../shared/money.ts';
import type { UnitOfWork } from '../../shared/unitOfWork.ts';
import type { SubscriptionChargeItem } from '../charges/types.ts';
import type { CreditApplied } from '../rating/types.ts';
import type { Invoice, InvoiceTrigger, InvoiceView } from './types.ts';

/** Customers as their owner finds them (CustomerService). */
export interface CustomerDirectory {
  findCustomer(tx: UnitOfWork, idOrKey: string): Customer | undefined;
}

/** Features as the catalog finds them (FeatureService). */
export interface FeatureDirectory {
  findFeature(tx: UnitOfWork, idOrKey: string): Feature | undefined;
}

/** The installed apps (AppService). */
export interface AppDirectory {
  liveApps(tx: UnitOfWork): App[];
  /** what an app keeps for a customer (the Stripe app: its Stripe customer) */
  findCustomerAppData(tx: UnitOfWork, input: { customerId: string; appId: string }): { stripeCustomerId?: string } | undefined;
}

/** What an app's in-command validation may look at besides the invoice. */
export interface AppValidationContext {
  customerData?: { stripeCustomerId?: string };
}

/**
 * Usage of a customer on a feature's meter over `[from, to)` (engine.md §1.10 `Q(a, b)`): the
 * wiring answers it with a meter query filtered to the customer and the feature's group-by
 * filters, rows summed.
 */
export interface UsageSource {
  /** with `subscriptionId`, only the events whose `subscription` names it */
  featureUsage(tx: UnitOfWork, input: { feature: Feature; customerId: string; from: string; to: string; subscriptionId?: string }): string;
  /** the same for every customer at once (one pass over the period's events), by customer id */
  featureUsageByCustomer(tx: UnitOfWork, input: { feature: Feature; from: string; to: string }): Map<string, string>;
  /** the meter's aggregation (SUM, COUNT, MAX, UNIQUE_COUNT, AVG, MIN, LATEST), for progressive billing */
  aggregationOf(tx: UnitOfWork, feature: Feature): string | undefined;
}

/** invoice.created / invoice.updated, raised to the notification rules (NotificationService). */
export interface InvoiceEventSink {
  /** `invoice` is called only when some rule listens */
  invoiceEvent(tx: UnitOfWork, type: 'invoice.created' | 'invoice.updated', invoice: () => InvoiceView): void;
  /** whether some rule listens for `type` (a billing run asks at every transition: it spares building the event) */
  listens(tx: UnitOfWork, type: 'invoice.created' | 'invoice.updated'): boolean;
}

/** A sequence the invoicing app numbers its invoices in (`billing/sequence`). */
export interface SequenceDefinition {
  prefix: string;
  scope: string;
}

export interface AppOperationContext {
  app: App;
  now: string;
  /** `<PREFIX>-<CUSTPREFIX>-<n>` in the definition's sequence */
  nextNumber(def: SequenceDefinition, customerName: string): string;
}

/** What an app operation changes on the invoice (`UpsertStandardInvoiceResult`, `FinalizeStandardInvoiceResult`). */
export interface AppOperationResult {
  invoiceNumber?: string;
  sentToCustomerAt?: string;
  externalIds?: Invoice['externalIds'];
  /** Stripe line ids of detailed lines and of amount discounts, by their id */
  lineExternalIds?: Record<string, string>;
  discountExternalIds?: Record<string, string>;
  issues?: ValidationIssue[];
}

/** A trigger an app asks for after the invoice settled in a state (`PostAdvanceStandardInvoiceHook`). */
export interface AppTriggerRequest {
  trigger: InvoiceTrigger;
  /** recorded on the invoice as validation issues of the app's component */
  issues?: ValidationIssue[];
}

/**
 * What an invoicing app implements (`billing.InvoicingApp` and its optional hooks). `validate`
 * and the `can*Advance` guards run inside the command; `upsert`, `finalize` and `delete` are
 * performed by the runtime after the command commits (effect `billing.invoiceAppOperation`),
 * and their results come back through `InvoiceService.completeAppOperation`, which moves the
 * state machine on.
 */
export interface InvoicingApp {
  readonly type: AppType;
  /**
   * The operations call out (Stripe): the runtime performs them and brings their result with
   * the report (`completeAppOperation`'s `result`); `upsert` / `finalize` / `delete` are unused.
   */
  readonly remote?: boolean;
  validate(invoice: Invoice, app: App, ctx: AppValidationContext): ValidationIssue[];
  upsert(invoice: Invoice, ctx: AppOperationContext): AppOperationResult;
  finalize(invoice: Invoice, ctx: AppOperationContext): AppOperationResult;
  delete(invoice: Invoice, ctx: AppOperationContext): AppOperationResult;
  canDraftSyncAdvance(invoice: Invoice, app: App): boolean;
  canIssuingSyncAdvance(invoice: Invoice, app: App): boolean;
  postAdvance?(invoice: Invoice, app: App): AppTriggerRequest | undefined;
}

/**
 * How subscriptions plug into billing (engine.md §3.3): per customer, the billable items of
 * every subscription, each a pending line to keep on the gathering invoice. The subscriptions
 * domain implements it; billing reconciles the gathering invoice against it (not wired yet).
 */
export interface SubscriptionBillableItem extends SubscriptionChargeItem {
  /**
   * the subscription chose its settlement mode: the item is a charge (credit first; `credit_only`
   * never reaches an invoice), as OpenMeter routes items with the credits stack on (decision 0030)
   */
  settledByCharge?: boolean;
}

export interface SubscriptionBillingSource {
  /** items due up to the end of the billing period containing `asOf` (the generation horizon) */
  billableItems(tx: UnitOfWork, input: { customerId: string; asOf: string }): SubscriptionBillableItem[];
  /** customers with subscriptions whose items may need syncing */
  customersWithSubscriptions(tx: UnitOfWork): string[];
  /**
   * every customer's billable items at once (one pass over the subscriptions instead of one per
   * customer); with `dueAfter`, a customer's items due (the earlier of invoiceAt and the billing
   * period's start) at or before that instant (ms) may be left out
   */
  billableItemsByCustomer?(tx: UnitOfWork, input: { asOf: string; dueAfter?: (customerId: string) => number | undefined }): Map<string, readonly SubscriptionBillableItem[]>;
}

/**
 * Billing credits as invoices use them (the `billing/credits` CreditService): the credits step
 * of rating (rating/service/mutator/credits.go) draws the customer's credit for a line and gives
 * back what a recalculation no longer needs; invoice-funded grants hear about their invoice.
 */
export interface InvoiceCredits {
  availableCredit(tx: UnitOfWork, input: { customerId: string; currency: string; featureKey?: string; at: Date }): Dec;
  applyCreditsToLine(tx: UnitOfWork, input: { customerId: string; currency: string; featureKey?: string; amount: Dec; at: Date; lineId: string; name: string }): CreditApplied[];
  returnLineCredits(tx: UnitOfWork, input: { customerId: string; currency: string; lineId: string; amount: Dec; at: Date; name: string }): Dec;
  markGrantInvoiced(tx: UnitOfWork, input: { grantId: string }): unknown;
  markGrantPayment(tx: UnitOfWork, input: { grantId: string; status: 'authorized' | 'settled' }): unknown;
}

/**
 * Charges as invoicing needs them (ChargeService implements this): the charges of subscription
 * item periods settled through credit, the credit a `credit_then_invoice` charge's line carries,
 * and the payment that makes the charge final.
 */
export interface InvoiceCharges {
  /** item periods → their charges (created, updated, deleted); answers the charge id per `childUniqueReferenceId` */
  syncSubscriptionCharges(tx: UnitOfWork, input: { customerId: string; items: readonly SubscriptionBillableItem[] }): ReadonlyMap<string, string>;
  /** the credit the charge drew (advanced to `at` first), as the rating engine's `creditsApplied` */
  creditsAppliedTo(tx: UnitOfWork, input: { chargeId: string; at: Date }): CreditApplied[];
  markChargeInvoiced(tx: UnitOfWork, input: { chargeId: string; paid: boolean }): unknown;
}
