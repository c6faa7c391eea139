import type { EntitlementTemplate, Feature, Plan, PlanPhase, RateCard, SettlementMode } from '../catalog/types.ts';
import type { Customer } from '../customers/types.ts';
import type { CreateEntitlementInput } from '../entitlements/types.ts';
import type { Clock } from '../shared/clock.ts';
import { EffectType } from '../shared/effects.ts';
import { DomainError, ErrorKind, isDomainError, notFound } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import type { DueJob, JobSource } from '../shared/jobs.ts';
import { paginate, sortBy, type Page } from '../shared/paging.ts';
import { floorToSecond } from '../shared/period.ts';
import { addDuration, parseDuration } from '../shared/recurrence.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { applyAddons } from './engine/addons.ts';
import { alignedBillingPeriodAt, resolvePhases } from './engine/billingPeriods.ts';
import { secondsDuration, sumDurations } from './engine/durations.ts';
import { resolveCancelTiming, resolveChangeTiming, resolveCreateTiming, statusAt, TimingEnum } from './engine/timing.ts';
import type { SubscriptionSpec } from './engine/types.ts';
import { SyncHeap, type SyncEntry } from './syncIndex.ts';
import { SubscriptionErrorCode as E, invalid, issueError, transitionNotAllowed } from './errors.ts';
import type { AddonLookup, CustomerLookup, FeatureLookup, ManagedEntitlements, PlanAddonLookup, PlanLookup } from './ports.ts';
import {
  CostBasisMode,
  SubscriptionAnnotation as A,
  SubscriptionCollections as Col,
  SubscriptionStatus,
  type AddonQuantityStep,
  type AddonTimelineSegment,
  type ChangeSubscriptionInput,
  type CreateSubscriptionAddonInput,
  type CreateSubscriptionInput,
  type CustomPlanInput,
  type EditOperation,
  type EditSubscriptionInput,
  type ListSubscriptionsInput,
  type ManagedEntitlementRef,
  type MigrateSubscriptionInput,
  MultiSubscriptionMode,
  type PlanRef,
  type Subscription,
  type SubscriptionAddonRecord,
  type SubscriptionAddonView,
  type SubscriptionItemRecord,
  type SubscriptionItemView,
  type SubscriptionPhaseRecord,
  type SubscriptionPhaseView,
  type SubscriptionRecord,
  type SubscriptionView,
  type UpdateSubscriptionAddonInput,
} from './types.ts';

export interface SubscriptionServiceDeps {
  clock: Clock;
  ids: IdGenerator;
  customers: CustomerLookup;
  plans: PlanLookup;
  planAddons: PlanAddonLookup;
  addons: AddonLookup;
  features: FeatureLookup;
  entitlements: ManagedEntitlements;
}

const iso = (d: Date): string => d.toISOString();
const ms = (s: string): number => Date.parse(s);
const stripUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** What a subscription is built from: a catalog plan (with its reference) or a custom plan. */
interface PlanSource {
  ref?: { id: string; key: string; version: number };
  name: string;
  description?: string;
  metadata?: Record<string, string>;
  currency: string;
  billingCadence: string;
  proRatingConfig: Plan['proRatingConfig'];
  settlementMode: SettlementMode;
  phases: PlanPhase[];
}

export const SYNC_JOB = 'syncSubscriptionEntitlementsJob';

/**
 * Subscriptions: a customer's contract built from a plan (or a custom plan), with phases whose
 * items are rate cards. State is a stored timeline; status, the current phase, the current
 * billing period and add-on quantities are derived from it at read time against the clock, so
 * moving the clock needs no job for them. The one thing that must happen at an instant is
 * entitlement provisioning, done by the `syncSubscriptionEntitlementsJob` source.
 */
export class SubscriptionService {
  constructor(private readonly deps: SubscriptionServiceDeps) {}

  private multiSubscriptionMode: (tx: UnitOfWork) => MultiSubscriptionMode = () => MultiSubscriptionMode.single;

