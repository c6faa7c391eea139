/**
 * The epoch ms of `t` when it is already what `toISOString` would print for it
 * (`YYYY-MM-DDTHH:mm:ss.sssZ`, a real calendar instant), else NaN. Most events are sent so: such a
 * time is stored as sent (a million stored events hold one string each, not the sent one and a
 * copy) and read here once, without a regular expression or `Date.parse` at every event.
 */
export function canonicalInstantMs(t: string): number {
  if (
    t.length !== 24 ||
    t.charCodeAt(4) !== 45 /* - */ ||
    t.charCodeAt(7) !== 45 ||
    t.charCodeAt(10) !== 84 /* T */ ||
    t.charCodeAt(13) !== 58 /* : */ ||
    t.charCodeAt(16) !== 58 ||
    t.charCodeAt(19) !== 46 /* . */ ||
    t.charCodeAt(23) !== 90 /* Z */
  ) {
    return NaN;
  }
  // a character that is not a digit reads as -10^6, which makes its field negative
  const year = digit(t, 0) * 1000 + digit(t, 1) * 100 + digit(t, 2) * 10 + digit(t, 3);
  const month = digit(t, 5) * 10 + digit(t, 6), day = digit(t, 8) * 10 + digit(t, 9);
  const h = digit(t, 11) * 10 + digit(t, 12), mi = digit(t, 14) * 10 + digit(t, 15), sec = digit(t, 17) * 10 + digit(t, 18);
  const milli = digit(t, 20) * 100 + digit(t, 21) * 10 + digit(t, 22);
  if (year < 0 || month < 1 || month > 12 || day < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || milli < 0) return NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  if (day > days) return NaN;
  // days since the epoch in the proleptic Gregorian calendar, in integer arithmetic (no Date per
  // event; Date.UTC would also map years 0–99 to 1900–1999): years start in March, so the leap
  // day is the last day of its year
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const epochDay = era * 146_097 + doe - 719_468;
  return epochDay * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000 + milli;
}

/** the digit at `t[i]`, or -10^6 for any other character */
function digit(t: string, i: number): number {
  const d = t.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1_000_000;
}

/** the epoch ms of a stored time: the canonical reading, `Date.parse` for any other spelling */
export function instantMs(t: string): number {
  const ms = typeof t === 'string' ? canonicalInstantMs(t) : NaN;
  return Number.isNaN(ms) ? Date.parse(t) : ms;
}

/**
 * `toISOString` of an instant, printed once for the instants that repeat (period bounds shared by
 * every customer on one anchor, collection and due dates). Bounded: it starts over when full.
 */
const printed = new Map<number, string>();
export function isoText(t: number | Date): string {
  const at = typeof t === 'number' ? t : t.getTime();
  let text = printed.get(at);
  if (text === undefined) {
    text = new Date(at).toISOString();
    if (printed.size >= 4096) printed.clear();
    printed.set(at, text);
  }
  return text;
}
