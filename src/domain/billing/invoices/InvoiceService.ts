import type { App } from '../../apps/types.ts';
import { AppType } from '../../apps/types.ts';
import type { Discounts, Feature, Price } from '../../catalog/types.ts';
import { isInAdvanceFlat } from '../../catalog/types.ts';
import { CatalogIssueCode } from '../../catalog/errors.ts';
import type { Customer } from '../../customers/types.ts';
import type { Clock } from '../../shared/clock.ts';
import { EffectType } from '../../shared/effects.ts';
import { DomainError, ErrorKind, isDomainError, notFound, validationError, type ValidationIssue } from '../../shared/errors.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { DueJob, JobSource } from '../../shared/jobs.ts';
import { dec, isDecimalString, roundMoney, toDecimalString, type Dec } from '../../shared/money.ts';
import { paginate, type Page } from '../../shared/paging.ts';
import { addDuration, parseDuration, recurrencePeriodAt } from '../../shared/recurrence.ts';
import type { Collection, UnitOfWork } from '../../shared/unitOfWork.ts';
import type { BillingProfileService } from '../profiles/BillingProfileService.ts';
import { sumTotals, zeroTotals } from '../rating/detailedLine.ts';
import { instantMs, isoText } from '../../shared/canonicalInstant.ts';
import { rateLine } from '../rating/rateLine.ts';
import type { CreditApplied, ProrationCreditAllocation, Totals } from '../rating/types.ts';
import { customInvoicingApp, CUSTOM_INVOICING_DRAFT_SYNCED_AT, CUSTOM_INVOICING_FINALIZED_AT } from './apps/customInvoicingApp.ts';
import { sandboxApp } from './apps/sandboxApp.ts';
import { inStatusCategory, STRIPE_INVOICE_EVENTS, stripeInvoicingApp } from './apps/stripeApp.ts';
import { DueIndex } from './dueIndex.ts';
import { INVOICE_ISSUE_MESSAGES, InvoiceErrorCode as E } from './errors.ts';
import { DRAFT_SEQUENCE, GATHERING_SEQUENCE, nextInvoiceNumber } from './numbering.ts';
import type {
  AppDirectory,
  AppOperationResult,
  CustomerDirectory,
  FeatureDirectory,
  InvoiceCharges,
  InvoiceCredits,
  InvoiceEventSink,
  InvoicingApp,
  SubscriptionBillableItem,
  SubscriptionBillingSource,
  UsageSource,
} from './ports.ts';
import { Activation, DYNAMIC_AFTER_READY_TO_ISSUE, findTransition, Guard, STATE_MACHINE, type Transition } from './stateMachine.ts';
import {
  AppOperation,
  InvoiceCollections as Col,
  InvoiceOrderBy,
  InvoiceStatus as S,
  InvoiceTrigger as T,
  isFailedStatus,
  LineManagedBy,
  shortStatus,
  type AvailableActions,
  type CreatePendingLinesInput,
  type Invoice,
  type InvoiceLine,
  type InvoicePendingLinesInput,
  type InvoiceStatus,
  type AppInvoiceEvent,
  type InvoiceTrigger,
  type InvoiceView,
  type ListInvoicesInput,
  type PendingLineInput,
  type ProrationCredit,
  type ProrationCreditView,
  type SimulateInvoiceInput,
  type UpdateInvoiceInput,
  type SplitLineGroup,
  type StatusDetails,
} from './types.ts';

export interface InvoiceServiceDeps {
  clock: Clock;
  ids: IdGenerator;
  customers: CustomerDirectory;
  features: FeatureDirectory;
  apps: AppDirectory;
  profiles: BillingProfileService;
  usage: UsageSource;
  events?: InvoiceEventSink;
  /** the subscriptions domain, once wired (`subscriptionsSource`) */
  subscriptions?: SubscriptionBillingSource;
  /** billing credits: the credits step of rating and invoice-funded grants */
  credits?: InvoiceCredits;
  /** charges: subscription items settled through credit, and the credit their lines carry */
  charges?: InvoiceCharges;
}

// stored instants are toISOString text: read in integer arithmetic, Date.parse for anything else
const ms = (iso: string): number => instantMs(iso);
// invoices of one billing run share a handful of instants: each is printed once (isoText)
const iso = isoText;
/** the same few period boundaries are floored for every customer's lines: each text is worked out once */
const flooredText = new Map<string, string>();
const floorSecond = (v: string): string => {
  let text = flooredText.get(v);
  if (text === undefined) {
    text = iso(Math.floor(ms(v) / 1000) * 1000);
    if (flooredText.size >= 4096) flooredText.clear();
    flooredText.set(v, text);
  }
  return text;
};
/**
 * Every instant the service stores is `Date.toISOString()` text (fixed width, UTC), so it orders
 * as a string: min/max need no parsing.
 */
const maxIso = (a: string, b: string): string => (a >= b ? a : b);
const minIso = (a: string, b: string): string => (a <= b ? a : b);
const issueText = (code: string, detail: string): string => `${detail}: ${INVOICE_ISSUE_MESSAGES[code] ?? code}`;

/** The component of the issues subscription sync leaves on immutable invoices (`subscription-sync`). */
const SUBSCRIPTION_SYNC_COMPONENT = 'subscription-sync';

/** The billing component the engine's own calculation issues carry. */
const CALCULATION_COMPONENT = 'openmeter.calculation';

/** Meter aggregations whose partial-period usage can be billed progressively (engine.md §2.2). */
const PROGRESSIVE_AGGREGATIONS = new Set(['SUM', 'COUNT', 'MAX', 'UNIQUE_COUNT']);

const isFlat = (p: Price): boolean => p.type === 'flat';
const flatAmount = (p: Price): string => (p.type === 'flat' ? p.amount : '0');

/**
 * Prices and discounts are never edited in place (a change replaces the object), and copies of a
 * line share them: their JSON is worked out once per object, not at every recalculation.
 */
const jsonOfObject = new WeakMap<object, string>();
const objectJson = (v: object | undefined): string => {
  if (v === undefined) return 'null';
  let text = jsonOfObject.get(v);
  if (text === undefined) jsonOfObject.set(v, (text = JSON.stringify(v)));
  return text;
};

/**
 * What a line's rating depends on, as one string: exactly
 * `JSON.stringify([m, name, price, discounts ?? null, period, currency, groupPeriod ?? null, creditsApplied ?? null])`
 * (stored on the line as `ratingKey`, so its text must not change), plus the line's proration
 * credit when it holds one (decision 0032).
 */
function ratingKeyOf(m: object, line: InvoiceLine, currency: string, groupPeriod: object | undefined): string {
  return `[${JSON.stringify(m)},${JSON.stringify(line.name) ?? 'null'},${objectJson(line.price)},${objectJson(line.discounts)},${JSON.stringify(line.period)},${JSON.stringify(currency)},${groupPeriod ? JSON.stringify(groupPeriod) : 'null'},${JSON.stringify(line.creditsApplied ?? null)}${line.prorationCredit ? `,${JSON.stringify(line.prorationCredit)}` : ''}]`;
}

/**
 * A working copy of a stored invoice. Shallow on purpose: the service never mutates a nested
 * value in place (lines, issues, parties and metadata are replaced, not edited), so the stored
 * object a committed state holds is never touched.
 */
const copyInvoice = (inv: Invoice): Invoice => ({ ...inv });
const liveLines = (inv: Invoice): InvoiceLine[] => inv.lines.filter((l) => !l.deletedAt);

const withProrationCredit = (l: InvoiceLine, a: (ProrationCreditAllocation & { creditId: string }) | undefined): InvoiceLine => {
  // the same share keeps the line, and with it its rating and the invoice's summed totals
  if (JSON.stringify(a ?? null) === JSON.stringify(l.prorationCredit ?? null)) return l;
  const { prorationCredit: _p, ...rest } = l;
  return a ? { ...rest, prorationCredit: a } : rest;
};

const prorationInput = (a: ProrationCreditAllocation & { creditId: string }): ProrationCreditAllocation => ({
  amount: a.amount,
  previousSubscriptionId: a.previousSubscriptionId,
  maxPercentage: a.maxPercentage,
});

/**
 * Invoices: pending lines on gathering invoices, standard invoices created from them by hand or
 * by the collection job, the state machine of engine.md §2.4 driven by actions and the advance
 * job, and the invoicing apps behind the port in ports.ts.
 */
export class InvoiceService {
  private readonly appImpls = new Map<string, InvoicingApp>([
    [AppType.sandbox, sandboxApp],
    [AppType.customInvoicing, customInvoicingApp],
    [AppType.stripe, stripeInvoicingApp],
  ]);

  /**
   * Usage by customer per (feature, period), kept for one batch operation (a collection or
   * advance run, an invoice-now): one pass over the period's events serves every customer.
   */
  private usageCache: Map<string, Map<string, string>> | undefined;

  /** stored subscription lines last found to agree with a billable item (both are immutable: the check is not repeated) */
  private readonly agreesWith = new WeakMap<InvoiceLine, SubscriptionBillableItem>();
  /** the same for a line on a standard invoice, whose check compares less (its period and flat amount) */
  private readonly invoicedAgreesWith = new WeakMap<InvoiceLine, SubscriptionBillableItem>();

  constructor(private readonly deps: InvoiceServiceDeps) {}

  private batch<T>(fn: () => T): T {
    if (this.usageCache) return fn();
    this.usageCache = new Map();
    try {
      return fn();
    } finally {
      this.usageCache = undefined;
    }
  }

  private usageOf(tx: UnitOfWork, feature: Feature, customerId: string, from: string, to: string, subscriptionId?: string): string {
    if (subscriptionId !== undefined) return this.deps.usage.featureUsage(tx, { feature, customerId, from, to, subscriptionId });
    if (!this.usageCache) return this.deps.usage.featureUsage(tx, { feature, customerId, from, to });
    const key = `${feature.id}|${from}|${to}`;
    let byCustomer = this.usageCache.get(key);
    if (!byCustomer) {
      byCustomer = this.deps.usage.featureUsageByCustomer(tx, { feature, from, to });
      this.usageCache.set(key, byCustomer);
    }
    return byCustomer.get(customerId) ?? '0';
  }

  // ------------------------------------------------------------------------------- pending lines

  createPendingLines(tx: UnitOfWork, input: CreatePendingLinesInput): { lines: InvoiceLine[]; invoice: InvoiceView; isInvoiceNew: boolean } {
    const { lines, invoice, isInvoiceNew } = this.addPendingLines(tx, input);
    return { lines, invoice: this.view(tx, invoice), isInvoiceNew };
  }

  /**
   * createPendingLines without the answer's view: viewing a gathering invoice rates every line
   * live (a meter query each), which the subscription sync, adding lines for every customer at
   * every period, has no use for.
   */
  private addPendingLines(tx: UnitOfWork, input: CreatePendingLinesInput): { lines: InvoiceLine[]; invoice: Invoice; isInvoiceNew: boolean } {
    const customer = this.requireCustomer(tx, input.customerId);
    const currency = input.currency.toUpperCase();
    const now = this.now();
    const lines = input.lines.map((l, i) => this.newLine(tx, l, currency, now, `lines[${i}]`));
    const details = this.deps.profiles.getCustomerBillingDetails(tx, { customerId: customer.id });
    const col = this.invoices(tx);
    const isOpen = (x: Invoice) => x.kind === 'gathering' && !x.deletedAt && x.customerId === customer.id && x.currency === currency;
    let inv = this.invoicesOf(tx, customer.id).find(isOpen);
    const isInvoiceNew = !inv;
    if (!inv) {
      const id = this.deps.ids.next();
      inv = {
        id,
        kind: 'gathering',
        status: S.gathering,
        number: nextInvoiceNumber(tx, GATHERING_SEQUENCE, customer.name, currency),
        currency,
        customerId: customer.id,
        customer: this.customerSnapshot(customer),
        supplier: structuredClone(details.effective.supplier),
        profileId: details.baseProfile.id,
        workflow: structuredClone(details.effective.workflow),
        apps: { ...details.effective.apps },
        lines: [],
        totals: zeroTotals(),
        createdAt: now,
        updatedAt: now,
        validationIssues: [],
      };
    }
    const next: Invoice = { ...inv, lines: [...inv.lines, ...lines], updatedAt: now };
    this.refreshGathering(next);
    col.put(next);
    return { lines, invoice: next, isInvoiceNew };
  }

  private newLine(tx: UnitOfWork, l: PendingLineInput, currency: string, now: string, field: string): InvoiceLine {
    const issues: ValidationIssue[] = [];
    const add = (code: string, message: string, f?: string) => issues.push({ code, message, severity: 'critical', field: f ? `${field}.${f}` : field });
    if (!l.price) add(E.invalidLine, 'price is required', 'price');
    const price = l.price ? this.normalizePrice(l.price) : undefined;
    if (price && !isFlat(price)) {
      if (!l.featureKey) add(E.usageBasedPriceWithNoFeature, 'usage based price must have a feature', 'featureKey');
      else {
        const f = this.deps.features.findFeature(tx, l.featureKey);
        if (!f || f.archivedAt) add(E.featureNotFound, `feature not found: ${l.featureKey}`, 'featureKey');
        else if (!f.meterSlug) add(E.usageBasedPriceWithFeatureAndNoMeter, `feature ${l.featureKey} has no meter`, 'featureKey');
      }
    }
    const from = floorSecond(l.period.from);
    const to = floorSecond(l.period.to);
    if (ms(to) < ms(from)) add(E.invalidLine, 'period start must be before period end', 'period');
    const pct = l.discounts?.percentage;
    if (pct && (!isDecimalString(String(pct.percentage)) || dec(String(pct.percentage)).lt(0) || dec(String(pct.percentage)).gt(100))) {
      add(CatalogIssueCode.percentageDiscountInvalidValue, 'percentage discount must be between 0 and 100', 'discounts.percentage');
    }
    if (l.discounts?.usage) {
      if (price && isFlat(price)) add(CatalogIssueCode.usageDiscountWithFlatPrice, 'usage discount is not allowed on a flat price', 'discounts.usage');
      if (!isDecimalString(l.discounts.usage.quantity) || dec(l.discounts.usage.quantity).isNegative()) {
        add(CatalogIssueCode.usageDiscountNegativeQuantity, 'usage discount quantity must be >= 0', 'discounts.usage');
      }
    }
    if (issues.length) throw validationError(issues.length === 1 ? issues[0]!.code : E.invalidLine, issues.map((i) => i.message).join('; '), issues);
    const discounts = l.discounts
      ? {
          ...(l.discounts.percentage ? { percentage: { ...l.discounts.percentage, correlationId: l.discounts.percentage.correlationId ?? this.deps.ids.next() } } : {}),
          ...(l.discounts.usage ? { usage: { ...l.discounts.usage, correlationId: l.discounts.usage.correlationId ?? this.deps.ids.next() } } : {}),
        }
      : undefined;
    return {
      id: this.deps.ids.next(),
      name: l.name,
      ...(l.description !== undefined ? { description: l.description } : {}),
      ...(l.metadata ? { metadata: { ...l.metadata } } : {}),
      managedBy: LineManagedBy.manual,
      period: { from, to },
      invoiceAt: floorSecond(l.invoiceAt),
      currency,
      price: price!,
      ...(l.featureKey ? { featureKey: l.featureKey } : {}),
      ...(discounts && Object.keys(discounts).length ? { discounts } : {}),
      ...(l.taxConfig ? { taxConfig: l.taxConfig } : {}),
      createdAt: now,
      updatedAt: now,
    };
  }

