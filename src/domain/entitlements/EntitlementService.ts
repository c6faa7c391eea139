import type { Decimal } from 'decimal.js';
import type { Feature } from '../catalog/types.ts';
import type { Customer } from '../customers/types.ts';
import type { MeteringService } from '../metering/MeteringService.ts';
import type { Clock } from '../shared/clock.ts';
import { conflict, IssueCollector, notFound, validationError } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import { D, toDecimalString } from '../shared/money.ts';
import { ceilToMinute, floorToMinute } from '../shared/period.ts';
import { addDuration, isZero, parseDuration, recurrencePeriodAt } from '../shared/recurrence.ts';
import { paginate, sortBy } from '../shared/paging.ts';
import type { CustomerDirectory, FeatureDirectory } from './ports.ts';
import { balanceAt, replay, type CreditEntitlement } from '../credit/balance.ts';
import { validateGrantCreate, rolloverDefaults } from '../credit/grantRules.ts';
import { balanceHistory, type HistoryWindowSize } from '../credit/history.ts';
import { issueAfterResetGrant, resetAt, validateResetAt, validateVoidAt } from '../credit/reset.ts';
import { expiresAtOf, type EngineSnapshot, type Grant, type UsageQuery } from '../credit/types.ts';
import { EntitlementErrorCode as E, managedBySubscription } from './errors.ts';
import {
  AccessReasonCode,
  EntitlementType,
  type AccessQueryOutcome,
  type AccessQueryResult,
  type CreateEntitlementInput,
  type CreateGrantInput,
  type CustomerRef,
  type EntitlementRecord,
  type EntitlementValueView,
  type EntitlementView,
  type GrantRecord,
  type HistoryRequest,
  type HistoryView,
  type ListEntitlementsInput,
  type ListGrantsInput,
  type Page,
  type ResetInput,
} from './types.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';

export interface EntitlementServiceDeps {
  clock: Clock;
  ids: IdGenerator;
  metering: MeteringService;
  customers: CustomerDirectory;
  features: FeatureDirectory;
}

const ENTITLEMENTS = 'entitlements';
const GRANTS = 'grants';

/** v1 interval enum → ISO duration; ISO input passes through. */
const INTERVALS: Record<string, string> = { DAY: 'P1D', WEEK: 'P1W', MONTH: 'P1M', YEAR: 'P1Y' };
export const isoInterval = (interval: string): string => INTERVALS[interval] ?? interval;

const HOUR_MS = 3_600_000;
const iso = (d: Date): string => d.toISOString();
const str = (d: Decimal): string => toDecimalString(d);


/**
 * Entitlements (boolean / static / metered) of customers and the grants of metered ones. Balances
 * are never stored: every read replays the credit engine (`credit/`) over the meter, so automatic
 * resets simply happen when the clock passes a usage-period boundary.
 */
export class EntitlementService {
  constructor(private readonly deps: EntitlementServiceDeps) {}

  private now(): Date {
    return this.deps.clock.now();
  }

  // ------------------------------------------------------------ resolution

  /** By id (deleted included), else by key among live customers; or by subject key. */
  resolveCustomer(tx: UnitOfWork, ref: CustomerRef): Customer {
    if (typeof ref !== 'string') return this.resolveSubject(tx, ref.subject);
    const c = this.deps.customers.findCustomer(tx, ref);
    if (!c) throw notFound(E.customerNotFound, `customer not found: ${ref}`);
    return c;
  }

  /** Legacy subject routes: the customer the subject's usage is attributed to. */
  resolveSubject(tx: UnitOfWork, subjectKey: string): Customer {
    const c = this.deps.customers.customerByUsageKey(tx, subjectKey);
    if (!c) throw notFound(E.subjectNotFound, `no customer found for subject ${subjectKey}`);
    return c;
  }

  private resolveFeature(tx: UnitOfWork, featureKey?: string, featureId?: string): Feature {
    if (!featureKey && !featureId) throw validationError(E.featureRequired, 'featureKey or featureId is required');
    const f = this.deps.features.findFeature(tx, (featureId ?? featureKey)!);
    if (!f) throw notFound(E.featureNotFound, `feature not found: ${featureId ?? featureKey}`);
    if (featureId && featureKey && f.key !== featureKey) throw validationError(E.featureNotFound, `feature ${featureId} does not have key ${featureKey}`);
    if (f.archivedAt) throw validationError(E.featureArchived, `feature ${f.key} is archived`);
    return f;
  }

