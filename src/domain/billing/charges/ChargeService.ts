import type { Clock } from '../../shared/clock.ts';
import { IssueCollector, conflict, notFound, validationError } from '../../shared/errors.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { DueJob, JobSource } from '../../shared/jobs.ts';
import { D, dec, isDecimalString, roundMoney, toDecimalString, type Dec } from '../../shared/money.ts';
import { addDuration, parseDuration } from '../../shared/recurrence.ts';
import type { UnitOfWork } from '../../shared/unitOfWork.ts';
import { SettlementMode, type OutstandingImpact } from '../credits/types.ts';
import type { CreditApplied } from '../rating/types.ts';
import { deltaRate, type ChargeLine, rateCumulative, sumLines } from './deltaRating.ts';
import { ChargeErrorCode as E } from './errors.ts';
import type { ChargeBillingProfiles, ChargeCredits, ChargeCustomers, ChargeFeatures, ChargeMeters, ChargeTaxCodes } from './ports.ts';
import {
  ChargeCollections as Col,
  ChargeStatus,
  ChargeType,
  ProrationMode,
  type Charge,
  type ChargeRun,
  type ChargeTotals,
  type ChargeView,
  type CreateChargeInput,
  type Period,
  type SubscriptionChargeItem,
} from './types.ts';

const DEFAULT_COLLECTION_INTERVAL = 'PT1H';
const ms = (iso: string): number => Date.parse(iso);
const iso = (d: Date): string => d.toISOString();

export interface ChargeServiceDeps {
  clock: Clock;
  ids: IdGenerator;
  customers: ChargeCustomers;
  features: ChargeFeatures;
  meters: ChargeMeters;
  credits: ChargeCredits;
  taxCodes: ChargeTaxCodes;
  profiles: ChargeBillingProfiles;
}

/**
 * Flat-fee and usage-based charges (konnect-billing.md §5): a durable billing intent of a
 * customer and its realization runs. A charge becomes `active` when its service period starts
 * and is realized by the clock: a flat fee at `invoice_at`, a usage-based charge once its service
 * period and the collection period after it are over (delta rating, `deltaRating.ts`). Each
 * realization draws credit first (`credit_only`: all of it, going negative if it must;
 * `credit_then_invoice`: what credit covers, leaving the rest for invoicing).
 */
export class ChargeService {
  constructor(private readonly deps: ChargeServiceDeps) {}

