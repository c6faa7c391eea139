import { describe, expect, it } from 'vitest';
import { canonicalInstantMs } from './MeteringService.ts';

describe('canonicalInstantMs: an event time already in toISOString form, read without Date.parse', () => {
  it.each(['2026-01-01T00:00:00.000Z', '2024-02-29T23:59:59.999Z', '0099-12-31T12:34:56.789Z', '1969-07-20T20:17:40.000Z', '9999-12-31T23:59:59.999Z'])('%s is its Date.parse instant', (t) => {
    expect(canonicalInstantMs(t)).toBe(Date.parse(t));
    expect(new Date(canonicalInstantMs(t)).toISOString()).toBe(t);
  });
  it.each(['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000+00:00', '2025-02-29T00:00:00.000Z', '2026-13-01T00:00:00.000Z', '2026-01-01T24:00:00.000Z', '2026-01-01 00:00:00.000Z', '2026-01-01T00:00:60.000Z'])('%s is not canonical (NaN: parsed the slow way or rejected)', (t) => {
    expect(canonicalInstantMs(t)).toBeNaN();
  });
});