  private isLiveFeature(tx: UnitOfWork, key: string): boolean {
    const f = this.deps.features.findFeature(tx, key);
    return !!f && !f.archivedAt;
  }

  /** The active entitlement of the customer by id, or by feature key (the live one). */
  private findEntitlement(tx: UnitOfWork, customer: Customer, idOrFeatureKey: string): EntitlementRecord {
    const col = tx.collection<EntitlementRecord>(ENTITLEMENTS);
    const byId = col.get(idOrFeatureKey);
    const e =
      byId && byId.customerId === customer.id
        ? byId
        : col.findOne((x) => x.customerId === customer.id && x.featureKey === idOrFeatureKey && !x.deletedAt);
    if (!e) throw notFound(E.entitlementNotFound, `entitlement not found: ${idOrFeatureKey}`);
    return e;
  }

  // ------------------------------------------------------------ entitlements

  createEntitlement(tx: UnitOfWork, input: CreateEntitlementInput): EntitlementView {
    const customer = this.resolveCustomer(tx, input.customer);
    if (customer.deletedAt) throw notFound(E.customerNotFound, `customer not found: ${input.customer}`);
    return this.createFor(tx, customer, input);
  }

  private createFor(tx: UnitOfWork, customer: Customer, input: CreateEntitlementInput, usageSubscriptionId?: string): EntitlementView {
    if (!Object.values(EntitlementType).includes(input.type)) throw validationError(E.invalidType, `invalid entitlement type ${String(input.type)}`);
    const feature = this.resolveFeature(tx, input.featureKey, input.featureId);
    const col = tx.collection<EntitlementRecord>(ENTITLEMENTS);
    // one live entitlement per (customer, feature); one counting only its subscription's events sits
    // beside the others (decision 0031), so it conflicts only with another of the same subscription
    const existing = col.findOne(
      (x) => x.customerId === customer.id && x.featureId === feature.id && !x.deletedAt && (usageSubscriptionId === undefined || x.usageSubscriptionId === usageSubscriptionId),
    );
    if (existing) {
      throw conflict(E.entitlementAlreadyExists, `entitlement with id ${existing.id} already exists for feature ${feature.key}`, { conflictingEntityId: existing.id });
    }
    const now = this.now();
    const nowMin = floorToMinute(now);
    const issues = new IssueCollector();
    const rec: EntitlementRecord = {
      id: this.deps.ids.next(),
      type: input.type,
      customerId: customer.id,
      featureId: feature.id,
      featureKey: feature.key,
      ...(input.metadata ? { metadata: input.metadata } : {}),
      activeFrom: iso(now),
      createdAt: iso(now),
      updatedAt: iso(now),
    };
    let usagePeriod: { interval: string; anchor: Date } | undefined;
    if (input.usagePeriod) {
      const d = parseDuration(isoInterval(input.usagePeriod.interval));
      if (!d || isZero(d)) issues.add(E.usagePeriodInvalid, `invalid usage period interval ${input.usagePeriod.interval}`, 'usagePeriod.interval');
      else if (addDuration(new Date(0), d).getTime() < HOUR_MS) issues.add(E.usagePeriodTooShort, 'usage period must be at least 1 hour', 'usagePeriod.interval');
      usagePeriod = { interval: input.usagePeriod.interval, anchor: floorToMinute(input.usagePeriod.anchor ?? now) };
    }
    if (input.type === 'static') {
      try {
        JSON.parse(input.config ?? '');
      } catch {
        issues.add(E.staticConfigInvalid, 'config must be a JSON string', 'config');
      }
      if (input.config !== undefined) rec.config = input.config;
    }
    if (input.type === 'metered') {
      if (!feature.meterSlug && !feature.meterId) issues.add(E.featureHasNoMeter, `feature ${feature.key} has no meter`, 'featureKey');
      if (!usagePeriod) issues.add(E.usagePeriodRequired, 'usagePeriod is required for metered entitlements', 'usagePeriod');
      if (input.issueAfterReset?.priority !== undefined && input.issueAfterReset.amount === undefined) {
        issues.add(E.issueAfterResetPriorityWithoutAmount, 'issueAfterResetPriority requires issueAfterReset', 'issueAfterResetPriority');
      }
    }
    issues.throwIfAny();
    if (usagePeriod) rec.usagePeriod = { interval: usagePeriod.interval, anchor: iso(usagePeriod.anchor) };
    if (input.type === 'metered' && usagePeriod) {
      let from: Date;
      const m = input.measureUsageFrom;
      if (m === undefined || m === 'NOW') from = nowMin;
      else if (m === 'CURRENT_PERIOD_START') from = recurrencePeriodAt(usagePeriod.anchor, parseDuration(isoInterval(usagePeriod.interval))!, now).from;
      else from = floorToMinute(m);
      rec.measureUsageFrom = iso(from);
      rec.isSoftLimit = input.isSoftLimit ?? false;
      rec.preserveOverageAtReset = input.preserveOverageAtReset ?? false;
      if (input.issueAfterReset && new D(input.issueAfterReset.amount).gt(0)) rec.issueAfterReset = input.issueAfterReset;
    }
    col.put(rec);
    if (rec.issueAfterReset) {
      const g = issueAfterResetGrant(
        { measureUsageFrom: new Date(rec.measureUsageFrom!), issueAfterReset: new D(rec.issueAfterReset.amount), issueAfterResetPriority: rec.issueAfterReset.priority ?? null },
        { id: this.deps.ids.next(), createdAt: now },
      )!;
      tx.collection<GrantRecord>(GRANTS).put({
        id: g.id,
        entitlementId: rec.id,
        customerId: customer.id,
        featureKey: feature.key,
        amount: str(g.amount),
        priority: g.priority,
        effectiveAt: iso(g.effectiveAt),
        maxRolloverAmount: str(g.maxRolloverAmount),
        minRolloverAmount: str(g.minRolloverAmount),
        annotations: { 'issueAfterReset': true },
        createdAt: iso(now),
        updatedAt: iso(now),
      });
    }
    for (const g of input.grants ?? []) this.createGrantFor(tx, rec, { ...g, customer: customer.id, entitlement: rec.id, apiVersion: 'v2' });
    return this.view(tx, rec, customer);
  }

