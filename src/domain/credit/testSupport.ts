import type { Decimal } from 'decimal.js';
import { D } from '../shared/money.ts';
import type { Grant, UsageQuery } from './types.ts';

/** Test-only helpers: a compact grant builder and an in-memory meter over explicit events. */

export const at = (iso: string): Date => new Date(iso.endsWith('Z') ? iso : `${iso}Z`);

export interface UsageEvent {
  time: string;
  value: number | string;
}

/** SUM over [from, to) of the events, or the latest value in [from, to) for LATEST. */
export function meter(events: UsageEvent[], aggregation: 'SUM' | 'LATEST' = 'SUM'): UsageQuery & { calls: Array<[string, string]> } {
  const evs = events.map((e) => ({ t: at(e.time).getTime(), v: new D(e.value) })).sort((a, b) => a.t - b.t);
  const calls: Array<[string, string]> = [];
  const q = (from: Date, to: Date): Decimal => {
    calls.push([from.toISOString(), to.toISOString()]);
    const inside = evs.filter((e) => e.t >= from.getTime() && e.t < to.getTime());
    if (aggregation === 'LATEST') return inside.length ? inside[inside.length - 1]!.v : new D(0);
    return inside.reduce<Decimal>((a, e) => a.plus(e.v), new D(0));
  };
  return Object.assign(q, { calls });
}

export interface GrantSpec {
  id: string;
  amount: number | string;
  priority?: number;
  effectiveAt: string;
  expiresAt?: string;
  maxRollover?: number | string;
  minRollover?: number | string;
  recurrence?: { interval: string; anchor?: string };
  voidedAt?: string;
  deletedAt?: string;
  createdAt?: string;
}

/** Defaults: priority 1, v2-style maxRollover = amount, min 0, createdAt = effectiveAt. */
export function grant(s: GrantSpec): Grant {
  const g: Grant = {
    id: s.id,
    amount: new D(s.amount),
    priority: s.priority ?? 1,
    effectiveAt: at(s.effectiveAt),
    maxRolloverAmount: new D(s.maxRollover ?? s.amount),
    minRolloverAmount: new D(s.minRollover ?? 0),
    createdAt: at(s.createdAt ?? s.effectiveAt),
  };
  if (s.expiresAt) g.expiresAt = at(s.expiresAt);
  if (s.voidedAt) g.voidedAt = at(s.voidedAt);
  if (s.deletedAt) g.deletedAt = at(s.deletedAt);
  if (s.recurrence) g.recurrence = { interval: s.recurrence.interval, anchor: at(s.recurrence.anchor ?? s.effectiveAt) };
  return g;
}

/** Decimal record → plain strings, for readable toEqual assertions. */
export const str = (r: Record<string, Decimal>): Record<string, string> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.toString()]));
