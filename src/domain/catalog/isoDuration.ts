import { parseDuration } from '../shared/recurrence.ts';

/**
 * ISO-8601 durations as the product catalog uses them (cadences, phase durations, usage periods).
 * A duration is split into a calendar part (months) and a fixed part (seconds) because months
 * vary in length: `P1M` is never "30 days", so `P1M` and `P30D` are not comparable.
 */
export interface IsoDuration {
  /** years × 12 + months */
  months: number;
  /** weeks, days, hours, minutes, seconds in seconds (days are 24h: the engine works in UTC) */
  seconds: number;
}

/** Parses an ISO-8601 duration; undefined when the string is not one (or has no component). */
export function parseIsoDuration(s: string): IsoDuration | undefined {
  if (typeof s !== 'string') return undefined;
  const d = parseDuration(s);
  if (!d) return undefined;
  return { months: d.years * 12 + d.months, seconds: d.weeks * 7 * 86400 + d.days * 86400 + d.hours * 3600 + d.minutes * 60 + d.seconds };
}

export const isZeroDuration = (d: IsoDuration): boolean => d.months === 0 && d.seconds === 0;

/** true if the duration is at least one hour long (any month-based duration is). */
export const isAtLeastAnHour = (d: IsoDuration): boolean => d.months > 0 || d.seconds >= 3600;

export const durationsEqual = (a: IsoDuration, b: IsoDuration): boolean =>
  a.months === b.months && Math.abs(a.seconds - b.seconds) < 1e-9;

/**
 * `a` is a whole multiple of `b`. Only durations of one kind divide each other: a calendar
 * duration never divides into fixed units (a month is 28..31 days) and vice versa.
 */
export function isMultipleOf(a: IsoDuration, b: IsoDuration): boolean {
  if (isZeroDuration(a) || isZeroDuration(b)) return false;
  if (a.seconds === 0 && b.seconds === 0) return a.months % b.months === 0;
  if (a.months === 0 && b.months === 0) {
    const q = a.seconds / b.seconds;
    return Math.abs(q - Math.round(q)) < 1e-9 && Math.round(q) >= 1;
  }
  // mixed calendar + fixed parts only align when identical
  return durationsEqual(a, b);
}

/** Two cadences align when one is a whole multiple of the other (ValidateBillingCadencesAlign). */
export const cadencesAlign = (a: IsoDuration, b: IsoDuration): boolean => isMultipleOf(a, b) || isMultipleOf(b, a);