  /**
   * The wiring says how many subscriptions a customer may run at once in a namespace (decision
   * 0031): OpenMeter's `multi-subscription-enabled` flag per namespace, a Zuplo bucket's
   * `multipleSubscriptionsEnabled`. Unset: one (OpenMeter's default).
   */
  useMultiSubscriptionMode(fn: (tx: UnitOfWork) => MultiSubscriptionMode): void {
    this.multiSubscriptionMode = fn;
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  // ------------------------------------------------------------------------------ reads

  getSubscription(tx: UnitOfWork, input: { id: string }): SubscriptionView {
    return this.view(tx, this.byId(tx, input.id));
  }

  /** several subscriptions with their phases, in the order asked (a page of a list) */
  getSubscriptions(tx: UnitOfWork, input: { ids: string[] }): SubscriptionView[] {
    return input.ids.map((id) => this.view(tx, this.byId(tx, id)));
  }

  /**
   * The subscriptions running now (started, not ended) of each customer: the v1 customer's
   * `currentSubscriptionId` is the first of them, `expand=subscriptions` lists them.
   */
  activeSubscriptionsByCustomer(tx: UnitOfWork, input: { customerIds: string[] }): Record<string, Subscription[]> {
    const now = this.now();
    const wanted = new Set(input.customerIds);
    const out: Record<string, Subscription[]> = {};
    for (const s of tx.collection<SubscriptionRecord>(Col.subscriptions).find((r) => wanted.has(r.customerId) && !r.deletedAt && this.runningAt(r, now))) {
      (out[s.customerId] ??= []).push(this.withStatus(s, now));
    }
    return out;
  }

  /** the customers whose subscription running now is on a plan of that key (the customer list's planKey filter) */
  readonly customersOnPlanKey = (tx: UnitOfWork, planKey: string): ReadonlySet<string> => {
    const now = this.now();
    return new Set(
      tx
        .collection<SubscriptionRecord>(Col.subscriptions)
        .find((r) => r.plan?.key === planKey && !r.deletedAt && this.runningAt(r, now))
        .map((r) => r.customerId),
    );
  };

  /** customer/service: a customer with a running subscription cannot be deleted (400) */
  readonly customerDeleteGuard = (tx: UnitOfWork, customer: Customer): void => {
    const ids = this.customerSubscriptions(tx, customer.id)
      .filter((s) => this.runningAt(s, this.now()))
      .map((s) => s.id);
    if (ids.length === 0) return;
    const message = 'cannot delete customer with active subscriptions';
    throw new DomainError(ErrorKind.validation, E.deletingCustomerWithActiveSubscriptions, message, {
      issues: [{ code: E.deletingCustomerWithActiveSubscriptions, message, severity: 'critical', subscriptions: ids }],
    });
  };

  private runningAt(r: SubscriptionRecord, at: Date): boolean {
    return ms(r.activeFrom) <= at.getTime() && (!r.activeTo || ms(r.activeTo) > at.getTime());
  }

  listSubscriptions(tx: UnitOfWork, input: ListSubscriptionsInput = {}): Page<Subscription> {
    const now = this.now();
    let customerId: string | undefined;
    if (input.customer !== undefined) {
      const c = this.deps.customers.getCustomer(tx, { idOrKey: input.customer });
      if (c.deletedAt) throw new DomainError(ErrorKind.preconditionFailed, E.customerDeleted, `customer is deleted [customer.id=${c.id}]`);
      customerId = c.id;
    }
    const has = <T>(list: T[] | undefined, v: T | undefined) => !list || list.length === 0 || (v !== undefined && list.includes(v));
    const items = tx
      .collection<SubscriptionRecord>(Col.subscriptions)
      .find(
        (s) =>
          !s.deletedAt &&
          (customerId === undefined || s.customerId === customerId) &&
          has(input.ids, s.id) &&
          has(input.customerIds, s.customerId) &&
          has(input.planIds, s.plan?.id) &&
          has(input.planKeys, s.plan?.key),
      )
      .map((s) => this.withStatus(s, now))
      .filter((s) => has(input.status, s.status));
    const field = (s: Subscription): string =>
      input.orderBy === 'id' ? s.id : input.orderBy === 'activeTo' ? (s.activeTo ?? '9999') : s.activeFrom;
    const sorted = sortBy(items, field, input.order ?? 'ASC');
    if (input.unpaged) return { items: sorted, totalCount: sorted.length, page: 0, pageSize: 0, offset: 0 };
    return paginate(sorted, input);
  }

  // ------------------------------------------------------------------------------ create

  createSubscription(tx: UnitOfWork, input: CreateSubscriptionInput): Subscription {
    const now = this.now();
    const customer = this.customerOf(tx, input.customer);
    const source = this.planSource(tx, input.plan, input.customPlan, input.planKeyLatest ?? false, now);
    const activeFrom = resolveCreateTiming(input.timing ?? TimingEnum.immediate, now);
    const rec = this.build(tx, customer, source, {
      activeFrom,
      billingAnchor: input.billingAnchor,
      name: input.nameAsPlanVersion && source.ref ? `${source.ref.key} v${source.ref.version}` : input.name,
      description: input.description,
      metadata: input.metadata,
      settlementMode: input.settlementMode,
      costBasisMode: input.costBasisMode,
      startingPhase: input.startingPhase,
    });
    const mode = this.multiSubscriptionMode(tx);
    if (mode === MultiSubscriptionMode.bySubscription) rec.usageScope = 'subscription';
    this.assertNoOverlap(tx, rec, [], mode);
    this.save(tx, rec);
    this.changed(tx, rec);
    return this.withStatus(this.byId(tx, rec.id), now);
  }

  // ------------------------------------------------------------------------------ lifecycle

  /** Cancel: only an active subscription; the end lands on now, the period end or a boundary. */
  cancelSubscription(tx: UnitOfWork, input: { id: string; timing?: string }): Subscription {
    const now = this.now();
    const rec = this.byId(tx, input.id);
    this.requireStatus(rec, now, 'cancel', [SubscriptionStatus.active]);
    const end = resolveCancelTiming(this.spec(rec), input.timing ?? TimingEnum.immediate, now);
    this.save(tx, { ...rec, activeTo: iso(end), updatedAt: iso(now) });
    this.changed(tx, rec, end);
    return this.withStatus(this.byId(tx, rec.id), now);
  }

  /** Continue: a canceled subscription runs on (activeTo cleared), if nothing follows it. */
  unscheduleCancelation(tx: UnitOfWork, input: { id: string }): Subscription {
    const now = this.now();
    const rec = this.byId(tx, input.id);
    this.requireStatus(rec, now, 'continue', [SubscriptionStatus.canceled]);
    const { activeTo: _end, ...rest } = rec;
    const next: SubscriptionRecord = { ...rest, updatedAt: iso(now) };
    this.assertNoOverlap(tx, next, [rec.id], this.multiSubscriptionMode(tx));
    this.save(tx, next);
    this.changed(tx, next);
    return this.withStatus(this.byId(tx, rec.id), now);
  }

  /** Only a scheduled subscription can be deleted (subscription/state.go). */
  deleteSubscription(tx: UnitOfWork, input: { id: string }): void {
    const now = this.now();
    const rec = this.byId(tx, input.id);
    this.requireStatus(rec, now, 'delete', [SubscriptionStatus.scheduled]);
    this.save(tx, { ...rec, deletedAt: iso(now), updatedAt: iso(now) });
    const addons = tx.collection<SubscriptionAddonRecord>(Col.subscriptionAddons);
    for (const a of addons.find((x) => x.subscriptionId === rec.id && !x.deletedAt)) addons.put({ ...a, deletedAt: iso(now), updatedAt: iso(now) });
    this.changed(tx, rec);
  }

  /**
   * Restore (v1, deprecated): every other subscription of the customer that would run after now
   * is deleted, then this one continues.
   */
  restoreSubscription(tx: UnitOfWork, input: { id: string }): Subscription {
    // workflow/service/subscription.go, before any lookup: deleting the customer's other subscriptions makes no sense when several may run
    if (this.multiSubscriptionMode(tx) !== MultiSubscriptionMode.single) {
      throw new DomainError(ErrorKind.forbidden, E.restoreNotAllowedForMultiSubscription, 'restore subscription is not allowed for multi-subscription');
    }
    const now = this.now();
    const rec = this.byId(tx, input.id);
    for (const other of this.customerSubscriptions(tx, rec.customerId)) {
      if (other.id === rec.id) continue;
      if (!other.activeTo || ms(other.activeTo) > now.getTime()) this.deleteSubscription(tx, { id: other.id });
    }
    return this.unscheduleCancelation(tx, input);
  }

  /**
   * Change = cancel the current subscription at the timing and create the next one from the plan
   * at exactly that instant (anchor defaults to the current one); annotations link the two.
   */
  changeSubscription(tx: UnitOfWork, input: ChangeSubscriptionInput): { current: Subscription; next: SubscriptionView } {
    const now = this.now();
    const cur = this.byId(tx, input.id);
    this.requireStatus(cur, now, 'cancel', [SubscriptionStatus.active]);
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: cur.customerId });
    const source = this.planSource(tx, input.plan, input.customPlan, input.planKeyLatest ?? false, now);
    const at = resolveChangeTiming(this.spec(cur), input.timing, now);
    const next = this.build(tx, customer, source, {
      activeFrom: at,
      billingAnchor: input.billingAnchor ?? cur.billingAnchor,
      name: input.inheritName ? cur.name : input.name,
      description: input.inheritName ? cur.description : input.description,
      metadata: input.metadata ?? (input.inheritName ? cur.metadata : undefined),
      settlementMode: input.settlementMode,
      costBasisMode: input.costBasisMode,
      startingPhase: input.startingPhase,
    });
    next.annotations = { ...(next.annotations ?? {}), [A.previousSubscriptionId]: cur.id };
    const mode = this.multiSubscriptionMode(tx);
    // the next subscription keeps the current one's usage scope (a Zuplo consumer's key moves to it)
    if (cur.usageScope || mode === MultiSubscriptionMode.bySubscription) next.usageScope = 'subscription';
    const ended: SubscriptionRecord = {
      ...cur,
      activeTo: iso(at),
      annotations: { ...(cur.annotations ?? {}), [A.supersedingSubscriptionId]: next.id },
      updatedAt: iso(now),
    };
    this.save(tx, ended);
    this.assertNoOverlap(tx, next, [], mode);
    this.save(tx, next);
    // OpenMeter cancels the current one (CancelledEvent: synced up to its end) and creates the next (CreatedEvent)
    this.changed(tx, ended, at);
    this.changed(tx, next);
    return { current: this.withStatus(this.byId(tx, cur.id), now), next: this.view(tx, this.byId(tx, next.id)) };
  }

  /** Migrate = change to a higher version of the same plan (default: the latest), default immediately. */
  migrateSubscription(tx: UnitOfWork, input: MigrateSubscriptionInput): { current: Subscription; next: SubscriptionView } {
    const cur = this.byId(tx, input.id);
    if (!cur.plan) throw invalid(E.migrateTargetVersion, `subscription ${cur.id} was not created from a plan and cannot be migrated`);
    const versions = this.deps.plans.listPlans(tx, { key: [cur.plan.key], pageSize: 1000 }).items.filter((p) => !p.deletedAt);
    const target = input.targetVersion ?? Math.max(0, ...versions.map((p) => p.version));
    if (target <= cur.plan.version) {
      throw invalid(E.migrateTargetVersion, `target version ${target} must be greater than the current version ${cur.plan.version}`, 'targetVersion');
    }
    return this.changeSubscription(tx, {
      id: cur.id,
      timing: input.timing ?? TimingEnum.immediate,
      plan: { key: cur.plan.key, version: target },
      billingAnchor: input.billingAnchor,
      startingPhase: input.startingPhase,
      name: cur.name,
      description: cur.description,
      metadata: cur.metadata,
    });
  }

  // ------------------------------------------------------------------------------ edit

  /**
   * Applies the customizations in order at the effective time (now, or the end of the current
   * billing period): the running phase gets new item versions, future phases are changed in
   * place, past phases are protected (403).
   */
  editSubscription(tx: UnitOfWork, input: EditSubscriptionInput): Subscription {
    const now = this.now();
    const rec = this.byId(tx, input.id);
    this.requireStatus(rec, now, 'update', [SubscriptionStatus.active]);
    // add-ons change items; editing around them is the add-on workflow's job (workflow/service/subscription.go)
    if (tx.collection<SubscriptionAddonRecord>(Col.subscriptionAddons).findOne((a) => a.subscriptionId === rec.id && !a.deletedAt)) {
      throw new DomainError(ErrorKind.forbidden, E.editForbidden, 'subscription with addons cannot be edited');
    }
    let at = floorToSecond(now);
    if (input.timing === TimingEnum.nextBillingCycle) at = alignedBillingPeriodAt(this.spec(rec), now).to;
    else if (input.timing !== undefined && input.timing !== TimingEnum.immediate) {
      throw invalid(E.invalidTiming, 'editing a running subscription accepts only "immediate" or "next_billing_cycle" timing', 'timing');
    }
    const next: SubscriptionRecord = structuredClone(rec);
    for (const op of input.customizations) this.applyEdit(tx, next, op, at, now);
    for (const p of next.phases) {
      if (p.items.length === 0 && ms(this.phaseStart(next, p)) > at.getTime()) {
        throw invalid(E.phaseHasNoItems, `phase ${p.key} has no items`, `phases.${p.key}`);
      }
    }
    next.updatedAt = iso(now);
    // validators/subscription BeforeUpdate checks an edit against the others only with multi-subscription on
    const mode = this.multiSubscriptionMode(tx);
    if (mode === MultiSubscriptionMode.byFeature) this.assertNoOverlap(tx, next, [rec.id], mode);
    this.save(tx, next);
    this.changed(tx, next);
    return this.withStatus(this.byId(tx, rec.id), now);
  }

  private applyEdit(tx: UnitOfWork, rec: SubscriptionRecord, op: EditOperation, at: Date, now: Date): void {
    const forbidden = (msg: string) => new DomainError(ErrorKind.forbidden, E.editForbidden, msg);
    const conflictErr = (msg: string) => issueError(ErrorKind.conflict, E.editConflict, msg);
    const ordered = () => [...rec.phases].sort((a, b) => ms(this.phaseStart(rec, a)) - ms(this.phaseStart(rec, b)));
    const findPhase = (key: string) => {
      const p = rec.phases.find((x) => x.key === key);
      if (!p) throw invalid(E.invalidInput, `phase ${key} not found`, 'phaseKey');
      return p;
    };
    const when = (p: SubscriptionPhaseRecord): 'past' | 'current' | 'future' => {
      const list = ordered();
      const i = list.indexOf(p);
      const start = ms(this.phaseStart(rec, p));
      const end = list[i + 1] ? ms(this.phaseStart(rec, list[i + 1]!)) : rec.activeTo ? ms(rec.activeTo) : Infinity;
      if (start > at.getTime()) return 'future';
      return end > at.getTime() ? 'current' : 'past';
    };
    const offsetInPhase = (p: SubscriptionPhaseRecord) => secondsDuration(at.getTime() - ms(this.phaseStart(rec, p)));
    const stamp = iso(now);

    switch (op.op) {
      case 'add_item': {
        const p = findPhase(op.phaseKey);
        const w = when(p);
        if (w === 'past') throw forbidden(`cannot add an item to past phase ${p.key}`);
        const rateCard = this.normalizeRateCard(tx, op.rateCard);
        const versions = p.items.filter((i) => i.key === rateCard.key);
        if (w === 'future') {
          if (versions.length > 0) throw conflictErr(`item ${rateCard.key} already exists in phase ${p.key}`);
          p.items.push(this.newItem(rateCard, 0, stamp));
          return;
        }
        const offset = offsetInPhase(p);
        for (const v of versions) if (this.itemActiveAt(rec, p, v, at)) v.activeToOverride = offset;
        p.items.push({ ...this.newItem(rateCard, versions.length, stamp), ...(offset !== 'P0D' ? { activeFromOverride: offset } : {}) });
        return;
      }
      case 'remove_item': {
        const p = findPhase(op.phaseKey);
        const w = when(p);
        if (w === 'past') throw forbidden(`cannot remove an item from past phase ${p.key}`);
        const versions = p.items.filter((i) => i.key === op.itemKey);
        if (versions.length === 0) throw invalid(E.invalidInput, `item ${op.itemKey} not found in phase ${p.key}`, 'itemKey');
        if (w === 'future') {
          p.items = p.items.filter((i) => i.key !== op.itemKey);
          return;
        }
        const offset = offsetInPhase(p);
        // scheduled versions go; the running one ends at the effective time
        p.items = p.items.filter((i) => i.key !== op.itemKey || this.itemWindow(rec, p, i).from.getTime() <= at.getTime());
        for (const v of p.items) if (v.key === op.itemKey && this.itemActiveAt(rec, p, v, at)) v.activeToOverride = offset;
        return;
      }
      case 'add_phase': {
        if (rec.phases.some((x) => x.key === op.phase.key)) throw conflictErr(`phase ${op.phase.key} already exists`);
        const startAfter = op.phase.startAfter ?? 'P0D';
        const start = addDuration(new Date(rec.activeFrom), parseDuration(startAfter) ?? parseDuration('P0D')!);
        if (start.getTime() <= at.getTime()) throw forbidden(`cannot add a phase starting in the past (${iso(start)})`);
        if (op.phase.duration) {
          const d = parseDuration(op.phase.duration);
          if (!d) throw invalid(E.invalidInput, `invalid phase duration ${op.phase.duration}`, 'phase.duration');
          const shiftBy = addDuration(start, d).getTime() - start.getTime();
          for (const other of rec.phases) {
            const os = ms(this.phaseStart(rec, other));
            if (os >= start.getTime()) other.startAfter = secondsDuration(os + shiftBy - ms(rec.activeFrom));
          }
        }
        rec.phases.push(
          stripUndefined({ id: this.deps.ids.next(), key: op.phase.key, name: op.phase.name, description: op.phase.description, startAfter, items: [], createdAt: stamp, updatedAt: stamp }),
        );
        return;
      }
      case 'remove_phase': {
        const p = findPhase(op.phaseKey);
        if (when(p) !== 'future') throw forbidden(`cannot remove phase ${p.key}: only future phases can be removed`);
        const list = ordered();
        const i = list.indexOf(p);
        const start = ms(this.phaseStart(rec, p));
        const nextStart = list[i + 1] ? ms(this.phaseStart(rec, list[i + 1]!)) : undefined;
        rec.phases = rec.phases.filter((x) => x !== p);
        if (op.shift === 'next' && nextStart !== undefined) {
          const by = nextStart - start;
          for (const later of list.slice(i + 1)) later.startAfter = secondsDuration(ms(this.phaseStart(rec, later)) - by - ms(rec.activeFrom));
        }
        if (rec.phases.length === 0) throw conflictErr('cannot remove the only phase');
        return;
      }
      case 'stretch_phase': {
        const p = findPhase(op.phaseKey);
        if (when(p) === 'past') throw forbidden('cannot extend past phase');
        const list = ordered();
        if (list.length < 2) throw conflictErr('cannot stretch a single phase');
        const d = parseDuration(op.extendBy);
        if (!d) throw invalid(E.invalidInput, `invalid extendBy ${op.extendBy}`, 'extendBy');
        const i = list.indexOf(p);
        for (const later of list.slice(i + 1)) later.startAfter = sumDurations([later.startAfter, op.extendBy]);
        for (let j = i + 1; j < list.length; j++) {
          const prevStart = ms(this.phaseStart(rec, list[j - 1]!));
          if (ms(this.phaseStart(rec, list[j]!)) <= prevStart) throw conflictErr(`phase ${list[j - 1]!.key} would disappear due to stretching`);
        }
        return;
      }
      case 'unschedule_edit': {
        const current = ordered().find((p) => when(p) === 'current');
        if (!current) throw conflictErr("current phase doesn't exist, cannot unschedule edits");
        const keep: SubscriptionItemRecord[] = [];
        for (const key of new Set(current.items.map((x) => x.key))) {
          const versions = current.items.filter((x) => x.key === key);
          for (const v of versions) {
            if (this.itemWindow(rec, current, v).from.getTime() > at.getTime()) continue;
            if (this.itemActiveAt(rec, current, v, at)) delete v.activeToOverride;
            keep.push(v);
          }
        }
        current.items = keep;
        return;
      }
      default:
        throw invalid(E.invalidInput, `unknown edit operation ${(op as { op: string }).op}`, 'op');
    }
  }

  // ------------------------------------------------------------------------------ add-ons

  listSubscriptionAddons(tx: UnitOfWork, input: { subscriptionId: string; page?: number; pageSize?: number; order?: 'ASC' | 'DESC'; orderBy?: 'id' | 'createdAt' | 'updatedAt' }): Page<SubscriptionAddonView> {
    const rec = this.byId(tx, input.subscriptionId);
    const all = tx.collection<SubscriptionAddonRecord>(Col.subscriptionAddons).find((a) => a.subscriptionId === rec.id && !a.deletedAt);
    const field = (a: SubscriptionAddonRecord) => (input.orderBy === 'createdAt' ? a.createdAt : input.orderBy === 'updatedAt' ? a.updatedAt : a.id);
    const page = paginate(sortBy(all, field, input.order), input);
    return { ...page, items: page.items.map((a) => this.addonView(rec, a)) };
  }

  getSubscriptionAddon(tx: UnitOfWork, input: { subscriptionId: string; subscriptionAddonId: string }): SubscriptionAddonView {
    const rec = this.byId(tx, input.subscriptionId);
    return this.addonView(rec, this.addonById(tx, rec.id, input.subscriptionAddonId));
  }

  createSubscriptionAddon(tx: UnitOfWork, input: CreateSubscriptionAddonInput): SubscriptionAddonView {
    const now = this.now();
    const rec = this.byId(tx, input.subscriptionId);
    this.requireStatus(rec, now, 'change_addons', [SubscriptionStatus.active]);
    const addon = this.deps.addons.getAddon(tx, { idOrKey: input.addonId });
    if (addon.deletedAt || addon.status !== 'active') throw invalid(E.addonNotActive, `add-on ${addon.key}@${addon.version} is not active`, 'addon.id');
    if (addon.currency !== rec.currency) throw invalid(E.currencyMismatch, `add-on currency ${addon.currency} does not match subscription currency ${rec.currency}`, 'addon.id');
    const col = tx.collection<SubscriptionAddonRecord>(Col.subscriptionAddons);
    if (col.findOne((a) => a.subscriptionId === rec.id && a.addon.id === addon.id && !a.deletedAt)) {
      throw issueError(ErrorKind.conflict, E.addonAlreadyPurchased, 'subscription already has that addon purchased');
    }
    if (rec.plan) {
      const assigned = this.deps.planAddons.listPlanAddons(tx, { planIdOrKey: rec.plan.id, pageSize: 1000 }).items.find((pa) => pa.addonId === addon.id);
      if (!assigned) throw invalid(E.addonNotAllowed, `add-on ${addon.key} is not available for plan ${rec.plan.key}@${rec.plan.version}`, 'addon.id');
      if (assigned.maxQuantity !== undefined && input.quantity > assigned.maxQuantity) {
        throw invalid(E.addonQuantityInvalid, `quantity ${input.quantity} exceeds the maximum ${assigned.maxQuantity}`, 'quantity');
      }
    }
    this.checkQuantity(addon.instanceType, input.quantity, true);
    const at = this.addonTiming(rec, input.timing, now);
    const stamp = iso(now);
    const a: SubscriptionAddonRecord = stripUndefined({
      id: this.deps.ids.next(),
      subscriptionId: rec.id,
      name: input.name ?? addon.name,
      description: input.description ?? addon.description,
      metadata: input.metadata,
      addon: { id: addon.id, key: addon.key, version: addon.version, instanceType: addon.instanceType },
      rateCards: structuredClone(addon.rateCards),
      quantities: [{ activeFrom: iso(at), quantity: input.quantity }],
      createdAt: stamp,
      updatedAt: stamp,
    });
    col.put(a);
    this.save(tx, { ...rec, updatedAt: stamp });
    this.changed(tx, rec);
    return this.addonView(this.byId(tx, rec.id), a);
  }

  /** A new quantity from the timing on: later steps are replaced; quantity 0 ends the add-on there. */
  updateSubscriptionAddon(tx: UnitOfWork, input: UpdateSubscriptionAddonInput): SubscriptionAddonView {
    const now = this.now();
    const rec = this.byId(tx, input.subscriptionId);
    const cur = this.addonById(tx, rec.id, input.subscriptionAddonId);
    const stamp = iso(now);
    let next: SubscriptionAddonRecord = { ...cur, updatedAt: stamp };
    if (input.name !== undefined) next.name = input.name;
    if (input.metadata !== undefined) next.metadata = input.metadata;
    if (input.quantity !== undefined) {
      this.requireStatus(rec, now, 'change_addons', [SubscriptionStatus.active]);
      this.checkQuantity(cur.addon.instanceType, input.quantity, false);
      const at = this.addonTiming(rec, input.timing ?? TimingEnum.immediate, now);
      const steps: AddonQuantityStep[] = cur.quantities.filter((q) => ms(q.activeFrom) < at.getTime());
      steps.push({ activeFrom: iso(at), quantity: input.quantity });
      next = { ...next, quantities: steps };
    }
    tx.collection<SubscriptionAddonRecord>(Col.subscriptionAddons).put(next);
    this.save(tx, { ...rec, updatedAt: stamp });
    this.changed(tx, rec);
    return this.addonView(this.byId(tx, rec.id), next);
  }

  private checkQuantity(instanceType: string, quantity: number, creating: boolean): void {
    if (!Number.isInteger(quantity) || quantity < 0 || (creating && quantity < 1)) {
      throw invalid(E.addonQuantityInvalid, `quantity must be ${creating ? 'at least 1' : 'at least 0'}, got ${quantity}`, 'quantity');
    }
    if (instanceType === 'single' && quantity > 1) throw invalid(E.addonQuantityInvalid, 'a single-instance add-on can only have quantity 1', 'quantity');
  }

  private addonTiming(rec: SubscriptionRecord, timing: string, now: Date): Date {
    const spec = this.spec(rec);
    let at: Date;
    if (timing === TimingEnum.immediate) at = floorToSecond(now);
    else if (timing === TimingEnum.nextBillingCycle) at = alignedBillingPeriodAt(spec, now).to;
    else {
      at = floorToSecond(new Date(timing));
      if (Number.isNaN(at.getTime())) throw invalid(E.invalidTiming, `invalid timing ${timing}`, 'timing');
      if (at.getTime() < floorToSecond(now).getTime()) throw invalid(E.invalidTiming, `timing ${timing} is in the past`, 'timing');
    }
    if (at.getTime() < ms(rec.activeFrom) || (rec.activeTo && at.getTime() >= ms(rec.activeTo))) {
      throw invalid(E.addonNotAllowed, `subscription ${rec.id} is not active at ${iso(at)}`, 'timing');
    }
    return at;
  }

  private addonById(tx: UnitOfWork, subscriptionId: string, id: string): SubscriptionAddonRecord {
    const a = tx.collection<SubscriptionAddonRecord>(Col.subscriptionAddons).get(id);
    if (!a || a.subscriptionId !== subscriptionId || a.deletedAt) throw notFound(E.addonNotFound, `subscription add-on ${id} not found`);
    return a;
  }

  private addonView(rec: SubscriptionRecord, a: SubscriptionAddonRecord): SubscriptionAddonView {
    const now = this.now().getTime();
    const timeline = addonTimeline(a, rec.activeTo);
    const current = timeline.find((s) => ms(s.activeFrom) <= now && (!s.activeTo || ms(s.activeTo) > now));
    const positive = timeline.filter((s) => s.quantity > 0);
    const affectedItemIds: Record<string, string[]> = {};
    for (const rc of a.rateCards) {
      affectedItemIds[rc.key] = rec.phases.flatMap((p) =>
        p.items
          .filter((i) => i.key === rc.key)
          .filter((i) => {
            const w = this.itemWindow(rec, p, i);
            return positive.some((s) => (!w.to || ms(s.activeFrom) < w.to.getTime()) && (!s.activeTo || ms(s.activeTo) > w.from.getTime()));
          })
          .map((i) => i.id),
      );
    }
    return {
      ...a,
      quantity: current?.quantity ?? 0,
      quantityAt: iso(this.now()),
      activeFrom: positive[0]?.activeFrom ?? a.quantities[0]!.activeFrom,
      ...(positive.length > 0 && positive[positive.length - 1]!.activeTo ? { activeTo: positive[positive.length - 1]!.activeTo } : {}),
      timeline: positive,
      affectedItemIds,
    };
  }

  // ------------------------------------------------------------------------------ entitlements (time-driven)

  /**
   * The job source that provisions entitlements of subscription items at their instants: one
   * job per due instant reconciles every subscription due then. The drain asks `nextDueJob`,
   * answered from the sync index in O(log n).
   */
  jobSource(): JobSource {
    return {
      name: SYNC_JOB,
      dueJobs: (tx, until) => {
        const col = tx.collection<SubscriptionRecord>(Col.subscriptions);
        const u = iso(until);
        const instants = new Set<string>();
        for (const e of this.heapOf(tx).entries()) if (e.at <= u && col.get(e.id)?.nextSyncAt === e.at) instants.add(e.at);
        return [...instants].sort().map((at) => this.syncJob(tx.namespace, at));
      },
      nextDueJob: (tx, until) => {
        const next = this.nextSync(tx);
        return next && next.at <= iso(until) ? this.syncJob(tx.namespace, next.at) : undefined;
      },
      forget: (ns) => this.forgetSyncIndex(ns),
    };
  }

  /** forgets a namespace's sync index (reset, snapshot import); it is rebuilt from a scan when needed */
  forgetSyncIndex(ns?: string): void {
    if (ns === undefined) this.syncIndex.clear();
    else this.syncIndex.delete(ns);
  }

  private readonly syncIndex = new Map<string, SyncHeap>();

  private heapOf(tx: UnitOfWork): SyncHeap {
    let h = this.syncIndex.get(tx.namespace);
    if (!h) {
      h = new SyncHeap();
      for (const r of tx.collection<SubscriptionRecord>(Col.subscriptions).find((x) => x.nextSyncAt !== undefined)) h.push({ at: r.nextSyncAt!, id: r.id });
      this.syncIndex.set(tx.namespace, h);
    }
    return h;
  }

  /** the earliest entry that still matches its record; stale entries are dropped on the way */
  private nextSync(tx: UnitOfWork): SyncEntry | undefined {
    const h = this.heapOf(tx);
    const col = tx.collection<SubscriptionRecord>(Col.subscriptions);
    for (let e = h.peek(); e; e = h.peek()) {
      if (col.get(e.id)?.nextSyncAt === e.at) return e;
      h.pop();
    }
    return undefined;
  }

  private syncJob(namespace: string, at: string): DueJob {
    return {
      name: SYNC_JOB,
      namespace,
      dueAt: new Date(at),
      run: (work) => {
        const h = this.heapOf(work);
        const col = work.collection<SubscriptionRecord>(Col.subscriptions);
        const taken: SyncEntry[] = [];
        try {
          while (h.peek() && h.peek()!.at <= at) {
            const e = h.pop()!;
            taken.push(e);
            const cur = col.get(e.id);
            if (cur && cur.nextSyncAt === e.at) this.save(work, cur, new Date(e.at), true);
          }
        } catch (err) {
          // the unit of work is discarded: its entries must stay due
          for (const e of taken) h.push(e);
          throw err;
        }
      },
    };
  }

  /**
   * Billing follows subscription events after they commit (OpenMeter's subscription-sync worker
   * handles Created / Updated / Continued / Cancelled / Deleted): it syncs the customer's lines,
   * up to the subscription's end when `until` is given, and invoices what is billable now.
   */
  private changed(tx: UnitOfWork, rec: SubscriptionRecord, until?: Date): void {
    tx.afterCommit({ type: EffectType.subscriptionChanged, customerId: rec.customerId, subscriptionId: rec.id, ...(until ? { until: iso(until) } : {}) });
  }

  /**
   * Stores the record after reconciling the entitlements it holds with what it wants at `at`
   * (default now), and remembers the next instant at which that changes.
   */
  private save(tx: UnitOfWork, rec: SubscriptionRecord, at: Date = this.now(), fromJob = false): void {
    const wanted = rec.deletedAt ? new Map<string, WantedEntitlement>() : this.wantedEntitlements(tx, rec, at);
    const held: ManagedEntitlementRef[] = [];
    for (const ref of rec.entitlements) {
      const w = wanted.get(ref.itemId);
      if (w && w.fingerprint === ref.fingerprint) {
        held.push(ref);
        wanted.delete(ref.itemId);
      } else {
        this.deps.entitlements.deleteManagedEntitlement(tx, { entitlementId: ref.entitlementId });
      }
    }
    for (const [itemId, w] of wanted) {
      try {
        const e = this.deps.entitlements.createManagedEntitlement(tx, { ...w.input, subscriptionId: rec.id, ...(rec.usageScope ? { usageBySubscription: true } : {}) });
        held.push({ itemId, entitlementId: e.id, fingerprint: w.fingerprint });
      } catch (err) {
        // a job cannot fail the clock: an entitlement the customer already holds manually stays
        if (!(fromJob && isDomainError(err) && err.kind === ErrorKind.conflict)) throw err;
      }
    }
    const nextSync = rec.deletedAt ? undefined : this.nextBoundary(tx, rec, at);
    const out: SubscriptionRecord = { ...rec, entitlements: held };
    if (nextSync) out.nextSyncAt = iso(nextSync);
    else delete out.nextSyncAt;
    tx.collection<SubscriptionRecord>(Col.subscriptions).put(out);
    if (out.nextSyncAt) this.heapOf(tx).push({ at: out.nextSyncAt, id: out.id });
  }

  private wantedEntitlements(tx: UnitOfWork, rec: SubscriptionRecord, at: Date): Map<string, WantedEntitlement> {
    const out = new Map<string, WantedEntitlement>();
    const t = at.getTime();
    if (t < ms(rec.activeFrom) || (rec.activeTo && t >= ms(rec.activeTo))) return out;
    const phase = this.phaseAtRecord(rec, at);
    if (!phase) return out;
    const addons = tx.collection<SubscriptionAddonRecord>(Col.subscriptionAddons).find((a) => a.subscriptionId === rec.id && !a.deletedAt);
    const qtyAt = (a: SubscriptionAddonRecord) => quantityAt(a, t);
    for (const item of phase.items) {
      if (!this.itemActiveAt(rec, phase, item, at)) continue;
      let template = item.rateCard.entitlementTemplate;
      const featureKey = item.rateCard.featureKey;
      if (!featureKey) continue;
      // subscription/addon/extend.go: an add-on rate card of the same key adds its metered issueAfterReset × quantity
      for (const a of addons) {
        const q = qtyAt(a);
        const rc = a.rateCards.find((r) => r.key === item.key);
        if (!rc || q <= 0 || !rc.entitlementTemplate) continue;
        template = mergeTemplate(template, rc.entitlementTemplate, q);
      }
      if (!template) continue;
      out.set(item.id, this.entitlementInput(rec, item.rateCard, template, featureKey, new Date(this.phaseStart(rec, phase))));
    }
    // add-on rate cards for keys the phase does not have become entitlements of their own
    for (const a of addons) {
      const q = qtyAt(a);
      if (q <= 0) continue;
      for (const rc of a.rateCards) {
        if (!rc.featureKey || !rc.entitlementTemplate || phase.items.some((i) => i.key === rc.key && this.itemActiveAt(rec, phase, i, at))) continue;
        out.set(`${a.id}/${rc.key}`, this.entitlementInput(rec, rc, mergeTemplate(undefined, rc.entitlementTemplate, q)!, rc.featureKey, new Date(this.phaseStart(rec, phase))));
      }
    }
    return out;
  }

  /**
   * The entitlement of an item (subscriptionspec.go ToScheduleSubscriptionEntitlementInput):
   * metered usage is measured from the phase start, its periods run from the billing anchor,
   * both at minute resolution (the entitlement engine floors them).
   */
  private entitlementInput(rec: SubscriptionRecord, rc: RateCard, template: EntitlementTemplate, featureKey: string, phaseStart: Date): WantedEntitlement {
    const base = { customer: rec.customerId, featureKey, ...(template.metadata ? { metadata: template.metadata } : {}) };
    let input: CreateEntitlementInput;
    if (template.type === 'metered') {
      input = {
        ...base,
        type: 'metered',
        usagePeriod: { interval: template.usagePeriod ?? rc.billingCadence ?? rec.billingCadence, anchor: new Date(rec.billingAnchor) },
        measureUsageFrom: phaseStart,
        ...(template.isSoftLimit !== undefined ? { isSoftLimit: template.isSoftLimit } : {}),
        ...(template.preserveOverageAtReset !== undefined ? { preserveOverageAtReset: template.preserveOverageAtReset } : {}),
        ...(template.issueAfterReset !== undefined
          ? { issueAfterReset: { amount: String(template.issueAfterReset), ...(template.issueAfterResetPriority !== undefined ? { priority: template.issueAfterResetPriority } : {}) } }
          : {}),
      };
    } else if (template.type === 'static') {
      input = { ...base, type: 'static', config: template.config };
    } else {
      input = { ...base, type: 'boolean' };
    }
    return { input, fingerprint: JSON.stringify([featureKey, template]) };
  }

  /** The first instant after `at` where a phase, an item version, the end or an add-on step begins. */
  private nextBoundary(tx: UnitOfWork, rec: SubscriptionRecord, at: Date): Date | undefined {
    const t = at.getTime();
    let best: number | undefined;
    const consider = (v: number | undefined) => {
      if (v !== undefined && v > t && (best === undefined || v < best)) best = v;
    };
    const interesting = rec.phases.some((p) => p.items.some((i) => i.rateCard.entitlementTemplate)) || rec.entitlements.length > 0;
    const addons = tx.collection<SubscriptionAddonRecord>(Col.subscriptionAddons).find((a) => a.subscriptionId === rec.id && !a.deletedAt);
    if (!interesting && !addons.some((a) => a.rateCards.some((r) => r.entitlementTemplate))) return undefined;
    consider(ms(rec.activeFrom));
    if (rec.activeTo) consider(ms(rec.activeTo));
    for (const p of rec.phases) {
      consider(ms(this.phaseStart(rec, p)));
      for (const i of p.items) {
        const w = this.itemWindow(rec, p, i);
        consider(w.from.getTime());
        consider(w.to?.getTime());
      }
    }
    for (const a of addons) for (const q of a.quantities) consider(ms(q.activeFrom));
    return best === undefined ? undefined : new Date(best);
  }

  // ------------------------------------------------------------------------------ building

  private customerOf(tx: UnitOfWork, ref: { id?: string; key?: string }): Customer {
    const idOrKey = ref.id || ref.key;
    if (!idOrKey) throw invalid(E.customerRequired, 'customer id or key is required', 'customerId');
    const c = this.deps.customers.getCustomer(tx, { idOrKey });
    if (c.deletedAt) throw new DomainError(ErrorKind.preconditionFailed, E.customerDeleted, `customer is deleted [customer.id=${c.id}]`);
    return c;
  }

  private planSource(tx: UnitOfWork, ref: PlanRef | undefined, custom: CustomPlanInput | undefined, latest: boolean, now: Date): PlanSource {
    if (custom) {
      const shape = this.deps.plans.validateCustomPlan(tx, custom);
      return stripUndefined({
        name: custom.name,
        description: custom.description,
        metadata: custom.metadata ?? undefined,
        currency: shape.currency,
        billingCadence: shape.billingCadence,
        proRatingConfig: shape.proRatingConfig,
        settlementMode: custom.settlementMode ?? 'credit_then_invoice',
        phases: shape.phases,
      });
    }
    if (!ref || (!ref.id && !ref.key)) throw invalid(E.planRequired, 'plan id or key is required', 'plan');
    const plan = ref.id
      ? this.deps.plans.getPlan(tx, { idOrKey: ref.id })
      : this.deps.plans.getPlan(tx, { idOrKey: ref.key!, ...(ref.version !== undefined ? { version: ref.version } : latest ? { includeLatest: true } : {}) });
    if (plan.deletedAt && ms(plan.deletedAt) <= now.getTime()) {
      throw invalid(E.planDeleted, `plan is deleted [key=${plan.key}, version=${plan.version}, deleted_at=${plan.deletedAt}]`, 'plan');
    }
    if (plan.status !== 'active') throw invalid(E.planNotActive, `plan ${plan.key}@${plan.version} is not active at ${iso(now)}`, 'plan');
    return stripUndefined({
      ref: { id: plan.id, key: plan.key, version: plan.version },
      name: plan.name,
      description: plan.description,
      metadata: plan.metadata,
      currency: plan.currency,
      billingCadence: plan.billingCadence,
      proRatingConfig: plan.proRatingConfig,
      settlementMode: plan.settlementMode ?? 'credit_then_invoice',
      phases: plan.phases,
    });
  }

  private build(
    tx: UnitOfWork,
    customer: Customer,
    source: PlanSource,
    opts: {
      activeFrom: Date;
      billingAnchor?: string;
      name?: string;
      description?: string;
      metadata?: Record<string, string>;
      settlementMode?: SettlementMode;
      costBasisMode?: CostBasisMode;
      startingPhase?: string;
    },
  ): SubscriptionRecord {
    const now = iso(this.now());
    if (customer.currency && customer.currency !== source.currency && source.phases.some((p) => p.rateCards.some((rc) => rc.price))) {
      throw invalid(E.currencyMismatch, `currency mismatch: customer currency ${customer.currency}, plan currency ${source.currency}`, 'currency');
    }
    let phases = source.phases;
    if (opts.startingPhase !== undefined) {
      const i = phases.findIndex((p) => p.key === opts.startingPhase);
      if (i < 0) throw invalid(E.startingPhaseNotFound, `starting phase ${opts.startingPhase} not found in plan`, 'startingPhase');
      phases = phases.slice(i);
    }
    let anchor = floorToSecond(opts.activeFrom);
    if (opts.billingAnchor !== undefined) {
      anchor = floorToSecond(new Date(opts.billingAnchor));
      if (Number.isNaN(anchor.getTime())) throw invalid(E.invalidInput, `invalid billingAnchor ${opts.billingAnchor}`, 'billingAnchor');
    }
    const offsets: string[] = [];
    const built: SubscriptionPhaseRecord[] = phases.map((p, i) => {
      const startAfter = sumDurations(offsets);
      if (p.duration && i < phases.length - 1) offsets.push(p.duration);
      return stripUndefined({
        id: this.deps.ids.next(),
        key: p.key,
        name: p.name,
        description: p.description,
        metadata: p.metadata,
        startAfter,
        items: p.rateCards.map((rc) => this.newItem(structuredClone(rc), 0, now)),
        createdAt: now,
        updatedAt: now,
      });
    });
    return stripUndefined({
      id: this.deps.ids.next(),
      name: opts.name || source.name,
      description: opts.description ?? source.description,
      metadata: opts.metadata ?? source.metadata,
      customerId: customer.id,
      plan: source.ref,
      currency: source.currency,
      billingCadence: source.billingCadence,
      billingAnchor: iso(anchor),
      proRatingConfig: source.proRatingConfig,
      settlementMode: opts.settlementMode ?? source.settlementMode,
      settledByCharges: opts.settlementMode !== undefined || source.settlementMode === 'credit_only' ? true : undefined,
      costBasisMode: opts.costBasisMode ?? CostBasisMode.dynamic,
      activeFrom: iso(floorToSecond(opts.activeFrom)),
      phases: built,
      entitlements: [],
      createdAt: now,
      updatedAt: now,
    });
  }

  private newItem(rateCard: RateCard, version: number, stamp: string): SubscriptionItemRecord {
    return stripUndefined({
      id: this.deps.ids.next(),
      key: rateCard.key,
      name: rateCard.name,
      description: rateCard.description,
      metadata: rateCard.metadata,
      rateCard,
      version,
      createdAt: stamp,
      updatedAt: stamp,
    });
  }

  private normalizeRateCard(tx: UnitOfWork, rc: RateCard): RateCard {
    if (!rc.featureKey) return rc;
    const f = this.deps.features.getFeature(tx, { idOrKey: rc.featureKey });
    return { ...rc, featureId: f.id };
  }

  /**
   * subscription/uniqueness.go. `single`: [activeFrom, activeTo) may not overlap another
   * subscription of the customer. `byFeature`: items with an entitlement template or a price may
   * not run at the same time as such an item of the same key in another subscription.
   * `bySubscription`: no engine rule (the Zuplo cap, one per plan key, is monetization's).
   */
  private assertNoOverlap(tx: UnitOfWork, rec: SubscriptionRecord, ignore: string[], mode: MultiSubscriptionMode): void {
    if (mode === MultiSubscriptionMode.bySubscription) return;
    const others = this.customerSubscriptions(tx, rec.customerId).filter((o) => o.id !== rec.id && !ignore.includes(o.id));
    const overlaps = (aFrom: number, aTo: number, bFrom: number, bTo: number) => aFrom < bTo && bFrom < aTo;
    if (mode === MultiSubscriptionMode.single) {
      const from = ms(rec.activeFrom);
      const to = rec.activeTo ? ms(rec.activeTo) : Infinity;
      for (const other of others) {
        if (overlaps(from, to, ms(other.activeFrom), other.activeTo ? ms(other.activeTo) : Infinity)) {
          throw issueError(ErrorKind.conflict, E.onlySingleSubscriptionAllowed, 'only single subscription is allowed per customer at a time');
        }
      }
      return;
    }
    const mine = this.relevantItemWindows(rec);
    for (const other of others) {
      for (const b of this.relevantItemWindows(other)) {
        for (const a of mine) {
          if (a.key === b.key && overlaps(a.from, a.to, b.from, b.to)) {
            throw issueError(
              ErrorKind.conflict,
              E.onlySingleSubscriptionItemAllowed,
              'for any given feature, only one subscription item with entitlements or billable prices can exist at a time',
              `phases.${a.phaseKey}.items.${a.key}`,
            );
          }
        }
      }
    }
  }

  /** the windows of a subscription's items that have an entitlement template or a price (uniqueness.go itemIsRelevant) */
  private relevantItemWindows(rec: SubscriptionRecord): Array<{ key: string; phaseKey: string; from: number; to: number }> {
    const out: Array<{ key: string; phaseKey: string; from: number; to: number }> = [];
    for (const { phase } of this.phaseWindows(rec)) {
      for (const i of phase.items) {
        if (!i.rateCard.entitlementTemplate && !i.rateCard.price) continue;
        const w = this.itemWindow(rec, phase, i);
        const to = w.to ? w.to.getTime() : Infinity;
        if (to > w.from.getTime()) out.push({ key: i.key, phaseKey: phase.key, from: w.from.getTime(), to });
      }
    }
    return out;
  }

  private customerSubscriptions(tx: UnitOfWork, customerId: string): SubscriptionRecord[] {
    return tx.collection<SubscriptionRecord>(Col.subscriptions).find((s) => s.customerId === customerId && !s.deletedAt);
  }

  // ------------------------------------------------------------------------------ views and timeline helpers

  private byId(tx: UnitOfWork, id: string): SubscriptionRecord {
    const rec = tx.collection<SubscriptionRecord>(Col.subscriptions).get(id);
    if (!rec || rec.deletedAt) throw notFound(E.notFound, `subscription ${id} not found`);
    return rec;
  }

  private requireStatus(rec: SubscriptionRecord, now: Date, action: string, allowed: SubscriptionStatus[]): void {
    const status = statusAt(this.spec(rec), now, { deleted: !!rec.deletedAt });
    if (!allowed.includes(status)) throw transitionNotAllowed(action, status);
  }

  spec(rec: SubscriptionRecord): SubscriptionSpec {
    return stripUndefined({
      id: rec.id,
      customerId: rec.customerId,
      currency: rec.currency,
      activeFrom: rec.activeFrom,
      activeTo: rec.activeTo,
      billingAnchor: rec.billingAnchor,
      billingCadence: rec.billingCadence,
      proRatingConfig: rec.proRatingConfig,
      phases: rec.phases.map((p) => ({
        key: p.key,
        startAfter: p.startAfter,
        items: p.items.map((i) =>
          stripUndefined({ key: i.key, rateCard: i.rateCard, activeFromOverride: i.activeFromOverride, activeToOverride: i.activeToOverride, version: i.version }),
        ),
      })),
    });
  }

  /**
   * The spec billing reads: the subscription's own items with its add-ons applied
   * (subscription/addon/diff), so add-on rate cards become invoice lines (merged into the item of
   * the same key or as items of their own) for exactly the time their instances run.
   */
  billingSpec(tx: UnitOfWork, rec: SubscriptionRecord): SubscriptionSpec {
    const addons = tx.collection<SubscriptionAddonRecord>(Col.subscriptionAddons).find((a) => a.subscriptionId === rec.id && !a.deletedAt);
    const spec = this.spec(rec);
    if (!addons.length) return spec;
    return applyAddons(
      spec,
      addons.map((a) => ({ rateCards: a.rateCards, segments: addonTimeline(a, rec.activeTo) })),
    );
  }

  /**
   * What billing's subscription sync reads at every look for due work: the live subscription
   * records (of one customer, if given) in the order the list shows them, each with its billing
   * spec and that spec as text (billing keeps its target lines by it). A stored record is never
   * changed in place, so the spec of one without add-ons is built once per record, not at every
   * ask; the add-ons are gathered in one pass, not one per subscription.
   */
  billedSubscriptions(tx: UnitOfWork, input: { customerId?: string } = {}): Array<{ rec: SubscriptionRecord; spec: SubscriptionSpec; specKey: string }> {
    const recs = tx.collection<SubscriptionRecord>(Col.subscriptions).find((s) => !s.deletedAt && (input.customerId === undefined || s.customerId === input.customerId));
    const addonsOf = new Map<string, SubscriptionAddonRecord[]>();
    for (const a of tx.collection<SubscriptionAddonRecord>(Col.subscriptionAddons).find((x) => !x.deletedAt)) {
      const list = addonsOf.get(a.subscriptionId);
      if (list) list.push(a);
      else addonsOf.set(a.subscriptionId, [a]);
    }
    return sortBy(recs, (r) => r.activeFrom, 'ASC').map((rec) => {
      const addons = addonsOf.get(rec.id);
      if (addons) {
        const spec = applyAddons(this.spec(rec), addons.map((a) => ({ rateCards: a.rateCards, segments: addonTimeline(a, rec.activeTo) })));
        return { rec, spec, specKey: JSON.stringify(spec) };
      }
      let kept = this.plainSpecs.get(rec);
      if (!kept) {
        const spec = this.spec(rec);
        kept = { spec, specKey: JSON.stringify(spec) };
        this.plainSpecs.set(rec, kept);
      }
      return { rec, ...kept };
    });
  }

  private readonly plainSpecs = new WeakMap<SubscriptionRecord, { spec: SubscriptionSpec; specKey: string }>();

  /**
   * The id billing shows for an item an add-on created (a key the phase does not have): the
   * subscription add-on's id (OpenMeter creates a subscription item of its own there).
   */
  addonItemId(tx: UnitOfWork, rec: SubscriptionRecord, itemKey: string): string | undefined {
    return tx
      .collection<SubscriptionAddonRecord>(Col.subscriptionAddons)
      .find((a) => a.subscriptionId === rec.id && !a.deletedAt && a.rateCards.some((r) => r.key === itemKey))
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1))[0]?.id;
  }

  private withStatus(rec: SubscriptionRecord, now: Date): Subscription {
    return { ...rec, status: statusAt(this.spec(rec), now, { deleted: !!rec.deletedAt }) };
  }

  private phaseStart(rec: SubscriptionRecord, p: SubscriptionPhaseRecord): string {
    return iso(floorToSecond(addDuration(new Date(rec.activeFrom), parseDuration(p.startAfter) ?? parseDuration('P0D')!)));
  }

  /** phase windows as the engine resolves them (phases that never run are left out) */
  private phaseWindows(rec: SubscriptionRecord): Array<{ phase: SubscriptionPhaseRecord; from: Date; to?: Date }> {
    const byKey = new Map(rec.phases.map((p) => [p.key, p]));
    return resolvePhases(this.spec(rec)).map((r) => ({ phase: byKey.get(r.key)!, from: r.period.from, ...(r.period.to ? { to: r.period.to } : {}) }));
  }

  private phaseAtRecord(rec: SubscriptionRecord, at: Date): SubscriptionPhaseRecord | undefined {
    const t = at.getTime();
    return this.phaseWindows(rec).find((w) => w.from.getTime() <= t && (!w.to || w.to.getTime() > t))?.phase;
  }

  private phaseEnd(rec: SubscriptionRecord, p: SubscriptionPhaseRecord): Date | undefined {
    const w = this.phaseWindows(rec).find((x) => x.phase === p || x.phase.key === p.key);
    if (w) return w.to;
    const starts = rec.phases.map((x) => ms(this.phaseStart(rec, x))).filter((s) => s > ms(this.phaseStart(rec, p)));
    const next = starts.length > 0 ? Math.min(...starts) : undefined;
    const end = rec.activeTo ? ms(rec.activeTo) : undefined;
    const to = next !== undefined && end !== undefined ? Math.min(next, end) : (next ?? end);
    return to === undefined ? undefined : new Date(to);
  }

  private itemWindow(rec: SubscriptionRecord, p: SubscriptionPhaseRecord, i: SubscriptionItemRecord): { from: Date; to?: Date } {
    const start = new Date(this.phaseStart(rec, p));
    let from = start;
    let to = this.phaseEnd(rec, p);
    if (i.activeFromOverride) {
      const f = floorToSecond(addDuration(start, parseDuration(i.activeFromOverride)!));
      if (f.getTime() > from.getTime()) from = f;
    }
    if (i.activeToOverride) {
      const e = floorToSecond(addDuration(start, parseDuration(i.activeToOverride)!));
      if (!to || e.getTime() < to.getTime()) to = e;
    }
    return to ? { from, to } : { from };
  }

  private itemActiveAt(rec: SubscriptionRecord, p: SubscriptionPhaseRecord, i: SubscriptionItemRecord, at: Date): boolean {
    const w = this.itemWindow(rec, p, i);
    return w.from.getTime() <= at.getTime() && (!w.to || w.to.getTime() > at.getTime()) && (!w.to || w.to.getTime() > w.from.getTime());
  }

  private featureOf(tx: UnitOfWork, rc: RateCard): Feature | undefined {
    const ref = rc.featureId ?? rc.featureKey;
    if (!ref) return undefined;
    try {
      return this.deps.features.getFeature(tx, { idOrKey: ref });
    } catch (err) {
      if (isDomainError(err)) return undefined;
      throw err;
    }
  }

  private view(tx: UnitOfWork, rec: SubscriptionRecord): SubscriptionView {
    const now = this.now();
    const sub = this.withStatus(rec, now);
    const entitlementOf = new Map(rec.entitlements.map((e) => [e.itemId, e.entitlementId]));
    const phaseViews: SubscriptionPhaseView[] = this.phaseWindows(rec).map(({ phase, from, to }) => ({
      ...phase,
      activeFrom: iso(from),
      ...(to ? { activeTo: iso(to) } : {}),
      items: phase.items
        .map((i): SubscriptionItemView => {
          const w = this.itemWindow(rec, phase, i);
          const ent = entitlementOf.get(i.id);
          const feature = this.featureOf(tx, i.rateCard);
          const entitlement = ent ? this.deps.entitlements.getEntitlementById(tx, ent) : undefined;
          return {
            ...i,
            activeFrom: iso(w.from),
            ...(w.to ? { activeTo: iso(w.to) } : {}),
            ...(ent ? { entitlementId: ent } : {}),
            ...(feature ? { feature } : {}),
            ...(entitlement ? { entitlement } : {}),
          };
        })
        .sort((a, b) => (a.key === b.key ? a.version - b.version : a.key < b.key ? -1 : 1)),
    }));
    let currentPeriod: SubscriptionView['currentPeriod'];
    try {
      if (sub.status === 'active' || sub.status === 'canceled') {
        const p = alignedBillingPeriodAt(this.spec(rec), now);
        currentPeriod = { from: iso(p.from), to: iso(p.to) };
      }
    } catch (err) {
      if (!isDomainError(err)) throw err;
    }
    return { ...sub, asOf: iso(now), phaseViews, ...(currentPeriod ? { currentPeriod } : {}) };
  }
}

