import type { IsoPeriod } from '../../shared/period.ts';
import type { Discounts, Price, TaxConfig } from '../../catalog/types.ts';
import type { ValidationIssue } from '../../shared/errors.ts';
import type { BillingParty, BillingProfileApps, BillingWorkflow } from '../profiles/types.ts';
import type { CreditApplied, DetailedLine, ProrationCreditAllocation, Totals, UsageDiscountApplied } from '../rating/types.ts';

/** Extended statuses of a standard invoice (`billing/stdinvoice.go`), plus `gathering`. */
export const InvoiceStatus = {
  gathering: 'gathering',
  draftCreated: 'draft.created',
  draftWaitingForCollection: 'draft.waiting_for_collection',
  draftCollecting: 'draft.collecting',
  draftUpdating: 'draft.updating',
  draftValidating: 'draft.validating',
  draftInvalid: 'draft.invalid',
  draftSyncing: 'draft.syncing',
  draftSyncFailed: 'draft.sync_failed',
  draftWaitingAutoApproval: 'draft.waiting_auto_approval',
  draftManualApprovalNeeded: 'draft.manual_approval_needed',
  draftReadyToIssue: 'draft.ready_to_issue',
  deleteInProgress: 'delete.in_progress',
  deleteSyncing: 'delete.syncing',
  deleteFailed: 'delete.failed',
  deleted: 'deleted',
  issuingLineFinalization: 'issuing.line_finalization',
  issuingLineFinalizationFailed: 'issuing.line_finalization_failed',
  issuingSyncing: 'issuing.syncing',
  issuingSyncFailed: 'issuing.failed',
  issuingChargeBooking: 'issuing.charge_booking',
  issuingChargeBookingFailed: 'issuing.charge_booking_failed',
  issued: 'issued',
  paymentPending: 'payment_processing.pending',
  paymentBookingAuthorized: 'payment_processing.booking_authorized',
  paymentBookingAuthorizedFailed: 'payment_processing.booking_authorized_failed',
  paymentBookingAuthorizedAndSettled: 'payment_processing.booking_authorized_and_settled',
  paymentBookingAuthorizedAndSettledFailed: 'payment_processing.booking_authorized_and_settled_failed',
  paymentAuthorized: 'payment_processing.authorized',
  paymentFailed: 'payment_processing.failed',
  paymentActionRequired: 'payment_processing.action_required',
  paymentBookingSettled: 'payment_processing.booking_settled',
  paymentBookingSettledFailed: 'payment_processing.booking_settled_failed',
  overdue: 'overdue',
  paid: 'paid',
  uncollectible: 'uncollectible',
  voided: 'voided',
} as const;
export type InvoiceStatus = (typeof InvoiceStatus)[keyof typeof InvoiceStatus];

/** The API's short status: the part before the first dot. */
export const shortStatus = (s: InvoiceStatus): string => s.split('.')[0]!;

export const FINAL_STATUSES: ReadonlySet<InvoiceStatus> = new Set([InvoiceStatus.deleted, InvoiceStatus.paid, InvoiceStatus.uncollectible, InvoiceStatus.voided]);

/** `StandardInvoiceStatus.IsFailed` */
export const isFailedStatus = (s: InvoiceStatus): boolean => s.endsWith('_failed') || s === InvoiceStatus.issuingSyncFailed || s === InvoiceStatus.paymentFailed || s === InvoiceStatus.deleteFailed;

export const InvoiceTrigger = {
  next: 'trigger_next',
  failed: 'trigger_failed',
  approve: 'trigger_approve',
  retry: 'trigger_retry',
  delete: 'trigger_delete',
  updated: 'trigger_updated',
  forceCollect: 'trigger_force_collect',
  paid: 'trigger_paid',
  authorized: 'trigger_authorized',
  paymentUncollectible: 'trigger_payment_uncollectible',
  paymentOverdue: 'trigger_payment_overdue',
  actionRequired: 'trigger_action_required',
  void: 'trigger_void',
} as const;
export type InvoiceTrigger = (typeof InvoiceTrigger)[keyof typeof InvoiceTrigger];

export const LineManagedBy = { subscription: 'subscription', system: 'system', manual: 'manual' } as const;
export type LineManagedBy = (typeof LineManagedBy)[keyof typeof LineManagedBy];

export type InstantPeriod = IsoPeriod;

export interface LineSubscriptionRef {
  subscriptionId: string;
  phaseId: string;
  itemId: string;
  billingPeriod: InstantPeriod;
}

export interface LineExternalIds {
  invoicing?: string;
}

