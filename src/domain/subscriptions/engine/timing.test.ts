import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../shared/errors.ts';
import { resolveCancelTiming, resolveChangeTiming, resolveCreateTiming, statusAt } from './timing.ts';
import { at, phase, spec } from './testFixtures.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return isDomainError(e) ? e.code : `not a DomainError: ${String(e)}`;
  }
  return undefined;
};

const now = at('2025-01-10T12:00:00.400Z');

describe('resolveCreateTiming', () => {
  it.each([
    // timing,                   expected instant or error code
    ['immediate', '2025-01-10T12:00:00.000Z'], // now, floored to the second
    ['2025-01-10T11:58:30Z', '2025-01-10T11:58:30.000Z'], // 1.5 min in the past: within the 2 min tolerance
    ['2025-01-10T11:58:00.400Z', '2025-01-10T11:58:00.000Z'], // exactly 2 min in the past: allowed
    ['2025-01-10T11:57:59Z', 'timing_in_the_past'], // 2 min 1.4 s in the past
    ['2025-03-01T00:00:00+01:00', '2025-02-28T23:00:00.000Z'], // future = scheduled; offsets honoured
    ['next_billing_cycle', 'timing_next_billing_cycle_not_supported'],
    ['tomorrow', 'invalid_timing'],
    ['2025-01-11', 'invalid_timing'], // a date is not an RFC 3339 instant
  ])('%s -> %s', (timing, expected) => {
    if (expected.startsWith('20')) expect(resolveCreateTiming(timing, now).toISOString()).toBe(expected);
    else expect(codeOf(() => resolveCreateTiming(timing, now))).toBe(expected);
  });
});

describe('resolveCancelTiming', () => {
  const monthly = spec(); // Jan 1 anchor, P1M
  const trial = spec({ phases: [phase('trial', 'P0D', []), phase('paid', 'P14D', [])] });

  it.each([
    // subscription, timing,                       expected
    ['monthly', 'immediate', '2025-01-10T12:00:00.000Z'],
    ['monthly', 'next_billing_cycle', '2025-02-01T00:00:00.000Z'], // end of [Jan 1, Feb 1)
    ['trial', 'next_billing_cycle', '2025-01-15T00:00:00.000Z'], // billing period clipped to the trial
    ['monthly', '2025-02-01T00:00:00Z', '2025-02-01T00:00:00.000Z'], // boundary
    ['monthly', '2025-05-01T00:00:00Z', '2025-05-01T00:00:00.000Z'], // later boundary
    ['trial', '2025-01-15T00:00:00Z', '2025-01-15T00:00:00.000Z'], // phase start is a boundary of the aligned periods
    ['monthly', '2025-02-02T00:00:00Z', 'timing_not_aligned_with_billing_period'],
    ['monthly', '2025-02-01T00:00:00.500Z', 'timing_not_aligned_with_billing_period'], // sub-second off
    ['monthly', '2025-01-01T00:00:00Z', 'timing_in_the_past'], // a boundary, but before now
    ['monthly', 'soon', 'invalid_timing'],
  ])('%s %s -> %s', (name, timing, expected) => {
    const s = name === 'trial' ? trial : monthly;
    if (expected.startsWith('20')) expect(resolveCancelTiming(s, timing, now).toISOString()).toBe(expected);
    else expect(codeOf(() => resolveCancelTiming(s, timing, now))).toBe(expected);
  });

  it('uses the anchor, not activeFrom, for boundaries (anchor Jan 31 clamps to Feb 28)', () => {
    const s = spec({ activeFrom: '2025-02-10T00:00:00Z', billingAnchor: '2025-01-31T00:00:00Z' });
    const n = at('2025-02-15T00:00:00Z');
    expect(resolveCancelTiming(s, 'next_billing_cycle', n).toISOString()).toBe('2025-02-28T00:00:00.000Z');
    expect(resolveCancelTiming(s, '2025-03-31T00:00:00Z', n).toISOString()).toBe('2025-03-31T00:00:00.000Z');
    expect(codeOf(() => resolveCancelTiming(s, '2025-03-28T00:00:00Z', n))).toBe('timing_not_aligned_with_billing_period');
  });

  it('rejects times outside the subscription; its current end counts as a boundary', () => {
    const canceled = spec({ activeTo: '2025-03-01T00:00:00Z' });
    expect(codeOf(() => resolveCancelTiming(canceled, '2025-04-01T00:00:00Z', now))).toBe('timing_after_subscription_end');
    expect(resolveCancelTiming(canceled, '2025-03-01T00:00:00Z', now).toISOString()).toBe('2025-03-01T00:00:00.000Z');
    const scheduled = spec({ activeFrom: '2025-02-01T00:00:00Z', billingAnchor: '2025-02-01T00:00:00Z' });
    expect(codeOf(() => resolveCancelTiming(scheduled, 'immediate', now))).toBe('timing_before_subscription_start');
  });
});

describe('resolveChangeTiming', () => {
  it('is the cancel instant of the current subscription, which is also the new start', () => {
    expect(resolveChangeTiming(spec(), 'next_billing_cycle', now).toISOString()).toBe('2025-02-01T00:00:00.000Z');
    expect(resolveChangeTiming(spec(), 'immediate', now).toISOString()).toBe('2025-01-10T12:00:00.000Z');
    expect(resolveChangeTiming(spec(), '2025-03-01T00:00:00Z', now).toISOString()).toBe('2025-03-01T00:00:00.000Z');
    expect(codeOf(() => resolveChangeTiming(spec(), '2025-03-02T00:00:00Z', now))).toBe('timing_not_aligned_with_billing_period');
  });
});

describe('statusAt', () => {
  it.each([
    // activeFrom,             activeTo,                 t,                         status
    ['2025-02-01T00:00:00Z', undefined, '2025-01-31T23:59:59Z', 'scheduled'], // not started yet
    ['2025-02-01T00:00:00Z', undefined, '2025-02-01T00:00:00Z', 'active'], // start is inclusive
    ['2025-01-01T00:00:00Z', '2025-03-01T00:00:00Z', '2025-02-15T00:00:00Z', 'canceled'], // end still ahead
    ['2025-01-01T00:00:00Z', '2025-03-01T00:00:00Z', '2025-03-01T00:00:00Z', 'inactive'], // end is exclusive
    ['2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z', '2025-01-15T00:00:00Z', 'scheduled'],
  ])('from %s to %s at %s -> %s', (activeFrom, activeTo, t, expected) => {
    expect(statusAt(spec({ activeFrom, ...(activeTo ? { activeTo } : {}) }), at(t))).toBe(expected);
  });

  it('a deleted subscription is inactive', () => {
    expect(statusAt(spec(), at('2025-02-01T00:00:00Z'), { deleted: true })).toBe('inactive');
  });
});
