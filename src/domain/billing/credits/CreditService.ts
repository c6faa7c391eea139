import { BurnOrders, burn, unburn } from '../../credit/burn.ts';
import type { Clock } from '../../shared/clock.ts';
import { DomainError, ErrorKind, IssueCollector, conflict, notFound, validationError } from '../../shared/errors.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import { currencyPrecision, dec, isDecimalString, roundMoney, toDecimalString, type Dec } from '../../shared/money.ts';
import { addDuration, isZero, parseDuration } from '../../shared/recurrence.ts';
import type { UnitOfWork } from '../../shared/unitOfWork.ts';
import type { CreditApplied } from '../rating/types.ts';
import { CreditErrorCode as E } from './errors.ts';
import { burnSourceOf, inView, ledgerRows, liveBalance, pendingAt, remainingAt, rowOrder, settledAt, usableFor, type LedgerRow } from './ledger.ts';
import type { CreditCustomers, CreditInvoicing, CreditTaxCodes } from './ports.ts';
import {
  CreditCollections as Col,
  FundingMethod,
  GrantStatus,
  PurchaseChargeStatus,
  SettlementStatus,
  TransactionType,
  type CreateGrantInput,
  type CreditAllocation,
  type CreditBalance,
  type CreditEntry,
  type CreditGrant,
  type CreditTransaction,
  type FeatureView,
  type ListGrantsInput,
  type ListTransactionsInput,
  type OutstandingImpact,
  type TransactionPage,
} from './types.ts';

const DEFAULT_PRIORITY = 10;
const DEFAULT_COST_BASIS = '1';
const FEATURE_KEY = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;
/** The source id of a `credit_only` shortfall (no grant) in an allocation's history. */
const ADVANCE = '';

/** What started, unfinished charges of a customer still want from credit (the charges domain answers). */
export type OutstandingSource = (tx: UnitOfWork, input: { customerId: string; now: Date }) => OutstandingImpact[];

/**
 * Billing credits (konnect-billing.md §4): grants, the customer credit ledger, balances and
 * transactions, and the consumption charges and invoices draw credit through. Who pays is the
 * one burn-down core of `domain/credit/burn.ts` (decision 0029), shared with the entitlement
 * engine; this service owns the records and books what the core allocates.
 */
export class CreditService {
  private readonly outstandingSources: OutstandingSource[] = [];

  constructor(private readonly deps: { clock: Clock; ids: IdGenerator; customers: CreditCustomers; taxCodes: CreditTaxCodes; invoicing?: CreditInvoicing }) {}

  private readonly invoiceFundedListeners: Array<(tx: UnitOfWork, grant: CreditGrant) => void> = [];

  /**
   * Invoicing puts an invoice-funded grant's purchase on an invoice (registered in the wiring):
   * the credit-purchase charge's gathering line, invoiced at once when effective now.
   */
  onInvoiceFundedGrant(listener: (tx: UnitOfWork, grant: CreditGrant) => void): void {
    this.invoiceFundedListeners.push(listener);
  }

  /** The charges domain reports outstanding impacts through this (registered in the wiring). */
  onOutstanding(source: OutstandingSource): void {
    this.outstandingSources.push(source);
  }

  // ------------------------------------------------------------------------------------ grants