  getEntitlement(tx: UnitOfWork, input: { customer: CustomerRef; entitlement: string }): EntitlementView {
    const customer = this.resolveCustomer(tx, input.customer);
    return this.view(tx, this.findEntitlement(tx, customer, input.entitlement), customer);
  }

  getEntitlementById(tx: UnitOfWork, id: string): EntitlementView {
    const e = tx.collection<EntitlementRecord>(ENTITLEMENTS).get(id);
    if (!e) throw notFound(E.entitlementNotFound, `entitlement not found: ${id}`);
    return this.view(tx, e);
  }

  /** The customers a list filter names by id, key or subject key; undefined = no filter. */
  private customerIdsFilter(tx: UnitOfWork, idsOrKeys?: string[], subjects?: string[]): Set<string> | undefined {
    if (!idsOrKeys?.length && !subjects?.length) return undefined;
    const ids = new Set<string>();
    for (const k of idsOrKeys ?? []) {
      const c = this.deps.customers.findCustomer(tx, k);
      if (c) ids.add(c.id);
    }
    for (const s of subjects ?? []) {
      const c = this.deps.customers.customerByUsageKey(tx, s);
      if (c) ids.add(c.id);
    }
    return ids;
  }

  listEntitlements(tx: UnitOfWork, input: ListEntitlementsInput = {}): Page<EntitlementView> {
    const customerIds = this.customerIdsFilter(tx, input.customers, input.subjects);
    const features = input.feature?.length ? new Set(input.feature) : undefined;
    const types = input.types?.length ? new Set(input.types) : undefined;
    const now = this.now().toISOString();
    const items = tx
      .collection<EntitlementRecord>(ENTITLEMENTS)
      .find(
        (e) =>
          (input.includeDeleted || !e.deletedAt) &&
          (!input.excludeInactive || (e.activeFrom <= now && (!e.activeTo || e.activeTo > now) && !e.deletedAt)) &&
          (!customerIds || customerIds.has(e.customerId)) &&
          (!features || features.has(e.featureKey) || features.has(e.featureId)) &&
          (!types || types.has(e.type)),
      );
    const orderBy = input.orderBy ?? 'createdAt';
    const page = paginate(sortBy(items, (e) => e[orderBy], input.order), input);
    return { ...page, items: page.items.map((e) => this.view(tx, e)) };
  }

  listCustomerEntitlements(tx: UnitOfWork, input: ListEntitlementsInput & { customer: CustomerRef }): Page<EntitlementView> {
    const c = this.resolveCustomer(tx, input.customer);
    return this.listEntitlements(tx, { ...input, customers: [c.id], subjects: undefined });
  }