  /** A flat price without a payment term is paid in advance (`DefaultPaymentTerm`). */
  private normalizePrice(p: Price): Price {
    if (p.type === 'flat') return { ...p, paymentTerm: p.paymentTerm ?? 'in_advance' };
    return p;
  }

  // -------------------------------------------------------------------------------------- reads

  getInvoice(tx: UnitOfWork, input: { id: string }): InvoiceView {
    return this.view(tx, this.requireInvoice(tx, input.id));
  }

  listInvoices(tx: UnitOfWork, input: ListInvoicesInput = {}): Page<InvoiceView> {
    // the bounds are parsed once, not at every invoice
    const bounds = new Map<string, number>();
    const bound = (b: string): number => {
      let t = bounds.get(b);
      if (t === undefined) bounds.set(b, (t = ms(b)));
      return t;
    };
    const inRange = (v: string | undefined, after?: string, before?: string): boolean =>
      (after === undefined || (v !== undefined && ms(v) >= bound(after))) && (before === undefined || (v !== undefined && ms(v) <= bound(before)));
    const rows = this.invoices(tx).find(
      (inv) =>
        (input.includeDeleted === true || !inv.deletedAt) &&
        (!input.standardOnly || inv.kind === 'standard') &&
        (!input.customers?.length || input.customers.includes(inv.customerId)) &&
        (!input.statuses?.length || input.statuses.includes(shortStatus(inv.status))) &&
        (!input.extendedStatuses?.length || input.extendedStatuses.includes(inv.status)) &&
        (input.issuedAfter === undefined && input.issuedBefore === undefined ? true : inRange(inv.issuedAt, input.issuedAfter, input.issuedBefore)) &&
        (input.periodStartAfter === undefined && input.periodStartBefore === undefined ? true : inRange(inv.period?.from, input.periodStartAfter, input.periodStartBefore)) &&
        inRange(inv.createdAt, input.createdAfter, input.createdBefore),
    );
    const orderBy = input.orderBy ?? InvoiceOrderBy.createdAt;
    const key = (i: Invoice): string =>
      orderBy === 'customer.name' ? i.customer.name : orderBy === 'status' ? i.status : orderBy === 'periodStart' ? (i.period?.from ?? '') : ((i[orderBy] as string | undefined) ?? '');
    const dir = input.order === 'DESC' ? -1 : 1;
    rows.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      return dir * (ka < kb ? -1 : ka > kb ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
    const page = paginate(rows, input);
    return { ...page, items: page.items.map((i) => this.view(tx, i)) };
  }

  /** The invoice as read: gathering invoices are rated live (quantities as of now). */
  view(tx: UnitOfWork, inv: Invoice): InvoiceView {
    if (inv.kind === 'gathering') {
      const rated = { ...inv, lines: inv.lines.map((l) => (l.deletedAt ? l : this.rateLiveSafe(tx, inv, l))) };
      rated.totals = this.sumLineTotals(rated);
      return { ...rated, statusDetails: { immutable: false, failed: false, extendedStatus: S.gathering, availableActions: {} } };
    }
    return { ...inv, statusDetails: this.statusDetails(tx, inv) };
  }

  private rateLiveSafe(tx: UnitOfWork, inv: Invoice, line: InvoiceLine): InvoiceLine {
    try {
      const q = this.measure(tx, inv, line);
      return this.rate(tx, inv, line, q);
    } catch {
      return { ...line, totals: zeroTotals() };
    }
  }

  // ---------------------------------------------------------------------- invoice pending lines

  /**
   * Turns the billable pending lines of a customer into standard invoices, one per currency
   * (`InvoicePendingLines`). `partialDisabled` is the collection job's `WithPartialInvoiceLinesDisabled`.
   */
  invoicePendingLines(tx: UnitOfWork, input: InvoicePendingLinesInput & { partialDisabled?: boolean }): InvoiceView[] {
    return this.batch(() => this.createFromPendingLines(tx, input)).map((inv) => this.view(tx, this.invoices(tx).get(inv.id)!));
  }

  private createFromPendingLines(tx: UnitOfWork, input: InvoicePendingLinesInput & { partialDisabled?: boolean; bypassAlignment?: boolean }): Invoice[] {
    const customer = this.requireCustomer(tx, input.customerId);
    const col = this.invoices(tx);
    const gathering = this.invoicesOf(tx, customer.id).filter((x) => x.kind === 'gathering' && !x.deletedAt);
    const now = this.now();
    const rawAsOf = floorSecond(input.asOf ?? now);
    const created: Invoice[] = [];
    const wanted = input.lineIds?.length ? new Set(input.lineIds) : undefined;
    const billableIds = new Set<string>();
    for (const g of gathering.sort((a, b) => (a.currency < b.currency ? -1 : 1))) {
      const asOf = input.bypassAlignment ? rawAsOf : this.collectionCutoff(g, rawAsOf);
      const progressive = input.partialDisabled ? false : (input.progressiveBillingOverride ?? g.workflow.invoicing.progressiveBilling);
      const moving: InvoiceLine[] = [];
      const staying: InvoiceLine[] = [];
      for (const line of g.lines) {
        if (line.deletedAt) {
          staying.push(line);
          continue;
        }
        const billable = this.billablePeriod(tx, line, asOf, progressive);
        if (billable) billableIds.add(line.id);
        if (!billable || (wanted && !wanted.has(line.id))) {
          staying.push(line);
          continue;
        }
        if (ms(billable.to) < ms(line.period.to)) {
          const [billed, rest] = this.split(tx, g, line, billable.to, now);
          if (billed) moving.push(billed);
          staying.push(rest);
        } else moving.push(line);
      }
      if (moving.length === 0) continue;
      const inv = this.createStandardInvoice(tx, g, moving, now);
      created.push(inv);
      const remaining: Invoice = { ...g, lines: staying, updatedAt: now };
      if (liveLines(remaining).length === 0) remaining.deletedAt = now;
      this.refreshGathering(remaining);
      col.put(remaining);
    }
    if (wanted) {
      const notBillable = [...wanted].filter((id) => !billableIds.has(id));
      if (notBillable.length) throw validationError(E.linesNotBillable, issueText(E.linesNotBillable, `lines [${notBillable.join(', ')}]`));
    }
    if (created.length === 0) throw validationError(E.createNoLines, INVOICE_ISSUE_MESSAGES[E.createNoLines]!);
    return created;
  }

  /** Anchored alignment snaps `asOf` back to the latest anchor at or before it. */
  private collectionCutoff(inv: Invoice, asOf: string): string {
    const a = inv.workflow.collection.alignment;
    if (a.type !== 'anchored') return asOf;
    const d = parseDuration(a.recurringPeriod.interval);
    if (!d) return asOf;
    return iso(recurrencePeriodAt(new Date(a.recurringPeriod.anchor), d, new Date(asOf)).from);
  }

  /** engine.md §2.2: the part of the line billable at `asOf`, if any. */
  private billablePeriod(tx: UnitOfWork, line: InvoiceLine, asOf: string, progressive: boolean): { from: string; to: string } | undefined {
    // stored instants and asOf are all toISOString() text: they compare as strings
    if (isFlat(line.price)) return line.invoiceAt <= asOf ? line.period : undefined;
    if (asOf >= line.period.to) return progressive || line.invoiceAt <= asOf ? line.period : undefined;
    if (!progressive || !this.supportsProgressive(tx, line)) return undefined;
    if (asOf > line.period.from) return { from: line.period.from, to: asOf };
    return undefined;
  }

  private supportsProgressive(tx: UnitOfWork, line: InvoiceLine): boolean {
    // a charge's line is billed whole: the charge realizes its own runs
    if (line.chargeId) return false;
    if (line.price.type === 'tiered' && line.price.mode === 'volume') return false;
    const f = line.featureKey ? this.deps.features.findFeature(tx, line.featureKey) : undefined;
    const agg = f ? this.deps.usage.aggregationOf(tx, f) : undefined;
    return agg !== undefined && PROGRESSIVE_AGGREGATIONS.has(agg.toUpperCase());
  }

  /** engine.md §2.3: the line (same id) is billed up to `at`; a new gathering line keeps the rest. */
  private split(tx: UnitOfWork, g: Invoice, line: InvoiceLine, at: string, now: string): [InvoiceLine | undefined, InvoiceLine] {
    const groups = tx.collection<SplitLineGroup>(Col.splitLineGroups);
    let groupId = line.splitLineGroupId;
    if (!groupId) {
      groupId = this.deps.ids.next();
      groups.put({
        id: groupId,
        customerId: g.customerId,
        currency: g.currency,
        period: line.period,
        name: line.name,
        price: line.price,
        ...(line.featureKey ? { featureKey: line.featureKey } : {}),
        ...(line.discounts ? { discounts: line.discounts } : {}),
        ...(line.childUniqueReferenceId ? { childUniqueReferenceId: line.childUniqueReferenceId } : {}),
        createdAt: now,
      });
    }
    const { childUniqueReferenceId: _drop, ...rest } = line;
    const billed: InvoiceLine = { ...rest, period: { from: line.period.from, to: at }, invoiceAt: at, splitLineGroupId: groupId, updatedAt: now };
    const remainder: InvoiceLine = { ...rest, id: this.deps.ids.next(), period: { from: at, to: line.period.to }, splitLineGroupId: groupId, createdAt: now, updatedAt: now };
    return [ms(billed.period.to) > ms(billed.period.from) ? billed : undefined, remainder];
  }

  private createStandardInvoice(tx: UnitOfWork, g: Invoice, lines: InvoiceLine[], now: string): Invoice {
    const inv: Invoice = {
      id: this.deps.ids.next(),
      kind: 'standard',
      status: S.draftCreated,
      number: nextInvoiceNumber(tx, DRAFT_SEQUENCE, g.customer.name),
      currency: g.currency,
      customerId: g.customerId,
      customer: g.customer,
      supplier: g.supplier,
      profileId: g.profileId,
      workflow: g.workflow,
      apps: g.apps,
      lines: lines.map((l) => ({ ...l, updatedAt: now })),
      totals: zeroTotals(),
      createdAt: now,
      updatedAt: now,
      validationIssues: [],
    };
    this.measureAll(tx, inv);
    this.activate(tx, inv, Activation.calculate);
    this.save(tx, inv);
    // the credit-purchase charge hears TriggerInvoiceCreated: its credit is granted now
    for (const l of inv.lines) if (l.creditGrantId && !l.deletedAt) this.deps.credits?.markGrantInvoiced(tx, { grantId: l.creditGrantId });
    // the sink builds the payload at once (only when a rule listens), so no snapshot is needed
    if (this.deps.events?.listens(tx, 'invoice.created')) this.deps.events.invoiceEvent(tx, 'invoice.created', () => this.view(tx, inv));
    if (this.hasCritical(inv)) this.fire(tx, inv, T.failed);
    this.advanceUntilStable(tx, inv);
    this.save(tx, inv);
    return inv;
  }

  // ----------------------------------------------------------------------------------- simulate

  /** `SimulateInvoice`: rates the given quantities as a standalone draft; nothing is stored. */
  simulateInvoice(tx: UnitOfWork, input: SimulateInvoiceInput): InvoiceView {
    const customer = this.requireCustomer(tx, input.customerId);
    const details = this.deps.profiles.getCustomerBillingDetails(tx, { customerId: customer.id });
    const now = this.now();
    const currency = input.currency.toUpperCase();
    const lines = input.lines.map((l, i) => {
      const line = this.newLine(tx, l, currency, now, `lines[${i}]`);
      if (l.id) line.id = l.id;
      return { line, qty: isFlat(line.price) ? '1' : l.quantity, pre: l.preLinePeriodQuantity ?? '0' };
    });
    const inv: Invoice = {
      id: this.deps.ids.next(),
      kind: 'standard',
      status: S.draftCreated,
      number: input.number ?? 'INV-SIMULATED',
      currency,
      customerId: customer.id,
      customer: this.customerSnapshot(customer),
      supplier: details.effective.supplier,
      profileId: details.baseProfile.id,
      workflow: details.effective.workflow,
      apps: details.effective.apps,
      lines: [],
      totals: zeroTotals(),
      createdAt: now,
      updatedAt: now,
      validationIssues: [],
    };
    for (const { line, qty, pre } of lines) {
      try {
        inv.lines.push(this.rate(tx, inv, line, { qty, pre, isFirst: true, isLast: true, previouslyBilled: '0' }));
      } catch (err) {
        if (!isDomainError(err) || err.kind !== ErrorKind.validation) throw err;
        inv.validationIssues = [...inv.validationIssues, ...this.issuesOf(err)];
        inv.lines.push({ ...line, totals: zeroTotals() });
      }
    }
    inv.totals = this.sumLineTotals(inv);
    this.recalculateTimings(inv);
    if (this.hasCritical(inv)) inv.status = S.draftInvalid;
    const view = { ...inv, statusDetails: { immutable: false, failed: this.hasCritical(inv), extendedStatus: inv.status, availableActions: {} } };
    return view;
  }

  // ------------------------------------------------------------------------------------ actions

  advanceInvoice(tx: UnitOfWork, input: { id: string }): InvoiceView {
    const inv = this.requireStandard(tx, input.id);
    if (!this.canFire(tx, inv, T.next)) {
      throw validationError(E.cannotAdvance, `cannot advance invoice in status [${inv.status}]: ${INVOICE_ISSUE_MESSAGES[E.cannotAdvance]}`);
    }
    this.advanceUntilStable(tx, inv);
    this.save(tx, inv);
    return this.view(tx, inv);
  }

  approveInvoice(tx: UnitOfWork, input: { id: string }): InvoiceView {
    return this.action(tx, input.id, T.approve);
  }

  retryInvoice(tx: UnitOfWork, input: { id: string }): InvoiceView {
    const before = this.requireStandard(tx, input.id);
    const view = this.action(tx, input.id, T.retry, (inv) => {
      // retry downgrades every critical issue to a warning before firing again
      inv.validationIssues = inv.validationIssues.map((i) => ({ ...i, severity: 'warning' as const }));
    });
    // a remote app's collection is asked to try the payment again (decision 0026)
    const app = this.appOf(tx, before);
    if (this.appImpl(tx, before).remote && inStatusCategory(before.status, ['payment_processing', 'overdue']) && view.status === S.paymentPending && before.externalIds?.invoicing) {
      tx.afterCommit({ type: EffectType.retryInvoicePayment, invoiceId: before.id, appId: app.id, appType: app.type });
    }
    return view;
  }

  snapshotQuantitiesAction(tx: UnitOfWork, input: { id: string }): InvoiceView {
    return this.action(tx, input.id, T.forceCollect);
  }

  private action(tx: UnitOfWork, id: string, trigger: InvoiceTrigger, before?: (inv: Invoice) => void): InvoiceView {
    const inv = this.requireStandard(tx, id);
    if (!this.canFire(tx, inv, trigger)) {
      throw validationError(E.actionNotAvailable, `cannot ${trigger} invoice in status [${inv.status}]: ${INVOICE_ISSUE_MESSAGES[E.actionNotAvailable]}`);
    }
    before?.(inv);
    this.handleTrigger(tx, inv, trigger);
    this.save(tx, inv);
    return this.view(tx, inv);
  }

  /**
   * v1 PUT (`UpdateStandardInvoice` via trigger `updated`, or the gathering invoice's lines): the
   * whole mutable invoice is replaced — lines named by id are edited, lines left out deleted,
   * lines without id added — and the draft is recalculated and validated again.
   */
  updateInvoice(tx: UnitOfWork, input: UpdateInvoiceInput): InvoiceView {
    const inv = this.requireInvoice(tx, input.id);
    const now = this.now();
    if (inv.kind === 'standard' && !this.canFire(tx, inv, T.updated)) {
      throw validationError(E.actionNotAvailable, `cannot ${T.updated} invoice in status [${inv.status}]: ${INVOICE_ISSUE_MESSAGES[E.actionNotAvailable]}`);
    }
    if (inv.deletedAt) throw validationError(E.cannotBeEdited, issueText(E.cannotBeEdited, `invoice [${inv.id}] is deleted`));
    const byId = new Map(inv.lines.map((l) => [l.id, l]));
    const kept = new Set<string>();
    const lines: InvoiceLine[] = [];
    input.lines.forEach((l, i) => {
      const fresh = this.newLine(tx, l, inv.currency, now, `lines[${i}]`);
      const prev = l.id ? byId.get(l.id) : undefined;
      if (l.id && !prev) throw validationError(E.invalidLine, `line [${l.id}] is not on invoice [${inv.id}]`);
      if (!prev) {
        lines.push(fresh);
        return;
      }
      kept.add(prev.id);
      const changed = JSON.stringify([prev.period, prev.price, prev.featureKey]) !== JSON.stringify([fresh.period, fresh.price, fresh.featureKey]);
      const { meteredQuantity: _q, meteredPreLinePeriodQuantity: _p, ...rest } = prev;
      lines.push({ ...(changed ? rest : prev), ...fresh, id: prev.id, createdAt: prev.createdAt, managedBy: prev.managedBy, ...(prev.detailedLines ? { detailedLines: prev.detailedLines } : {}) });
    });
    for (const l of inv.lines) if (!kept.has(l.id) && !l.deletedAt) lines.push({ ...l, deletedAt: now });
    inv.lines = lines;
    if (input.description !== undefined) inv.description = input.description;
    else delete inv.description;
    if (input.metadata) inv.metadata = { ...input.metadata };
    else delete inv.metadata;
    inv.supplier = { ...input.supplier, ...(inv.supplier.id ? { id: inv.supplier.id } : {}) };
    inv.customer = {
      ...inv.customer,
      ...(input.customer.key !== undefined ? { key: input.customer.key } : {}),
      ...(input.customer.name !== undefined ? { name: input.customer.name } : {}),
      ...(input.customer.addresses ? { addresses: input.customer.addresses } : {}),
    };
    inv.workflow = {
      ...inv.workflow,
      invoicing: { ...inv.workflow.invoicing, autoAdvance: input.workflow.autoAdvance, draftPeriod: input.workflow.draftPeriod, dueAfter: input.workflow.dueAfter },
      ...(input.workflow.collectionMethod ? { payment: { collectionMethod: input.workflow.collectionMethod as Invoice['workflow']['payment']['collectionMethod'] } } : {}),
    };
    inv.updatedAt = now;
    if (inv.kind === 'gathering') {
      if (liveLines(inv).length === 0) inv.deletedAt = now;
      this.refreshGathering(inv);
      this.invoices(tx).put(inv);
      return this.view(tx, inv);
    }
    // edited or new metered lines are measured again
    inv.lines = inv.lines.map((l) => (l.deletedAt || l.meteredQuantity !== undefined ? l : { ...l, meteredQuantity: this.measure(tx, inv, l).qty, meteredPreLinePeriodQuantity: this.measure(tx, inv, l).pre }));
    this.handleTrigger(tx, inv, T.updated);
    this.save(tx, inv);
    return this.view(tx, inv);
  }

  /** v1 DELETE: a gathering invoice takes its pending lines with it; a standard one is deleted through the state machine. */
  deleteInvoice(tx: UnitOfWork, input: { id: string }): void {
    const inv = this.requireInvoice(tx, input.id);
    const now = this.now();
    if (inv.kind === 'gathering') {
      if (inv.deletedAt) return;
      this.invoices(tx).put({ ...inv, lines: inv.lines.map((l) => (l.deletedAt ? l : { ...l, deletedAt: now })), deletedAt: now, updatedAt: now });
      return;
    }
    if (!this.canFire(tx, inv, T.delete)) {
      throw validationError(E.actionNotAvailable, `cannot ${T.delete} invoice in status [${inv.status}]: ${INVOICE_ISSUE_MESSAGES[E.actionNotAvailable]}`);
    }
    this.handleTrigger(tx, inv, T.delete);
    this.save(tx, inv);
  }

  /** Payment outcomes reported by the invoicing app (custom invoicing's payment-status endpoint). */
  triggerPayment(tx: UnitOfWork, input: { id: string; trigger: InvoiceTrigger; appType?: string }): InvoiceView {
    const inv = this.requireStandard(tx, input.id);
    if (input.appType) this.requireAppType(tx, inv, input.appType);
    if (!this.canFire(tx, inv, input.trigger)) {
      throw validationError(E.actionNotAvailable, `cannot ${input.trigger} invoice in status [${inv.status}]: ${INVOICE_ISSUE_MESSAGES[E.actionNotAvailable]}`);
    }
    this.handleTrigger(tx, inv, input.trigger);
    this.save(tx, inv);
    return this.view(tx, inv);
  }

  /**
   * The outside system behind a custom invoicing app reports the draft synced / the invoice
   * issued (`SyncDraftInvoice`, `SyncIssuingInvoice`): the results are merged, the metadata
   * stamp recorded, and the invoice advances.
   */
  syncCustomInvoicing(
    tx: UnitOfWork,
    input: { id: string; stage: 'draft' | 'issuing'; hasResults?: boolean; invoiceNumber?: string; externalId?: string; sentToCustomerAt?: string; paymentExternalId?: string },
  ): InvoiceView {
    if (input.stage === 'draft' && input.hasResults === false) throw validationError(E.invalidLine, 'upsert invoice results are required');
    const inv = this.requireStandard(tx, input.id);
    this.requireAppType(tx, inv, AppType.customInvoicing);
    const expected = input.stage === 'draft' ? S.draftSyncing : S.issuingSyncing;
    if (inv.status !== expected) {
      throw validationError(E.actionNotAvailable, `invoice is not in ${expected} state`);
    }
    const key = input.stage === 'draft' ? CUSTOM_INVOICING_DRAFT_SYNCED_AT : CUSTOM_INVOICING_FINALIZED_AT;
    inv.metadata = { ...(inv.metadata ?? {}), [key]: this.deps.clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z') };
    if (input.invoiceNumber) inv.number = input.invoiceNumber;
    if (input.sentToCustomerAt) inv.sentToCustomerAt = input.sentToCustomerAt;
    if (input.externalId || input.paymentExternalId) {
      inv.externalIds = { ...(inv.externalIds ?? {}), ...(input.externalId ? { invoicing: input.externalId } : {}), ...(input.paymentExternalId ? { payment: input.paymentExternalId } : {}) };
    }
    // with the issuing hook on the app numbers nothing: the draft number stays unless the sync sends one
    this.advanceUntilStable(tx, inv);
    this.save(tx, inv);
    return this.view(tx, inv);
  }

  /**
   * What the runtime reports after performing an invoicing-app operation (effect
   * `billing.invoiceAppOperation`): the app's result is merged and the invoice advances. A
   * report for an operation the invoice no longer waits for is ignored.
   */
  completeAppOperation(tx: UnitOfWork, input: { invoiceId: string; operation: AppOperation; result?: AppOperationResult }): void {
    const stored = this.invoices(tx).get(input.invoiceId);
    if (!stored || stored.appOperation?.operation !== input.operation || stored.appOperation.done) return;
    const inv = copyInvoice(stored);
    const impl = this.appImpl(tx, inv);
    const ctx = this.appContext(tx, inv);
    let result: AppOperationResult;
    if (input.operation === AppOperation.finalize) {
      // issuedAt and dueAt are known before the app finalizes (`finalizeInvoice`)
      inv.issuedAt = this.now();
      this.computeDueAt(inv);
      result = input.result ?? impl.finalize(inv, ctx);
    } else if (input.operation === AppOperation.upsert) result = input.result ?? impl.upsert(inv, ctx);
    else result = input.result ?? impl.delete(inv, ctx);
    if (result.invoiceNumber) inv.number = result.invoiceNumber;
    if (result.sentToCustomerAt) inv.sentToCustomerAt = result.sentToCustomerAt;
    if (result.externalIds) inv.externalIds = { ...(inv.externalIds ?? {}), ...result.externalIds };
    if (result.lineExternalIds || result.discountExternalIds) this.mergeLineExternalIds(inv, result.lineExternalIds ?? {}, result.discountExternalIds ?? {});
    if (result.issues?.length) inv.validationIssues = [...inv.validationIssues, ...this.withIds(result.issues)];
    inv.appOperation = { operation: input.operation, done: true };
    if (result.issues?.some((i) => (i.severity ?? 'critical') === 'critical')) {
      // the app's error fails the syncing state (`FireAndActivate`: draft.sync_failed, issuing.failed, delete.failed)
      const before = inv.status;
      const failed = this.transition(tx, inv, T.failed);
      if (failed) inv.status = this.target(inv, failed);
      this.publishUpdated(tx, inv, before);
    } else this.advanceUntilStable(tx, inv);
    // Stripe events that arrived while the operation ran apply now, in their order
    const waiting = inv.pendingAppEvents;
    if (waiting?.length) {
      delete inv.pendingAppEvents;
      for (const ev of waiting) this.applyAppEvent(tx, inv, ev);
    }
    this.save(tx, inv);
  }

  private mergeLineExternalIds(inv: Invoice, lines: Record<string, string>, discounts: Record<string, string>): void {
    inv.lines = inv.lines.map((l) =>
      l.detailedLines?.some((d) => lines[d.id] !== undefined || d.amountDiscounts.some((a) => a.id !== undefined && discounts[a.id] !== undefined))
        ? {
            ...l,
            detailedLines: l.detailedLines.map((d) => ({
              ...d,
              ...(lines[d.id] !== undefined ? { externalIds: { ...(d.externalIds ?? {}), invoicing: lines[d.id] } } : {}),
              amountDiscounts: d.amountDiscounts.map((a) => (a.id !== undefined && discounts[a.id] !== undefined ? { ...a, externalIds: { ...(a.externalIds ?? {}), invoicing: discounts[a.id]! } } : a)),
            })),
          }
        : l,
    );
  }

  /** The stored invoice (the runtime's remote app operations read it). */
  invoiceById(tx: UnitOfWork, id: string): Invoice | undefined {
    return this.invoices(tx).get(id);
  }

  // ---------------------------------------------------------------------------- Stripe events

  /** The standard invoice whose invoicing external id is `externalId` (deleted ones included). */
  invoiceByInvoicingExternalId(tx: UnitOfWork, externalId: string): Invoice | undefined {
    return this.invoices(tx).findOne((i) => i.kind === 'standard' && i.externalIds?.invoicing === externalId);
  }

  /**
   * Whether a Stripe invoice event about `stripeInvoiceId` has anything to act on, so the runtime
   * asks Stripe for the invoice as it is now (service/billing.go HandleInvoiceStateTransition:
   * unknown invoice, already in a target status or in an ignored one → nothing, no Stripe call).
   */
  stripeInvoiceEventNeedsInvoice(tx: UnitOfWork, input: { appId: string; type: string; stripeInvoiceId: string }): boolean {
    const rule = STRIPE_INVOICE_EVENTS[input.type];
    const inv = this.invoiceByInvoicingExternalId(tx, input.stripeInvoiceId);
    if (!rule || !inv) return false;
    if (inv.apps.invoicing !== input.appId) throw new Error(`stripe invoice not managed by the app: ${inv.id}`);
    return !rule.targets.includes(inv.status) && !inStatusCategory(inv.status, rule.ignore);
  }

  /**
   * A verified Stripe invoice event (httpdriver/webhook.go): the matching trigger fires when the
   * Stripe invoice as fetched now passes the event's check; `invoice.sent` stamps
   * `sentToCustomerAt`. A trigger the state machine refuses is kept as a critical issue of
   * `app.stripe.collectPayments.trigger_invoice` and the event is still acknowledged.
   */
  applyStripeInvoiceEvent(tx: UnitOfWork, input: { appId: string; stripeInvoiceId: string } & AppInvoiceEvent): void {
    const stored = this.invoiceByInvoicingExternalId(tx, input.stripeInvoiceId);
    if (!stored) return;
    if (stored.apps.invoicing !== input.appId) throw new Error(`stripe invoice not managed by the app: ${stored.id}`);
    const inv = copyInvoice(stored);
    const event: AppInvoiceEvent = { type: input.type, created: input.created, ...(input.current ? { current: input.current } : {}) };
    // the app's own operation on the invoice has not reported yet: the event waits for the report,
    // as it waits for the invoice's lock in the real service
    if (inv.appOperation && !inv.appOperation.done) {
      inv.pendingAppEvents = [...(inv.pendingAppEvents ?? []), event];
      this.save(tx, inv);
      return;
    }
    if (this.applyAppEvent(tx, inv, event)) this.save(tx, inv);
  }

  /** One Stripe invoice event on a working copy; false when it changes nothing. */
  private applyAppEvent(tx: UnitOfWork, inv: Invoice, ev: AppInvoiceEvent): boolean {
    if (ev.type === 'invoice.sent') {
      inv.sentToCustomerAt = iso(ev.created * 1000);
      return true;
    }
    const rule = STRIPE_INVOICE_EVENTS[ev.type];
    if (!rule || rule.targets.includes(inv.status) || inStatusCategory(inv.status, rule.ignore)) return false;
    if (!ev.current || !rule.check(ev.current)) return false;
    if (!this.canFire(tx, inv, rule.trigger)) {
      inv.validationIssues = [
        ...inv.validationIssues,
        ...this.withIds([
          {
            code: E.actionNotAvailable,
            message: `cannot ${rule.trigger} invoice in status [${inv.status}]: ${INVOICE_ISSUE_MESSAGES[E.actionNotAvailable]}`,
            severity: 'critical',
            component: 'app.stripe.collectPayments.trigger_invoice',
          },
        ]),
      ];
      return true;
    }
    const err = ev.type === 'invoice.finalization_failed' ? ev.current.last_finalization_error : undefined;
    if (err) {
      inv.validationIssues = [
        ...inv.validationIssues,
        ...this.withIds([{ code: err.code ?? 'stripe_error', message: err.message ?? '', severity: 'critical', component: 'app.stripe.collectPayments.initiatePayment' }]),
      ];
    }
    this.handleTrigger(tx, inv, rule.trigger);
    return true;
  }

  // ------------------------------------------------------------------------------ state machine

  private guardHolds(tx: UnitOfWork, inv: Invoice, g: Guard, dryRun: boolean): boolean {
    const now = this.deps.clock.now().getTime();
    switch (g) {
      case Guard.readyForCollection:
        return !inv.collectionAt || now >= ms(inv.collectionAt);
      case Guard.noCriticalIssues:
        return !this.hasCritical(inv);
      case Guard.autoAdvance:
        return inv.workflow.invoicing.autoAdvance;
      case Guard.manualApproval:
        return !inv.workflow.invoicing.autoAdvance;
      case Guard.draftPeriodOver:
        return inv.workflow.invoicing.autoAdvance && !!inv.draftUntil && now >= ms(inv.draftUntil);
      case Guard.draftSyncDone:
        return (dryRun || this.opDone(inv, AppOperation.upsert)) && this.appImpl(tx, inv).canDraftSyncAdvance(inv, this.appOf(tx, inv));
      case Guard.issuingSyncDone:
        return (dryRun || this.opDone(inv, AppOperation.finalize)) && this.appImpl(tx, inv).canIssuingSyncAdvance(inv, this.appOf(tx, inv));
      case Guard.deleteSyncDone:
        return dryRun || this.opDone(inv, AppOperation.delete);
    }
  }

  private opDone(inv: Invoice, op: AppOperation): boolean {
    return inv.appOperation?.operation === op && inv.appOperation.done;
  }

  private transition(tx: UnitOfWork, inv: Invoice, trigger: InvoiceTrigger, dryRun = false): Transition | undefined {
    return findTransition(inv.status, trigger, (g) => this.guardHolds(tx, inv, g, dryRun));
  }

  private canFire(tx: UnitOfWork, inv: Invoice, trigger: InvoiceTrigger): boolean {
    return this.transition(tx, inv, trigger) !== undefined;
  }

  private target(inv: Invoice, tr: Transition): InvoiceStatus {
    if (tr.to !== DYNAMIC_AFTER_READY_TO_ISSUE) return tr.to;
    return liveLines(inv).length === 0 ? S.deleteSyncing : S.issuingLineFinalization;
  }

  /** Fires and activates; a critical issue raised by the activation moves to the state's failed state (`FireAndActivate`). */
  private fire(tx: UnitOfWork, inv: Invoice, trigger: InvoiceTrigger): void {
    const tr = this.transition(tx, inv, trigger);
    if (!tr) throw new DomainError(ErrorKind.validation, E.actionNotAvailable, `cannot ${trigger} invoice in status [${inv.status}]`);
    inv.status = this.target(inv, tr);
    this.stampPaymentFailure(inv);
    this.creditPurchasePayment(tx, inv);
    const activation = inv.status === S.gathering ? undefined : STATE_MACHINE[inv.status].activate;
    if (activation) this.activate(tx, inv, activation);
    if (this.hasCritical(inv) && trigger !== T.failed) {
      const failed = this.transition(tx, inv, T.failed);
      if (failed) inv.status = this.target(inv, failed);
    }
  }

  /** The first failure of an unpaid invoice is kept until it is paid (decision 0033). */
  private stampPaymentFailure(inv: Invoice): void {
    if (inv.status === S.paid) delete inv.paymentFailedAt;
    else if (!inv.paymentFailedAt && (inv.status === S.paymentFailed || inv.status === S.overdue || inv.status === S.uncollectible)) inv.paymentFailedAt = this.now();
  }

  /**
   * An invoice-funded grant's settlement follows its invoice's payment (creditpurchase
   * InvoiceCreditPurchaseStateMachine: authorized → `authorized`, paid → `settled`, charge final).
   */
  private creditPurchasePayment(tx: UnitOfWork, inv: Invoice): void {
    const credits = this.deps.credits;
    if (!credits) return;
    const status = inv.status === S.paid ? 'settled' : inv.status === S.paymentAuthorized ? 'authorized' : undefined;
    if (!status) return;
    for (const l of liveLines(inv)) if (l.creditGrantId) credits.markGrantPayment(tx, { grantId: l.creditGrantId, status });
    // a credit_then_invoice charge is final once its invoice is paid (charges README: final = payment complete)
    if (status === 'settled') for (const l of liveLines(inv)) if (l.chargeId) this.deps.charges?.markChargeInvoiced(tx, { chargeId: l.chargeId, paid: true });
  }

  private handleTrigger(tx: UnitOfWork, inv: Invoice, trigger: InvoiceTrigger): void {
    const before = inv.status;
    this.fire(tx, inv, trigger);
    this.publishUpdated(tx, inv, before);
    this.advanceUntilStable(tx, inv);
  }

  /** `AdvanceUntilStateStable`: fire `next` while it can, then let the app react (post-advance hook). */
  private advanceUntilStable(tx: UnitOfWork, inv: Invoice): void {
    for (let guard = 0; guard < 100; guard++) {
      if (!this.canFire(tx, inv, T.next)) break;
      const before = inv.status;
      this.fire(tx, inv, T.next);
      this.publishUpdated(tx, inv, before);
    }
    const impl = this.appImpl(tx, inv);
    const req = impl.postAdvance?.(inv, this.appOf(tx, inv));
    if (req && this.canFire(tx, inv, req.trigger)) {
      if (req.issues?.length) inv.validationIssues = [...inv.validationIssues, ...this.withIds(req.issues.map((i) => ({ ...i, severity: 'warning' as const })))];
      this.handleTrigger(tx, inv, req.trigger);
      if (req.issues?.length) {
        // the simulated failure stays on the invoice as the app's issue
        inv.validationIssues = inv.validationIssues.map((i) => (req.issues!.some((r) => r.code === i.code) ? { ...i, severity: 'critical' as const } : i));
      }
    }
  }

  private publishUpdated(tx: UnitOfWork, inv: Invoice, before: InvoiceStatus): void {
    if (inv.status === before || !this.deps.events?.listens(tx, 'invoice.updated')) return;
    // the invoice as it is now, not as it will be when a rule asks
    const snapshot = { ...inv, lines: inv.lines, updatedAt: this.now() };
    this.deps.events.invoiceEvent(tx, 'invoice.updated', () => this.view(tx, snapshot));
  }

  private activate(tx: UnitOfWork, inv: Invoice, a: Activation): void {
    switch (a) {
      case Activation.calculate:
        this.calculate(tx, inv);
        return;
      case Activation.collect:
        if (!inv.quantitySnapshotedAt || (inv.collectionAt && ms(inv.quantitySnapshotedAt) < ms(inv.collectionAt))) this.measureAll(tx, inv);
        this.calculate(tx, inv);
        return;
      case Activation.calculateAndValidate:
        this.calculate(tx, inv);
        this.validateWithApp(tx, inv);
        return;
      case Activation.syncDraft:
        this.startAppOperation(tx, inv, AppOperation.upsert);
        return;
      case Activation.syncDelete:
        this.startAppOperation(tx, inv, AppOperation.delete);
        return;
      case Activation.finalize:
        this.startAppOperation(tx, inv, AppOperation.finalize);
        return;
      case Activation.deleteInvoice:
        inv.deletedAt = this.now();
        inv.lines = inv.lines.map((l) => (l.creditsApplied?.length ? this.releaseLineCredits(tx, inv, l) : l));
        return;
      case Activation.finalizeLines:
      case Activation.issued:
        return;
    }
  }

  private startAppOperation(tx: UnitOfWork, inv: Invoice, operation: AppOperation): void {
    inv.appOperation = { operation, done: false };
    const app = this.appOf(tx, inv);
    tx.afterCommit({ type: EffectType.invoiceAppOperation, invoiceId: inv.id, operation, appId: app.id, appType: app.type, remote: this.appImpl(tx, inv).remote === true });
  }

  private validateWithApp(tx: UnitOfWork, inv: Invoice): void {
    const app = this.appOf(tx, inv);
    const impl = this.appImpl(tx, inv);
    // only an app that keeps customer data of its own (Stripe) looks at it
    const customerData = impl.remote ? this.deps.apps.findCustomerAppData(tx, { customerId: inv.customerId, appId: app.id }) : undefined;
    const issues = impl.validate(inv, app, customerData ? { customerData } : {});
    inv.validationIssues = [...inv.validationIssues.filter((i) => i.component !== `app.${app.type}.invoiceCustomers.validate`), ...this.withIds(issues)];
  }

  statusDetails(tx: UnitOfWork, inv: Invoice): StatusDetails {
    const actions: AvailableActions = {};
    const dry = (trigger: InvoiceTrigger): { resultingState: InvoiceStatus } | undefined => {
      const probe: Invoice = { ...inv, validationIssues: [] };
      if (!this.transition(tx, inv, trigger)) return undefined;
      const first = this.transition(tx, probe, trigger, true);
      if (!first) return undefined;
      probe.status = this.target(probe, first);
      for (let i = 0; i < 100; i++) {
        const n = this.transition(tx, probe, T.next, true);
        if (!n) break;
        probe.status = this.target(probe, n);
      }
      return { resultingState: probe.status };
    };
    const advance = dry(T.next);
    if (advance) actions.advance = advance;
    if (this.canFire(tx, inv, T.delete)) actions.delete = { resultingState: S.deleted };
    const retry = dry(T.retry);
    if (retry) actions.retry = retry;
    const approve = dry(T.approve);
    if (approve) actions.approve = approve;
    const snap = dry(T.forceCollect);
    if (snap) actions.snapshotQuantities = snap;
    return {
      immutable: !this.canFire(tx, inv, T.updated),
      failed: isFailedStatus(inv.status),
      extendedStatus: inv.status,
      availableActions: actions,
    };
  }

  // -------------------------------------------------------------------------------- calculation

  /** Measures every metered line anew (engine.md §1.10) and stamps `quantitySnapshotedAt`. */
  private measureAll(tx: UnitOfWork, inv: Invoice): void {
    const before = inv.lines;
    const after = before.map((l) => {
      if (l.deletedAt) return l;
      const q = this.measure(tx, inv, l);
      // a quantity measured again as it was keeps the line, and with it what was rated and summed for it
      if (l.meteredQuantity === q.qty && l.meteredPreLinePeriodQuantity === q.pre) return l;
      return { ...l, meteredQuantity: q.qty, meteredPreLinePeriodQuantity: q.pre };
    });
    inv.lines = after.every((l, i) => l === before[i]) ? before : after;
    inv.quantitySnapshotedAt = this.now();
  }

  private measure(tx: UnitOfWork, inv: Invoice, line: InvoiceLine): { qty: string; pre: string; isFirst: boolean; isLast: boolean; previouslyBilled: string } {
    const group = line.splitLineGroupId ? tx.collection<SplitLineGroup>(Col.splitLineGroups).get(line.splitLineGroupId) : undefined;
    const isFirst = !group || group.period.from === line.period.from;
    const isLast = !group || group.period.to === line.period.to;
    const previouslyBilled = group ? this.previouslyBilled(tx, group, line) : '0';
    if (isFlat(line.price)) return { qty: '1', pre: '0', isFirst, isLast, previouslyBilled };
    const feature = line.featureKey ? this.deps.features.findFeature(tx, line.featureKey) : undefined;
    if (!feature) return { qty: '0', pre: '0', isFirst, isLast, previouslyBilled };
    const bySubscription = line.usageBySubscription ? line.subscription?.subscriptionId : undefined;
    const q = (from: string, to: string): string => (to <= from ? '0' : this.usageOf(tx, feature, inv.customerId, from, to, bySubscription));
    if (!group || isFirst) return { qty: q(line.period.from, line.period.to), pre: '0', isFirst, isLast, previouslyBilled };
    const pre = q(group.period.from, line.period.from);
    const cumulative = q(group.period.from, line.period.to);
    return { qty: toDecimalString(dec(cumulative).sub(pre)), pre, isFirst, isLast, previouslyBilled };
  }

  /** engine.md §1.6: Σ gross amount of earlier children of the group on live standard invoices. */
  private previouslyBilled(tx: UnitOfWork, group: SplitLineGroup, line: InvoiceLine): string {
    let sum = dec(0);
    for (const inv of this.invoicesOf(tx, group.customerId)) {
      if (inv.kind !== 'standard' || inv.deletedAt) continue;
      for (const l of inv.lines) {
        if (l.splitLineGroupId === group.id && l.id !== line.id && !l.deletedAt && ms(l.period.to) <= ms(line.period.from)) sum = sum.add(dec(l.totals?.amount ?? '0'));
      }
    }
    return toDecimalString(sum);
  }

  /** Re-rates every line from its snapshotted quantities and recomputes totals and timings. */
  private calculate(tx: UnitOfWork, inv: Invoice): void {
    const issues: ValidationIssue[] = [];
    const creditsFinal = this.quantitiesFinal(inv);
    const proration = this.allocateProrationCredits(tx, inv);
    const before = inv.lines;
    const after = inv.lines.map((stored) => {
      const l = proration.has(stored.id) ? withProrationCredit(stored, proration.get(stored.id)) : stored;
      if (l.deletedAt) return l.creditsApplied?.length ? this.releaseLineCredits(tx, inv, l) : l;
      const m = this.measureStored(tx, inv, l);
      try {
        if (creditsFinal && l.drawsCredits) return this.rate(tx, inv, this.reconcileLineCredits(tx, inv, l, m), m);
        if (creditsFinal && l.chargeId) return this.rate(tx, inv, this.chargeLineCredits(tx, inv, l, m), m);
        return this.rate(tx, inv, l, m);
      } catch (err) {
        if (!isDomainError(err) || err.kind !== ErrorKind.validation) throw err;
        issues.push(...this.issuesOf(err));
        return { ...l, detailedLines: [], totals: zeroTotals() };
      }
    });
    // a recalculation that changed no line (most state transitions) keeps the array, and with it the summed totals
    inv.lines = after.every((l, i) => l === before[i]) ? before : after;
    inv.validationIssues = [...inv.validationIssues.filter((i) => i.component !== CALCULATION_COMPONENT), ...issues];
    inv.totals = this.sumLineTotals(inv);
    this.recalculateTimings(inv);
  }

  // ---------------------------------------------------------------------- proration credits (decision 0032)

  /**
   * Records a plan change's proration credit against the new subscription (Zuplo's fork,
   * `max_consumption_based`): its in-advance flat lines take it as a `proration_credit` discount,
   * each at most what it charges, in invoice order, until it is used. A zero credit records nothing.
   */
  recordProrationCredit(tx: UnitOfWork, input: Omit<ProrationCredit, 'id' | 'createdAt' | 'carriedTo'>): ProrationCredit | undefined {
    const col = tx.collection<ProrationCredit>(Col.prorationCredits);
    const amount = roundMoney(dec(input.amount), input.currency);
    const overflow = roundMoney(dec(input.overflow), input.currency);
    const now = this.now();
    // what the previous subscription's own credit left now belongs to the next one
    const previous = col.get(input.previousSubscriptionId);
    if (previous && !previous.carriedTo && overflow.gt(0)) col.put({ ...previous, carriedTo: { subscriptionId: input.subscriptionId, amount: toDecimalString(overflow), at: now } });
    if (!amount.gt(0)) return undefined;
    const credit: ProrationCredit = { ...input, id: input.subscriptionId, amount: toDecimalString(amount), overflow: toDecimalString(overflow), createdAt: now };
    col.put(credit);
    return credit;
  }

  /**
   * A subscription's proration credit with what its lines hold of it; undefined when it got none.
   * Once passed on to a next subscription, nothing of it remains here.
   */
  prorationCreditOf(tx: UnitOfWork, input: { subscriptionId: string }): ProrationCreditView | undefined {
    const credit = tx.collection<ProrationCredit>(Col.prorationCredits).get(input.subscriptionId);
    if (!credit) return undefined;
    const used = this.prorationCreditUsed(tx, credit, undefined);
    const remaining = credit.carriedTo ? dec(0) : dec(credit.amount).sub(used);
    return { ...credit, used: toDecimalString(used), remaining: toDecimalString(remaining.gt(0) ? remaining : dec(0)) };
  }

  /** Σ what lines of live standard invoices (but `exceptInvoiceId`) hold of the credit */
  private prorationCreditUsed(tx: UnitOfWork, credit: ProrationCredit, exceptInvoiceId: string | undefined): Dec {
    let used = dec(0);
    for (const inv of this.invoicesOf(tx, credit.customerId)) {
      if (inv.kind !== 'standard' || inv.id === exceptInvoiceId || inv.deletedAt || inv.status === S.deleted || inv.status === S.voided) continue;
      for (const l of inv.lines) if (!l.deletedAt && l.prorationCredit?.creditId === credit.id) used = used.add(dec(l.prorationCredit.amount));
    }
    return used;
  }

  /**
   * What each in-advance flat subscription line of a (mutable, standard) invoice takes of its
   * subscription's proration credit: min(what the line charges after its rate-card discount, what
   * other invoices' lines and this invoice's earlier lines left). Lines are served in invoice-at,
   * then period order. `undefined` in the map = the line takes nothing (any earlier part is dropped).
   */
  private allocateProrationCredits(tx: UnitOfWork, inv: Invoice): Map<string, ProrationCreditAllocation & { creditId: string } | undefined> {
    const out = new Map<string, (ProrationCreditAllocation & { creditId: string }) | undefined>();
    if (inv.kind !== 'standard') return out;
    const candidates = inv.lines
      .filter((l) => !l.deletedAt && l.subscription && isInAdvanceFlat(l.price))
      .sort((a, b) => a.invoiceAt.localeCompare(b.invoiceAt) || a.period.from.localeCompare(b.period.from) || a.id.localeCompare(b.id));
    const col = tx.collection<ProrationCredit>(Col.prorationCredits);
    const left = new Map<string, Dec>();
    for (const l of candidates) {
      const credit = col.get(l.subscription!.subscriptionId);
      if (!credit || credit.currency !== inv.currency) {
        if (l.prorationCredit) out.set(l.id, undefined);
        continue;
      }
      // passed on to a next subscription: lines keep what they hold, none takes more
      if (credit.carriedTo) continue;
      if (!left.has(credit.id)) left.set(credit.id, dec(credit.amount).sub(this.prorationCreditUsed(tx, credit, inv.id)));
      const { prorationCredit: _p, creditsApplied: _c, ratingKey: _k, ...bare } = l;
      const due = dec(this.rate(tx, inv, bare, this.measureStored(tx, inv, bare)).totals!.total);
      const rest = left.get(credit.id)!;
      const take = due.lt(rest) ? due : rest;
      if (!take.gt(0)) {
        if (l.prorationCredit) out.set(l.id, undefined);
        continue;
      }
      left.set(credit.id, rest.sub(take));
      out.set(l.id, { creditId: credit.id, amount: toDecimalString(take), previousSubscriptionId: credit.previousSubscriptionId, maxPercentage: credit.maxPercentage });
    }
    return out;
  }

  private measureStored(tx: UnitOfWork, inv: Invoice, l: InvoiceLine) {
    const group = l.splitLineGroupId ? tx.collection<SplitLineGroup>(Col.splitLineGroups).get(l.splitLineGroupId) : undefined;
    return {
      qty: isFlat(l.price) ? '1' : (l.meteredQuantity ?? '0'),
      pre: l.meteredPreLinePeriodQuantity ?? '0',
      isFirst: !group || group.period.from === l.period.from,
      isLast: !group || group.period.to === l.period.to,
      previouslyBilled: group ? this.previouslyBilled(tx, group, l) : '0',
    };
  }

  /**
   * Quantities are final once the invoice is past collection: charges realize their credit then
   * (a flat fee at its invoice time, usage after the collection period), so the credits step
   * draws credit from then on, not while a draft still waits for usage.
   */
  private quantitiesFinal(inv: Invoice): boolean {
    return inv.kind === 'standard' && inv.status !== S.draftCreated && inv.status !== S.draftWaitingForCollection;
  }

  /**
   * The credits step (rating/service/mutator/credits.go with the allocations a charge realized):
   * the line holds as much of the customer's credit as it is due after discounts and
   * commitments — more is drawn when it grew, the excess given back when it shrank.
   */
  private reconcileLineCredits(tx: UnitOfWork, inv: Invoice, line: InvoiceLine, m: ReturnType<InvoiceService['measureStored']>): InvoiceLine {
    const credits = this.deps.credits;
    if (!credits) return line;
    const held = (line.creditsApplied ?? []).reduce<Dec>((a, c) => a.add(dec(c.amount)), dec(0));
    const at = this.deps.clock.now();
    const base = { customerId: inv.customerId, currency: inv.currency, ...(line.featureKey ? { featureKey: line.featureKey } : {}) };
    if (held.isZero() && !credits.availableCredit(tx, { ...base, at }).gt(0)) return line;
    const { creditsApplied: _c, ratingKey: _k, ...bare } = line;
    const due = dec(this.rate(tx, inv, bare, m).totals!.total);
    if (due.eq(held)) return line;
    if (due.gt(held)) {
      const more = credits.applyCreditsToLine(tx, { ...base, amount: due.sub(held), at, lineId: line.id, name: line.name });
      return more.length ? { ...line, creditsApplied: [...(line.creditsApplied ?? []), ...more] } : line;
    }
    credits.returnLineCredits(tx, { customerId: inv.customerId, currency: inv.currency, lineId: line.id, amount: held.sub(due), at, name: line.name });
    return { ...line, creditsApplied: this.trimCredits(line.creditsApplied ?? [], due) };
  }

  /**
   * A `credit_then_invoice` charge's line carries the credit the charge drew when it was realized
   * (flatfee/usagebased linemapper: `CreditsApplied` from the run's credit realizations), up to
   * what the line is due; the invoice draws nothing itself.
   */
  private chargeLineCredits(tx: UnitOfWork, inv: Invoice, line: InvoiceLine, m: ReturnType<InvoiceService['measureStored']>): InvoiceLine {
    const charges = this.deps.charges;
    if (!charges || !line.chargeId) return line;
    const applied = charges.creditsAppliedTo(tx, { chargeId: line.chargeId, at: this.deps.clock.now() });
    const { creditsApplied: _c, ratingKey: _k, ...bare } = line;
    const list = applied.length ? this.trimCredits(applied, dec(this.rate(tx, inv, bare, m).totals!.total)) : [];
    if (JSON.stringify(list) === JSON.stringify(line.creditsApplied ?? [])) return line;
    const { creditsApplied: _old, ...rest } = line;
    return list.length ? { ...rest, creditsApplied: list } : rest;
  }

  /** the allocations kept when a line holds only `keep` (the newest are given back first) */
  private trimCredits(list: CreditApplied[], keep: Dec): CreditApplied[] {
    const out: CreditApplied[] = [];
    let left = keep;
    for (const c of list) {
      if (!left.gt(0)) break;
      const take = dec(c.amount).lt(left) ? dec(c.amount) : left;
      out.push({ ...c, amount: toDecimalString(take) });
      left = left.sub(take);
    }
    return out;
  }

  /** a deleted line (or a line of a deleted invoice) gives its credit back */
  private releaseLineCredits(tx: UnitOfWork, inv: Invoice, line: InvoiceLine): InvoiceLine {
    const held = (line.creditsApplied ?? []).reduce<Dec>((a, c) => a.add(dec(c.amount)), dec(0));
    // a charge's line only shows the charge's credit: it stays with the charge
    if (held.gt(0) && !line.chargeId) this.deps.credits?.returnLineCredits(tx, { customerId: inv.customerId, currency: inv.currency, lineId: line.id, amount: held, at: this.deps.clock.now(), name: line.name });
    const { creditsApplied: _c, ...rest } = line;
    return rest;
  }

  private issuesOf(err: DomainError): ValidationIssue[] {
    const base = err.issues.length ? err.issues : [{ code: err.code, message: err.message }];
    return this.withIds(base.map((i) => ({ ...i, severity: 'critical' as const, component: CALCULATION_COMPONENT })));
  }

  /** validation issues are entities on the wire (ULID ids) */
  private withIds(issues: ValidationIssue[]): ValidationIssue[] {
    return issues.map((i) => (i.id ? i : { ...i, id: this.deps.ids.next() }));
  }

  private rate(tx: UnitOfWork, inv: Invoice, line: InvoiceLine, m: { qty: string; pre: string; isFirst: boolean; isLast: boolean; previouslyBilled: string }): InvoiceLine {
    const group = line.splitLineGroupId ? tx.collection<SplitLineGroup>(Col.splitLineGroups).get(line.splitLineGroupId) : undefined;
    // the engine is pure: the same inputs give the same lines, so a recalculation that changed
    // nothing about a line (most state transitions) keeps its rating
    const context = `${m.qty}|${m.pre}|${m.isFirst}|${m.isLast}|${m.previouslyBilled}|${inv.currency}|${group ? `${group.period.from}|${group.period.to}` : ''}`;
    // a line is immutable: rated (or found rated) in this context once, it is rated in it for good
    if (line.totals && line.ratingKey !== undefined && this.ratedIn.get(line) === context) return line;
    const ratingKey = ratingKeyOf(m, line, inv.currency, group?.period);
    if (line.ratingKey === ratingKey && line.totals) {
      this.ratedIn.set(line, context);
      return line;
    }
    const r = rateLine({
      lineName: line.name,
      currency: inv.currency,
      price: line.price,
      ...(line.discounts ? { discounts: line.discounts } : {}),
      quantity: m.qty,
      preLinePeriodQuantity: m.pre,
      isFirstInPeriod: m.isFirst,
      isLastInPeriod: m.isLast,
      previouslyBilledAmount: m.previouslyBilled,
      period: line.period,
      ...(group ? { splitGroupPeriod: group.period } : {}),
      ...(line.creditsApplied?.length ? { creditsApplied: line.creditsApplied } : {}),
      ...(line.prorationCredit ? { prorationCredit: prorationInput(line.prorationCredit) } : {}),
    });
    const now = this.now();
    const existing = new Map((line.detailedLines ?? []).map((d) => [d.childUniqueReferenceId, d]));
    const rated: InvoiceLine = {
      ...line,
      quantity: isFlat(line.price) ? '1' : r.ratedQuantity,
      meteredQuantity: isFlat(line.price) ? '1' : r.meteredQuantity,
      preLinePeriodQuantity: isFlat(line.price) ? '0' : r.meteredPreLinePeriodQuantity,
      meteredPreLinePeriodQuantity: isFlat(line.price) ? '0' : r.meteredPreLinePeriodQuantity,
      ...(r.usageDiscount ? { usageDiscount: { ...r.usageDiscount, id: line.usageDiscount?.id ?? this.deps.ids.next() } } : {}),
      detailedLines: r.detailedLines.map((d) => {
        const prev = existing.get(d.childUniqueReferenceId);
        const prevDiscounts = new Map((prev?.amountDiscounts ?? []).map((a) => [a.childUniqueReferenceId, a]));
        return {
          ...d,
          amountDiscounts: d.amountDiscounts.map((a) => {
            const was = prevDiscounts.get(a.childUniqueReferenceId);
            return { ...a, id: was?.id ?? this.deps.ids.next(), ...(was?.externalIds ? { externalIds: was.externalIds } : {}) };
          }),
          id: prev?.id ?? this.deps.ids.next(),
          ...(prev?.externalIds ? { externalIds: prev.externalIds } : {}),
          createdAt: prev?.createdAt ?? now,
          updatedAt: now,
        };
      }),
      totals: r.totals,
      ratingKey,
    };
    this.ratedIn.set(rated, context);
    return rated;
  }

  /** the measured quantities, currency and split-group period a line was last rated in (keyed by the immutable line) */
  private readonly ratedIn = new WeakMap<InvoiceLine, string>();

  private sumLineTotals(inv: Invoice): Totals {
    const kept = this.summed.get(inv.lines);
    if (kept && kept.currency === inv.currency) return kept.totals;
    const totals = sumTotals(
      liveLines(inv).map((l) => l.totals ?? zeroTotals()),
      inv.currency,
    );
    this.summed.set(inv.lines, { currency: inv.currency, totals });
    return totals;
  }

  /** the totals of a lines array (arrays and lines are replaced, never edited, so the sum holds for the array) */
  private readonly summed = new WeakMap<readonly InvoiceLine[], { currency: string; totals: Totals }>();

  /** Service period, collectionAt, draftUntil and dueAt (`invoicecalc`). */
  private recalculateTimings(inv: Invoice): void {
    // the same lines under the same workflow give the same timings (each draft step recalculates)
    let t = this.timingsOf.get(inv.lines);
    if (!t || t.workflow !== inv.workflow || t.createdAt !== inv.createdAt) {
      const lines = liveLines(inv);
      const period = lines.length ? { from: lines.map((l) => l.period.from).reduce(minIso), to: lines.map((l) => l.period.to).reduce(maxIso) } : undefined;
      const interval = parseDuration(inv.workflow.collection.interval);
      const metered = lines.filter((l) => !isFlat(l.price));
      const collectionAt = metered.length && interval ? iso(metered.map((l) => addDuration(new Date(l.invoiceAt), interval).getTime()).reduce((a, b) => Math.max(a, b))) : undefined;
      let draftUntil: string | undefined;
      if (inv.workflow.invoicing.autoAdvance) {
        const draft = parseDuration(inv.workflow.invoicing.draftPeriod);
        const base = maxIso(collectionAt ?? inv.createdAt, inv.createdAt);
        draftUntil = draft ? iso(addDuration(new Date(base), draft)) : base;
      }
      t = { workflow: inv.workflow, createdAt: inv.createdAt, period, collectionAt, draftUntil };
      this.timingsOf.set(inv.lines, t);
    }
    if (t.period) inv.period = { ...t.period };
    if (t.collectionAt !== undefined) inv.collectionAt = t.collectionAt;
    else delete inv.collectionAt;
    if (t.draftUntil !== undefined) inv.draftUntil = t.draftUntil;
    else delete inv.draftUntil;
    this.computeDueAt(inv);
  }

  private readonly timingsOf = new WeakMap<
    readonly InvoiceLine[],
    { workflow: Invoice['workflow']; createdAt: string; period: { from: string; to: string } | undefined; collectionAt: string | undefined; draftUntil: string | undefined }
  >();

  private computeDueAt(inv: Invoice): void {
    const after = parseDuration(inv.workflow.invoicing.dueAfter);
    const base = inv.workflow.invoicing.autoAdvance ? inv.draftUntil : inv.issuedAt;
    if (base && after) inv.dueAt = floorSecond(iso(addDuration(new Date(base), after)));
  }

  /** A gathering invoice's period and next collection instant (engine.md §2.1). */
  private refreshGathering(inv: Invoice): void {
    const lines = liveLines(inv);
    delete inv.collectableAt;
    if (!lines.length) {
      delete inv.collectionAt;
      delete inv.period;
      return;
    }
    const at = this.computeCollectableAt(inv);
    if (at !== undefined) inv.collectableAt = iso(at);
    inv.period = { from: lines.map((l) => l.period.from).reduce(minIso), to: lines.map((l) => l.period.to).reduce(maxIso) };
    const earliest = lines.map((l) => l.invoiceAt).reduce(minIso);
    inv.collectionAt = this.snapUpToAnchor(inv, earliest);
  }

  private snapUpToAnchor(inv: Invoice, at: string): string {
    const a = inv.workflow.collection.alignment;
    if (a.type !== 'anchored') return at;
    const d = parseDuration(a.recurringPeriod.interval);
    if (!d) return at;
    const p = recurrencePeriodAt(new Date(a.recurringPeriod.anchor), d, new Date(at));
    return p.from.getTime() === ms(at) ? at : iso(p.to);
  }

  // ------------------------------------------------------------------------------------- jobs

  /**
   * The collection worker (`worker/collect`): at each instant a pending line becomes billable
   * without partial periods, the customer's billable lines become standard invoices.
   */
  readonly collectJob: JobSource = {
    name: 'collectInvoicesJob',
    dueJobs: (tx, until) => {
      const due = this.dueIndex.earliest(tx, this.invoices(tx), DueKind.collect);
      if (due === undefined || due > until.getTime()) return [];
      const dueAt = new Date(due);
      return [{ name: 'collectInvoicesJob', namespace: tx.namespace, dueAt, run: (work) => this.collectDue(work, dueAt) } satisfies DueJob];
    },
    forget: (namespace) => this.dueIndex.forget(namespace),
  };

  /** The advance worker (`worker/advance`): invoices waiting for collection or for the draft period to end. */
  readonly advanceJob: JobSource = {
    name: 'advanceInvoicesJob',
    dueJobs: (tx, until) => {
      const due = this.dueIndex.earliest(tx, this.invoices(tx), DueKind.advance);
      if (due === undefined || due > until.getTime()) return [];
      const dueAt = new Date(due);
      return [{ name: 'advanceInvoicesJob', namespace: tx.namespace, dueAt, run: (work) => this.advanceDue(work, dueAt) } satisfies DueJob];
    },
    forget: (namespace) => this.dueIndex.forget(namespace),
  };

  /** when each stored invoice is next due for the collect and the advance worker */
  private readonly dueIndex = new DueIndex<Invoice>(2, (inv) => [
    inv.kind === 'gathering' && !inv.deletedAt ? this.nextCollectableAt(inv) : undefined,
    inv.kind === 'standard' && !inv.deletedAt ? this.waitingUntil(inv) : undefined,
  ]);

  /** the invoices as a unit of work sees them; every write goes through here, so the due index hears of it */
  private invoices(tx: UnitOfWork): Collection<Invoice> {
    let col = this.invoiceCols.get(tx);
    if (!col) {
      const inner = tx.collection<Invoice>(Col.invoices);
      col = {
        get: (id) => inner.get(id),
        put: (value) => {
          this.dueIndex.touched(tx, value.id);
          this.customerIndex.get(tx.namespace)?.add(value, tx);
          this.lineRefIndex.get(tx.namespace)?.dirty.add(value.id);
          inner.put(value);
        },
        delete: (id) => {
          this.dueIndex.touched(tx, id);
          this.customerIndex.get(tx.namespace)?.deleted();
          this.lineRefIndex.get(tx.namespace)?.dirty.add(id);
          inner.delete(id);
        },
        list: () => inner.list(),
        find: (predicate) => inner.find(predicate),
        findOne: (predicate) => inner.findOne(predicate),
        count: () => inner.count(),
      };
      this.invoiceCols.set(tx, col);
    }
    return col;
  }

  private readonly invoiceCols = new WeakMap<UnitOfWork, Collection<Invoice>>();

  /**
   * Per namespace, the ids of each customer's invoices, so work on one customer (a sync, a
   * collection, a subscription created) reads its own invoices, not every invoice of every
   * customer. An invoice never changes customer, so the index only grows: it may name an id a
   * rolled-back unit of work put, which reading through the collection drops.
   */
  private readonly customerIndex = new Map<string, CustomerInvoiceIndex>();

  /** the customer's invoices, in the collection's order */
  private invoicesOf(tx: UnitOfWork, customerId: string): readonly Invoice[] {
    const col = this.invoices(tx);
    let index = this.customerIndex.get(tx.namespace);
    if (!index) {
      index = new CustomerInvoiceIndex();
      for (const inv of col.list()) index.add(inv);
      this.customerIndex.set(tx.namespace, index);
    }
    // asked again by the same unit of work with none of the customer's invoices written since
    const seen = index.seen(customerId, tx);
    if (seen) return seen;
    const out: Invoice[] = [];
    for (const id of index.ids(customerId)) {
      const inv = col.get(id);
      if (inv && inv.customerId === customerId) out.push(inv);
    }
    index.saw(customerId, tx, out);
    return out;
  }

  private waitingUntil(inv: Invoice): number | undefined {
    if (inv.status === S.draftWaitingForCollection && inv.collectionAt) return ms(inv.collectionAt);
    if (inv.status === S.draftWaitingAutoApproval && inv.draftUntil) return ms(inv.draftUntil);
    return undefined;
  }

  /** The earliest instant a line of the gathering invoice becomes billable with partial lines disabled (kept on the invoice). */
  private nextCollectableAt(g: Invoice): number | undefined {
    return g.collectableAt !== undefined ? ms(g.collectableAt) : undefined;
  }

  private computeCollectableAt(g: Invoice): number | undefined {
    let min: string | undefined;
    for (const l of liveLines(g)) {
      const at = isFlat(l.price) ? l.invoiceAt : maxIso(l.invoiceAt, l.period.to);
      if (min === undefined || at < min) min = at;
    }
    // snapping up to the anchor keeps the order, so the earliest line decides
    return min === undefined ? undefined : ms(this.snapUpToAnchor(g, min));
  }

  private collectDue(tx: UnitOfWork, dueAt: Date): void {
    this.batch(() => this.collectDueBatch(tx, dueAt));
  }

  private collectDueBatch(tx: UnitOfWork, dueAt: Date): void {
    // the customers with a gathering invoice due, in the collection's order (the index, not a scan of every invoice)
    const due = new Set<string>();
    for (const g of this.dueIndex.due(tx, this.invoices(tx), DueKind.collect, dueAt.getTime())) due.add(g.customerId);
    for (const customerId of due) {
      try {
        this.createFromPendingLines(tx, { customerId, partialDisabled: true });
      } catch (err) {
        if (!(isDomainError(err) && err.code === E.createNoLines)) throw err;
      }
    }
  }

  private advanceDue(tx: UnitOfWork, dueAt: Date): void {
    this.batch(() => this.advanceDueBatch(tx, dueAt));
  }

  private advanceDueBatch(tx: UnitOfWork, dueAt: Date): void {
    for (const inv of this.dueIndex.due(tx, this.invoices(tx), DueKind.advance, dueAt.getTime())) {
      const copy = copyInvoice(inv);
      this.advanceUntilStable(tx, copy);
      this.save(tx, copy);
    }
  }

  // ------------------------------------------------------------------------------- subscriptions

  /** Wires the subscriptions domain in after construction (it is built on billing's ports). */
  useSubscriptionSource(source: SubscriptionBillingSource): void {
    this.deps.subscriptions = source;
  }

  /**
   * Reconciles a customer's pending lines with its subscriptions as of `asOf`
   * (worker/subscriptionsync): every billable item up to the generation horizon is a line, found
   * by its `childUniqueReferenceId` on the gathering invoice or an invoice it already went to;
   * pending lines whose item is gone (a cancellation) are deleted, changed ones updated.
   * Invoiced lines are corrected as `invoiceupdater` does: on a draft they are updated or deleted,
   * on an immutable invoice the difference becomes a warning issue.
   */
  syncSubscriptionLines(
    tx: UnitOfWork,
    input: {
      customerId: string;
      asOf?: string;
      horizons?: ReadonlyArray<{ subscriptionId: string; until: string }>;
      /** a caller syncing many customers passes what it gathered for all of them in one pass */
      splitRefs?: readonly string[];
      items?: readonly SubscriptionBillableItem[];
    },
  ): void {
    const source = this.deps.subscriptions;
    if (!source) return;
    const customer = this.requireCustomer(tx, input.customerId);
    const asOf = input.asOf ?? this.now();
    let items = input.items ?? source.billableItems(tx, { customerId: customer.id, asOf });
    // a canceled subscription is synced up to its end (handlers.go HandleCancelledEvent)
    for (const h of input.horizons ?? []) {
      if (h.until <= asOf) continue;
      const seen = new Set(items.map((i) => i.childUniqueReferenceId));
      const more = source.billableItems(tx, { customerId: customer.id, asOf: h.until }).filter((i) => i.subscriptionId === h.subscriptionId && !seen.has(i.childUniqueReferenceId));
      items = [...items, ...more];
    }
    // items of a subscription that chose a credit settlement mode are charges (reconciler/patch.go
    // ResolveDefaultCollection); only a credit_then_invoice charge also has a line, billing what credit leaves
    const settled: SubscriptionBillableItem[] = [];
    for (const i of items) if (i.settledByCharge) settled.push(i);
    const chargeIds = this.deps.charges?.syncSubscriptionCharges(tx, { customerId: customer.id, items: settled });
    if (settled.some((i) => i.settlementMode === 'credit_only')) items = items.filter((i) => !(i.settledByCharge && i.settlementMode === 'credit_only'));
    const col = this.invoices(tx);
    const own = (): readonly Invoice[] => this.invoicesOf(tx, customer.id);
    // current until the corrections below: the refresh in between replaces gathering invoices only
    const mine = own();
    const onStandard = this.standardRefs(tx.namespace, customer.id, mine.filter((i) => i.kind === 'standard'));
    // a line split by progressive billing hands its reference to its split line group
    // (billing/splitlinegroup): the item is there, partly invoiced, not missing
    const split = new Set<string>();
    if (input.splitRefs) for (const ref of input.splitRefs) split.add(ref);
    else for (const grp of tx.collection<SplitLineGroup>(Col.splitLineGroups).find((x) => x.customerId === customer.id)) if (grp.childUniqueReferenceId) split.add(grp.childUniqueReferenceId);
    const invoiced = { has: (ref: string): boolean => onStandard.has(ref) || split.has(ref) };
    const markKey = `${tx.namespace}\u0000${customer.id}`;
    // set again when this sync completes: one that fails midway leaves none
    const mark = this.reconciled.get(markKey);
    this.reconciled.delete(markKey);
    const since = !this.incrementalSync || input.horizons?.length || split.size ? undefined : this.sinceReconciled(mark, items, mine, asOf);
    const wanted = since ? since.wanted : new Map(items.map((i) => [i.childUniqueReferenceId, i]));
    const now = this.now();
    // drop or refresh pending subscription lines
    for (const g of mine.filter((i) => i.kind === 'gathering' && !i.deletedAt)) {
      let changed = false;
      const lines = g.lines.map((l) => {
        if (l.deletedAt || l.managedBy !== LineManagedBy.subscription || !l.childUniqueReferenceId) return l;
        const item = wanted.get(l.childUniqueReferenceId);
        if (!item) {
          changed = true;
          return { ...l, deletedAt: now, updatedAt: now };
        }
        if (this.agreesWith.get(l) === item) return l;
        const next = this.subscriptionLine(item, l.id, l.createdAt, now, undefined, l.chargeId);
        if (JSON.stringify([next.period, next.invoiceAt, next.price, next.name]) === JSON.stringify([l.period, l.invoiceAt, l.price, l.name])) {
          this.agreesWith.set(l, item);
          return l;
        }
        changed = true;
        return next;
      });
      if (changed) {
        const next: Invoice = { ...g, lines, updatedAt: now };
        if (liveLines(next).length === 0) next.deletedAt = now;
        this.refreshGathering(next);
        col.put(next);
      }
    }
    for (const inv of mine) {
      if (inv.kind !== 'standard' || inv.deletedAt) continue;
      // an invoice unchanged since the reconcile that found it agreeing still agrees
      if (since && !since.changed.has(inv.id) && this.invoiceAgreesWith.has(inv)) continue;
      this.correctInvoicedLines(tx, inv, wanted);
    }
    if (!since && (!input.splitRefs || input.splitRefs.length)) this.correctSplitLineGroups(tx, customer.id, own(), wanted);
    const pending = new Set<string>();
    // found afresh: a correction may have opened a gathering invoice of its own
    for (const g of own()) {
      if (g.kind !== 'gathering') continue;
      for (const l of g.lines) if (l.childUniqueReferenceId && !l.deletedAt) pending.add(l.childUniqueReferenceId);
    }
    const isMissing = (i: SubscriptionBillableItem): boolean => !pending.has(i.childUniqueReferenceId) && !invoiced.has(i.childUniqueReferenceId);
    // in items' order (the new lines' ids follow it): after a reconcile only the new items and
    // those whose lines sat on a changed invoice can be missing
    const missing = !since
      ? items.filter(isMissing)
      : since.recheck.size
        ? items.filter((i) => (since.recheck.has(i.childUniqueReferenceId) || since.fresh.has(i)) && isMissing(i))
        : [...since.fresh].filter(isMissing);
    const byCurrency = new Map<string, SubscriptionBillableItem[]>();
    for (const i of missing) byCurrency.set(i.currency, [...(byCurrency.get(i.currency) ?? []), i]);
    for (const [currency, list] of byCurrency) {
      const created = this.addPendingLines(tx, {
        customerId: customer.id,
        currency,
        lines: list.map((i) => ({ name: i.name, period: i.servicePeriod, invoiceAt: i.invoiceAt, price: i.price, ...(i.featureKey ? { featureKey: i.featureKey } : {}), ...(i.discounts ? { discounts: i.discounts } : {}) })),
      });
      // mark them as the subscription's
      const g = col.get(created.invoice.id)!;
      const ids = new Map(created.lines.map((l, n) => [l.id, list[n]!]));
      col.put({
        ...g,
        lines: g.lines.map((l) => {
          const item = ids.get(l.id);
          if (!item) return l;
          const line = this.subscriptionLine(item, l.id, l.createdAt, now, l, chargeIds?.get(item.childUniqueReferenceId));
          // made from the item: it agrees with it (the next sync need not check)
          this.agreesWith.set(line, item);
          return line;
        }),
      });
    }
    // the customer's invoices as this sync leaves them (it creates none but gathering ones)
    const after = new Map<string, Invoice>();
    for (const inv of own()) after.set(inv.id, inv);
    this.reconciled.set(markKey, { asOf: ms(asOf), wanted, invoices: after });
  }

  /**
   * Per namespace and customer, what the last subscription sync left reconciled: every wanted
   * item as of `asOf` (by reference) had its line, agreeing, on the invoices as they were then
   * (by object). That stays true while every one of those items is still wanted as the same
   * object (billable items are kept per subscription record and spec, so any edit, change,
   * cancel or add-on of a subscription makes new ones) and the invoices holding them are the
   * same objects (stored invoices are replaced, never edited). A sync of a customer where only
   * time moved then handles the items newly due and the invoices replaced since, not years of
   * items and invoices. It is checked by identity at every use, never trusted: a rolled back
   * sync leaves invoices that are not the objects recorded, so their lines are looked at again.
   */
  /** off: every sync reconciles every item and invoice (tests compare the two) */
  incrementalSync = true;

  private readonly reconciled = new Map<string, { asOf: number; wanted: Map<string, SubscriptionBillableItem>; invoices: ReadonlyMap<string, Invoice> }>();

  /**
   * What a sync must still look at since the customer's last reconcile (`reconciled`), or
   * undefined when it must reconcile everything: an item of then is no longer wanted or is
   * another object, or time went back.
   */
  private sinceReconciled(
    mark: { asOf: number; wanted: Map<string, SubscriptionBillableItem>; invoices: ReadonlyMap<string, Invoice> } | undefined,
    items: readonly SubscriptionBillableItem[],
    mine: readonly Invoice[],
    asOf: string,
  ): { wanted: Map<string, SubscriptionBillableItem>; fresh: Set<SubscriptionBillableItem>; changed: Set<string>; recheck: Set<string> } | undefined {
    if (!mark || ms(asOf) < mark.asOf) return undefined;
    const fresh = new Set<SubscriptionBillableItem>();
    let same = 0;
    for (const i of items) {
      const then = mark.wanted.get(i.childUniqueReferenceId);
      if (then === i) same++;
      else if (then !== undefined || fresh.has(i)) return undefined;
      else fresh.add(i);
    }
    if (same !== mark.wanted.size) return undefined;
    // the references on invoices replaced (or gone) since: their items may have lost their line
    const changed = new Set<string>();
    const recheck = new Set<string>();
    const before = (inv: Invoice | undefined) => {
      if (inv) for (const l of inv.lines) if (l.childUniqueReferenceId && mark.wanted.has(l.childUniqueReferenceId)) recheck.add(l.childUniqueReferenceId);
    };
    let known = 0;
    for (const inv of mine) {
      const then = mark.invoices.get(inv.id);
      if (then) known++;
      if (then === inv) continue;
      changed.add(inv.id);
      before(then);
    }
    if (known < mark.invoices.size) {
      const now = new Set(mine.map((i) => i.id));
      for (const [id, inv] of mark.invoices) if (!now.has(id)) before(inv);
    }
    // the wanted items now: those of then, which are all still there, and the new ones
    const wanted = mark.wanted;
    for (const i of fresh) wanted.set(i.childUniqueReferenceId, i);
    return { wanted, fresh, changed, recheck };
  }

  /**
   * Per namespace and customer, the references of every line on the customer's standard invoices
   * (deleted lines too), with the invoices they were read from. Stored invoices are replaced,
   * never edited, and keep their place in the collection: while the ones read before are still
   * the same objects, only the invoices added since are read (a sync does not read years of
   * invoiced lines again).
   */
  private readonly standardRefCache = new Map<string, Map<string, { invoices: Invoice[]; refs: Set<string> }>>();

  private standardRefs(namespace: string, customerId: string, standard: readonly Invoice[]): ReadonlySet<string> {
    let byCustomer = this.standardRefCache.get(namespace);
    if (!byCustomer) this.standardRefCache.set(namespace, (byCustomer = new Map()));
    let kept = byCustomer.get(customerId);
    const same = kept !== undefined && kept.invoices.length <= standard.length && kept.invoices.every((inv, i) => inv === standard[i]);
    if (!kept || !same) byCustomer.set(customerId, (kept = { invoices: [], refs: new Set() }));
    for (let i = kept.invoices.length; i < standard.length; i++) {
      const inv = standard[i]!;
      for (const l of inv.lines) if (l.childUniqueReferenceId) kept.refs.add(l.childUniqueReferenceId);
      kept.invoices.push(inv);
    }
    return kept.refs;
  }

  /** a stored standard invoice whose every subscription line agreed with these billable items (by reference) */
  private readonly invoiceAgreesWith = new WeakMap<Invoice, Array<[string, SubscriptionBillableItem]>>();

  /**
   * Subscription lines already on a standard invoice whose item changed or is gone (an edit, a
   * cancel, a change): `invoiceupdater.ApplyPatches`. A flat line that would change amount or
   * period is the reconciler's prorate patch, a usage line's new period its shrink/extend patch.
   * A mutable draft takes the new lines (usage re-measured) and is recalculated through the
   * `updated` trigger, and is deleted once no line is left; an immutable invoice keeps its lines
   * and records why as warnings of the `subscription-sync` component (`updateImmutableInvoice`).
   * OpenMeter issues no credit note for the invoiced difference.
   */
  private correctInvoicedLines(tx: UnitOfWork, stored: Invoice, wanted: ReadonlyMap<string, SubscriptionBillableItem>): void {
    const agreed = this.invoiceAgreesWith.get(stored);
    if (agreed && agreed.every(([ref, item]) => wanted.get(ref) === item)) return;
    const now = this.now();
    const changes: Array<{ line: InvoiceLine; target?: InvoiceLine }> = [];
    const pairs: Array<[string, SubscriptionBillableItem]> = [];
    for (const l of liveLines(stored)) {
      if (l.managedBy !== LineManagedBy.subscription || !l.childUniqueReferenceId) continue;
      const item = wanted.get(l.childUniqueReferenceId);
      if (!item) {
        changes.push({ line: l });
        continue;
      }
      pairs.push([l.childUniqueReferenceId, item]);
      if (this.invoicedAgreesWith.get(l) === item) continue;
      // the line the item would make, compared by what an invoiced line can be corrected in; made only when it differs
      const samePeriod = floorSecond(item.servicePeriod.from) === l.period.from && floorSecond(item.servicePeriod.to) === l.period.to;
      const sameAmount = !isFlat(l.price) || !isFlat(item.price) || dec(flatAmount(l.price)).eq(dec(flatAmount(item.price)));
      if (!samePeriod || !sameAmount) changes.push({ line: l, target: this.subscriptionLine(item, l.id, l.createdAt, now, l) });
      else this.invoicedAgreesWith.set(l, item);
    }
    // every line agreed: the same items find the same invoice agreeing, without reading its lines
    if (!changes.length) this.invoiceAgreesWith.set(stored, pairs);
    this.applyInvoicedChanges(tx, stored, changes);
  }

  /** the patches of `invoiceupdater.ApplyPatches` for one standard invoice: a draft takes them, an immutable invoice gets warnings */
  private applyInvoicedChanges(tx: UnitOfWork, stored: Invoice, changes: ReadonlyArray<{ line: InvoiceLine; target?: InvoiceLine }>): void {
    if (!changes.length) return;
    const now = this.now();
    const inv = copyInvoice(stored);
    if (this.canFire(tx, inv, T.updated)) {
      const byId = new Map(changes.map((c) => [c.line.id, c]));
      inv.lines = inv.lines.map((l) => {
        const c = byId.get(l.id);
        if (!c) return l;
        if (!c.target) return { ...l, deletedAt: now, updatedAt: now };
        // a usage line whose period becomes empty is deleted (getPatchesForUpdateUsageBasedLine)
        if (!isFlat(l.price) && c.target.period.to <= c.target.period.from) return { ...l, deletedAt: now, updatedAt: now };
        // the invoice keeps its invoiceAt; only a gathering line takes the new one
        const next: InvoiceLine = { ...l, period: c.target.period, price: isFlat(l.price) ? c.target.price : l.price, updatedAt: now };
        if (isFlat(next.price)) return next;
        const q = this.measure(tx, inv, next);
        return { ...next, meteredQuantity: q.qty, meteredPreLinePeriodQuantity: q.pre };
      });
      if (liveLines(inv).length === 0 && this.canFire(tx, inv, T.delete)) this.handleTrigger(tx, inv, T.delete);
      else this.handleTrigger(tx, inv, T.updated);
      this.save(tx, inv);
      return;
    }
    const issues: ValidationIssue[] = [];
    const warn = (line: InvoiceLine, message: string) =>
      issues.push({ code: E.immutableInvoiceHandlingNotSupported, message, severity: 'warning', component: SUBSCRIPTION_SYNC_COMPONENT, field: `lines/${line.id}` });
    for (const { line, target } of changes) {
      if (!target) warn(line, 'line should be deleted, but the invoice is immutable');
      else if (isFlat(line.price) && isFlat(target.price)) {
        if (!dec(flatAmount(line.price)).eq(dec(flatAmount(target.price)))) {
          warn(line, `flat fee line's per unit amount cannot be changed on immutable invoice (new per unit amount: ${toDecimalString(dec(flatAmount(target.price)))})`);
        } else warn(line, "flat fee line's service period cannot be changed on immutable invoice");
      } else {
        const q = this.measure(tx, inv, { ...line, period: target.period });
        if (!dec(q.qty).eq(dec(line.meteredQuantity ?? '0'))) warn(line, `usage based line's quantity cannot be changed on immutable invoice (new qty: ${toDecimalString(dec(q.qty))})`);
      }
    }
    const fresh = issues.filter((i) => !inv.validationIssues.some((x) => x.field === i.field && x.component === i.component && x.code === i.code && x.message === i.message));
    if (!fresh.length) return;
    inv.validationIssues = [...inv.validationIssues, ...this.withIds(fresh)];
    this.save(tx, inv);
  }

  /**
   * A progressively billed line is a split line group whose parts sit on several invoices
   * (reconciler/patchinvoicelinehierarchy.go). When its item is gone the group and every part are
   * deleted (`AddDelete`); when the item ends earlier the group's period is shortened, parts
   * starting after the new end are deleted and the part spanning it ends there, or is deleted when
   * that leaves it empty (`AddShrink`); when the item ends later the last part is extended
   * (`AddExtend`). A pending part also takes the item's invoiceAt. Parts on a draft are updated,
   * parts on an immutable invoice only give warnings (`updateImmutableInvoice`).
   */
  private correctSplitLineGroups(tx: UnitOfWork, customerId: string, invoices: readonly Invoice[], wanted: ReadonlyMap<string, SubscriptionBillableItem>): void {
    const groups = tx.collection<SplitLineGroup>(Col.splitLineGroups);
    const live = groups.find((g) => g.customerId === customerId && !g.deletedAt && g.childUniqueReferenceId !== undefined);
    if (!live.length) return;
    const now = this.now();
    const col = this.invoices(tx);
    for (const group of live) {
      const item = wanted.get(group.childUniqueReferenceId!);
      const target = item ? { from: floorSecond(item.servicePeriod.from), to: floorSecond(item.servicePeriod.to) } : undefined;
      if (target && target.to === group.period.to) continue;
      // the parts, found afresh (an earlier group's patches may have changed their invoices)
      const parts: Array<{ inv: Invoice; line: InvoiceLine }> = [];
      for (const i of invoices) {
        const current = col.get(i.id);
        if (!current || current.deletedAt) continue;
        for (const l of current.lines) if (l.splitLineGroupId === group.id && !l.deletedAt) parts.push({ inv: current, line: l });
      }
      const changes = new Map<string, Array<{ line: InvoiceLine; target?: InvoiceLine }>>();
      const add = (inv: Invoice, change: { line: InvoiceLine; target?: InvoiceLine }) => changes.set(inv.id, [...(changes.get(inv.id) ?? []), change]);
      const moved = (p: { inv: Invoice; line: InvoiceLine }, to: string): InvoiceLine => ({
        ...p.line,
        period: { from: p.line.period.from, to },
        ...(p.inv.kind === 'gathering' && item ? { invoiceAt: floorSecond(item.invoiceAt) } : {}),
      });
      if (!target) for (const p of parts) add(p.inv, { line: p.line });
      else if (target.to < group.period.to) {
        for (const p of parts) {
          if (p.line.period.to < target.to) continue;
          if (p.line.period.from > target.to) add(p.inv, { line: p.line });
          else if (p.line.period.to !== target.to) {
            // empty once truncated to the meter's minimum window (streaming.MinimumWindowSizeDuration, a minute)
            if (Math.floor(ms(target.to) / 60_000) <= Math.floor(ms(p.line.period.from) / 60_000)) add(p.inv, { line: p.line });
            else add(p.inv, { line: p.line, target: moved(p, target.to) });
          }
        }
      } else if (parts.length) {
        const last = parts.reduce((a, b) => (b.line.period.to > a.line.period.to ? b : a));
        add(last.inv, { line: last.line, target: moved(last, target.to) });
      }
      for (const [invId, list] of changes) {
        const inv = col.get(invId)!;
        if (inv.kind === 'standard') {
          this.applyInvoicedChanges(tx, inv, list);
          continue;
        }
        const byId = new Map(list.map((c) => [c.line.id, c]));
        const next: Invoice = {
          ...inv,
          lines: inv.lines.map((l) => {
            const c = byId.get(l.id);
            if (!c) return l;
            return c.target ? { ...c.target, updatedAt: now } : { ...l, deletedAt: now, updatedAt: now };
          }),
          updatedAt: now,
        };
        if (liveLines(next).length === 0) next.deletedAt = now;
        this.refreshGathering(next);
        col.put(next);
      }
      groups.put(target ? { ...group, period: { from: group.period.from, to: target.to } } : { ...group, deletedAt: now });
    }
  }

  /**
   * The gathering line of an invoice-funded credit grant (creditpurchase/service/create.go
   * `buildInvoiceCreditPurchaseGatheringLine`): flat in advance, `"<name> (<amount> <CUR>
   * credits)"`, priced at the purchase amount, an empty period at the effective time, invoiced at
   * once (only that line, collection alignment bypassed) when effective now (charges/service
   * `invokeInvoiceNowOnCreate`).
   */
  createCreditPurchaseLine(
    tx: UnitOfWork,
    grant: { id: string; customerId: string; name: string; description?: string; currency: string; amount: string; purchase?: { currency: string; amount: string }; effectiveAt?: string; createdAt: string },
  ): void {
    const at = floorSecond(grant.effectiveAt ?? grant.createdAt);
    const currency = (grant.purchase?.currency ?? grant.currency).toUpperCase();
    const created = this.createPendingLines(tx, {
      customerId: grant.customerId,
      currency,
      lines: [
        {
          name: `${grant.name} (${grant.amount} ${grant.currency} credits)`,
          ...(grant.description !== undefined ? { description: grant.description } : {}),
          period: { from: at, to: at },
          invoiceAt: at,
          price: { type: 'flat', amount: grant.purchase?.amount ?? '0', paymentTerm: 'in_advance' },
        },
      ],
    });
    const lineId = created.lines[0]!.id;
    const col = this.invoices(tx);
    const g = col.get(created.invoice.id)!;
    col.put({ ...g, lines: g.lines.map((l) => (l.id === lineId ? { ...l, creditGrantId: grant.id } : l)) });
    if (at > this.now()) return;
    this.batch(() => this.createFromPendingLines(tx, { customerId: grant.customerId, lineIds: [lineId], asOf: this.now(), bypassAlignment: true }));
  }

  /**
   * The gathering line of a manual `credit_then_invoice` charge (flatfee/usagebased line engines):
   * the charge's name, service period, invoice time and price (a flat fee's amount after
   * proration, in advance or in arrears), collected like any pending line; the charge's credit
   * reaches it when the invoice is past collection.
   */
  createChargeLine(
    tx: UnitOfWork,
    charge: {
      id: string;
      customerId: string;
      name: string;
      description?: string;
      currency: string;
      invoiceAt: string;
      servicePeriod: { from: string; to: string };
      featureKey?: string;
      paymentTerm?: 'in_advance' | 'in_arrears';
      amountAfterProration?: string;
      price?: Price;
      discounts?: Discounts;
    },
  ): void {
    const price: Price = charge.price ?? { type: 'flat', amount: charge.amountAfterProration ?? '0', paymentTerm: charge.paymentTerm ?? 'in_advance' };
    const created = this.createPendingLines(tx, {
      customerId: charge.customerId,
      currency: charge.currency,
      lines: [
        {
          name: charge.name,
          ...(charge.description !== undefined ? { description: charge.description } : {}),
          period: charge.servicePeriod,
          invoiceAt: charge.invoiceAt,
          price,
          ...(charge.featureKey ? { featureKey: charge.featureKey } : {}),
          ...(charge.discounts ? { discounts: charge.discounts } : {}),
        },
      ],
    });
    const lineId = created.lines[0]!.id;
    const col = this.invoices(tx);
    const g = col.get(created.invoice.id)!;
    col.put({ ...g, lines: g.lines.map((l) => (l.id === lineId ? { ...l, chargeId: charge.id } : l)) });
  }

  /**
   * What OpenMeter's subscription-sync worker does on a subscription event
   * (`synchronizeSubscriptionAndInvoiceCustomer`, worker/subscriptionsync/service/sync.go): sync
   * the customer's lines, then `InvoicePendingLines` with partial lines disabled, so an in-advance
   * fee due now is invoiced at once. Nothing billable is not an error there.
   */
  synchronizeSubscriptionsAndInvoice(tx: UnitOfWork, input: { customerId: string; horizons?: ReadonlyArray<{ subscriptionId: string; until: string }> }): void {
    const customer = this.deps.customers.findCustomer(tx, input.customerId);
    if (!customer || customer.deletedAt) return;
    const now = this.now();
    this.syncSubscriptionLines(tx, { customerId: customer.id, asOf: now, ...(input.horizons ? { horizons: input.horizons } : {}) });
    tx.collection<SyncMark>(Col.subscriptionSync).put({ id: customer.id, syncedAt: now });
    try {
      this.batch(() => this.createFromPendingLines(tx, { customerId: customer.id, partialDisabled: true }));
    } catch (err) {
      if (!(isDomainError(err) && err.code === E.createNoLines)) throw err;
    }
  }

  private subscriptionLine(item: SubscriptionBillableItem, id: string, createdAt: string, now: string, base?: InvoiceLine, chargeId?: string): InvoiceLine {
    const charge = chargeId ?? base?.chargeId;
    return {
      ...(base ?? ({} as InvoiceLine)),
      id,
      name: item.name,
      managedBy: LineManagedBy.subscription,
      period: { from: floorSecond(item.servicePeriod.from), to: floorSecond(item.servicePeriod.to) },
      invoiceAt: floorSecond(item.invoiceAt),
      currency: item.currency,
      price: this.normalizePrice(item.price),
      ...(item.featureKey ? { featureKey: item.featureKey } : {}),
      ...(item.discounts ? { discounts: base?.discounts ?? item.discounts } : {}),
      ...(item.taxConfig ? { taxConfig: item.taxConfig } : {}),
      subscription: { subscriptionId: item.subscriptionId, phaseId: item.phaseId, itemId: item.itemId, billingPeriod: item.billingPeriod },
      ...(item.usageBySubscription ? { usageBySubscription: true } : {}),
      childUniqueReferenceId: item.childUniqueReferenceId,
      // a charge draws the credit itself; an item taking the default settlement draws it on the invoice (decision 0025)
      ...(charge ? { chargeId: charge } : !item.settledByCharge && (item.settlementMode === 'credit_then_invoice' || item.settlementMode === 'credit_only') ? { drawsCredits: true } : {}),
      createdAt,
      updatedAt: now,
    };
  }

  /**
   * Subscription lines appear on the gathering invoice when the generation horizon reaches them:
   * due at the earliest `invoiceAt` of an item not yet materialised.
   */
  readonly subscriptionSyncJob: JobSource = {
    name: 'syncSubscriptionLinesJob',
    dueJobs: (tx, until) => {
      const source = this.deps.subscriptions;
      if (!source) return [];
      // every line's reference, gathered only when an item is not ruled out by its time alone
      // (most looks for due work find every customer synced past all its items)
      let lineRefs: ReadonlyMap<string, number> | undefined;
      let groupRefs: Set<string> | undefined;
      const isKnown = (ref: string): boolean => {
        if (!lineRefs) {
          lineRefs = this.lineRefCounts(tx);
          groupRefs = new Set<string>();
          for (const grp of tx.collection<SplitLineGroup>(Col.splitLineGroups).list()) if (grp.childUniqueReferenceId) groupRefs.add(grp.childUniqueReferenceId);
        }
        return lineRefs.has(ref) || groupRefs!.has(ref);
      };
      const synced = tx.collection<SyncMark>(Col.subscriptionSync);
      const lastSync = (customerId: string): number | undefined => {
        const mark = synced.get(customerId);
        return mark ? syncedMs(mark) : undefined;
      };
      let due: number | undefined;
      const customers: string[] = [];
      const asOf = until.toISOString();
      const untilMs = until.getTime();
      // only what falls due after a customer's last sync can be due work (the check below)
      const all = source.billableItemsByCustomer?.(tx, { asOf, dueAfter: lastSync });
      for (const customerId of all ? all.keys() : source.customersWithSubscriptions(tx)) {
        const last = lastSync(customerId);
        for (const item of all?.get(customerId) ?? source.billableItems(tx, { customerId, asOf })) {
          // an item is generated one billing period ahead: due when its billing period starts
          const at = dueAtOf(item);
          if (at > untilMs) continue;
          // a sync at or after this instant did not produce it: nothing to do until later
          if (last !== undefined && last >= at) continue;
          if (isKnown(item.childUniqueReferenceId)) continue;
          if (due === undefined || at < due) due = at;
          customers.push(customerId);
        }
      }
      if (due === undefined) return [];
      const dueAt = new Date(due);
      const ids = [...new Set(customers)];
      return [
        {
          name: 'syncSubscriptionLinesJob',
          namespace: tx.namespace,
          dueAt,
          run: (work) => {
            const splitRefs = new Map<string, string[]>();
            // every customer's items and split line groups in one pass each, not one per customer
            const items = ids.length > 1 ? source.billableItemsByCustomer?.(work, { asOf: dueAt.toISOString() }) : undefined;
            if (ids.length > 1) {
              const wanted = new Set(ids);
              for (const grp of work.collection<SplitLineGroup>(Col.splitLineGroups).list()) {
                if (!wanted.has(grp.customerId) || !grp.childUniqueReferenceId) continue;
                const list = splitRefs.get(grp.customerId);
                if (list) list.push(grp.childUniqueReferenceId);
                else splitRefs.set(grp.customerId, [grp.childUniqueReferenceId]);
              }
            }
            for (const customerId of ids) {
              this.syncSubscriptionLines(work, {
                customerId,
                asOf: dueAt.toISOString(),
                ...(ids.length > 1 ? { splitRefs: splitRefs.get(customerId) ?? [] } : {}),
                ...(items ? { items: items.get(customerId) ?? [] } : {}),
              });
              work.collection<SyncMark>(Col.subscriptionSync).put({ id: customerId, syncedAt: dueAt.toISOString() });
            }
          },
        } satisfies DueJob,
      ];
    },
    forget: (namespace) => {
      for (const cache of [this.lineRefIndex, this.standardRefCache, this.customerIndex]) {
        if (namespace === undefined) cache.clear();
        else cache.delete(namespace);
      }
      if (namespace === undefined) this.reconciled.clear();
      else for (const key of [...this.reconciled.keys()]) if (key.startsWith(`${namespace}\u0000`)) this.reconciled.delete(key);
    },
  };

  /**
   * Per namespace, the live line references of every committed invoice and how many invoices
   * hold each reference. Every write marks its invoice (`dirty`); a look re-reads only those from
   * a unit of work that wrote nothing, which sees what was committed (a rolled-back write reads
   * back as the invoice it did not replace), not every line of years of invoices at each look
   * for due work. A unit of work that wrote invoices counts what it sees and leaves the index be.
   */
  private readonly lineRefIndex = new Map<string, { byInvoice: Map<string, { inv: Invoice; refs: string[] }>; counts: Map<string, number>; dirty: Set<string> }>();

  private lineRefCounts(tx: UnitOfWork): ReadonlyMap<string, number> {
    const col = this.invoices(tx);
    const add = (counts: Map<string, number>, inv: Invoice): string[] => {
      const refs: string[] = [];
      for (const l of inv.lines) if (l.childUniqueReferenceId && !l.deletedAt) refs.push(l.childUniqueReferenceId);
      for (const r of refs) counts.set(r, (counts.get(r) ?? 0) + 1);
      return refs;
    };
    if (this.dueIndex.wrote(tx)) {
      const counts = new Map<string, number>();
      for (const inv of col.list()) add(counts, inv);
      return counts;
    }
    let index = this.lineRefIndex.get(tx.namespace);
    if (!index) {
      index = { byInvoice: new Map(), counts: new Map(), dirty: new Set() };
      for (const inv of col.list()) index.byInvoice.set(inv.id, { inv, refs: add(index.counts, inv) });
      this.lineRefIndex.set(tx.namespace, index);
      return index.counts;
    }
    const { byInvoice, counts, dirty } = index;
    for (const id of dirty) {
      const inv = col.get(id);
      const kept = byInvoice.get(id);
      if (kept && kept.inv === inv) continue;
      if (kept) {
        for (const r of kept.refs) {
          const n = counts.get(r)! - 1;
          if (n === 0) counts.delete(r);
          else counts.set(r, n);
        }
        byInvoice.delete(id);
      }
      if (inv) byInvoice.set(id, { inv, refs: add(counts, inv) });
    }
    dirty.clear();
    return counts;
  }

  // ---------------------------------------------------------------------------------- helpers

  /**
   * Stores the invoice as it is; callers work on their own copy (`requireInvoice` clones), so the
   * stored object is never one a committed state still holds.
   */
  private save(tx: UnitOfWork, inv: Invoice): void {
    inv.updatedAt = this.now();
    this.invoices(tx).put(inv);
  }

  private hasCritical(inv: Invoice): boolean {
    return inv.validationIssues.some((i) => (i.severity ?? 'critical') === 'critical');
  }

  private requireCustomer(tx: UnitOfWork, idOrKey: string): Customer {
    const c = this.deps.customers.findCustomer(tx, idOrKey);
    if (!c || c.deletedAt) throw notFound(E.customerNotFound, `customer not found [${idOrKey}]`);
    return c;
  }

  private requireInvoice(tx: UnitOfWork, id: string): Invoice {
    const inv = this.invoices(tx).get(id);
    if (!inv) throw notFound(E.notFound, `invoice not found [Invoice/${id}]`);
    return copyInvoice(inv);
  }

  private requireStandard(tx: UnitOfWork, id: string): Invoice {
    const inv = this.requireInvoice(tx, id);
    if (inv.kind === 'gathering') throw validationError(E.actionNotAvailable, `cannot act on gathering invoice [${id}]: ${INVOICE_ISSUE_MESSAGES[E.actionNotAvailable]}`);
    return inv;
  }

  private requireAppType(tx: UnitOfWork, inv: Invoice, type: string): void {
    if (this.appOf(tx, inv).type !== type) throw validationError(E.appNotInvoicing, `invoice ${inv.id} is not managed by the custom invoicing app`);
  }

  /** the live apps of a unit of work, read once (state-machine guards ask for them at every step) */
  private readonly appsOfTx = new WeakMap<UnitOfWork, Map<string, App>>();

  private appOf(tx: UnitOfWork, inv: Invoice): App {
    let apps = this.appsOfTx.get(tx);
    if (!apps) {
      apps = new Map(this.deps.apps.liveApps(tx).map((a) => [a.id, a]));
      this.appsOfTx.set(tx, apps);
    }
    const app = apps.get(inv.apps.invoicing);
    // an uninstalled app behaves as the sandbox does for reads; the real service fails the next step
    return app ?? ({ id: inv.apps.invoicing, type: AppType.sandbox } as App);
  }

  private appImpl(tx: UnitOfWork, inv: Invoice): InvoicingApp {
    return this.appImpls.get(this.appOf(tx, inv).type) ?? sandboxApp;
  }

  private appContext(tx: UnitOfWork, inv: Invoice) {
    return {
      app: this.appOf(tx, inv),
      now: this.now(),
      nextNumber: (def: { prefix: string; scope: string }, customerName: string) => nextInvoiceNumber(tx, def, customerName),
    };
  }

  private customerSnapshot(c: Customer): Invoice['customer'] {
    return {
      id: c.id,
      ...(c.key !== undefined ? { key: c.key } : {}),
      name: c.name,
      usageAttribution: { subjectKeys: [...c.usageAttribution.subjectKeys] },
      ...(c.billingAddress ? { addresses: [c.billingAddress] } : {}),
    };
  }

  private lastNowMs = NaN;
  private lastNowText = '';

  /** (an invoice step asks for the time a dozen times, and the clock stands still meanwhile) */
  private now(): string {
    const t = this.deps.clock.now().getTime();
    if (t !== this.lastNowMs) {
      this.lastNowText = new Date(t).toISOString();
      this.lastNowMs = t;
    }
    return this.lastNowText;
  }
}

const DueKind = { collect: 0, advance: 1 } as const;

/** a customer's last subscription sync (the record is replaced at each sync, so its instant is read once) */
interface SyncMark {
  id: string;
  syncedAt: string;
}
const syncedAtMs = new WeakMap<SyncMark, number>();
function syncedMs(mark: SyncMark): number {
  let at = syncedAtMs.get(mark);
  if (at === undefined) syncedAtMs.set(mark, (at = ms(mark.syncedAt)));
  return at;
}

/** When a billable item is due for syncing; items are asked for again and again, parsed once. */
const itemDueAt = new WeakMap<SubscriptionBillableItem, number>();
function dueAtOf(item: SubscriptionBillableItem): number {
  let at = itemDueAt.get(item);
  if (at === undefined) {
    at = Math.min(ms(item.invoiceAt), ms(item.billingPeriod.from));
    itemDueAt.set(item, at);
  }
  return at;
}

class CustomerInvoiceIndex {
  private readonly byCustomer = new Map<string, Set<string>>();
  /** bumped by every write of one of the customer's invoices, whichever unit of work writes it */
  private readonly versions = new Map<string, number>();
  private epoch = 0;
  /** what each unit of work last read of a customer's invoices, at which version */
  private readonly reads = new WeakMap<UnitOfWork, Map<string, { version: number; epoch: number; invoices: readonly Invoice[] }>>();

  /**
   * An invoice written. Every other unit of work's read of the customer is stale now; the
   * writer's own read takes the invoice in (it sees what it wrote), so a sync that writes as it
   * goes does not read the customer's invoices again after each write.
   */
  add(inv: Invoice, tx?: UnitOfWork): void {
    const c = inv.customerId;
    const version = this.versions.get(c) ?? 0;
    this.versions.set(c, version + 1);
    let ids = this.byCustomer.get(c);
    const known = ids?.has(inv.id) ?? false;
    if (ids) ids.add(inv.id);
    else this.byCustomer.set(c, (ids = new Set([inv.id])));
    const read = tx ? this.reads.get(tx)?.get(c) : undefined;
    if (!read || read.version !== version || read.epoch !== this.epoch) return;
    const at = read.invoices.findIndex((x) => x.id === inv.id);
    // an id put before but not read (a rolled-back write's): its place is not known here
    if (at < 0 && known) return;
    const invoices = [...read.invoices];
    if (at < 0) invoices.push(inv);
    else invoices[at] = inv;
    this.reads.get(tx!)!.set(c, { version: version + 1, epoch: this.epoch, invoices });
  }

  /** an invoice deleted outright: its customer is not known here, so no read is trusted again */
  deleted(): void {
    this.epoch++;
  }

  ids(customerId: string): Iterable<string> {
    return this.byCustomer.get(customerId) ?? [];
  }

  seen(customerId: string, tx: UnitOfWork): readonly Invoice[] | undefined {
    const read = this.reads.get(tx)?.get(customerId);
    return read && read.version === (this.versions.get(customerId) ?? 0) && read.epoch === this.epoch ? read.invoices : undefined;
  }

  saw(customerId: string, tx: UnitOfWork, invoices: readonly Invoice[]): void {
    let mine = this.reads.get(tx);
    if (!mine) this.reads.set(tx, (mine = new Map()));
    mine.set(customerId, { version: this.versions.get(customerId) ?? 0, epoch: this.epoch, invoices });
  }
}