/** A detailed line as stored: the rating engine's line plus an id and timestamps. */
export interface StoredDetailedLine extends Omit<DetailedLine, 'amountDiscounts'> {
  amountDiscounts: Array<DetailedLine['amountDiscounts'][number] & { id?: string; externalIds?: LineExternalIds }>;
  id: string;
  /** the invoicing app's id of the line (Stripe: its invoice-line id `il_…`) */
  externalIds?: LineExternalIds;
  createdAt: string;
  updatedAt: string;
}

/** One invoice line: a pending line on a gathering invoice, or a rated line on a standard one. */
export interface InvoiceLine {
  id: string;
  name: string;
  description?: string;
  metadata?: Record<string, string>;
  managedBy: LineManagedBy;
  period: InstantPeriod;
  invoiceAt: string;
  currency: string;
  price: Price;
  featureKey?: string;
  discounts?: Discounts;
  taxConfig?: TaxConfig;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
  subscription?: LineSubscriptionRef;
  /**
   * the line's usage is the events naming its subscription, not all of the customer's (internal;
   * a subscription that may overlap others on a feature, decision 0031)
   */
  usageBySubscription?: boolean;
  childUniqueReferenceId?: string;
  /** set on the children of a progressively billed line (engine.md §2.3) */
  splitLineGroupId?: string;
  /** rating output (standard invoices; gathering invoices are rated live on read) */
  quantity?: string;
  meteredQuantity?: string;
  preLinePeriodQuantity?: string;
  meteredPreLinePeriodQuantity?: string;
  usageDiscount?: UsageDiscountApplied & { id?: string };
  detailedLines?: StoredDetailedLine[];
  totals?: Totals;
  /** the inputs the stored rating came from (internal: a recalculation with the same inputs keeps it) */
  ratingKey?: string;
  /**
   * A subscription line of a subscription settled through credits (`credit_then_invoice`,
   * `credit_only`): the credits step of rating draws the customer's billing credits for it
   * (internal; OpenMeter routes such items through charges, whose lines carry the allocations).
   */
  drawsCredits?: boolean;
  /** credit drawn for the line (ledger entries of `billing/credits`), the rating engine's `creditsApplied` */
  creditsApplied?: CreditApplied[];
  /** the invoice-funded credit grant this line sells (the credit-purchase charge's line; internal) */
  creditGrantId?: string;
  /**
   * The part of its subscription's proration credit this in-advance flat line takes (decision
   * 0032); allocated while the invoice is mutable, kept once it is issued. `creditId` = the
   * credit's record (the subscription the credit was given to).
   */
  prorationCredit?: ProrationCreditAllocation & { creditId: string };
  /**
   * the `credit_then_invoice` charge this line bills (internal): the charge draws credit when it
   * is realized, the line carries that credit (`creditsApplied`) and bills the rest
   */
  chargeId?: string;
}

/**
 * A plan change's proration credit (Zuplo's fork, decision 0032), recorded against the new
 * subscription (its id is the record's id): it pays the subscription's in-advance flat lines in
 * invoice order until used. What is used is read from the lines that hold a part of it.
 */
export interface ProrationCredit {
  id: string;
  customerId: string;
  subscriptionId: string;
  previousSubscriptionId: string;
  currency: string;
  /** decimal string > 0, at currency precision */
  amount: string;
  /** max(time elapsed, quota used) of the previous subscription, a ratio */
  maxPercentage: string;
  /** of `amount`, what an earlier change's credit left unused and passed on (multi-hop A→B→C) */
  overflow: string;
  /** a later change passed what was left on to the next subscription: no line takes any more of it */
  carriedTo?: { subscriptionId: string; amount: string; at: string };
  createdAt: string;
}

/** A proration credit as read: with what lines of live standard invoices hold of it. */
export interface ProrationCreditView extends ProrationCredit {
  used: string;
  remaining: string;
}

/** The full service period and shared identity of a progressively billed line. */
export interface SplitLineGroup {
  id: string;
  customerId: string;
  currency: string;
  period: InstantPeriod;
  name: string;
  price: Price;
  featureKey?: string;
  discounts?: Discounts;
  childUniqueReferenceId?: string;
  createdAt: string;
  /** its subscription item is gone (subscription sync) */
  deletedAt?: string;
}

/** The customer as the invoice shows it (a snapshot taken when the invoice is created). */
export interface InvoiceCustomer {
  id: string;
  key?: string;
  name: string;
  usageAttribution: { subjectKeys: string[] };
  addresses?: BillingParty['addresses'];
}

/** Which invoicing-app operation the runtime still has to perform, and whether it did. */
export const AppOperation = { upsert: 'upsert', finalize: 'finalize', delete: 'delete' } as const;
export type AppOperation = (typeof AppOperation)[keyof typeof AppOperation];