  /** Soft delete: the entitlement stops granting access and its key is free for a new one. */
  deleteEntitlement(tx: UnitOfWork, input: { customer: CustomerRef; entitlement: string }): void {
    const customer = this.resolveCustomer(tx, input.customer);
    const e = this.findEntitlement(tx, customer, input.entitlement);
    if (e.deletedAt) throw notFound(E.entitlementNotFound, `entitlement not found: ${input.entitlement}`);
    this.assertNotManaged(e);
    const now = iso(this.now());
    tx.collection<EntitlementRecord>(ENTITLEMENTS).put({ ...e, deletedAt: now, activeTo: e.activeTo ?? now, updatedAt: now });
  }

  /** Override = delete the current entitlement of the feature and create the new one, atomically. */
  overrideEntitlement(tx: UnitOfWork, input: CreateEntitlementInput & { entitlement: string }): EntitlementView {
    const customer = this.resolveCustomer(tx, input.customer);
    const e = this.findEntitlement(tx, customer, input.entitlement);
    if (e.deletedAt) throw notFound(E.entitlementNotFound, `entitlement not found: ${input.entitlement}`);
    this.assertNotManaged(e);
    const now = iso(this.now());
    tx.collection<EntitlementRecord>(ENTITLEMENTS).put({ ...e, deletedAt: now, activeTo: e.activeTo ?? now, updatedAt: now });
    return this.createFor(tx, customer, input);
  }

  // ------------------------------------------------------------ engine wiring

  private grantsOf(tx: UnitOfWork, entitlementId: string): GrantRecord[] {
    return tx.collection<GrantRecord>(GRANTS).find((g) => g.entitlementId === entitlementId);
  }

  private toEngineGrant(g: GrantRecord): Grant {
    return {
      id: g.id,
      amount: new D(g.amount),
      priority: g.priority ?? 0,
      effectiveAt: new Date(g.effectiveAt),
      ...(g.expiresAt ? { expiresAt: new Date(g.expiresAt) } : {}),
      maxRolloverAmount: new D(g.maxRolloverAmount),
      minRolloverAmount: new D(g.minRolloverAmount),
      ...(g.recurrence ? { recurrence: { interval: isoInterval(g.recurrence.interval), anchor: new Date(g.recurrence.anchor) } } : {}),
      ...(g.voidedAt ? { voidedAt: new Date(g.voidedAt) } : {}),
      ...(g.deletedAt ? { deletedAt: new Date(g.deletedAt) } : {}),
      createdAt: new Date(g.createdAt),
    };
  }

  private credit(e: EntitlementRecord): CreditEntitlement {
    return {
      measureUsageFrom: new Date(e.measureUsageFrom!),
      usagePeriod: { interval: isoInterval(e.usagePeriod!.interval), anchor: new Date(e.usagePeriod!.anchor) },
      ...(e.lastManualResetAt ? { lastResetAt: new Date(e.lastManualResetAt) } : {}),
      isSoftLimit: e.isSoftLimit ?? false,
      preserveOverageAtReset: e.preserveOverageAtReset ?? false,
    };
  }

  private snapshotOf(e: EntitlementRecord): EngineSnapshot | undefined {
    const s = e.resetSnapshot;
    if (!s) return undefined;
    const balances: Record<string, Decimal> = {};
    for (const [k, v] of Object.entries(s.balances)) balances[k] = new D(v);
    return { at: new Date(s.at), balances, overage: new D(s.overage), ...(s.grantUsage ? { grantUsage: new D(s.grantUsage) } : {}) };
  }

  /** The meter aggregate of the customer (key + subject keys) with the feature's group-by filters. */
  private usageQuery(tx: UnitOfWork, e: EntitlementRecord): { usage: UsageQuery; aggregation: string } {
    const feature = this.deps.features.findFeature(tx, e.featureId);
    const meterRef = feature?.meterSlug ?? feature?.meterId;
    if (!feature || !meterRef) throw validationError(E.featureHasNoMeter, `feature ${e.featureKey} has no meter`);
    const meter = this.deps.metering.getMeter(tx, meterRef);
    const usage: UsageQuery = (from, to) => {
      if (to.getTime() <= from.getTime()) return new D(0);
      const r = this.deps.metering.queryMeter(tx, meter, {
        from: iso(from),
        to: iso(to),
        filterCustomerId: [e.customerId],
        ...(e.usageSubscriptionId ? { filterSubscription: [e.usageSubscriptionId] } : {}),
        // features keep both spellings of the same filters; the meter query takes one or the other
        ...(feature.advancedMeterGroupByFilters
          ? { advancedMeterGroupByFilters: feature.advancedMeterGroupByFilters }
          : feature.meterGroupByFilters
            ? { filterGroupBy: feature.meterGroupByFilters }
            : {}),
      });
      return r.data.reduce<Decimal>((a, row) => a.plus(row.value), new D(0));
    };
    return { usage, aggregation: meter.aggregation };
  }

