import { describe, expect, it } from 'vitest';
import { goInstant, toGoTimes } from './wireTime.ts';

describe('Go-style instants on the OpenMeter wire', () => {
  it.each([
    ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00Z'],
    ['2026-01-01T00:00:00.120Z', '2026-01-01T00:00:00.12Z'],
    ['2026-01-01T00:00:00.123Z', '2026-01-01T00:00:00.123Z'],
    ['2026-01-01T00:00:00.100Z', '2026-01-01T00:00:00.1Z'],
  ])('%s → %s', (input, expected) => {
    expect(goInstant(input)).toBe(expected);
  });

  it('rewrites instants deep in a body and leaves everything else alone', () => {
    const body = { createdAt: '2026-01-01T00:00:00.000Z', items: [{ at: '2026-02-01T10:00:00.500Z', n: 1, s: 'x.000Z', nil: null }], ok: true };
    expect(toGoTimes(body)).toEqual({ createdAt: '2026-01-01T00:00:00Z', items: [{ at: '2026-02-01T10:00:00.5Z', n: 1, s: 'x.000Z', nil: null }], ok: true });
    expect(body.createdAt).toBe('2026-01-01T00:00:00.000Z');
  });
});
