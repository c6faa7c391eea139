import { describe, expect, it } from 'vitest';
import { addCalendar, addDuration, boundariesBetween, boundaryIndexAt, nthBoundary, parseDuration, recurrencePeriodAt } from './recurrence.ts';

describe('recurrence', () => {
  it.each([
    ['P1M', { months: 1 }],
    ['P1Y2M3DT4H5M6S', { years: 1, months: 2, days: 3, hours: 4, minutes: 5, seconds: 6 }],
    ['PT1H30M', { hours: 1, minutes: 30 }],
    ['P2W', { weeks: 2 }],
  ])('parses %s', (text, expected) => {
    expect(parseDuration(text)).toMatchObject(expected);
  });

  it.each(['', 'P', 'PT', '1M', 'P1H', 'garbage'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('clamps month addition to the end of the month, computed from the anchor', () => {
    const anchor = new Date('2025-01-31T15:00:00Z');
    const m = parseDuration('P1M')!;
    const got = [1, 2, 3, 6, 7, 8, 9].map((n) => nthBoundary(anchor, m, n).toISOString().slice(0, 10));
    expect(got).toEqual(['2025-02-28', '2025-03-31', '2025-04-30', '2025-07-31', '2025-08-31', '2025-09-30', '2025-10-31']);
  });

  it('adds time parts exactly', () => {
    expect(addDuration(new Date('2026-03-01T00:00:00Z'), parseDuration('P1DT2H')!).toISOString()).toBe('2026-03-02T02:00:00.000Z');
  });
});

describe('recurrence boundary search (credit engine helpers)', () => {
  const anchor = new Date('2025-01-31T15:00:00Z');
  const m = parseDuration('P1M')!;

  it.each([
    // t on a boundary starts the period it opens
    ['2025-02-28T15:00:00Z', 1, '2025-02-28T15:00:00.000Z', '2025-03-31T15:00:00.000Z'],
    // one minute before the Feb boundary still belongs to the January period
    ['2025-02-28T14:59:00Z', 0, '2025-01-31T15:00:00.000Z', '2025-02-28T15:00:00.000Z'],
    // before the anchor: negative index, Dec 31 clamped from Jan 31 - 1 month
    ['2025-01-01T00:00:00Z', -1, '2024-12-31T15:00:00.000Z', '2025-01-31T15:00:00.000Z'],
    // far away: seeded guess must be corrected; Oct 31 not clamped to Sep 30
    ['2025-10-31T15:00:00Z', 9, '2025-10-31T15:00:00.000Z', '2025-11-30T15:00:00.000Z'],
  ])('period at %s is #%i [%s, %s)', (t, n, from, to) => {
    expect(boundaryIndexAt(anchor, m, new Date(t))).toBe(n);
    const p = recurrencePeriodAt(anchor, m, new Date(t));
    expect([p.from.toISOString(), p.to.toISOString()]).toEqual([from, to]);
  });

  it('lists boundaries strictly between from and to', () => {
    const got = boundariesBetween(anchor, m, new Date('2025-02-28T15:00:00Z'), new Date('2025-05-31T15:00:00Z')).map((d) => d.toISOString().slice(0, 10));
    // Feb 28 (= from) and May 31 (= to) excluded
    expect(got).toEqual(['2025-03-31', '2025-04-30']);
  });

  it('rejects a zero interval instead of looping', () => {
    expect(() => boundaryIndexAt(anchor, parseDuration('PT0S')!, anchor)).toThrow(RangeError);
  });

  it.each([
    // Go AddDate overflows: Jan 31 + 1 month = "Feb 31" = Mar 3 (2025 not leap)
    ['2025-01-31T10:00:00Z', 0, 1, 0, '2025-03-03T10:00:00.000Z'],
    // 2024 leap: "Feb 31" = Mar 2
    ['2024-01-31T10:00:00Z', 0, 1, 0, '2024-03-02T10:00:00.000Z'],
    // Feb 29 + 1 year = "Feb 29 2025" = Mar 1
    ['2024-02-29T00:00:00Z', 1, 0, 0, '2025-03-01T00:00:00.000Z'],
    ['2025-12-30T00:00:00Z', 0, 0, 7, '2026-01-06T00:00:00.000Z'],
  ])('addCalendar(%s, %iy %im %id) = %s', (from, y, mo, d, want) => {
    expect(addCalendar(new Date(from), y, mo, d).toISOString()).toBe(want);
  });
});