  /** Start of the usage period containing `at` (last manual reset, automatic boundary or measureUsageFrom). */
  private periodAt(e: EntitlementRecord, at: Date): { from: Date; to: Date } {
    const interval = parseDuration(isoInterval(e.usagePeriod!.interval))!;
    const p = recurrencePeriodAt(floorToMinute(new Date(e.usagePeriod!.anchor)), interval, at);
    let from = p.from.getTime();
    if (e.measureUsageFrom) from = Math.max(from, new Date(e.measureUsageFrom).getTime());
    if (e.lastManualResetAt && new Date(e.lastManualResetAt).getTime() <= at.getTime()) from = Math.max(from, new Date(e.lastManualResetAt).getTime());
    return { from: new Date(from), to: p.to };
  }

  private engineInput(tx: UnitOfWork, e: EntitlementRecord, startAt?: Date) {
    const { usage, aggregation } = this.usageQuery(tx, e);
    const snap = this.snapshotOf(e);
    // a query before the last manual reset cannot resume from its snapshot: replay from the start
    const useSnap = snap && (!startAt || startAt.getTime() >= snap.at.getTime()) ? snap : undefined;
    return {
      entitlement: this.credit(e),
      grants: this.grantsOf(tx, e.id).map((g) => this.toEngineGrant(g)),
      usage,
      meterAggregation: aggregation,
      ...(useSnap ? { startingSnapshot: useSnap } : {}),
    };
  }

  private view(tx: UnitOfWork, e: EntitlementRecord, customer?: Customer): EntitlementView {
    const c = customer ?? this.deps.customers.findCustomer(tx, e.customerId);
    const subjectKey = c?.usageAttribution?.subjectKeys?.[0] ?? c?.key ?? e.customerId;
    const v: EntitlementView = { ...e, subjectKey, ...(c?.key ? { customerKey: c.key } : {}) };
    if (e.usagePeriod) {
      const p = this.periodAt(e, this.now());
      v.currentUsagePeriod = { from: iso(p.from), to: iso(p.to) };
      if (e.type === 'metered') v.lastReset = iso(p.from);
    }
    return v;
  }

  // ------------------------------------------------------------ value / access

  private isActive(e: EntitlementRecord, at: Date): boolean {
    const t = at.toISOString();
    return !(e.activeFrom > t || (e.activeTo && e.activeTo <= t) || (e.deletedAt && e.deletedAt <= t));
  }

  private valueOf(tx: UnitOfWork, e: EntitlementRecord, at: Date): EntitlementValueView {
    if (!this.isActive(e, at)) return { type: e.type, hasAccess: false };
    if (e.type === 'boolean') return { type: e.type, hasAccess: true };
    if (e.type === 'static') return { type: e.type, hasAccess: true, ...(e.config !== undefined ? { config: e.config } : {}) };
    if (ceilToMinute(at).getTime() < new Date(e.measureUsageFrom!).getTime()) {
      // measuring has not started: nothing granted or used yet (the engine refuses to replay before it)
      return { type: e.type, hasAccess: e.isSoftLimit ?? false, balance: '0', usage: '0', overage: '0', totalAvailableGrantAmount: '0', grantBalances: {} };
    }
    const b = balanceAt({ ...this.engineInput(tx, e, at), at });
    const grantBalances: Record<string, string> = {};
    for (const [k, v] of Object.entries(b.balances)) grantBalances[k] = str(v);
    return {
      type: e.type,
      hasAccess: b.hasAccess,
      balance: str(b.balance),
      usage: str(b.usage),
      overage: str(b.overage),
      totalAvailableGrantAmount: str(b.totalAvailableGrantAmount),
      grantBalances,
    };
  }

