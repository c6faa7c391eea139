import { describe, expect, it } from 'vitest';
import { ceilToMinute, floorToMinute } from './period.ts';

describe('minute rounding', () => {
  it.each([
    ['2025-01-01T10:00:00.000Z', '2025-01-01T10:00:00.000Z', '2025-01-01T10:00:00.000Z'],
    ['2025-01-01T10:00:00.001Z', '2025-01-01T10:00:00.000Z', '2025-01-01T10:01:00.000Z'],
    ['2025-01-01T10:00:59.999Z', '2025-01-01T10:00:00.000Z', '2025-01-01T10:01:00.000Z'],
  ])('%s floors to %s and ceils to %s', (t, floor, ceil) => {
    expect(floorToMinute(new Date(t)).toISOString()).toBe(floor);
    expect(ceilToMinute(new Date(t)).toISOString()).toBe(ceil);
  });
});