export interface Invoice {
  id: string;
  kind: 'gathering' | 'standard';
  status: InvoiceStatus;
  number: string;
  currency: string;
  customerId: string;
  customer: InvoiceCustomer;
  supplier: BillingParty;
  profileId: string;
  workflow: BillingWorkflow;
  apps: BillingProfileApps;
  description?: string;
  metadata?: Record<string, string>;
  lines: InvoiceLine[];
  totals: Totals;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
  issuedAt?: string;
  draftUntil?: string;
  quantitySnapshotedAt?: string;
  collectionAt?: string;
  dueAt?: string;
  sentToCustomerAt?: string;
  voidedAt?: string;
  /**
   * when its payment first failed (entered `payment_processing.failed`, `overdue` or
   * `uncollectible`), kept across retries until it is paid (internal; decision 0033: Zuplo's
   * `lastPaymentFailedAt`)
   */
  paymentFailedAt?: string;
  period?: InstantPeriod;
  validationIssues: ValidationIssue[];
  /** gathering: the earliest instant a line becomes billable without partial periods (internal, for the collect job) */
  collectableAt?: string;
  /** the app operation entered with the current state, until the runtime reports it done */
  appOperation?: { operation: AppOperation; done: boolean };
  externalIds?: { invoicing?: string; payment?: string; tax?: string };
  /** invoicing-app events (Stripe webhooks) that came while `appOperation` was not reported yet (internal) */
  pendingAppEvents?: AppInvoiceEvent[];
}

/** A Stripe invoice event as billing applies it: its type, time and the Stripe invoice as fetched then. */
export interface AppInvoiceEvent {
  type: string;
  created: number;
  current?: { status?: string | null; last_finalization_error?: { code?: string; message?: string } | null };
}

export interface AvailableActions {
  advance?: { resultingState: InvoiceStatus };
  approve?: { resultingState: InvoiceStatus };
  delete?: { resultingState: InvoiceStatus };
  retry?: { resultingState: InvoiceStatus };
  snapshotQuantities?: { resultingState: InvoiceStatus };
}

export interface StatusDetails {
  immutable: boolean;
  failed: boolean;
  extendedStatus: InvoiceStatus;
  availableActions: AvailableActions;
}

/** An invoice as read: stored state plus what is derived on read. */
export interface InvoiceView extends Invoice {
  statusDetails: StatusDetails;
}

export interface PendingLineInput {
  name: string;
  description?: string;
  metadata?: Record<string, string> | null;
  period: InstantPeriod;
  invoiceAt: string;
  price: Price;
  featureKey?: string;
  discounts?: Discounts;
  taxConfig?: TaxConfig;
}

export interface CreatePendingLinesInput {
  customerId: string;
  currency: string;
  lines: PendingLineInput[];
}

export interface InvoicePendingLinesInput {
  customerId: string;
  asOf?: string;
  progressiveBillingOverride?: boolean;
  lineIds?: string[];
}

export const InvoiceOrderBy = {
  customerName: 'customer.name',
  issuedAt: 'issuedAt',
  status: 'status',
  createdAt: 'createdAt',
  updatedAt: 'updatedAt',
  periodStart: 'periodStart',
} as const;
export type InvoiceOrderBy = (typeof InvoiceOrderBy)[keyof typeof InvoiceOrderBy];

export interface ListInvoicesInput {
  page?: number;
  pageSize?: number;
  statuses?: string[];
  extendedStatuses?: string[];
  issuedAfter?: string;
  issuedBefore?: string;
  periodStartAfter?: string;
  periodStartBefore?: string;
  createdAfter?: string;
  createdBefore?: string;
  customers?: string[];
  includeDeleted?: boolean;
  /** gathering invoices are not shown (v3) */
  standardOnly?: boolean;
  order?: 'ASC' | 'DESC';
  orderBy?: InvoiceOrderBy;
}

export interface SimulateInvoiceInput {
  customerId: string;
  currency: string;
  number?: string;
  lines: Array<PendingLineInput & { id?: string; quantity: string; preLinePeriodQuantity?: string }>;
}

export interface UpdateInvoiceInput {
  id: string;
  description?: string;
  metadata?: Record<string, string> | null;
  supplier: BillingParty;
  customer: Omit<BillingParty, 'id'>;
  workflow: { autoAdvance: boolean; draftPeriod: string; dueAfter: string; collectionMethod?: string };
  lines: Array<PendingLineInput & { id?: string }>;
}

export const InvoiceCollections = {
  invoices: 'billingInvoices',
  sequences: 'billingSequences',
  splitLineGroups: 'billingSplitLineGroups',
  /** when each customer's subscription lines were last reconciled */
  subscriptionSync: 'billingSubscriptionSync',
  /** plan changes' proration credits, by the new subscription (decision 0032) */
  prorationCredits: 'billingProrationCredits',
} as const;
