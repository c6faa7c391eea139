import { describe, expect, it } from 'vitest';
import { generationHorizon, lineDueAt, TargetLineGenerator, targetLines } from './targetState.ts';
import { at, brief, flat, item, phase, spec, unitUsage } from './testFixtures.ts';

const ids = (lines: ReturnType<typeof targetLines>) => lines.map((l) => l.childUniqueReferenceId);

describe('targetLines: periods, invoiceAt and horizon', () => {
  it('monthly plan from Jan 31 follows the clamped anchor (Feb 28, Mar 31, Apr 30, May 31)', () => {
    const s = spec({ activeFrom: '2025-01-31T15:00:00Z', billingAnchor: '2025-01-31T15:00:00Z', phases: [phase('default', 'P0D', [item(flat('10'))])] });
    // asOf May 15 lies in [Apr 30, May 31) -> horizon May 31, so the in-advance fee for
    // [May 31, Jun 30) (invoiceAt May 31 ≤ horizon) is already there; Jun 30's is not.
    expect(targetLines(s, at('2025-05-15T00:00:00Z')).map(brief)).toEqual([
      { id: 'sub1/default/base/v[0]/period[0]', service: '2025-01-31T15:00:00Z – 2025-02-28T15:00:00Z', invoiceAt: '2025-01-31T15:00:00Z', amount: '10' },
      { id: 'sub1/default/base/v[0]/period[1]', service: '2025-02-28T15:00:00Z – 2025-03-31T15:00:00Z', invoiceAt: '2025-02-28T15:00:00Z', amount: '10' },
      { id: 'sub1/default/base/v[0]/period[2]', service: '2025-03-31T15:00:00Z – 2025-04-30T15:00:00Z', invoiceAt: '2025-03-31T15:00:00Z', amount: '10' },
      { id: 'sub1/default/base/v[0]/period[3]', service: '2025-04-30T15:00:00Z – 2025-05-31T15:00:00Z', invoiceAt: '2025-04-30T15:00:00Z', amount: '10' },
      { id: 'sub1/default/base/v[0]/period[4]', service: '2025-05-31T15:00:00Z – 2025-06-30T15:00:00Z', invoiceAt: '2025-05-31T15:00:00Z', amount: '10' },
    ]);
  });

  it('in-advance flat is invoiced at period start, usage and in-arrears flat at period end', () => {
    const s = spec({
      phases: [phase('default', 'P0D', [item(flat('10')), item(flat('5', { key: 'support', term: 'in_arrears' })), item(unitUsage())])],
    });
    // asOf Jan 10 -> horizon Feb 1: Feb's in-advance fee (invoiceAt Feb 1) is in; Feb's arrears lines (Mar 1) are not.
    expect(targetLines(s, at('2025-01-10T00:00:00Z')).map(brief)).toEqual([
      { id: 'sub1/default/base/v[0]/period[0]', service: '2025-01-01T00:00:00Z – 2025-02-01T00:00:00Z', invoiceAt: '2025-01-01T00:00:00Z', amount: '10' },
      { id: 'sub1/default/base/v[0]/period[1]', service: '2025-02-01T00:00:00Z – 2025-03-01T00:00:00Z', invoiceAt: '2025-02-01T00:00:00Z', amount: '10' },
      { id: 'sub1/default/support/v[0]/period[0]', service: '2025-01-01T00:00:00Z – 2025-02-01T00:00:00Z', invoiceAt: '2025-02-01T00:00:00Z', amount: '5' },
      { id: 'sub1/default/tokens/v[0]/period[0]', service: '2025-01-01T00:00:00Z – 2025-02-01T00:00:00Z', invoiceAt: '2025-02-01T00:00:00Z', amount: undefined },
    ]);
    const usage = targetLines(s, at('2025-01-10T00:00:00Z')).find((l) => l.itemKey === 'tokens');
    expect(usage).toMatchObject({ paymentTerm: 'in_arrears', featureKey: 'tokens', name: 'Tokens', phaseKey: 'default', price: { type: 'unit' } });
    expect(targetLines(s, at('2025-01-10T00:00:00Z'))[0]?.paymentTerm).toBe('in_advance');
  });

  it('14-day free trial then a paid phase: trial bills nothing, first paid period is prorated from the anchor', () => {
    const s = spec({ phases: [phase('trial', 'P0D', [item({ ...flat('30'), price: null })]), phase('paid', 'P14D', [item(flat('30')), item(unitUsage())])] });
    // In the trial (asOf Jan 5) the horizon is the clipped trial period end, Jan 15: only the
    // first paid in-advance fee is due by then.
    expect(targetLines(s, at('2025-01-05T00:00:00Z')).map((l) => l.childUniqueReferenceId)).toEqual(['sub1/paid/base/v[0]/period[0]']);
    const lines = targetLines(s, at('2025-01-20T00:00:00Z'));
    expect(lines.map(brief)).toEqual([
      // full [Jan 1, Feb 1) = 31 d, service [Jan 15, Feb 1) = 17 d: 30 × 17/31 = 16.4516… -> 16.45
      { id: 'sub1/paid/base/v[0]/period[0]', service: '2025-01-15T00:00:00Z – 2025-02-01T00:00:00Z', invoiceAt: '2025-01-15T00:00:00Z', amount: '16.45' },
      { id: 'sub1/paid/base/v[0]/period[1]', service: '2025-02-01T00:00:00Z – 2025-03-01T00:00:00Z', invoiceAt: '2025-02-01T00:00:00Z', amount: '30' },
      { id: 'sub1/paid/tokens/v[0]/period[0]', service: '2025-01-15T00:00:00Z – 2025-02-01T00:00:00Z', invoiceAt: '2025-02-01T00:00:00Z', amount: undefined },
    ]);
    expect(lines[0]?.fullServicePeriod).toEqual({ from: at('2025-01-01T00:00:00Z'), to: at('2025-02-01T00:00:00Z') });
    // billing period is clipped to the paid phase
    expect(lines[0]?.billingPeriod).toEqual({ from: at('2025-01-15T00:00:00Z'), to: at('2025-02-01T00:00:00Z') });
  });

  it('weekly rate card on a monthly plan: weekly periods, invoiced with the monthly billing period', () => {
    const s = spec({ phases: [phase('default', 'P0D', [item(flat('7', { cadence: 'P1W', key: 'wk' })), item(unitUsage({ cadence: 'P1W' }))])] });
    const lines = targetLines(s, at('2025-01-10T00:00:00Z'));
    const wk = lines.filter((l) => l.itemKey === 'wk').map(brief);
    // Weeks from the Jan 1 anchor: Jan 1, 8, 15, 22, 29 bill at Jan 1 (their billing period's
    // start); Feb 5…26 bill at Feb 1 = horizon, so they are in; the Mar 5 week (Mar 1) is not.
    expect(wk.map((l) => `${l.service.slice(0, 10)} @${l.invoiceAt.slice(0, 10)} ${l.amount}`)).toEqual([
      '2025-01-01 @2025-01-01 7',
      '2025-01-08 @2025-01-01 7',
      '2025-01-15 @2025-01-01 7',
      '2025-01-22 @2025-01-01 7',
      '2025-01-29 @2025-01-01 7',
      '2025-02-05 @2025-02-01 7',
      '2025-02-12 @2025-02-01 7',
      '2025-02-19 @2025-02-01 7',
      '2025-02-26 @2025-02-01 7',
    ]);
    // Usage weeks invoice at max(week end, billing period end): Jan 1–22 weeks -> Feb 1; the
    // Jan 29 – Feb 5 week -> max(Feb 5, Feb 1) = Feb 5 > horizon, so generation stops there.
    expect(lines.filter((l) => l.itemKey === 'tokens').map(brief).map((l) => `${l.service} @${l.invoiceAt}`)).toEqual([
      '2025-01-01T00:00:00Z – 2025-01-08T00:00:00Z @2025-02-01T00:00:00Z',
      '2025-01-08T00:00:00Z – 2025-01-15T00:00:00Z @2025-02-01T00:00:00Z',
      '2025-01-15T00:00:00Z – 2025-01-22T00:00:00Z @2025-02-01T00:00:00Z',
      '2025-01-22T00:00:00Z – 2025-01-29T00:00:00Z @2025-02-01T00:00:00Z',
    ]);
  });

  it('annual flat fee on a monthly plan: one year of service, billed at the first monthly period', () => {
    const s = spec({ phases: [phase('default', 'P0D', [item(flat('120', { cadence: 'P1Y' })), item(flat('120', { cadence: 'P1Y', key: 'late', term: 'in_arrears' }))])] });
    const jan = targetLines(s, at('2025-01-10T00:00:00Z'));
    expect(jan.map(brief)).toEqual([
      { id: 'sub1/default/base/v[0]/period[0]', service: '2025-01-01T00:00:00Z – 2026-01-01T00:00:00Z', invoiceAt: '2025-01-01T00:00:00Z', amount: '120' },
    ]);
    expect(jan[0]?.billingPeriod).toEqual({ from: at('2025-01-01T00:00:00Z'), to: at('2025-02-01T00:00:00Z') });
    // asOf Dec 15 -> horizon Jan 1 2026: the arrears year (max(2026-01-01, Feb 1)) and next year's advance fee are due.
    expect(targetLines(s, at('2025-12-15T00:00:00Z')).map((l) => `${l.childUniqueReferenceId} @${l.invoiceAt.toISOString().slice(0, 10)}`)).toEqual([
      'sub1/default/base/v[0]/period[0] @2025-01-01',
      'sub1/default/base/v[0]/period[1] @2026-01-01',
      'sub1/default/late/v[0]/period[0] @2026-01-01',
    ]);
  });

  it('identities are stable across calls with different asOf', () => {
    const s = spec({ phases: [phase('default', 'P0D', [item(flat('10')), item(unitUsage())])] });
    const early = targetLines(s, at('2025-01-10T00:00:00Z'));
    const later = targetLines(s, at('2025-04-10T00:00:00Z'));
    expect(later.length).toBeGreaterThan(early.length);
    for (const l of early) expect(later.find((x) => x.childUniqueReferenceId === l.childUniqueReferenceId)).toEqual(l);
    expect(targetLines(s, at('2025-01-10T00:00:00Z'))).toEqual(early);
    expect(new Set(ids(later)).size).toBe(later.length);
  });

  it('truncates instants to the second', () => {
    const s = spec({ activeFrom: '2025-01-01T00:00:00.999Z', billingAnchor: '2025-01-01T00:00:00.750Z', activeTo: '2025-01-11T00:00:00.500Z' });
    const [line] = targetLines(s, at('2025-01-05T00:00:00.900Z'));
    expect(line?.servicePeriod).toEqual({ from: at('2025-01-01T00:00:00Z'), to: at('2025-01-11T00:00:00Z') });
    // exactly 10 of 31 days after flooring: 30 × 10/31 = 9.677… -> 9.68
    expect(line?.amount).toBe('9.68');
  });
});