  createGrant(tx: UnitOfWork, input: CreateGrantInput): CreditGrant {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerId });
    const ic = new IssueCollector();
    if (typeof input.name !== 'string' || input.name.trim() === '') ic.add(E.invalid, 'name is required', 'name');
    const amountOk = isDecimalString(input.amount);
    if (!amountOk || !dec(input.amount).gt(0)) ic.add(E.invalid, 'amount must be positive', 'amount');
    const funded = input.fundingMethod !== FundingMethod.none;
    let costBasis = dec(DEFAULT_COST_BASIS);
    if (funded) {
      if (!input.purchase) ic.add(E.invalid, 'purchase terms are required for funded grants', 'purchase');
      else {
        if (input.purchase.currency !== input.currency) {
          ic.add(E.invalid, `purchase currency "${input.purchase.currency}" must match credit currency "${input.currency}"`, 'purchase.currency');
        }
        if (input.purchase.perUnitCostBasis !== undefined) {
          if (!isDecimalString(input.purchase.perUnitCostBasis) || !dec(input.purchase.perUnitCostBasis).gt(0)) {
            ic.add(E.invalid, 'per_unit_cost_basis must be positive', 'purchase.per_unit_cost_basis');
          } else costBasis = dec(input.purchase.perUnitCostBasis);
        }
        if (input.purchase.availabilityPolicy !== undefined && input.purchase.availabilityPolicy !== 'on_creation') {
          ic.add(E.invalid, `invalid availability policy: ${input.purchase.availabilityPolicy}`, 'purchase.availability_policy');
        }
      }
    }
    const expiresAfter = input.expiresAfter !== undefined ? parseDuration(input.expiresAfter) : undefined;
    if (input.expiresAfter !== undefined && (!expiresAfter || isZero(expiresAfter))) ic.add(E.invalid, 'expires_after must be positive', 'expires_after');
    if (input.featureKeys !== undefined) {
      const seen = new Set<string>();
      input.featureKeys.forEach((k, i) => {
        if (k === '' || !FEATURE_KEY.test(k)) ic.add(E.invalid, 'feature key must not be empty', `filters.features[${i}]`);
        else if (seen.has(k)) ic.add(E.invalid, `duplicate feature key: ${k}`, `filters.features[${i}]`);
        seen.add(k);
      });
    }
    if (input.priority !== undefined && (!Number.isInteger(input.priority) || input.priority < 1 || input.priority > 1000)) {
      ic.add(E.invalid, 'priority must be between 1 and 1000', 'priority');
    }
    ic.throwIfAny(E.invalid);
    // an invoice-funded grant is invoiced: the customer's invoicing app must be able to (creditgrant/service Create)
    if (input.fundingMethod === FundingMethod.invoice) this.deps.invoicing?.validateInvoicingApp(tx, { customerId: customer.id });
    if (input.taxConfig?.taxCodeId !== undefined && !this.deps.taxCodes.findTaxCode(tx, input.taxConfig.taxCodeId)) {
      throw validationError(E.taxCodeNotFound, `tax code not found: ${input.taxConfig.taxCodeId}`, [
        { code: E.taxCodeNotFound, message: 'tax code not found', field: 'tax_config.tax_code.id', severity: 'critical' },
      ]);
    }
    const grants = tx.collection<CreditGrant>(Col.grants);
    if (input.key !== undefined) {
      const clash = grants.findOne((g) => g.customerId === customer.id && g.key === input.key);
      // the key is unique per customer among credit-purchase charges: the charge constraint's message (charges/meta/adapter/errors.go)
      if (clash) throw conflict(E.keyConflict, 'charge conflicts with an existing charge');
    }

    const now = this.now();
    const availableFrom = input.effectiveAt ?? now.toISOString();
    // no tax config → the organisation's credit-grant default tax code (creditgrant service)
    const taxConfig = input.taxConfig ?? this.defaultTaxConfig(tx);
    const grant: CreditGrant = {
      id: this.deps.ids.next(),
      customerId: customer.id,
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.labels && Object.keys(input.labels).length > 0 ? { labels: { ...input.labels } } : {}),
      currency: input.currency,
      amount: toDecimalString(dec(input.amount)),
      fundingMethod: input.fundingMethod,
      ...(funded
        ? {
            purchase: {
              currency: input.purchase!.currency,
              perUnitCostBasis: toDecimalString(costBasis),
              amount: toDecimalString(roundMoney(dec(input.amount).times(costBasis), input.purchase!.currency)),
              ...(input.fundingMethod === FundingMethod.external ? { availabilityPolicy: 'on_creation' as const } : {}),
              settlementStatus: SettlementStatus.pending,
            },
          }
        : {}),
      ...(taxConfig ? { taxConfig } : {}),
      ...(input.featureKeys && input.featureKeys.length > 0 ? { featureKeys: [...input.featureKeys].sort() } : {}),
      priority: input.priority ?? DEFAULT_PRIORITY,
      ...(input.effectiveAt !== undefined ? { effectiveAt: input.effectiveAt } : {}),
      availableFrom,
      ...(expiresAfter ? { expiresAt: addDuration(new Date(availableFrom), expiresAfter).toISOString() } : {}),
      ...(input.key !== undefined ? { key: input.key } : {}),
      // promotional and external credit is booked at once; invoice-funded credit waits for its invoice
      chargeStatus: input.fundingMethod === FundingMethod.invoice ? PurchaseChargeStatus.created : input.fundingMethod === FundingMethod.none ? PurchaseChargeStatus.final : PurchaseChargeStatus.active,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    grants.put(grant);
    if (input.fundingMethod !== FundingMethod.invoice) this.book(tx, grant, now);
    else for (const l of this.invoiceFundedListeners) l(tx, grant);
    // the charge as created: an invoice made at once activates it after the real create answered (charges/service/create.go)
    return grant;
  }

  getGrant(tx: UnitOfWork, input: { customerId: string; grantId: string }): CreditGrant {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerId });
    const g = tx.collection<CreditGrant>(Col.grants).get(input.grantId);
    if (!g || g.customerId !== customer.id) throw notFound(E.notFound, `credit grant ${input.grantId} not found for customer ${customer.id}`);
    return g;
  }

  /** In creation order (the surface pages them). */
  listGrants(tx: UnitOfWork, input: ListGrantsInput): CreditGrant[] {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerId });
    return tx
      .collection<CreditGrant>(Col.grants)
      .find(
        (g) =>
          g.customerId === customer.id &&
          (input.status === undefined || this.grantStatus(g) === input.status) &&
          (input.currency === undefined || g.currency === input.currency) &&
          (input.key === undefined || input.key(g.key)),
      )
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  }

  /** voided; expired once `expiresAt` ≤ now; pending while its charge waits; else active (convert.go). */
  grantStatus(g: CreditGrant): GrantStatus {
    if (g.voidedAt !== undefined) return GrantStatus.voided;
    if (g.expiresAt !== undefined && Date.parse(g.expiresAt) <= this.now().getTime()) return GrantStatus.expired;
    return g.chargeStatus === PurchaseChargeStatus.created ? GrantStatus.pending : GrantStatus.active;
  }

  /**
   * Forfeits what is left of the grant now; consumed credit, invoices and payments are untouched.
   * Idempotent: a voided grant is answered as it is (creditgrant/service Void).
   */
  voidGrant(tx: UnitOfWork, input: { customerId: string; grantId: string }): CreditGrant {
    const g = this.getGrant(tx, input);
    if (g.voidedAt !== undefined) return g;
    if (g.chargeStatus === PurchaseChargeStatus.created) throw conflict(E.notVoidable, `credit grant ${g.id} is pending and cannot be voided`);
    const now = this.now();
    if (g.expiresAt !== undefined && Date.parse(g.expiresAt) <= now.getTime()) throw conflict(E.notVoidable, `credit grant ${g.id} has already expired`);
    const entries = this.entriesOf(tx, g.customerId);
    // a grant effective later is forfeited when it would have become available, so the balance never dips before it
    const at = new Date(Math.max(now.getTime(), Date.parse(g.availableFrom)));
    const left = remainingAt(g, entries, at);
    if (left.gt(0)) {
      this.insertEntry(tx, { customerId: g.customerId, currency: g.currency, type: TransactionType.voided, amount: left.neg(), bookedAt: at, grantId: g.id, name: g.name, labels: { charge_id: g.id } });
    }
    const next: CreditGrant = { ...g, voidedAt: now.toISOString(), updatedAt: now.toISOString() };
    tx.collection<CreditGrant>(Col.grants).put(next);
    return next;
  }

  /**
   * External payment of a grant: pending → authorized → settled (pending → settled records both);
   * anything else is 412 (charges' external payment state machine). Settled makes the charge final.
   */
  updateExternalSettlement(tx: UnitOfWork, input: { customerId: string; grantId: string; status: string }): CreditGrant {
    if (input.status !== SettlementStatus.authorized && input.status !== SettlementStatus.settled) {
      throw validationError(E.externalSettlementStatusInvalid, `unsupported credit grant settlement status: ${input.status}`, [
        { code: E.externalSettlementStatusInvalid, message: `unsupported credit grant settlement status: ${input.status}`, field: 'status', severity: 'critical' },
      ]);
    }
    const g = this.getGrant(tx, input);
    if (g.fundingMethod !== FundingMethod.external || !g.purchase) {
      throw validationError(E.externalSettlementNotSupported, 'credit grant is not externally funded', [
        { code: E.externalSettlementNotSupported, message: 'credit grant is not externally funded', severity: 'critical' },
      ]);
    }
    const from = g.purchase.settlementStatus;
    const allowed = (from === SettlementStatus.pending && (input.status === SettlementStatus.authorized || input.status === SettlementStatus.settled)) || (from === SettlementStatus.authorized && input.status === SettlementStatus.settled);
    if (!allowed) throw new DomainError(ErrorKind.preconditionFailed, E.unsupportedTransition, 'unsupported operation');
    const now = this.now().toISOString();
    const next: CreditGrant = {
      ...g,
      purchase: { ...g.purchase, settlementStatus: input.status },
      ...(input.status === SettlementStatus.settled ? { chargeStatus: PurchaseChargeStatus.final } : {}),
      updatedAt: now,
    };
    tx.collection<CreditGrant>(Col.grants).put(next);
    return next;
  }

  /**
   * The port invoicing calls once the invoice of an invoice-funded grant exists: the credit is
   * booked at the grant's effective time (or now) and the grant turns `active`.
   */
  markGrantInvoiced(tx: UnitOfWork, input: { grantId: string }): CreditGrant {
    const g = tx.collection<CreditGrant>(Col.grants).get(input.grantId);
    if (!g) throw notFound(E.notFound, `credit grant ${input.grantId} not found`);
    if (g.chargeStatus !== PurchaseChargeStatus.created) return g;
    const now = this.now();
    const next: CreditGrant = { ...g, chargeStatus: PurchaseChargeStatus.active, updatedAt: now.toISOString() };
    tx.collection<CreditGrant>(Col.grants).put(next);
    this.book(tx, next, now);
    return next;
  }

  /** The port invoicing calls when the invoice of an invoice-funded grant is paid (or its payment authorized). */
  markGrantPayment(tx: UnitOfWork, input: { grantId: string; status: typeof SettlementStatus.authorized | typeof SettlementStatus.settled }): CreditGrant {
    const g = tx.collection<CreditGrant>(Col.grants).get(input.grantId);
    if (!g || !g.purchase) throw notFound(E.notFound, `credit grant ${input.grantId} not found`);
    const next: CreditGrant = {
      ...g,
      purchase: { ...g.purchase, settlementStatus: input.status },
      ...(input.status === SettlementStatus.settled ? { chargeStatus: PurchaseChargeStatus.final } : {}),
      updatedAt: this.now().toISOString(),
    };
    tx.collection<CreditGrant>(Col.grants).put(next);
    return next;
  }

  /** Invoice-funded grants waiting for their invoice (what invoicing turns into in-advance lines). */
  grantsAwaitingInvoice(tx: UnitOfWork): CreditGrant[] {
    return tx.collection<CreditGrant>(Col.grants).find((g) => g.fundingMethod === FundingMethod.invoice && g.chargeStatus === PurchaseChargeStatus.created && g.voidedAt === undefined);
  }

  // ----------------------------------------------------------------------------- consumption

  /** Credit a charge of `featureKey` could draw at `at`, in `currency`. */
  availableCredit(tx: UnitOfWork, input: { customerId: string; currency: string; featureKey?: string; at: Date }): Dec {
    const entries = this.entriesOf(tx, input.customerId);
    return this.grantsOf(tx, input.customerId)
      .filter((g) => g.currency === input.currency && usableFor(g.featureKeys, input.featureKey))
      .reduce<Dec>((a, g) => a.plus(remainingAt(g, entries, input.at)), dec(0));
  }

  /**
   * Draws up to `amount` of credit for a charge (or an invoice line) at `at`, grants in
   * consumption order; each grant's share is one `consumed` entry. With `allowAdvance`
   * (`credit_only`) a shortfall is booked too, as an advance that makes the balance negative.
   * Answers the allocations as the rating engine's `creditsApplied` wants them.
   */
  consumeCredits(
    tx: UnitOfWork,
    input: { customerId: string; currency: string; featureKey?: string; amount: Dec; at: Date; chargeId?: string; name: string; labels?: Record<string, string>; allowAdvance?: boolean },
  ): CreditAllocation[] {
    if (!input.amount.gt(0)) return [];
    const entries = this.entriesOf(tx, input.customerId);
    const sources = this.grantsOf(tx, input.customerId)
      .filter((g) => g.currency === input.currency)
      .map((g) => burnSourceOf(g, entries, input.at));
    // the one burn-down core allocates; this service books what it decided
    const { allocations, uncovered } = burn(sources, {
      amount: input.amount,
      order: BurnOrders.collection,
      at: input.at,
      ...(input.featureKey !== undefined ? { featureKey: input.featureKey } : {}),
    });
    const out: CreditAllocation[] = allocations.map((a) => {
      const e = this.insertEntry(tx, { ...this.consumedBase(input), amount: a.amount.neg(), grantId: a.sourceId });
      return { grantId: a.sourceId, amount: toDecimalString(a.amount), entryId: e.id };
    });
    if (uncovered.gt(0) && input.allowAdvance) {
      const e = this.insertEntry(tx, { ...this.consumedBase(input), amount: uncovered.neg() });
      out.push({ amount: toDecimalString(uncovered), entryId: e.id });
    }
    return out;
  }

  /**
   * The port invoices call for a line that may be paid by credit: draws up to `amount` (never
   * past zero) and answers the allocations as the rating engine's `creditsApplied` input
   * (`rating/rateLine.ts`), one per grant, identified by the ledger entry.
   */
  applyCreditsToLine(
    tx: UnitOfWork,
    input: { customerId: string; currency: string; featureKey?: string; amount: Dec; at: Date; lineId: string; name: string },
  ): CreditApplied[] {
    return this.consumeCredits(tx, { ...input, labels: { invoice_line_id: input.lineId } }).map((a) => ({
      amount: a.amount,
      description: 'credits applied',
      creditRealizationId: a.entryId,
    }));
  }

  /**
   * Gives back up to `amount` of what a charge consumed (a correction rated lower than what was
   * booked), newest allocation first; the credit returns to the grants it came from.
   */
  returnCredits(tx: UnitOfWork, input: { customerId: string; currency: string; chargeId: string; amount: Dec; at: Date; name: string; labels?: Record<string, string> }): Dec {
    return this.giveBack(tx, input, (e) => e.chargeId === input.chargeId);
  }

  /** The same for an invoice line's credit (a recalculation that lowered the line, a deleted line or invoice). */
  returnLineCredits(tx: UnitOfWork, input: { customerId: string; currency: string; lineId: string; amount: Dec; at: Date; name: string }): Dec {
    return this.giveBack(tx, { ...input, labels: { invoice_line_id: input.lineId } }, (e) => e.labels?.invoice_line_id === input.lineId);
  }

  private giveBack(
    tx: UnitOfWork,
    input: { customerId: string; currency: string; chargeId?: string; amount: Dec; at: Date; name: string; labels?: Record<string, string> },
    mineIf: (e: CreditEntry) => boolean,
  ): Dec {
    // the allocation's history, oldest first: a grant or the advance ('') per move, taken > 0 and given back < 0
    const history = this.entriesOf(tx, input.customerId)
      .filter((e) => mineIf(e) && e.type === TransactionType.consumed)
      .sort(rowOrder)
      .map((e) => ({ sourceId: e.grantId ?? ADVANCE, amount: dec(e.amount).neg() }));
    const { returns } = unburn(history, input.amount);
    let returned = dec(0);
    for (const r of returns) {
      this.insertEntry(tx, { ...this.consumedBase(input), amount: r.amount, ...(r.sourceId !== ADVANCE ? { grantId: r.sourceId } : {}) });
      returned = returned.plus(r.amount);
    }
    return returned;
  }

  /** Σ credit a charge holds now (consumed minus returned). */
  creditAllocatedTo(tx: UnitOfWork, input: { customerId: string; chargeId: string }): Dec {
    return this.entriesOf(tx, input.customerId)
      .filter((e) => e.chargeId === input.chargeId && e.type === TransactionType.consumed)
      .reduce<Dec>((a, e) => a.minus(e.amount), dec(0));
  }

  // -------------------------------------------------------------------------- balance / history

  /**
   * Per currency: `settled` (booked at or before the instant), `pending` (not booked yet) and
   * `live` (settled minus what running charges will take; `"0"` for a historical query, as the
   * real service answers). Currencies: those with credit or pending grants, or exactly `currencies`.
   */
  getBalance(tx: UnitOfWork, input: { customerId: string; at?: Date; currencies?: string[]; feature?: FeatureView }): { retrievedAt: Date; balances: CreditBalance[] } {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerId });
    const now = this.now();
    const asOf = input.at ?? now;
    const allGrants = this.grantsOf(tx, customer.id);
    const grants = allGrants.filter((g) => inView(g.featureKeys, input.feature));
    const entries = this.entriesOf(tx, customer.id);
    const rows = this.rowsInView(allGrants, entries, input.feature);
    const impacts = input.at === undefined ? this.outstandingSources.flatMap((s) => s(tx, { customerId: customer.id, now })) : [];
    const currencies =
      input.currencies ??
      [...new Set([...rows.filter((r) => Date.parse(r.bookedAt) <= asOf.getTime()).map((r) => r.currency), ...grants.filter((g) => pendingAt([g], entries, asOf).gt(0)).map((g) => g.currency)])].sort();
    const balances = currencies.map((currency) => {
      const settled = settledAt(
        rows.filter((r) => r.currency === currency),
        asOf,
      );
      const pending = pendingAt(
        grants.filter((g) => g.currency === currency),
        entries,
        asOf,
      );
      const featureImpacts = impacts.filter((i) => i.currency === currency && (input.feature === undefined || !('key' in input.feature) || i.featureKey === input.feature.key));
      const live = input.at === undefined ? liveBalance(settled, grants.filter((g) => g.currency === currency), entries, featureImpacts, now) : dec(0);
      return { currency, live: fmt(live, currency), settled: fmt(settled, currency), pending: fmt(pending, currency) };
    });
    return { retrievedAt: asOf, balances };
  }

  /**
   * Newest first by (bookedAt, createdAt, id); only rows booked by now. `balanceAfter` is the
   * settled balance of the row's currency (in the feature view) just after it.
   */
  listTransactions(tx: UnitOfWork, input: ListTransactionsInput): TransactionPage {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerId });
    const now = this.now();
    const grants = this.grantsOf(tx, customer.id);
    const entries = this.entriesOf(tx, customer.id);
    const rows = this.rowsInView(grants, entries, input.feature)
      .filter((r) => Date.parse(r.bookedAt) <= now.getTime())
      .sort(rowOrder);
    const running = new Map<string, Dec>();
    const all = rows
      .map((r) => {
        const before = running.get(r.currency) ?? dec(0);
        const after = before.plus(r.amount);
        running.set(r.currency, after);
        return { row: r, before, after };
      })
      .filter(({ row }) => (input.type === undefined || row.type === input.type) && (input.currency === undefined || row.currency === input.currency))
      .reverse();
    const key = (x: { row: LedgerRow }) => x.row;
    let slice: typeof all;
    let hasMore: boolean;
    if (input.before) {
      const newer = all.filter((x) => rowOrder(key(x), input.before!) > 0);
      slice = newer.slice(Math.max(0, newer.length - input.size));
      hasMore = newer.length > input.size;
    } else {
      const older = input.after ? all.filter((x) => rowOrder(key(x), input.after!) < 0) : all;
      slice = older.slice(0, input.size);
      hasMore = older.length > input.size;
    }
    const cursorOf = (x: { row: LedgerRow }): { bookedAt: string; createdAt: string; id: string } => ({ bookedAt: x.row.bookedAt, createdAt: x.row.createdAt, id: x.row.id });
    const items: CreditTransaction[] = slice.map(({ row, before, after }) => {
      const name = row.entry?.name ?? row.grant?.name ?? '';
      // only the ledger annotations become labels (charge_id, feature_id, ...), never the grant's own labels
      const labels = row.entry?.labels ?? (row.type === TransactionType.expired && row.grant ? { charge_id: row.grant.id } : undefined);
      return {
        id: row.id,
        name,
        ...(labels ? { labels } : {}),
        createdAt: row.createdAt,
        bookedAt: row.bookedAt,
        type: row.type,
        currency: row.currency,
        amount: fmt(row.amount, row.currency),
        balanceBefore: fmt(before, row.currency),
        balanceAfter: fmt(after, row.currency),
      };
    });
    // the real service's cursor rules (customerbalance/transactions.go ListCreditTransactions)
    const next = slice.length > 0 && (input.before !== undefined || hasMore) ? cursorOf(slice[slice.length - 1]!) : undefined;
    const previous = slice.length > 0 && ((input.before !== undefined && hasMore) || input.after !== undefined) ? cursorOf(slice[0]!) : undefined;
    return { items, ...(next ? { next } : {}), ...(previous ? { previous } : {}) };
  }

  // -------------------------------------------------------------------------------------------

  private rowsInView(grants: readonly CreditGrant[], entries: readonly CreditEntry[], feature: FeatureView): LedgerRow[] {
    return ledgerRows(grants, entries).filter((r) => inView(r.featureKeys, feature));
  }

  private defaultTaxConfig(tx: UnitOfWork): CreditGrant['taxConfig'] | undefined {
    const id = this.deps.taxCodes.creditGrantDefaultTaxCodeId(tx);
    return id !== undefined ? { taxCodeId: id } : undefined;
  }

  private book(tx: UnitOfWork, g: CreditGrant, now: Date): void {
    const at = new Date(Math.max(Date.parse(g.availableFrom), g.fundingMethod === FundingMethod.invoice ? now.getTime() : 0));
    this.insertEntry(tx, { customerId: g.customerId, currency: g.currency, type: TransactionType.funded, amount: dec(g.amount), bookedAt: at, grantId: g.id, name: g.name, labels: { charge_id: g.id } });
  }

  private consumedBase(input: { customerId: string; currency: string; at: Date; chargeId?: string; name: string; labels?: Record<string, string> }) {
    return {
      customerId: input.customerId,
      currency: input.currency,
      type: TransactionType.consumed,
      bookedAt: input.at,
      ...(input.chargeId !== undefined ? { chargeId: input.chargeId } : {}),
      name: input.name,
      labels: { ...(input.labels ?? {}), ...(input.chargeId !== undefined ? { charge_id: input.chargeId } : {}) },
    };
  }

  private insertEntry(
    tx: UnitOfWork,
    e: { customerId: string; currency: string; type: CreditEntry['type']; amount: Dec; bookedAt: Date; grantId?: string; chargeId?: string; name: string; labels?: Record<string, string> | undefined },
  ): CreditEntry {
    const rec: CreditEntry = {
      id: this.deps.ids.next(),
      customerId: e.customerId,
      currency: e.currency,
      type: e.type,
      amount: toDecimalString(e.amount),
      bookedAt: e.bookedAt.toISOString(),
      createdAt: this.now().toISOString(),
      ...(e.grantId !== undefined ? { grantId: e.grantId } : {}),
      ...(e.chargeId !== undefined ? { chargeId: e.chargeId } : {}),
      name: e.name,
      ...(e.labels && Object.keys(e.labels).length > 0 ? { labels: { ...e.labels } } : {}),
    };
    tx.collection<CreditEntry>(Col.ledger).put(rec);
    return rec;
  }

  private grantsOf(tx: UnitOfWork, customerId: string): CreditGrant[] {
    return tx.collection<CreditGrant>(Col.grants).find((g) => g.customerId === customerId);
  }

  private entriesOf(tx: UnitOfWork, customerId: string): CreditEntry[] {
    return tx.collection<CreditEntry>(Col.ledger).find((e) => e.customerId === customerId);
  }

  private now(): Date {
    return this.deps.clock.now();
  }
}

/** Balances keep the currency's precision only when they need it: "150", "-70", "12.5". */
const fmt = (v: Dec, currency: string): string => toDecimalString(v.toDecimalPlaces(Math.max(currencyPrecision(currency), 8)));
