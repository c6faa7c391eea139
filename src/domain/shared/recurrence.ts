/**
 * ISO-8601 durations and calendar arithmetic as the real engine does it: the n-th boundary is
 * `anchor + n × interval`, always computed from the anchor (never chained), and month/year
 * addition clamps to the last day of the month instead of overflowing (Jan 31 + P1M = Feb 28).
 */
export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

// Years and months must be whole (a fraction of a month has no calendar meaning); the fixed
// parts may be fractional.
const F = String.raw`(\d+(?:\.\d+)?)`;
const RE = new RegExp(String.raw`^P(?:(\d+)Y)?(?:(\d+)M)?(?:${F}W)?(?:${F}D)?(?:T(?:${F}H)?(?:${F}M)?(?:${F}S)?)?$`);

export function parseDuration(text: string): Duration | undefined {
  const m = RE.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  // no helper closure: billing parses the workflow's durations at every invoice step
  return {
    years: m[1] ? Number(m[1]) : 0,
    months: m[2] ? Number(m[2]) : 0,
    weeks: m[3] ? Number(m[3]) : 0,
    days: m[4] ? Number(m[4]) : 0,
    hours: m[5] ? Number(m[5]) : 0,
    minutes: m[6] ? Number(m[6]) : 0,
    seconds: m[7] ? Number(m[7]) : 0,
  };
}

const daysInMonth = (y: number, m: number): number => new Date(Date.UTC(y, m + 1, 0)).getUTCDate();

/** `from + times × d` in UTC with no-overflow month addition. */
export function addDuration(from: Date, d: Duration, times = 1): Date {
  const totalMonths = (d.years * 12 + d.months) * times;
  let t = from;
  if (totalMonths !== 0) {
    const y = from.getUTCFullYear();
    const mo = from.getUTCMonth() + totalMonths;
    const ty = y + Math.floor(mo / 12);
    const tm = ((mo % 12) + 12) % 12;
    const day = Math.min(from.getUTCDate(), daysInMonth(ty, tm));
    t = new Date(Date.UTC(ty, tm, day, from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds()));
  }
  const ms = (((d.weeks * 7 + d.days) * 24 + d.hours) * 3600 + d.minutes * 60 + d.seconds) * 1000 * times;
  return new Date(t.getTime() + ms);
}

/** The n-th boundary after `anchor`, computed from the anchor so clamping never accumulates. */
export const nthBoundary = (anchor: Date, d: Duration, n: number): Date => addDuration(anchor, d, n);

export function isZero(d: Duration): boolean {
  return d.years + d.months + d.weeks + d.days + d.hours + d.minutes + d.seconds === 0;
}

// Average lengths only seed the boundary search below; the exact answer always comes from
// nthBoundary, so clamping and leap years never drift.
const APPROX_MONTH_MS = 30.436875 * 86_400_000;

function approxMs(d: Duration): number {
  return (d.years * 12 + d.months) * APPROX_MONTH_MS + (((d.weeks * 7 + d.days) * 24 + d.hours) * 3600 + d.minutes * 60 + d.seconds) * 1000;
}

/**
 * The index n with `nthBoundary(anchor, d, n) <= t < nthBoundary(anchor, d, n + 1)` (n may be
 * negative when t is before the anchor). A boundary equal to t belongs to the period it starts.
 */
export function boundaryIndexAt(anchor: Date, d: Duration, t: Date): number {
  const len = approxMs(d);
  if (!(len > 0)) throw new RangeError('boundaryIndexAt: zero-length interval');
  let n = Math.floor((t.getTime() - anchor.getTime()) / len);
  while (nthBoundary(anchor, d, n).getTime() > t.getTime()) n--;
  while (nthBoundary(anchor, d, n + 1).getTime() <= t.getTime()) n++;
  return n;
}

/** The recurrence period [from, to) containing t (GetPeriodAt: t on a boundary starts a new period). */
export function recurrencePeriodAt(anchor: Date, d: Duration, t: Date): { from: Date; to: Date } {
  const n = boundaryIndexAt(anchor, d, t);
  return { from: nthBoundary(anchor, d, n), to: nthBoundary(anchor, d, n + 1) };
}

/** Boundaries b with `from < b < to` (both ends exclusive), ascending. */
export function boundariesBetween(anchor: Date, d: Duration, from: Date, to: Date): Date[] {
  const out: Date[] = [];
  if (to.getTime() <= from.getTime()) return out;
  for (let n = boundaryIndexAt(anchor, d, from) + 1; ; n++) {
    const b = nthBoundary(anchor, d, n);
    if (b.getTime() >= to.getTime()) return out;
    out.push(b);
  }
}

/**
 * Go's `time.AddDate` in UTC: unlike addDuration it normalises overflow, so Jan 31 + 1 month is
 * Mar 3 (Mar 2 in a leap year). Grant expirations use this, recurrences do not.
 */
export function addCalendar(from: Date, years: number, months: number, days: number): Date {
  return new Date(
    Date.UTC(
      from.getUTCFullYear() + years,
      from.getUTCMonth() + months,
      from.getUTCDate() + days,
      from.getUTCHours(),
      from.getUTCMinutes(),
      from.getUTCSeconds(),
      from.getUTCMilliseconds(),
    ),
  );
}