interface WantedEntitlement {
  input: CreateEntitlementInput;
  fingerprint: string;
}

/** subscription/addon/extend.go for entitlement templates: metered issueAfterReset adds up (× quantity); others keep the base. */
function mergeTemplate(base: EntitlementTemplate | undefined, add: EntitlementTemplate, quantity: number): EntitlementTemplate | undefined {
  if (!base) {
    if (add.type !== 'metered' || add.issueAfterReset === undefined) return add;
    return { ...add, issueAfterReset: add.issueAfterReset * quantity };
  }
  if (base.type === 'metered' && add.type === 'metered') {
    return { ...base, issueAfterReset: (base.issueAfterReset ?? 0) + (add.issueAfterReset ?? 0) * quantity };
  }
  return base;
}

export function quantityAt(a: SubscriptionAddonRecord, t: number): number {
  let q = 0;
  for (const step of a.quantities) if (ms(step.activeFrom) <= t) q = step.quantity;
  return q;
}

/** The quantity steps as segments, cut at the subscription end. */
export function addonTimeline(a: SubscriptionAddonRecord, subscriptionEnd?: string): AddonTimelineSegment[] {
  const out: AddonTimelineSegment[] = [];
  const steps = [...a.quantities].sort((x, y) => ms(x.activeFrom) - ms(y.activeFrom));
  steps.forEach((s, i) => {
    const nextFrom = steps[i + 1]?.activeFrom;
    let to = nextFrom;
    if (subscriptionEnd && (!to || ms(subscriptionEnd) < ms(to))) to = subscriptionEnd;
    if (to && ms(to) <= ms(s.activeFrom)) return;
    out.push({ activeFrom: s.activeFrom, ...(to ? { activeTo: to } : {}), quantity: s.quantity });
  });
  return out;
}
