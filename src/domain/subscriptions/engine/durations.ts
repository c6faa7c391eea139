import { validationError } from '../../shared/errors.ts';
import { parseDuration, type Duration } from '../../shared/recurrence.ts';

const ZERO: Duration = { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0 };

function parse(text: string, field: string): Duration {
  const d = parseDuration(text);
  if (!d) throw validationError('invalid_subscription_spec', `${field} is not a valid ISO-8601 duration: ${text}`);
  return d;
}

/** ISO text of a duration; the zero duration is `P0D` (how phase offsets are written). */
export function formatDuration(d: Duration): string {
  const date = `${d.years ? `${d.years}Y` : ''}${d.months ? `${d.months}M` : ''}${d.weeks ? `${d.weeks}W` : ''}${d.days ? `${d.days}D` : ''}`;
  const time = `${d.hours ? `${d.hours}H` : ''}${d.minutes ? `${d.minutes}M` : ''}${d.seconds ? `${d.seconds}S` : ''}`;
  if (!date && !time) return 'P0D';
  return `P${date}${time ? `T${time}` : ''}`;
}

/**
 * Field-wise sum of ISO durations, as OpenMeter adds phase durations into `startAfter`
 * (P1M + P14D = P1M14D, applied to activeFrom in one step, so month clamping happens once).
 */
export function sumDurations(texts: readonly string[], field = 'duration'): string {
  const out = { ...ZERO };
  for (const t of texts) {
    const d = parse(t, field);
    for (const k of Object.keys(out) as (keyof Duration)[]) out[k] += d[k];
  }
  return formatDuration(out);
}

/** An exact offset in seconds (edits that move phases by computed instants use it). */
export const secondsDuration = (ms: number): string => (ms <= 0 ? 'P0D' : `PT${Math.round(ms / 1000)}S`);