describe('targetLines: cancelation and proration (§3.4)', () => {
  const withItems = (over: Parameters<typeof spec>[0]) =>
    spec({ phases: [phase('default', 'P0D', [item(flat('30')), item(flat('30', { key: 'arrears', term: 'in_arrears' })), item(unitUsage())])], ...over });

  it('cancel at next_billing_cycle (Feb 1): periods end at the boundary, nothing after, full amounts', () => {
    const lines = targetLines(withItems({ activeTo: '2025-02-01T00:00:00Z' }), at('2025-01-10T00:00:00Z'));
    expect(lines.map(brief)).toEqual([
      { id: 'sub1/default/base/v[0]/period[0]', service: '2025-01-01T00:00:00Z – 2025-02-01T00:00:00Z', invoiceAt: '2025-01-01T00:00:00Z', amount: '30' },
      { id: 'sub1/default/arrears/v[0]/period[0]', service: '2025-01-01T00:00:00Z – 2025-02-01T00:00:00Z', invoiceAt: '2025-02-01T00:00:00Z', amount: '30' },
      { id: 'sub1/default/tokens/v[0]/period[0]', service: '2025-01-01T00:00:00Z – 2025-02-01T00:00:00Z', invoiceAt: '2025-02-01T00:00:00Z', amount: undefined },
    ]);
    // long after the end nothing new appears
    expect(ids(targetLines(withItems({ activeTo: '2025-02-01T00:00:00Z' }), at('2025-06-01T00:00:00Z')))).toEqual(ids(lines));
  });

  it.each([
    // mode,                 base (in advance), arrears, why
    ['bill_actual_period', '9.68', '9.68'], // 30 × 10 d / 31 d = 9.677… -> 9.68
    [undefined, '9.68', '9.68'], // default is bill_actual_period
    ['bill_full_period', '30', '30'], // activeTo (Jan 11) ≤ service.to (Jan 11): full price
  ] as const)('cancel mid-period (Jan 11) with %s', (mode, base, arrears) => {
    const lines = targetLines(withItems({ activeTo: '2025-01-11T00:00:00Z', ...(mode ? { subscriptionEndProrationMode: mode } : {}) }), at('2025-01-05T00:00:00Z'));
    expect(lines.map(brief)).toEqual([
      { id: 'sub1/default/base/v[0]/period[0]', service: '2025-01-01T00:00:00Z – 2025-01-11T00:00:00Z', invoiceAt: '2025-01-01T00:00:00Z', amount: base },
      // billing period clipped to the end: invoiceAt = max(Jan 11, Jan 11)
      { id: 'sub1/default/arrears/v[0]/period[0]', service: '2025-01-01T00:00:00Z – 2025-01-11T00:00:00Z', invoiceAt: '2025-01-11T00:00:00Z', amount: arrears },
      // usage is never prorated, it just gets the shorter period
      { id: 'sub1/default/tokens/v[0]/period[0]', service: '2025-01-01T00:00:00Z – 2025-01-11T00:00:00Z', invoiceAt: '2025-01-11T00:00:00Z', amount: undefined },
    ]);
    expect(lines[0]?.fullServicePeriod).toEqual({ from: at('2025-01-01T00:00:00Z'), to: at('2025-02-01T00:00:00Z') });
  });

  it('bill_full_period only applies to the period cut by the subscription end, not by a phase start', () => {
    const s = spec({
      subscriptionEndProrationMode: 'bill_full_period',
      activeTo: '2025-02-11T00:00:00Z',
      phases: [phase('trial', 'P0D', []), phase('paid', 'P14D', [item(flat('31'))])],
    });
    // [Jan 15, Feb 1) = 17/31 × 31 = 17 (phase cut, prorated); [Feb 1, Feb 11) cut by the end: full 31
    expect(targetLines(s, at('2025-01-20T00:00:00Z')).map((l) => l.amount)).toEqual(['17', '31']);
  });

  it.each<[string, string, string | undefined, string | undefined, string]>([
    // currency, price, activeTo,              expected, arithmetic
    ['USD', '0.01', '2025-01-02T00:00:00Z', undefined, '0.01 × 1/31 = 0.00032 -> 0.00: line dropped'],
    ['USD', '0.20', '2025-01-02T00:00:00Z', '0.01', '0.20 × 1/31 = 0.00645 -> 0.01'],
    ['USD', '0', undefined, undefined, 'a zero flat price creates no line'],
    ['JPY', '1000', '2025-01-11T00:00:00Z', '323', '1000 × 10/31 = 322.58 -> 323 (0 minor units)'],
    ['USD', '1000', '2025-01-11T00:00:00Z', '322.58', '1000 × 10/31 = 322.580… -> 322.58'],
    ['JPY', '10', '2025-01-02T00:00:00Z', undefined, '10 × 1/31 = 0.32 -> 0: dropped'],
    ['USD', '0.155', undefined, '0.16', 'no proration, still rounded half away from zero'],
  ])('%s %s ending %s -> %s (%s)', (currency, amount, activeTo, expected) => {
    const lines = targetLines(
      spec({ currency, ...(activeTo ? { activeTo } : {}), phases: [phase('default', 'P0D', [item(flat(amount))])] }),
      at('2025-01-01T12:00:00Z'),
    );
    expect(lines[0]?.amount).toBe(expected);
    if (expected === undefined) expect(lines).toHaveLength(0);
  });

  it('proration disabled charges the full price for a shortened period', () => {
    const lines = targetLines(
      spec({ activeTo: '2025-01-11T00:00:00Z', proRatingConfig: { enabled: false, mode: 'prorate_prices' } }),
      at('2025-01-05T00:00:00Z'),
    );
    expect(lines.map((l) => l.amount)).toEqual(['30']);
  });
});

