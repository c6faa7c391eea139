import { describe, expect, it } from 'vitest';
import { cadencesAlign, isAtLeastAnHour, parseIsoDuration } from './isoDuration.ts';

describe('parseIsoDuration', () => {
  it.each([
    ['P1M', { months: 1, seconds: 0 }],
    ['P1Y2M', { months: 14, seconds: 0 }],
    ['P1W', { months: 0, seconds: 604800 }],
    ['PT1H30M', { months: 0, seconds: 5400 }],
    ['P1DT1S', { months: 0, seconds: 86401 }],
  ])('%s', (s, expected) => expect(parseIsoDuration(s)).toEqual(expected));
  it.each(['', 'P', 'PT', '1M', 'P1.5M', 'P-1D', 'monthly'])('rejects %j', (s) => expect(parseIsoDuration(s)).toBeUndefined());
});

describe('cadencesAlign', () => {
  it.each([
    ['P1M', 'P1M', true],
    ['P1Y', 'P1M', true],
    ['P3M', 'P1M', true],
    ['P1M', 'P3M', true],
    ['P2M', 'P3M', false],
    ['P1W', 'P1M', false],
    ['P1D', 'P1W', true],
    ['P4W', 'P1W', true],
    ['P30D', 'P1M', false],
  ])('%s ~ %s = %s', (a, b, ok) => expect(cadencesAlign(parseIsoDuration(a)!, parseIsoDuration(b)!)).toBe(ok));
  it('an hour is the floor', () => {
    expect(isAtLeastAnHour(parseIsoDuration('PT59M')!)).toBe(false);
    expect(isAtLeastAnHour(parseIsoDuration('PT1H')!)).toBe(true);
  });
});
