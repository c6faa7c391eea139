import { describe, expect, it } from 'vitest';
import { addDuration, nthBoundary, parseDuration } from './recurrence.ts';

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