describe('targetLines: one-time fees, overrides, versions', () => {
  it('one-time in-advance fee: a single line without /period, billed in full at the billing period start', () => {
    const s = spec({ phases: [phase('default', 'P0D', [item(flat('99', { cadence: null, key: 'setup' }))])] });
    expect(targetLines(s, at('2025-03-10T00:00:00Z')).map(brief)).toEqual([
      // open phase: zero-length service period, kept because the price is flat
      { id: 'sub1/default/setup/v[0]', service: '2025-01-01T00:00:00Z – 2025-01-01T00:00:00Z', invoiceAt: '2025-01-01T00:00:00Z', amount: '99' },
    ]);
  });

  it('one-time in-arrears fee: not billable while its period is zero-length, billed at the phase end once it has one', () => {
    const card = flat('50', { cadence: null, key: 'exit', term: 'in_arrears' });
    expect(targetLines(spec({ phases: [phase('default', 'P0D', [item(card)])] }), at('2025-03-10T00:00:00Z'))).toEqual([]);
    const s = spec({ phases: [phase('trial', 'P0D', [item(card)]), phase('paid', 'P14D', [])] });
    // trial [Jan 1, Jan 15): service = the trial, invoiceAt = max(Jan 15, Jan 15); no proration (full = service)
    expect(targetLines(s, at('2025-01-10T00:00:00Z')).map(brief)).toEqual([
      { id: 'sub1/trial/exit/v[0]', service: '2025-01-01T00:00:00Z – 2025-01-15T00:00:00Z', invoiceAt: '2025-01-15T00:00:00Z', amount: '50' },
    ]);
  });

  it('item versions with overrides: v[0] until day 10, v[1] from day 10, each prorated against the full period', () => {
    const s = spec({
      phases: [
        phase('default', 'P0D', [
          item(flat('31'), { activeToOverride: 'P10D' }),
          item(flat('62'), { activeFromOverride: 'P10D', version: 1 }),
        ]),
      ],
    });
    expect(targetLines(s, at('2025-01-12T00:00:00Z')).map(brief)).toEqual([
      // 31 × 10/31 = 10
      { id: 'sub1/default/base/v[0]/period[0]', service: '2025-01-01T00:00:00Z – 2025-01-11T00:00:00Z', invoiceAt: '2025-01-01T00:00:00Z', amount: '10' },
      // 62 × 21/31 = 42; period index counts from the version's first period
      { id: 'sub1/default/base/v[1]/period[0]', service: '2025-01-11T00:00:00Z – 2025-02-01T00:00:00Z', invoiceAt: '2025-01-01T00:00:00Z', amount: '42' },
      { id: 'sub1/default/base/v[1]/period[1]', service: '2025-02-01T00:00:00Z – 2025-03-01T00:00:00Z', invoiceAt: '2025-02-01T00:00:00Z', amount: '62' },
    ]);
  });

  it('billing anchor before activeFrom: the first period is the anchor-aligned one, prorated', () => {
    const s = spec({ activeFrom: '2025-01-20T00:00:00Z', billingAnchor: '2025-01-01T00:00:00Z' });
    const [first] = targetLines(s, at('2025-01-20T00:00:00Z'));
    // [Jan 20, Feb 1) = 12 of 31 days: 30 × 12/31 = 11.6129 -> 11.61
    expect(brief(first!)).toEqual({ id: 'sub1/default/base/v[0]/period[0]', service: '2025-01-20T00:00:00Z – 2025-02-01T00:00:00Z', invoiceAt: '2025-01-20T00:00:00Z', amount: '11.61' });
  });

  it('rejects an unparsable cadence with a validation error', () => {
    expect(() => targetLines(spec({ billingCadence: 'monthly' }), at('2025-01-05T00:00:00Z'))).toThrow(/billingCadence/);
  });
});

