import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../shared/errors.ts';
import { alignedBillingPeriodAt, phaseAt, resolvePhases } from './billingPeriods.ts';
import { at, flat, fmt, item, phase, spec } from './testFixtures.ts';

// Anchor 2025-01-31T15:00Z monthly (OpenMeter pkg/timeutil/recurrence.go): boundaries clamp to the month end and are
// always anchor + n months, so Mar 31 comes back after Feb 28.
const jan31 = spec({ activeFrom: '2025-01-31T15:00:00Z', billingAnchor: '2025-01-31T15:00:00Z' });

describe('alignedBillingPeriodAt', () => {
  it.each([
    // t                        expected period (anchor + n×P1M, clamped)
    ['2025-01-31T15:00:00Z', '2025-01-31T15:00:00Z – 2025-02-28T15:00:00Z'], // n=0; Feb has 28 days
    ['2025-02-28T14:59:59Z', '2025-01-31T15:00:00Z – 2025-02-28T15:00:00Z'], // one second before the boundary
    ['2025-02-28T15:00:00Z', '2025-02-28T15:00:00Z – 2025-03-31T15:00:00Z'], // boundary starts a new period; Mar 31 not Mar 28
    ['2025-04-15T00:00:00Z', '2025-03-31T15:00:00Z – 2025-04-30T15:00:00Z'], // Apr clamps to 30
    ['2025-09-30T15:00:00Z', '2025-09-30T15:00:00Z – 2025-10-31T15:00:00Z'],
  ])('at %s -> %s', (t, expected) => {
    expect(fmt(alignedBillingPeriodAt(jan31, at(t)))).toBe(expected);
  });

  it('clips the recurrence period to the phase running at t (14-day trial, then paid)', () => {
    const s = spec({ phases: [phase('trial', 'P0D', []), phase('paid', 'P14D', [item(flat('30'))])] });
    // Jan 1 + P14D = Jan 15: the trial is [Jan 1, Jan 15), the paid phase starts mid-period.
    expect(fmt(alignedBillingPeriodAt(s, at('2025-01-05T00:00:00Z')))).toBe('2025-01-01T00:00:00Z – 2025-01-15T00:00:00Z');
    expect(fmt(alignedBillingPeriodAt(s, at('2025-01-20T00:00:00Z')))).toBe('2025-01-15T00:00:00Z – 2025-02-01T00:00:00Z');
    expect(fmt(alignedBillingPeriodAt(s, at('2025-02-20T00:00:00Z')))).toBe('2025-02-01T00:00:00Z – 2025-03-01T00:00:00Z');
  });

  it('clips to the subscription end and rejects instants outside the subscription', () => {
    const s = spec({ activeTo: '2025-03-10T00:00:00Z' });
    expect(fmt(alignedBillingPeriodAt(s, at('2025-03-05T00:00:00Z')))).toBe('2025-03-01T00:00:00Z – 2025-03-10T00:00:00Z');
    for (const t of ['2024-12-31T23:59:59Z', '2025-03-10T00:00:00Z']) {
      let err: unknown;
      try {
        alignedBillingPeriodAt(s, at(t));
      } catch (e) {
        err = e;
      }
      expect(isDomainError(err) && err.code).toBe('subscription_not_active_at_time');
    }
  });
});

describe('resolvePhases', () => {
  it('orders by startAfter, ends each phase at the next start or activeTo, drops phases that never run', () => {
    const s = spec({
      activeTo: '2025-03-01T00:00:00Z',
      phases: [phase('late', 'P3M', []), phase('paid', 'P1M', []), phase('trial', 'P0D', [])],
    });
    // trial [Jan 1, Feb 1), paid [Feb 1, Mar 1 = activeTo); late would start Apr 1 > activeTo
    expect(resolvePhases(s).map((p) => `${p.key} ${p.period.from.toISOString()} ${p.period.to?.toISOString()}`)).toEqual([
      'trial 2025-01-01T00:00:00.000Z 2025-02-01T00:00:00.000Z',
      'paid 2025-02-01T00:00:00.000Z 2025-03-01T00:00:00.000Z',
    ]);
    expect(phaseAt(s, at('2025-02-01T00:00:00Z'))?.key).toBe('paid');
    expect(phaseAt(s, at('2025-03-01T00:00:00Z'))).toBeUndefined();
  });

  it('leaves the last phase open-ended without activeTo', () => {
    const [only] = resolvePhases(spec());
    expect(only?.period.to).toBeUndefined();
  });
});
