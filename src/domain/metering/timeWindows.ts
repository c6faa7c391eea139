import { validationError } from '../shared/errors.ts';
import type { WindowSize } from './types.ts';

/**
 * Tumbling windows on the wall-clock grid of an IANA zone (ClickHouse tumbleStart/tumbleEnd
 * with a time zone). Offsets come from Intl, so DST days are 23 or 25 hours long. A query
 * asks for a handful of offsets per non-empty window, never per event.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw validationError('invalid_time_zone', `invalid time zone: ${tz}`);
    }
    formatters.set(tz, f);
  }
  return f;
}

export function assertTimeZone(tz: string): void {
  formatter(tz);
}

const isUtc = (tz: string): boolean => tz === 'UTC' || tz === 'Etc/UTC' || tz === 'GMT' || tz === 'Etc/GMT' || tz === 'Z';

/** Offset of `tz` from UTC at instant `ms`, in ms (wall = instant + offset). */
export function tzOffset(ms: number, tz: string): number {
  if (isUtc(tz)) return 0;
  const sec = Math.floor(ms / 1000) * 1000;
  const parts = formatter(tz).formatToParts(new Date(sec));
  let y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0, bc = false;
  for (const p of parts) {
    switch (p.type) {
      case 'year': y = Number(p.value); break;
      case 'month': mo = Number(p.value); break;
      case 'day': d = Number(p.value); break;
      case 'hour': h = Number(p.value); break;
      case 'minute': mi = Number(p.value); break;
      case 'second': s = Number(p.value); break;
      case 'era': bc = p.value === 'BC' || p.value === 'B'; break;
    }
  }
  if (bc) y = 1 - y;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC maps years 0..99 to 1900..1999
  const fixed = y >= 0 && y < 100 ? new Date(wall).setUTCFullYear(y) : wall;
  return fixed - sec;
}

/** Instant of a wall-clock time in `tz`; a wall time inside a DST gap resolves past the gap. */
export function wallToInstant(wall: number, tz: string): number {
  if (isUtc(tz)) return wall;
  const o1 = tzOffset(wall - tzOffset(wall, tz), tz);
  const t = wall - o1;
  const o2 = tzOffset(t, tz);
  return o2 === o1 ? t : wall - o2;
}

function floorWall(wall: number, size: WindowSize): number {
  switch (size) {
    case 'MINUTE': return Math.floor(wall / 60_000) * 60_000;
    case 'HOUR': return Math.floor(wall / 3_600_000) * 3_600_000;
    case 'DAY': return Math.floor(wall / 86_400_000) * 86_400_000;
    case 'MONTH': {
      const d = new Date(wall);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
  }
}

function addWall(wall: number, size: WindowSize): number {
  switch (size) {
    case 'MINUTE': return wall + 60_000;
    case 'HOUR': return wall + 3_600_000;
    case 'DAY': return wall + 86_400_000;
    case 'MONTH': {
      const d = new Date(wall);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
  }
}

/** Start instant of the window containing instant `t`. */
export function windowStartFor(t: number, size: WindowSize, tz: string): number {
  const off = tzOffset(t, tz);
  const wall = t + off;
  const wallStart = floorWall(wall, size);
  const candidate = t - (wall - wallStart);
  // same offset at the window start: no transition inside [start, t]
  if (isUtc(tz) || tzOffset(candidate, tz) === off) return candidate;
  const start = wallToInstant(wallStart, tz);
  return start <= t ? start : candidate;
}

/** [start, end) of the window containing instant `t`. */
export function windowFor(t: number, size: WindowSize, tz: string): [number, number] {
  const start = windowStartFor(t, size, tz);
  let end: number;
  if (size === 'MINUTE' || size === 'HOUR') {
    // fixed-length windows: the next window is the one containing start + length
    const len = size === 'MINUTE' ? 60_000 : 3_600_000;
    end = windowStartFor(start + len, size, tz);
    if (end <= start) end = start + len;
  } else {
    // the offset can move by up to a few hours across the boundary; land safely inside the next window
    const guess = addWall(start + tzOffset(start, tz), size) - tzOffset(start, tz);
    end = windowStartFor(guess + 3 * 3_600_000, size, tz);
    if (end <= start) end = guess;
  }
  return [start, end];
}