describe('TargetLineGenerator: kept lines answer any horizon as one pass would', () => {
  const specs = {
    'monthly in advance, arrears and usage': spec({
      phases: [phase('default', 'P0D', [item(flat('10')), item(flat('5', { key: 'support', term: 'in_arrears' })), item(unitUsage())])],
    }),
    'trial then paid, a one-time fee and a yearly billing cadence': spec({
      billingCadence: 'P1Y',
      phases: [phase('trial', 'P0D', [item(flat('0'))]), phase('paid', 'P14D', [item(flat('12')), item(flat('99', { key: 'setup', cadence: null })), item(unitUsage())])],
    }),
    'canceled mid-period with proration': spec({ activeTo: '2025-07-10T12:00:00Z', phases: [phase('default', 'P0D', [item(flat('30')), item(unitUsage())])] }),
  };
  const asOfs = ['2024-12-20T00:00:00Z', '2025-01-10T00:00:00Z', '2025-03-01T00:00:00Z', '2025-02-15T00:00:00Z', '2025-09-01T00:00:00Z', '2025-04-30T23:59:59Z', '2026-06-01T00:00:00Z'];
  for (const [name, s] of Object.entries(specs)) {
    it(`${name}: later, earlier and repeated horizons`, () => {
      const gen = new TargetLineGenerator(s);
      for (const a of asOfs) {
        const horizon = generationHorizon(s, at(a));
        const fresh = targetLines(s, at(a));
        expect(gen.linesUpTo(horizon)).toEqual(fresh);
        // the window of lines due after an instant is the same lines filtered
        const after = at('2025-02-01T00:00:00Z').getTime();
        expect(gen.linesUpTo(horizon, after)).toEqual(fresh.filter((l) => lineDueAt(l) > after));
      }
    });
  }
});
