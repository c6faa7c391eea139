import type { FilterString, FilterTime } from './types.ts';

/** OpenMeter FilterString / FilterTime semantics, shared by event listing and group-by filters. */

const likeCache = new Map<string, RegExp>();
function likeRe(pattern: string, flags: string): RegExp {
  const key = flags + pattern;
  let re = likeCache.get(key);
  if (!re) {
    // SQL LIKE: % any run, _ one character
    const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
    re = new RegExp(`^${body}$`, flags);
    likeCache.set(key, re);
  }
  return re;
}

export function matchString(v: string, f: FilterString | undefined): boolean {
  if (!f) return true;
  if (f.$eq != null && v !== f.$eq) return false;
  if (f.$ne != null && v === f.$ne) return false;
  if (f.$in != null && !f.$in.includes(v)) return false;
  if (f.$nin != null && f.$nin.includes(v)) return false;
  if (f.$like != null && !likeRe(f.$like, '').test(v)) return false;
  if (f.$nlike != null && likeRe(f.$nlike, '').test(v)) return false;
  if (f.$ilike != null && !likeRe(f.$ilike, 'i').test(v)) return false;
  if (f.$nilike != null && likeRe(f.$nilike, 'i').test(v)) return false;
  if (f.$gt != null && !(v > f.$gt)) return false;
  if (f.$gte != null && !(v >= f.$gte)) return false;
  if (f.$lt != null && !(v < f.$lt)) return false;
  if (f.$lte != null && !(v <= f.$lte)) return false;
  if (f.$and != null && !f.$and.every((x) => matchString(v, x))) return false;
  if (f.$or != null && f.$or.length && !f.$or.some((x) => matchString(v, x))) return false;
  return true;
}

export function matchTime(ms: number, f: FilterTime | undefined): boolean {
  if (!f) return true;
  const at = (s: string) => Date.parse(s);
  if (f.$gt != null && !(ms > at(f.$gt))) return false;
  if (f.$gte != null && !(ms >= at(f.$gte))) return false;
  if (f.$lt != null && !(ms < at(f.$lt))) return false;
  if (f.$lte != null && !(ms <= at(f.$lte))) return false;
  if (f.$and != null && !f.$and.every((x) => matchTime(ms, x))) return false;
  if (f.$or != null && f.$or.length && !f.$or.some((x) => matchTime(ms, x))) return false;
  return true;
}