  createCharge(tx: UnitOfWork, input: CreateChargeInput): ChargeView {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerId });
    const ic = new IssueCollector();
    if (typeof input.name !== 'string' || input.name.trim() === '') ic.add(E.invalid, 'name is required', 'name');
    checkPeriod(input.servicePeriod, 'service_period', ic);
    if (input.fullServicePeriod) checkPeriod(input.fullServicePeriod, 'full_service_period', ic);
    if (input.billingPeriod) checkPeriod(input.billingPeriod, 'billing_period', ic);
    let featureKey: string | undefined;
    let featureId: string | undefined;
    if (input.type === ChargeType.flatFee) {
      const a = input.amountBeforeProration;
      if (a.currency !== input.currency) ic.add(E.invalid, `amount_before_proration currency ${a.currency} must match the charge currency ${input.currency}`, 'amount_before_proration.currency');
      if (!isDecimalString(a.amount) || dec(a.amount).isNegative()) ic.add(E.invalid, 'amount_before_proration must be a non-negative decimal', 'amount_before_proration.amount');
      if (input.percentageDiscount !== undefined && (input.percentageDiscount < 0 || input.percentageDiscount > 100)) ic.add(E.invalid, 'percentage discount must be between 0 and 100', 'discounts.percentage');
    }
    ic.throwIfAny(E.invalid);
    // features resolve after the intent checks (productcatalog/feature/featuremeter.go): unknown → 404, no meter → 400
    if (input.featureId !== undefined) {
      const f = this.deps.features.findFeature(tx, input.featureId);
      if (!f || f.archivedAt) throw notFound(E.featureNotFound, `feature[${input.featureId}] not found`);
      if (input.type === ChargeType.usageBased && !f.meterSlug && !f.meterId) throw validationError(E.featureHasNoMeter, `feature[${f.key}] has no meter associated`);
      featureKey = f.key;
      featureId = f.id;
    }
    const charges = tx.collection<Charge>(Col.charges);
    if (input.uniqueReferenceId !== undefined && charges.findOne((c) => c.uniqueReferenceId === input.uniqueReferenceId && !c.deletedAt)) {
      throw conflict(E.conflict, 'charge conflicts with an existing charge');
    }
    const charge = this.build(tx, customer.id, input, featureId !== undefined ? { featureId, featureKey: featureKey! } : undefined);
    charges.put(charge);
    // a credit_then_invoice charge bills what credit leaves through its gathering line (flatfee/usagebased line engines)
    if (charge.settlementMode === SettlementMode.creditThenInvoice) for (const l of this.invoiceBackedListeners) l(tx, charge);
    // the real service advances the customer's charges right after creating one
    const advanced = this.advance(tx, charge.id, this.now());
    return this.view(tx, advanced, false);
  }

  private readonly invoiceBackedListeners: Array<(tx: UnitOfWork, charge: Charge) => void> = [];

  /**
   * Invoicing puts a manual `credit_then_invoice` charge on the customer's gathering invoice
   * (registered in the wiring); subscription charges get their lines from the subscription sync.
   */
  onInvoiceBackedCharge(listener: (tx: UnitOfWork, charge: Charge) => void): void {
    this.invoiceBackedListeners.push(listener);
  }

  /** The stored record of a new charge (intent checked by the caller). */
  private build(tx: UnitOfWork, customerId: string, input: CreateChargeInput, feature: { featureId: string; featureKey: string } | undefined, extra?: Partial<Charge>): Charge {
    const now = this.now();
    const fullServicePeriod = input.fullServicePeriod ?? input.servicePeriod;
    const taxConfig = input.taxConfig ?? this.defaultTaxConfig(tx);
    return {
      // an intent only compared (a subscription sync) names its id itself and uses none up
      id: extra?.id ?? this.deps.ids.next(),
      type: input.type,
      customerId,
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.labels && Object.keys(input.labels).length > 0 ? { labels: { ...input.labels } } : {}),
      currency: input.currency,
      invoiceAt: normal(input.invoiceAt),
      servicePeriod: normalPeriod(input.servicePeriod),
      fullServicePeriod: normalPeriod(fullServicePeriod),
      billingPeriod: normalPeriod(input.billingPeriod ?? input.servicePeriod),
      settlementMode: input.settlementMode,
      ...(input.uniqueReferenceId !== undefined ? { uniqueReferenceId: input.uniqueReferenceId } : {}),
      ...(taxConfig ? { taxConfig } : {}),
      ...(feature ?? {}),
      status: ChargeStatus.created,
      ...(input.type === ChargeType.flatFee
        ? {
            paymentTerm: input.paymentTerm,
            prorationMode: input.prorationMode,
            amountBeforeProration: toDecimalString(dec(input.amountBeforeProration.amount)),
            amountAfterProration: toDecimalString(prorate(dec(input.amountBeforeProration.amount), input.prorationMode, input.servicePeriod, fullServicePeriod, input.currency)),
            ...(input.percentageDiscount !== undefined ? { discounts: { percentage: { percentage: input.percentageDiscount } } } : {}),
          }
        : { price: input.price, ...(input.discounts ? { discounts: input.discounts } : {}) }),
      createdAt: iso(now),
      updatedAt: iso(now),
      ...(extra ?? {}),
    };
  }

  /** Every charge of the customer (deleted ones only when asked), with booked totals. */
  listCharges(tx: UnitOfWork, input: { customerId: string; includeDeleted?: boolean; realtime?: boolean }): ChargeView[] {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerId });
    return tx
      .collection<Charge>(Col.charges)
      .find((c) => c.customerId === customer.id && (input.includeDeleted === true || !c.deletedAt))
      .map((c) => this.view(tx, c, input.realtime === true));
  }

  /**
   * A realization run of a usage-based charge ending at `until` (before the service period end:
   * a partial run, minimum commitment ignored). The clock runs the final one; invoicing calls this
   * for progressive billing.
   */
  realizeUsageCharge(tx: UnitOfWork, input: { chargeId: string; until: Date }): ChargeRun {
    const c = tx.collection<Charge>(Col.charges).get(input.chargeId);
    if (!c || c.type !== ChargeType.usageBased) throw validationError(E.invalid, `usage-based charge not found: ${input.chargeId}`);
    const end = new Date(Math.min(input.until.getTime(), ms(c.servicePeriod.to)));
    return this.runUsage(tx, c, end, end.getTime() >= ms(c.servicePeriod.to));
  }

  /** The charge's invoice was paid: nothing is owed, and a realized charge is `final`. */
  markChargeInvoiced(tx: UnitOfWork, input: { chargeId: string; paid: boolean }): Charge {
    const c = tx.collection<Charge>(Col.charges).get(input.chargeId);
    if (!c) throw validationError(E.invalid, `charge not found: ${input.chargeId}`);
    const next: Charge = { ...c, invoiceableAmount: '0', ...(input.paid && c.realized ? { status: ChargeStatus.final } : {}), updatedAt: iso(this.now()) };
    tx.collection<Charge>(Col.charges).put(next);
    return next;
  }

  // ------------------------------------------------------------------------- subscriptions

  /**
   * The charges of a customer's subscription item periods (subscriptionsync: with the credits
   * stack on, the items of a `credit_only` / `credit_then_invoice` subscription are charges):
   * a new item period becomes a system-controlled charge (advanced at once, as a create is), a
   * changed one updates its charge — a realized flat fee books the difference as a correction
   * run, giving back credit it no longer needs — and a charge whose item period is gone is
   * deleted (a realized flat fee gives its credit back first). Answers the charge id per item.
   */
  syncSubscriptionCharges(tx: UnitOfWork, input: { customerId: string; items: readonly SubscriptionChargeItem[] }): Map<string, string> {
    const col = tx.collection<Charge>(Col.charges);
    const mine = col.find((c) => c.customerId === input.customerId && c.subscription !== undefined && !c.deletedAt);
    const byRef = new Map(mine.map((c) => [c.uniqueReferenceId ?? '', c]));
    const wanted = new Set(input.items.map((i) => i.childUniqueReferenceId));
    const out = new Map<string, string>();
    const now = this.now();
    for (const item of input.items) {
      const target = this.subscriptionIntent(tx, input.customerId, item);
      const current = byRef.get(item.childUniqueReferenceId);
      if (!current) {
        const created = { ...target, id: this.deps.ids.next() };
        col.put(created);
        out.set(item.childUniqueReferenceId, this.advance(tx, created.id, now).id);
        continue;
      }
      out.set(item.childUniqueReferenceId, current.id);
      if (intentKey(current) === intentKey(target)) continue;
      const { id: _id, status: _s, createdAt: _c, ...intent } = target;
      const next: Charge = { ...current, ...intent, updatedAt: iso(now) };
      col.put(next);
      if (current.realized && next.type === ChargeType.flatFee) this.correctFlat(tx, next);
      this.advance(tx, next.id, now);
    }
    for (const c of mine) {
      if (wanted.has(c.uniqueReferenceId ?? '')) continue;
      // a usage charge already realized covers a period that is over: it stays
      if (c.realized && c.type === ChargeType.usageBased) continue;
      if (c.realized) this.correctFlat(tx, { ...c, amountAfterProration: '0' });
      col.put({ ...col.get(c.id)!, deletedAt: iso(now), updatedAt: iso(now) });
    }
    return out;
  }

  /**
   * The credit a `credit_then_invoice` charge's invoice line carries (the line engines'
   * `CreditsApplied`): the charge is advanced to `at` first, so a line collected at the instant
   * the charge realizes sees the credit it drew, whichever job ran first.
   */
  creditsAppliedTo(tx: UnitOfWork, input: { chargeId: string; at: Date }): CreditApplied[] {
    const c = tx.collection<Charge>(Col.charges).get(input.chargeId);
    if (!c) return [];
    if (!c.deletedAt) this.advance(tx, c.id, input.at);
    const held = this.deps.credits.creditAllocatedTo(tx, { customerId: c.customerId, chargeId: c.id });
    // one allocation for the credit the charge holds net of corrections (creditrealization AsCreditsApplied: no description)
    return held.gt(0) ? [{ amount: toDecimalString(held), creditRealizationId: c.id }] : [];
  }

  /** A subscription item period as the charge it should be (its id left empty: a new charge gets one when stored). */
  private subscriptionIntent(tx: UnitOfWork, customerId: string, item: SubscriptionChargeItem): Charge {
    const feature = item.featureKey !== undefined ? this.deps.features.findFeature(tx, item.featureKey) : undefined;
    const mode = item.settlementMode === SettlementMode.creditOnly ? SettlementMode.creditOnly : SettlementMode.creditThenInvoice;
    const base = {
      customerId,
      name: item.name,
      currency: item.currency,
      invoiceAt: item.invoiceAt,
      servicePeriod: item.servicePeriod,
      ...(item.fullServicePeriod ? { fullServicePeriod: item.fullServicePeriod } : {}),
      billingPeriod: item.billingPeriod,
      settlementMode: mode,
      uniqueReferenceId: item.childUniqueReferenceId,
      // the rate card's tax config (TaxCodeConfigFrom); none → the invoicing default, as a create
      ...(item.taxConfig?.taxCodeId !== undefined || item.taxConfig?.behavior !== undefined
        ? { taxConfig: { ...(item.taxConfig.behavior !== undefined ? { behavior: item.taxConfig.behavior } : {}), ...(item.taxConfig.taxCodeId !== undefined ? { taxCodeId: item.taxConfig.taxCodeId } : {}) } }
        : {}),
    };
    const subscription = { subscriptionId: item.subscriptionId, phaseId: item.phaseId, itemId: item.itemId };
    const scope = item.usageBySubscription ? { usageBySubscription: true as const } : {};
    const featureRef = feature ? { featureId: feature.id, featureKey: feature.key } : undefined;
    if (item.price.type === 'flat') {
      const pct = item.discounts?.percentage?.percentage;
      return this.build(
        tx,
        customerId,
        {
          ...base,
          type: ChargeType.flatFee,
          paymentTerm: item.price.paymentTerm ?? 'in_advance',
          prorationMode: item.prorationMode === ProrationMode.prorate ? ProrationMode.prorate : ProrationMode.none,
          amountBeforeProration: { amount: item.amountBeforeProration ?? item.price.amount, currency: item.currency },
          ...(pct !== undefined ? { percentageDiscount: Number(pct) } : {}),
        },
        featureRef,
        // the subscription engine prorated the amount already: the charge keeps its figure
        { id: '', subscription, amountAfterProration: toDecimalString(dec(item.price.amount)) },
      );
    }
    return this.build(tx, customerId, { ...base, type: ChargeType.usageBased, featureId: feature?.id ?? item.featureKey ?? '', price: item.price, ...(item.discounts ? { discounts: item.discounts } : {}) }, featureRef, { id: '', subscription, ...scope });
  }

  /**
   * A realized flat fee whose amount changed: the difference is a correction run. What credit
   * held beyond the new amount goes back (newest allocation first); what is left to invoice is
   * the new amount less the credit kept.
   */
  private correctFlat(tx: UnitOfWork, c: Charge): void {
    const booked = sumLines(this.runsOf(tx, c.id).flatMap((r) => r.lines), c.currency).total;
    const due = this.flatDue(c);
    const delta = due.minus(booked);
    if (delta.isZero()) return;
    const line: ChargeLine = {
      name: c.name,
      childUniqueReferenceId: 'flat-price#correction',
      pricerReferenceId: 'flat-price',
      category: 'regular',
      quantity: '1',
      perUnitAmount: toDecimalString(delta),
      amount: toDecimalString(delta),
      chargesTotal: '0',
      discountsTotal: '0',
      total: toDecimalString(delta),
    };
    const held = this.deps.credits.creditAllocatedTo(tx, { customerId: c.customerId, chargeId: c.id });
    const giveBack = D.max(held.minus(D.max(due, 0)), 0);
    const labels = this.ledgerLabels(c);
    const returned = giveBack.gt(0) ? this.deps.credits.returnCredits(tx, { customerId: c.customerId, currency: c.currency, chargeId: c.id, amount: giveBack, at: this.now(), name: c.name, labels }) : dec(0);
    const kept = held.minus(returned);
    tx.collection<ChargeRun>(Col.runs).put({
      id: this.deps.ids.next(),
      chargeId: c.id,
      period: c.servicePeriod,
      final: true,
      lines: [{ ...line, id: this.deps.ids.next() }],
      creditsTotal: toDecimalString(returned.neg()),
      total: toDecimalString(roundMoney(delta.plus(returned), c.currency)),
      createdAt: iso(this.now()),
    });
    const owed = D.max(due.minus(kept), 0);
    tx.collection<Charge>(Col.charges).put({
      ...c,
      ...(c.settlementMode === SettlementMode.creditThenInvoice ? { invoiceableAmount: toDecimalString(owed) } : {}),
      status: c.settlementMode === SettlementMode.creditOnly || owed.lte(0) ? ChargeStatus.final : ChargeStatus.active,
      updatedAt: iso(this.now()),
    });
  }

  /** What the credit ledger keeps of a charge (customerbalance transaction annotations). */
  private ledgerLabels(c: Charge): Record<string, string> {
    return {
      ...(c.featureId ? { feature_id: c.featureId } : {}),
      ...(c.subscription ? { subscription_id: c.subscription.subscriptionId, subscription_phase_id: c.subscription.phaseId, subscription_item_id: c.subscription.itemId } : {}),
    };
  }

  /** The clock's side: the next transition of every unfinished charge. */
  readonly jobSource: JobSource = {
    name: 'charges',
    dueJobs: (tx, until) => {
      const jobs: DueJob[] = [];
      for (const c of tx.collection<Charge>(Col.charges).find((x) => !x.deletedAt && x.status !== ChargeStatus.final)) {
        const at = this.nextDue(tx, c);
        if (at && at.getTime() <= until.getTime()) {
          jobs.push({ name: 'advanceChargeJob', namespace: tx.namespace, dueAt: at, run: (work) => void this.advance(work, c.id, at) });
        }
      }
      return jobs;
    },
  };

  /**
   * What started, unfinished charges still want from credit, for the credit balance's `live`:
   * flat fee: the amount after proration; usage based: the current due total of the cumulative
   * usage so far; each minus the credit already allocated to it.
   */
  readonly outstandingSource = (tx: UnitOfWork, input: { customerId: string; now: Date }): OutstandingImpact[] =>
    tx
      .collection<Charge>(Col.charges)
      .find((c) => c.customerId === input.customerId && !c.deletedAt && c.status === ChargeStatus.active)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1))
      .flatMap((c) => {
        const due = c.type === ChargeType.flatFee ? this.flatDue(c) : dec(this.currentTotals(tx, c, input.now).total);
        const outstanding = due.minus(this.deps.credits.creditAllocatedTo(tx, { customerId: c.customerId, chargeId: c.id }));
        if (outstanding.lte(0)) return [];
        return [{ chargeId: c.id, currency: c.currency, ...(c.featureKey ? { featureKey: c.featureKey } : {}), settlementMode: c.settlementMode, outstanding: toDecimalString(outstanding), createdAt: c.createdAt }];
      });

  // -------------------------------------------------------------------------------- lifecycle

  /** Applies every transition due at or before `at`. */
  private advance(tx: UnitOfWork, chargeId: string, at: Date): Charge {
    const col = tx.collection<Charge>(Col.charges);
    for (let guard = 0; guard < 10; guard++) {
      const c = col.get(chargeId)!;
      const due = this.nextDue(tx, c);
      if (!due || due.getTime() > at.getTime()) return c;
      if (c.status === ChargeStatus.created) {
        col.put({ ...c, status: ChargeStatus.active, updatedAt: iso(this.now()) });
      } else if (c.type === ChargeType.flatFee) {
        this.realizeFlat(tx, c);
      } else {
        this.runUsage(tx, c, new Date(ms(c.servicePeriod.to)), true);
      }
    }
    return col.get(chargeId)!;
  }

  /** created → active at the service period start; then the realization instant; nothing once realized. */
  private nextDue(tx: UnitOfWork, c: Charge): Date | undefined {
    if (c.deletedAt || c.status === ChargeStatus.final) return undefined;
    if (c.status === ChargeStatus.created) return new Date(ms(c.servicePeriod.from));
    if (c.realized) return undefined;
    if (c.type === ChargeType.flatFee) return new Date(ms(c.invoiceAt));
    // usage is snapshotted once the period and the profile's collection period after it are over
    const base = new Date(Math.max(ms(c.servicePeriod.to), ms(c.invoiceAt)));
    return addDuration(base, parseDuration(this.collectionInterval(tx, c)) ?? parseDuration(DEFAULT_COLLECTION_INTERVAL)!);
  }

  private realizeFlat(tx: UnitOfWork, c: Charge): void {
    const amount = dec(c.amountAfterProration ?? '0');
    const pct = c.discounts?.percentage?.percentage;
    const discount = pct !== undefined ? roundMoney(amount.times(pct).div(100), c.currency) : dec(0);
    const line: ChargeLine = {
      name: c.name,
      childUniqueReferenceId: 'flat-price',
      pricerReferenceId: 'flat-price',
      category: 'regular',
      quantity: '1',
      perUnitAmount: toDecimalString(amount),
      amount: toDecimalString(amount),
      chargesTotal: '0',
      discountsTotal: toDecimalString(discount),
      total: toDecimalString(amount.minus(discount)),
    };
    const at = new Date(Math.max(ms(c.invoiceAt), ms(c.servicePeriod.from)));
    this.book(tx, c, { from: c.servicePeriod.from, to: c.servicePeriod.to }, [line], true, at);
  }

  private runUsage(tx: UnitOfWork, c: Charge, end: Date, isFinal: boolean): ChargeRun {
    const quantity = this.usage(tx, c, new Date(ms(c.servicePeriod.from)), end);
    const booked = this.runsOf(tx, c.id).flatMap((r) => r.lines);
    const lines = deltaRate({ ...rateInputOf(c, quantity, isFinal), booked });
    const previousEnd = this.runsOf(tx, c.id).reduce((a, r) => Math.max(a, ms(r.period.to)), ms(c.servicePeriod.from));
    const period = { from: iso(new Date(Math.min(previousEnd, end.getTime()))), to: iso(end) };
    return this.book(tx, c, period, lines, isFinal, this.now(), toDecimalString(quantity));
  }

  /** Stores a run: draws credit for what it charges (or returns credit for a correction) and moves the status. */
  private book(tx: UnitOfWork, c: Charge, period: Period, lines: ChargeLine[], isFinal: boolean, at: Date, cumulativeQuantity?: string): ChargeRun {
    const sums = sumLines(lines, c.currency);
    const name = c.name;
    const labels = this.ledgerLabels(c);
    let credits = dec(0);
    if (sums.total.gt(0)) {
      const allocations = this.deps.credits.consumeCredits(tx, {
        customerId: c.customerId,
        currency: c.currency,
        ...(c.featureKey ? { featureKey: c.featureKey } : {}),
        amount: sums.total,
        at,
        chargeId: c.id,
        name,
        labels,
        allowAdvance: c.settlementMode === SettlementMode.creditOnly,
      });
      credits = allocations.reduce<Dec>((a, x) => a.plus(x.amount), dec(0));
    } else if (sums.total.lt(0)) {
      credits = this.deps.credits.returnCredits(tx, { customerId: c.customerId, currency: c.currency, chargeId: c.id, amount: sums.total.neg(), at, name, labels }).neg();
    }
    const remainder = roundMoney(sums.total.minus(credits), c.currency);
    const run: ChargeRun = {
      id: this.deps.ids.next(),
      chargeId: c.id,
      period,
      final: isFinal,
      ...(cumulativeQuantity !== undefined ? { cumulativeQuantity } : {}),
      lines: lines.map((l) => ({ ...l, id: this.deps.ids.next() })),
      creditsTotal: toDecimalString(credits),
      total: toDecimalString(remainder),
      createdAt: iso(this.now()),
    };
    tx.collection<ChargeRun>(Col.runs).put(run);
    const invoiceable = dec(c.invoiceableAmount ?? '0').plus(remainder);
    const next: Charge = {
      ...c,
      ...(isFinal ? { realized: true } : {}),
      ...(c.settlementMode === SettlementMode.creditThenInvoice ? { invoiceableAmount: toDecimalString(invoiceable) } : {}),
      // credit_only settles against credit alone; credit_then_invoice stays active while an invoice is owed
      status: isFinal && (c.settlementMode === SettlementMode.creditOnly || invoiceable.lte(0)) ? ChargeStatus.final : ChargeStatus.active,
      updatedAt: iso(this.now()),
    };
    tx.collection<Charge>(Col.charges).put(next);
    return run;
  }

  // ------------------------------------------------------------------------------------ reads

  private view(tx: UnitOfWork, c: Charge, realtime: boolean): ChargeView {
    const due = this.nextDue(tx, c);
    if (c.type === ChargeType.flatFee) return { charge: c, ...(due ? { advanceAfter: iso(due) } : {}) };
    const runs = this.runsOf(tx, c.id);
    return {
      charge: c,
      booked: this.bookedTotals(runs, c.currency),
      ...(realtime ? { realtime: this.currentTotals(tx, c, this.now()) } : {}),
      ...(due ? { advanceAfter: iso(due) } : {}),
    };
  }

  private bookedTotals(runs: readonly ChargeRun[], currency: string): ChargeTotals {
    const s = sumLines(
      runs.flatMap((r) => r.lines),
      currency,
    );
    const credits = runs.reduce<Dec>((a, r) => a.plus(r.creditsTotal), dec(0));
    return totalsOf(s, credits, currency);
  }

  /** The cumulative usage so far rated as a snapshot (minimum commitment only once the period is over). */
  private currentTotals(tx: UnitOfWork, c: Charge, now: Date): ChargeTotals {
    if (ms(c.servicePeriod.from) >= now.getTime()) return totalsOf({ amount: dec(0), chargesTotal: dec(0), discountsTotal: dec(0), total: dec(0) }, dec(0), c.currency);
    const end = new Date(Math.min(now.getTime(), ms(c.servicePeriod.to)));
    const quantity = this.usage(tx, c, new Date(ms(c.servicePeriod.from)), end);
    const lines = rateCumulative(rateInputOf(c, quantity, end.getTime() >= ms(c.servicePeriod.to)));
    return totalsOf(sumLines(lines, c.currency), dec(0), c.currency);
  }

  private flatDue(c: Charge): Dec {
    const amount = dec(c.amountAfterProration ?? '0');
    const pct = c.discounts?.percentage?.percentage;
    return pct !== undefined ? amount.minus(roundMoney(amount.times(pct).div(100), c.currency)) : amount;
  }

  private usage(tx: UnitOfWork, c: Charge, from: Date, to: Date): Dec {
    if (to.getTime() <= from.getTime()) return dec(0);
    const feature = this.deps.features.findFeature(tx, c.featureId!);
    const meterRef = feature?.meterSlug ?? feature?.meterId;
    if (!feature || !meterRef) return dec(0);
    const meter = this.deps.meters.getMeter(tx, meterRef);
    const r = this.deps.meters.queryMeter(tx, meter.id, {
      from: iso(from),
      to: iso(to),
      filterCustomerId: [c.customerId],
      ...(c.usageBySubscription && c.subscription ? { filterSubscription: [c.subscription.subscriptionId] } : {}),
      ...(feature.advancedMeterGroupByFilters
        ? { advancedMeterGroupByFilters: feature.advancedMeterGroupByFilters }
        : feature.meterGroupByFilters
          ? { filterGroupBy: feature.meterGroupByFilters }
          : {}),
    });
    return r.data.reduce<Dec>((a, row) => a.plus(row.value), dec(0));
  }

  /** The customer's profile decides; a customer or profile gone meanwhile falls back to the default. */
  private collectionInterval(tx: UnitOfWork, c: Charge): string {
    try {
      return this.deps.profiles.getCustomerBillingDetails(tx, { customerId: c.customerId }).effective.workflow.collection.interval;
    } catch {
      return DEFAULT_COLLECTION_INTERVAL;
    }
  }

  private runsOf(tx: UnitOfWork, chargeId: string): ChargeRun[] {
    return tx
      .collection<ChargeRun>(Col.runs)
      .find((r) => r.chargeId === chargeId)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  }

  private defaultTaxConfig(tx: UnitOfWork): Charge['taxConfig'] | undefined {
    const id = this.deps.taxCodes.invoicingDefaultTaxCodeId(tx);
    return id !== undefined ? { taxCodeId: id } : undefined;
  }

  private now(): Date {
    return this.deps.clock.now();
  }
}

