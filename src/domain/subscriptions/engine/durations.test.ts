import { describe, expect, it } from 'vitest';
import { formatDuration, secondsDuration, sumDurations } from './durations.ts';

describe('sumDurations: phase offsets are the field-wise sum of the earlier phase durations', () => {
  it.each<[string[], string]>([
    [[], 'P0D'], // the first phase starts at activeFrom
    [['P14D'], 'P14D'],
    [['P1M', 'P14D'], 'P1M14D'], // applied to activeFrom in one step: Jan 31 + P1M14D = Feb 28 + 14 d
    [['P1M', 'P1M', 'P1Y'], 'P1Y2M'],
    [['PT12H', 'P1DT12H'], 'P1DT24H'], // hours are not folded into days (a day is not always 24 h in Go's periods either)
    [['P1W', 'P2W'], 'P3W'],
  ])('%j -> %s', (parts, expected) => {
    expect(sumDurations(parts)).toBe(expected);
  });

  it('rejects text that is not an ISO duration', () => {
    expect(() => sumDurations(['1 month'])).toThrow(/ISO-8601/);
  });

  it('formats and converts exact offsets', () => {
    expect(formatDuration({ years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 30, seconds: 5 })).toBe('PT30M5S');
    expect(secondsDuration(86_400_000)).toBe('PT86400S');
    expect(secondsDuration(0)).toBe('P0D');
  });
});
