import type { Decimal } from 'decimal.js';
import { validationError } from '../shared/errors.ts';
import { D } from '../shared/money.ts';
import { ceilToMinute, floorToMinute } from '../shared/period.ts';
import { boundariesBetween, isZero, parseDuration, recurrencePeriodAt, type Duration } from '../shared/recurrence.ts';
import { runEngine, sumBalances, viewAt } from './burnDown.ts';
import { CreditErrorCode, rolloverAt } from './reset.ts';
import type { BurnSegment, EngineSnapshot, Grant, MeterAggregationName, UsageQuery } from './types.ts';

/** The slice of a metered entitlement the credit engine reads. */
export interface CreditEntitlement {
  /** usage before this instant is never counted; also the start of the first usage period */
  measureUsageFrom: Date;
  /** automatic resets at every `anchor + n × interval` after measureUsageFrom (anchor retained) */
  usagePeriod: { interval: string; anchor: Date };
  /** the last manual reset; with retainAnchor=false the caller has already moved `usagePeriod.anchor` to it */
  lastResetAt?: Date;
  isSoftLimit: boolean;
  preserveOverageAtReset: boolean;
  /** only read by `issueAfterResetGrant`; the default grant itself must be in `grants` */
  issueAfterReset?: Decimal | null;
  issueAfterResetPriority?: number | null;
}

export interface ReplayInput {
  entitlement: CreditEntitlement;
  grants: readonly Grant[];
  until: Date;
  usage: UsageQuery;
  meterAggregation: MeterAggregationName | string;
  /**
   * A saved engine snapshot to resume from (the one stored by the last manual reset, or a cache
   * point after it); it must reflect every grant in `grants`. Without it the whole history is
   * replayed from measureUsageFrom.
   */
  startingSnapshot?: EngineSnapshot;
}

export interface ReplayResult {
  /** engine state at `until`, events at `until` not applied */
  snapshot: EngineSnapshot;
  /**
   * every burn segment from the starting point to `until`, contiguous; each reset T adds a
   * zero-length rollover segment [T, T] after the segment that ends at T
   */
  segments: BurnSegment[];
  /** instants of the resets (manual and automatic) applied during the replay, ascending */
  resets: Date[];
  /** start of the usage period containing `until` (the last reset, or measureUsageFrom) */
  periodStart: Date;
  /**
   * grant usage of the current period that no returned segment shows: the starting snapshot's
   * `grantUsage` when the replay crossed no reset (it resumed inside the period it belongs to)
   */
  carriedGrantUsage: Decimal;
  /**
   * true when `until` is a reset and the replay ended with the empty period [until, until]: the
   * snapshot then already has the events at `until` applied (and leftover overage burnt by them)
   */
  eventsApplied: boolean;
}

function usageInterval(e: CreditEntitlement): Duration {
  const d = parseDuration(e.usagePeriod.interval);
  if (!d || isZero(d)) throw validationError('usage_period_invalid', `invalid usage period interval ${e.usagePeriod.interval}`);
  return d;
}

/**
 * Runs the engine from the start point to `until`, resetting at the manual reset and at every
 * usage-period boundary. Without a starting snapshot the boundaries before lastResetAt are taken
 * from the current anchor: exact when the anchor was retained, an approximation otherwise
 * (callers that re-anchor must keep the reset snapshot and pass it).
 */