function checkPeriod(p: Period, field: string, ic: IssueCollector): void {
  if (Number.isNaN(ms(p.from)) || Number.isNaN(ms(p.to)) || ms(p.from) > ms(p.to)) ic.add(E.invalid, `${field}.from must not be after ${field}.to`, field);
}

const normal = (s: string): string => iso(new Date(s));
const normalPeriod = (p: Period): Period => ({ from: normal(p.from), to: normal(p.to) });

/** `prorate_prices`: amount × (service period length / full service period length), at currency precision. */
function prorate(amount: Dec, mode: ProrationMode, sp: Period, full: Period, currency: string): Dec {
  const fullLen = ms(full.to) - ms(full.from);
  const len = ms(sp.to) - ms(sp.from);
  if (mode !== ProrationMode.prorate || fullLen <= 0 || len >= fullLen) return amount;
  return roundMoney(amount.times(len).div(fullLen), currency);
}

function totalsOf(s: { amount: Dec; chargesTotal: Dec; discountsTotal: Dec; total: Dec }, credits: Dec, currency: string): ChargeTotals {
  return {
    amount: toDecimalString(s.amount),
    chargesTotal: toDecimalString(s.chargesTotal),
    discountsTotal: toDecimalString(s.discountsTotal),
    creditsTotal: toDecimalString(roundMoney(credits, currency)),
    taxesTotal: '0',
    taxesInclusiveTotal: '0',
    taxesExclusiveTotal: '0',
    total: toDecimalString(roundMoney(s.total.minus(credits), currency)),
  };
}

/** What a usage-based charge is rated from: its price over the cumulative quantity so far. */
function rateInputOf(c: Charge, quantity: Dec, isFinal: boolean): Omit<Parameters<typeof deltaRate>[0], 'booked'> {
  return {
    lineName: c.name,
    currency: c.currency,
    price: c.price!,
    ...(c.discounts ? { discounts: c.discounts } : {}),
    servicePeriod: c.servicePeriod,
    cumulativeQuantity: toDecimalString(quantity),
    isFinal,
  };
}

/** What a subscription sync compares: the intent fields an item period decides. */
function intentKey(c: Charge): string {
  return JSON.stringify([
    c.name,
    c.type,
    c.invoiceAt,
    c.servicePeriod,
    c.fullServicePeriod,
    c.billingPeriod,
    c.settlementMode,
    c.featureId ?? null,
    c.paymentTerm ?? null,
    c.prorationMode ?? null,
    c.amountBeforeProration ?? null,
    c.amountAfterProration ?? null,
    c.discounts ?? null,
    c.price ?? null,
    c.subscription ?? null,
    c.usageBySubscription ?? null,
  ]);
}
