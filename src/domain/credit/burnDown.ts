import type { Decimal } from 'decimal.js';
import { D } from '../shared/money.ts';
import { floorToMinute } from '../shared/period.ts';
import { boundariesBetween, boundaryIndexAt, nthBoundary } from '../shared/recurrence.ts';
import { BurnOrders, burn } from './burn.ts';
import {
  burnSourceOf,
  grantEndMs,
  grantStartMs,
  isActiveAt,
  recurrenceOf,
  type BurnSegment,
  type EngineSnapshot,
  type Grant,
  type GrantUsage,
  type MeterAggregationName,
  type UsageQuery,
} from './types.ts';

/**
 * The burn-down engine between two resets (`credit/engine/run.go`): split [from, until) into
 * phases wherever a grant starts, stops or recurs, then burn each phase's usage plus the carried
 * overage through the active grants in burn order.
 */

export interface RunEngineInput {
  grants: readonly Grant[];
  from: EngineSnapshot;
  until: Date;
  usage: UsageQuery;
  meterAggregation: MeterAggregationName | string;
  /**
   * When `until` equals the snapshot instant, still run one zero-length phase [until, until]: the
   * real engine does so for the period after a reset that falls exactly on its `until` (the phase
   * applies the events at that instant and burns any carried overage through them).
   */
  zeroLengthPhase?: boolean;
}

export interface RunEngineResult {
  /** state at `until`, events at `until` not yet applied (see EngineSnapshot) */
  snapshot: EngineSnapshot;
  segments: BurnSegment[];
}

const ZERO = new D(0);

/** Is t (a minute) one of the grant's recurrence instants after its effectiveAt? */
export function isRecurrenceAt(g: Grant, t: Date): boolean {
  const rec = recurrenceOf(g);
  if (!rec || t.getTime() <= grantStartMs(g)) return false;
  const b = nthBoundary(rec.anchor, rec.interval, boundaryIndexAt(rec.anchor, rec.interval, t));
  return floorToMinute(b).getTime() === t.getTime();
}

/** Sorted distinct instants in (from, until) where some grant's activity changes or it recurs. */
export function phaseBoundaries(grants: readonly Grant[], from: Date, until: Date): Date[] {
  const lo = from.getTime();
  const hi = until.getTime();
  const set = new Set<number>();
  const add = (t: number | undefined) => {
    if (t !== undefined && t > lo && t < hi) set.add(t);
  };
  for (const g of grants) {
    const start = grantStartMs(g);
    const end = grantEndMs(g);
    add(start);
    add(end);
    const rec = recurrenceOf(g);
    if (!rec) continue;
    const rFrom = new Date(Math.max(lo, start));
    const rTo = new Date(Math.min(hi, end ?? hi));
    for (const b of boundariesBetween(rec.anchor, rec.interval, rFrom, rTo)) add(floorToMinute(b).getTime());
  }
  return [...set].sort((a, b) => a - b).map((t) => new Date(t));
}

export interface PhaseState {
  balances: Record<string, Decimal>;
  overage: Decimal;
}

/**
 * Apply the grant events at phase start t: inactive grants leave, grants starting at t or
 * recurring at t get their full amount, active grants missing from the state (a snapshot taken
 * without them) start at their amount. LATEST meters make every grant a limit again and forget
 * the overage: the latest value is a level, so carrying it would count it twice.
 */
export function openPhase(state: PhaseState, grants: readonly Grant[], t: Date, latestIsLimit: boolean): PhaseState {
  const balances: Record<string, Decimal> = {};
  for (const g of grants) {
    if (!isActiveAt(g, t)) continue;
    const prev = state.balances[g.id];
    const fresh = latestIsLimit || prev === undefined || grantStartMs(g) === t.getTime() || isRecurrenceAt(g, t);
    balances[g.id] = fresh ? new D(g.amount) : prev;
  }
  return { balances, overage: latestIsLimit ? ZERO : state.overage };
}

/** Burn `amount` through the active grants in burn order (the burn core); what is left becomes overage. */
export function burnThrough(
  balances: Record<string, Decimal>,
  grants: readonly Grant[],
  amount: Decimal,
): { balances: Record<string, Decimal>; grantUsages: GrantUsage[]; overage: Decimal } {
  const out = { ...balances };
  // only grants open in this phase hold a balance; negative aggregates never refill them (the core burns nothing for them)
  const sources = grants.filter((g) => out[g.id] !== undefined).map((g) => burnSourceOf(g, out[g.id]!));
  const { allocations, uncovered } = burn(sources, { amount, order: BurnOrders.entitlement });
  const grantUsages: GrantUsage[] = allocations.map((a) => {
    out[a.sourceId] = out[a.sourceId]!.minus(a.amount);
    return { grantId: a.sourceId, usage: a.amount };
  });
  return { balances: out, grantUsages, overage: uncovered };
}

export const sumBalances = (balances: Record<string, Decimal>): Decimal => Object.values(balances).reduce<Decimal>((a, b) => a.plus(b), ZERO);

export const isLatest = (agg: string): boolean => agg === 'LATEST';

export function runEngine(input: RunEngineInput): RunEngineResult {
  const { grants, from, until, usage } = input;
  if (until.getTime() < from.at.getTime()) {
    throw new RangeError(`runEngine: until ${until.toISOString()} is before the snapshot at ${from.at.toISOString()}`);
  }
  const latest = isLatest(input.meterAggregation);
  const cuts = [from.at, ...phaseBoundaries(grants, from.at, until), until];
  const empty = input.zeroLengthPhase === true && until.getTime() === from.at.getTime();
  const segments: BurnSegment[] = [];
  let state: PhaseState = { balances: { ...from.balances }, overage: from.overage };
  for (let i = 0; i + 1 < cuts.length; i++) {
    const pFrom = cuts[i]!;
    const pTo = cuts[i + 1]!;
    if (pTo.getTime() <= pFrom.getTime() && !empty) continue;
    const opened = openPhase(state, grants, pFrom, latest);
    const u = usage(pFrom, pTo);
    const burned = burnThrough(opened.balances, grants, u.plus(opened.overage));
    segments.push({
      from: pFrom,
      to: pTo,
      usage: u,
      overageAtStart: opened.overage,
      balanceAtStart: sumBalances(opened.balances),
      balancesAtStart: opened.balances,
      grantUsages: burned.grantUsages,
      overageAtEnd: burned.overage,
      balanceAtEnd: sumBalances(burned.balances),
    });
    state = { balances: burned.balances, overage: burned.overage };
  }
  return { snapshot: { at: until, balances: state.balances, overage: state.overage }, segments };
}

/**
 * What a reader sees at `snapshot.at`: the snapshot with the events at that instant applied
 * (a grant expiring then shows 0, one starting then shows its amount). LATEST grants are not
 * refilled here: their balance is the limit minus the latest value seen so far.
 */
export function viewAt(snapshot: EngineSnapshot, grants: readonly Grant[]): PhaseState {
  return openPhase(snapshot, grants, snapshot.at, false);
}