export function replay(input: ReplayInput): ReplayResult {
  const { entitlement: e, grants, usage, meterAggregation } = input;
  const until = floorToMinute(input.until);
  const interval = usageInterval(e);
  const anchor = floorToMinute(e.usagePeriod.anchor);
  const measureFrom = floorToMinute(e.measureUsageFrom);
  const lastReset = e.lastResetAt ? floorToMinute(e.lastResetAt) : undefined;

  let cur: EngineSnapshot = input.startingSnapshot ?? { at: measureFrom, balances: {}, overage: new D(0) };
  if (cur.at.getTime() > until.getTime()) {
    throw new RangeError(`replay: starting snapshot ${cur.at.toISOString()} is after ${until.toISOString()}`);
  }
  const periodOf = (t: Date): number =>
    Math.max(recurrencePeriodAt(anchor, interval, t).from.getTime(), measureFrom.getTime(), lastReset && lastReset <= t ? lastReset.getTime() : -Infinity);
  let periodStart = new Date(periodOf(cur.at));

  const resetTimes = new Set<number>();
  for (const b of boundariesBetween(anchor, interval, cur.at, new Date(until.getTime() + 1))) resetTimes.add(floorToMinute(b).getTime());
  if (lastReset && lastReset > cur.at && lastReset <= until) resetTimes.add(lastReset.getTime());

  const segments: BurnSegment[] = [];
  const resets: Date[] = [];
  for (const t of [...resetTimes].sort((a, b) => a - b)) {
    const T = new Date(t);
    const run = runEngine({ grants, from: cur, until: T, usage, meterAggregation });
    const reset = rolloverAt(run.snapshot, grants, T, { preserveOverage: e.preserveOverageAtReset });
    segments.push(...run.segments, reset.segment);
    cur = reset.snapshot;
    resets.push(T);
    periodStart = T;
  }
  const endsOnReset = resets.length > 0 && resets[resets.length - 1]!.getTime() === until.getTime();
  const run = runEngine({ grants, from: cur, until, usage, meterAggregation, zeroLengthPhase: endsOnReset });
  segments.push(...run.segments);
  const carriedGrantUsage = resets.length === 0 ? (input.startingSnapshot?.grantUsage ?? new D(0)) : new D(0);
  return { snapshot: run.snapshot, segments, resets, periodStart, carriedGrantUsage, eventsApplied: endsOnReset };
}

export interface BalanceInput extends Omit<ReplayInput, 'until'> {
  at: Date;
}

export interface EntitlementBalance {
  /** the query instant ceiled to the minute: usage in a partial minute is included */
  at: Date;
  /** Σ grant balances at `at` (grants starting at `at` included, expiring at `at` excluded) */
  balance: Decimal;
  /** usageInPeriod: Σ phase usage since the last reset */
  usage: Decimal;
  /** usage not covered by grants */
  overage: Decimal;
  /** Σ grant burns since the last reset (the overage a reset paid included) + balance */
  totalAvailableGrantAmount: Decimal;
  hasAccess: boolean;
  startOfPeriod: Date;
  balances: Record<string, Decimal>;
  segments: BurnSegment[];
}

export function balanceAt(input: BalanceInput): EntitlementBalance {
  const at = ceilToMinute(input.at);
  const measureFrom = floorToMinute(input.entitlement.measureUsageFrom);
  if (at.getTime() < measureFrom.getTime()) {
    throw validationError(CreditErrorCode.balanceBeforeMeasureUsageFrom, `balance at ${at.toISOString()} is before measureUsageFrom ${measureFrom.toISOString()}`);
  }
  const r = replay({ ...input, until: at });
  // at a reset instant the closing empty phase has applied the events already; applying them again
  // would refill a grant starting then and undo what it paid of the leftover overage
  const view = r.eventsApplied ? { balances: r.snapshot.balances, overage: r.snapshot.overage } : viewAt(r.snapshot, input.grants);
  const inPeriod = r.segments.filter((s) => s.from.getTime() >= r.periodStart.getTime());
  const usage = inPeriod.reduce<Decimal>((a, s) => a.plus(s.usage), new D(0));
  // the rollover segment at the period start is in `inPeriod`: overage paid at the reset is grant
  // usage of the new period (engine/history.go getUsageSnapshotAtStartOfSegment)
  const grantUsage = inPeriod.reduce<Decimal>((a, s) => s.grantUsages.reduce<Decimal>((b, g) => b.plus(g.usage), a), r.carriedGrantUsage);
  const balance = sumBalances(view.balances);
  return {
    at,
    balance,
    usage,
    overage: view.overage,
    totalAvailableGrantAmount: grantUsage.plus(balance),
    hasAccess: input.entitlement.isSoftLimit || balance.gt(0),
    startOfPeriod: r.periodStart,
    balances: view.balances,
    segments: inPeriod,
  };
}