  getEntitlementValue(tx: UnitOfWork, input: { customer: CustomerRef; entitlement: string; at?: Date }): EntitlementValueView {
    const customer = this.resolveCustomer(tx, input.customer);
    const col = tx.collection<EntitlementRecord>(ENTITLEMENTS);
    const byId = col.get(input.entitlement);
    const e =
      byId && byId.customerId === customer.id
        ? byId
        : col.findOne((x) => x.customerId === customer.id && x.featureKey === input.entitlement && !x.deletedAt);
    // the real service answers a feature with no entitlement as "no access", not 404
    if (!e) {
      if (this.deps.features.findFeature(tx, input.entitlement)) return { hasAccess: false };
      throw notFound(E.entitlementNotFound, `entitlement not found: ${input.entitlement}`);
    }
    return this.valueOf(tx, e, input.at ?? this.now());
  }

  /** feature key → value, for every active entitlement of the customer */
  getCustomerAccess(tx: UnitOfWork, input: { customer: CustomerRef; at?: Date }): Record<string, EntitlementValueView> {
    const customer = this.resolveCustomer(tx, input.customer);
    const at = input.at ?? this.now();
    const out: Record<string, EntitlementValueView> = {};
    for (const e of tx.collection<EntitlementRecord>(ENTITLEMENTS).find((x) => x.customerId === customer.id && this.isActive(x, at))) {
      // several (one per subscription, decision 0031): the first, as the by-feature-key lookup answers
      if (!out[e.featureKey]) out[e.featureKey] = this.valueOf(tx, e, at);
    }
    return out;
  }

  /**
   * Access of many customers (by key, id or subject key) to the given features (default: every
   * feature they are entitled to). Unknown customers are reported, not thrown.
   */
  queryAccess(tx: UnitOfWork, input: { customerKeys: string[]; featureKeys?: string[]; at?: Date }): AccessQueryOutcome {
    const at = input.at ?? this.now();
    const byCustomer = new Map<string, AccessQueryResult>();
    const missingCustomers: string[] = [];
    for (const key of input.customerKeys) {
      // a customer id or key first, else whoever the key's usage is attributed to
      const c = this.deps.customers.findCustomer(tx, key) ?? this.deps.customers.customerByUsageKey(tx, key);
      if (!c || c.deletedAt) {
        missingCustomers.push(key);
        continue;
      }
      const seen = byCustomer.get(c.id);
      if (seen) {
        seen.matched.push(key);
        continue;
      }
      const access = this.getCustomerAccess(tx, { customer: c.id, at });
      const out: AccessQueryResult['features'] = {};
      for (const fk of input.featureKeys ?? Object.keys(access)) {
        const v = access[fk];
        if (v?.hasAccess) out[fk] = { hasAccess: true };
        else if (v) out[fk] = { hasAccess: false, reason: { code: AccessReasonCode.usageLimitReached, message: `usage limit of ${fk} reached` } };
        else if (this.isLiveFeature(tx, fk)) {
          out[fk] = { hasAccess: false, reason: { code: AccessReasonCode.featureUnavailable, message: `${fk} is not available to the customer` } };
        } else out[fk] = { hasAccess: false, reason: { code: AccessReasonCode.featureNotFound, message: `feature ${fk} not found` } };
      }
      byCustomer.set(c.id, { matched: [key], customer: c, features: out });
    }
    return { results: [...byCustomer.values()], missingCustomers };
  }

  // ------------------------------------------------------------ history / reset

  private meteredOf(tx: UnitOfWork, customer: CustomerRef, entitlement: string): EntitlementRecord {
    const c = this.resolveCustomer(tx, customer);
    const e = this.findEntitlement(tx, c, entitlement);
    if (e.type !== 'metered') throw validationError(E.notMetered, `entitlement ${e.id} is not metered`);
    return e;
  }

