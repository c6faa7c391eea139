import { describe, expect, it } from 'vitest';
import { canonicalInstantMs, instantMs, isoText } from './canonicalInstant.ts';

describe('canonicalInstantMs: an event time already in toISOString form, read without Date.parse', () => {
  it.each(['2026-01-01T00:00:00.000Z', '2024-02-29T23:59:59.999Z', '0099-12-31T12:34:56.789Z', '1969-07-20T20:17:40.000Z', '9999-12-31T23:59:59.999Z', '0000-01-01T00:00:00.000Z', '0000-02-29T01:02:03.004Z', '0000-03-01T00:00:00.000Z', '1600-02-29T12:00:00.000Z', '1900-02-28T23:59:59.999Z', '1900-03-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '2000-02-29T00:00:00.000Z', '2100-03-01T00:00:00.000Z'])('%s is its Date.parse instant', (t) => {
    expect(canonicalInstantMs(t)).toBe(Date.parse(t));
    expect(new Date(canonicalInstantMs(t)).toISOString()).toBe(t);
  });
  it.each(['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000+00:00', '2025-02-29T00:00:00.000Z', '2026-13-01T00:00:00.000Z', '2026-01-01T24:00:00.000Z', '2026-01-01 00:00:00.000Z', '2026-01-01T00:00:60.000Z', '1900-02-29T00:00:00.000Z', '2026-04-31T00:00:00.000Z', '2026-00-10T00:00:00.000Z', '2026-01-00T00:00:00.000Z'])('%s is not canonical (NaN: parsed the slow way or rejected)', (t) => {
    expect(canonicalInstantMs(t)).toBeNaN();
  });
  it('a character other than a digit at any digit position is not canonical', () => {
    const good = '2026-11-30T07:09:15.123Z';
    for (let i = 0; i < good.length; i++) {
      if ('-T:.Z'.includes(good[i]!)) continue;
      for (const c of ['/', ':', 'x', ' ', '\u0660']) expect(canonicalInstantMs(good.slice(0, i) + c + good.slice(i + 1))).toBeNaN();
    }
  });
  it('every day of 400 years (a whole Gregorian cycle) and each first day of a year 0–9999 reads as Date.parse does', () => {
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    for (let ms = Date.parse('1800-01-01T00:00:00.000Z'); ms < Date.parse('2200-01-01T00:00:00.000Z'); ms += 86_400_000 + 3_723_004) {
      const t = new Date(ms).toISOString();
      expect(canonicalInstantMs(t)).toBe(ms);
    }
    for (let y = 0; y <= 9999; y++) {
      const t = `${pad(y, 4)}-01-01T00:00:00.000Z`;
      expect(canonicalInstantMs(t)).toBe(Date.parse(t));
    }
  });
});

describe('instantMs: a stored time in any spelling Date.parse reads', () => {
  it.each(['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00Z', '2026-01-01T02:00:00.5+02:00', '2024-02-29T23:59:59.999Z', 'not a time', ''])('%s', (t) => {
    expect(instantMs(t)).toEqual(Date.parse(t));
  });
  it('a time that is not a string (a hand-edited log) reads as Date.parse reads it', () => {
    expect(instantMs(null as unknown as string)).toEqual(Date.parse(null as unknown as string));
    expect(instantMs(0 as unknown as string)).toEqual(Date.parse(0 as unknown as string));
  });
});

describe('isoText', () => {
  it('prints what toISOString prints, for a number or a Date, and gives the same text again', () => {
    for (const t of [0, 1_767_225_600_000, 1_767_225_600_123, -62_135_596_800_000]) {
      expect(isoText(t)).toBe(new Date(t).toISOString());
      expect(isoText(new Date(t))).toBe(new Date(t).toISOString());
    }
    for (let i = 0; i < 5000; i++) expect(isoText(i * 1000)).toBe(new Date(i * 1000).toISOString());
  });
});
