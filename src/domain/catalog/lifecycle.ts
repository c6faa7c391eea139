/**
 * Status of versioned catalog resources (plans, add-ons), computed from the effective period
 * and the clock — never stored, so moving the clock changes it.
 */
import type { AddonStatus, PlanStatus } from './types.ts';

export interface EffectivePeriod {
  effectiveFrom?: string;
  effectiveTo?: string;
}

export function planStatusAt(p: EffectivePeriod, now: Date): PlanStatus {
  if (!p.effectiveFrom) return 'draft';
  const t = now.getTime();
  const from = Date.parse(p.effectiveFrom);
  const to = p.effectiveTo ? Date.parse(p.effectiveTo) : undefined;
  if (to !== undefined && to <= t) return 'archived';
  if (from > t) return 'scheduled';
  return 'active';
}

/** Add-ons have no `scheduled` status on the wire: publishing one in the future is rejected. */
export function addonStatusAt(p: EffectivePeriod, now: Date): AddonStatus {
  const s = planStatusAt(p, now);
  return s === 'scheduled' ? 'draft' : s;
}

/** A versioned catalog item (plan or add-on) as list filters see it. */
interface VersionedItem {
  id: string;
  key: string;
  version: number;
  currency: string;
  deletedAt?: string;
}

export interface VersionedListFilter<S extends string> {
  id?: string[];
  key?: string[];
  keyVersion?: Record<string, number[]>;
  status?: S[];
  currency?: string[];
  includeDeleted?: boolean;
}

/** Plans and add-ons are listed by the same filters; an empty list means "any". */
export function matchesVersionedFilter<S extends string>(item: VersionedItem, status: S, f: VersionedListFilter<S>): boolean {
  const has = <T>(list: T[] | undefined, v: T) => !list || list.length === 0 || list.includes(v);
  const kv = f.keyVersion && Object.keys(f.keyVersion).length > 0 ? f.keyVersion : undefined;
  return (
    (f.includeDeleted || !item.deletedAt) &&
    has(f.id, item.id) &&
    has(f.key, item.key) &&
    has(f.currency, item.currency) &&
    has(f.status, status) &&
    (!kv || (kv[item.key] ?? []).includes(item.version))
  );
}