  getEntitlementHistory(tx: UnitOfWork, input: HistoryRequest): HistoryView {
    const e = this.meteredOf(tx, input.customer, input.entitlement);
    const to = input.to ?? this.now();
    const start = input.from ?? this.periodAt(e, to).from;
    const h = balanceHistory({
      ...this.engineInput(tx, e, start.getTime() < to.getTime() ? start : to),
      ...(input.from ? { from: input.from } : {}),
      to,
      windowSize: input.windowSize as HistoryWindowSize,
      ...(input.windowTimeZone ? { windowTimeZone: input.windowTimeZone } : {}),
    });
    const rec = (r: Record<string, Decimal>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, str(v)]));
    return {
      windows: h.windows.map((w) => ({ from: iso(w.from), to: iso(w.to), usage: str(w.usage), balanceAtStart: str(w.balanceAtStart), overageAtStart: str(w.overageAtStart) })),
      segments: h.segments.map((s) => {
        const end: Record<string, Decimal> = { ...s.balancesAtStart };
        for (const u of s.grantUsages) end[u.grantId] = (end[u.grantId] ?? new D(0)).minus(u.usage);
        return {
          from: iso(s.from),
          to: iso(s.to),
          usage: str(s.usage),
          overage: str(s.overageAtEnd),
          balanceAtStart: str(s.balanceAtStart),
          grantBalancesAtStart: rec(s.balancesAtStart),
          balanceAtEnd: str(s.balanceAtEnd),
          grantBalancesAtEnd: rec(end),
          grantUsages: s.grantUsages.map((u) => ({ grantId: u.grantId, usage: str(u.usage) })),
        };
      }),
    };
  }

  /**
   * Manual reset at T: the engine state at T is rolled over and saved as the snapshot later reads
   * resume from (needed when the anchor moves, since replaying would use the new anchor).
   */
  resetEntitlementUsage(tx: UnitOfWork, input: ResetInput): void {
    const e = this.meteredOf(tx, input.customer, input.entitlement);
    const now = this.now();
    const at = validateResetAt({
      at: input.effectiveAt ?? now,
      now,
      currentPeriodStart: this.periodAt(e, now).from,
      ...(e.lastManualResetAt ? { lastResetAt: new Date(e.lastManualResetAt) } : {}),
    });
    const engine = this.engineInput(tx, e, at);
    const run = replay({ ...engine, until: at });
    const snap = resetAt(run.snapshot, engine.grants, at, { preserveOverage: input.preserveOverage ?? e.preserveOverageAtReset ?? false });
    const balances: Record<string, string> = {};
    for (const [k, v] of Object.entries(snap.balances)) balances[k] = str(v);
    tx.collection<EntitlementRecord>(ENTITLEMENTS).put({
      ...e,
      lastManualResetAt: iso(at),
      resetSnapshot: { at: iso(snap.at), balances, overage: str(snap.overage), ...(snap.grantUsage ? { grantUsage: str(snap.grantUsage) } : {}) },
      usagePeriod: input.retainAnchor ? e.usagePeriod! : { interval: e.usagePeriod!.interval, anchor: iso(at) },
      updatedAt: iso(now),
    });
  }

  // ------------------------------------------------------------ grants

  createGrant(tx: UnitOfWork, input: CreateGrantInput): GrantRecord {
    const c = this.resolveCustomer(tx, input.customer);
    const e = this.findEntitlement(tx, c, input.entitlement);
    if (e.deletedAt) throw notFound(E.entitlementNotFound, `entitlement not found: ${input.entitlement}`);
    return this.createGrantFor(tx, e, input);
  }

  private createGrantFor(tx: UnitOfWork, e: EntitlementRecord, input: CreateGrantInput): GrantRecord {
    if (e.type !== 'metered') throw validationError(E.notMetered, `grants can only be issued for metered entitlements`);
    const now = this.now();
    const amount = new D(input.amount);
    const given = {
      ...(input.maxRolloverAmount !== undefined ? { max: new D(input.maxRolloverAmount) } : {}),
      ...(input.minRolloverAmount !== undefined ? { min: new D(input.minRolloverAmount) } : {}),
    };
    const effectiveAt = validateGrantCreate(
      {
        amount,
        ...(input.priority !== undefined ? { priority: input.priority } : {}),
        effectiveAt: input.effectiveAt,
        ...(given.max ? { maxRolloverAmount: given.max } : {}),
        ...(given.min ? { minRolloverAmount: given.min } : {}),
        ...(input.recurrence ? { recurrence: { interval: isoInterval(input.recurrence.interval) } } : {}),
      },
      { currentPeriodStart: this.periodAt(e, now).from },
    );
    const roll = rolloverDefaults(input.apiVersion, amount, given);
    const g: GrantRecord = {
      id: this.deps.ids.next(),
      entitlementId: e.id,
      customerId: e.customerId,
      featureKey: e.featureKey,
      amount: str(amount),
      ...(input.priority !== undefined ? { priority: input.priority } : {}),
      effectiveAt: iso(effectiveAt),
      ...(input.expiration ? { expiration: input.expiration, expiresAt: iso(expiresAtOf(effectiveAt, input.expiration)) } : {}),
      maxRolloverAmount: str(roll.max),
      minRolloverAmount: str(roll.min),
      ...(input.recurrence ? { recurrence: { interval: input.recurrence.interval, anchor: iso(floorToMinute(input.recurrence.anchor ?? effectiveAt)) } } : {}),
      ...(input.metadata ? { metadata: input.metadata } : {}),
      ...(input.annotations ? { annotations: input.annotations } : {}),
      createdAt: iso(now),
      updatedAt: iso(now),
    };
    tx.collection<GrantRecord>(GRANTS).put(g);
    return g;
  }

  listGrants(tx: UnitOfWork, input: ListGrantsInput = {}): Page<GrantRecord> {
    const customerIds = this.customerIdsFilter(tx, input.customers, input.subjects);
    const features = input.feature?.length ? new Set(input.feature) : undefined;
    const items = tx
      .collection<GrantRecord>(GRANTS)
      .find(
        (g) =>
          (input.includeDeleted || !g.deletedAt) &&
          (!input.entitlementId || g.entitlementId === input.entitlementId) &&
          (!customerIds || customerIds.has(g.customerId)) &&
          (!features || features.has(g.featureKey)),
      );
    const orderBy = input.orderBy ?? 'createdAt';
    return paginate(sortBy(items, (g) => g[orderBy], input.order), input);
  }

  listEntitlementGrants(tx: UnitOfWork, input: ListGrantsInput & { customer: CustomerRef; entitlement: string }): Page<GrantRecord> {
    const c = this.resolveCustomer(tx, input.customer);
    const e = this.findEntitlement(tx, c, input.entitlement);
    return this.listGrants(tx, { ...input, customers: undefined, subjects: undefined, feature: undefined, entitlementId: e.id });
  }

  /** Void: the grant stops burning at `at` (default now); its history up to then stays. */
  voidGrant(tx: UnitOfWork, input: { grantId: string; at?: Date }): GrantRecord {
    const col = tx.collection<GrantRecord>(GRANTS);
    const g = col.get(input.grantId);
    if (!g || g.deletedAt) throw notFound(E.grantNotFound, `grant not found: ${input.grantId}`);
    const e = tx.collection<EntitlementRecord>(ENTITLEMENTS).get(g.entitlementId);
    const now = this.now();
    const at = validateVoidAt({
      grant: { id: g.id, ...(g.voidedAt ? { voidedAt: new Date(g.voidedAt) } : {}) },
      at: input.at ?? now,
      now,
      currentPeriodStart: e?.usagePeriod ? this.periodAt(e, now).from : new Date(g.effectiveAt),
    });
    const next = { ...g, voidedAt: iso(at), updatedAt: iso(now) };
    col.put(next);
    return next;
  }

  // ------------------------------------------------------------ subscription-managed entitlements

  /**
   * An entitlement owned by a subscription item (subscriptionspec.go ToScheduleSubscriptionEntitlementInput), effective now. It carries the
   * annotations the real service writes (`subscription.id`, `subscription.owner`) and cannot be
   * deleted or overridden by hand while the subscription owns it.
   */
  createManagedEntitlement(tx: UnitOfWork, input: CreateEntitlementInput & { subscriptionId: string; usageBySubscription?: boolean }): EntitlementView {
    const { subscriptionId, usageBySubscription, ...create } = input;
    const customer = this.resolveCustomer(tx, create.customer);
    if (customer.deletedAt) throw notFound(E.customerNotFound, `customer not found: ${create.customer}`);
    const view = this.createFor(tx, customer, create, usageBySubscription ? subscriptionId : undefined);
    const col = tx.collection<EntitlementRecord>(ENTITLEMENTS);
    const rec = col.get(view.id)!;
    const next: EntitlementRecord = {
      ...rec,
      annotations: { 'subscription.id': subscriptionId, 'subscription.owner': ['subscription'] },
      ...(usageBySubscription ? { usageSubscriptionId: subscriptionId } : {}),
    };
    col.put(next);
    return { ...view, annotations: next.annotations };
  }

  /** The subscription ends its entitlement now (access stops; the record stays readable). */
  deleteManagedEntitlement(tx: UnitOfWork, input: { entitlementId: string }): void {
    const col = tx.collection<EntitlementRecord>(ENTITLEMENTS);
    const e = col.get(input.entitlementId);
    if (!e || e.deletedAt) return;
    const now = iso(this.now());
    col.put({ ...e, deletedAt: now, activeTo: e.activeTo && e.activeTo < now ? e.activeTo : now, updatedAt: now });
  }

  /** `entitlement is managed by subscription` (entitlement/hooks/subscription/hook.go) → 403 */
  private assertNotManaged(e: EntitlementRecord): void {
    if (e.annotations?.['subscription.id']) {
      throw managedBySubscription();
    }
  }
}
