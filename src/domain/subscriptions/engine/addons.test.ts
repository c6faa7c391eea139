import { describe, expect, it } from 'vitest';
import { applyAddonRateCard, applyAddons } from './addons.ts';
import { targetLines } from './targetState.ts';
import { at, brief, flat, item, phase, spec } from './testFixtures.ts';

// subscription/addon/extend.go Apply and subscription/addon/diff/apply.go, as billing sees them
describe('applyAddonRateCard (once per instance)', () => {
  const cases = [
    // flat on flat: amounts add, the target's payment term stays
    { name: 'flat 29 + 10 × 1', target: flat('29'), addon: flat('10'), times: 1, amount: '39' },
    { name: 'flat 29 + 10 × 3', target: flat('29'), addon: flat('10'), times: 3, amount: '59' },
    // no target (a new key): the first instance copies the add-on's rate card, the others add
    { name: 'new item 5 × 3', target: undefined, addon: flat('5', { key: 'seat' }), times: 3, amount: '15' },
    // a target without a price takes the add-on's
    { name: 'free item + 7', target: { ...flat('0'), price: null }, addon: flat('7'), times: 1, amount: '7' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = applyAddonRateCard(c.target, c.addon, c.times);
      expect(out?.price).toMatchObject({ type: 'flat', amount: c.amount });
    });
  }
});

describe('applyAddons: item versions split at the add-on boundaries', () => {
  const base = spec({ phases: [phase('default', 'P0D', [item(flat('29'))])] });
  it('a merged add-on from Jan 11 splits the item: v[0] to Jan 11 prorated, v[1] at 29 + 10', () => {
    const s = applyAddons(base, [{ rateCards: [flat('10')], segments: [{ activeFrom: '2025-01-11T00:00:00Z', quantity: 1 }] }]);
    expect(targetLines(s, at('2025-01-12T00:00:00Z')).map(brief)).toEqual([
      // 29 × 10/31 = 9.354… → 9.35
      { id: 'sub1/default/base/v[0]/period[0]', service: '2025-01-01T00:00:00Z – 2025-01-11T00:00:00Z', invoiceAt: '2025-01-01T00:00:00Z', amount: '9.35' },
      // 39 × 21/31 = 26.419… → 26.42, due at the billing period's start
      { id: 'sub1/default/base/v[1]/period[0]', service: '2025-01-11T00:00:00Z – 2025-02-01T00:00:00Z', invoiceAt: '2025-01-01T00:00:00Z', amount: '26.42' },
      { id: 'sub1/default/base/v[1]/period[1]', service: '2025-02-01T00:00:00Z – 2025-03-01T00:00:00Z', invoiceAt: '2025-02-01T00:00:00Z', amount: '39' },
    ]);
  });
  it('an add-on of a new key ending Feb 1 is an item of its own for exactly that time', () => {
    const s = applyAddons(base, [{ rateCards: [flat('5', { key: 'seat' })], segments: [{ activeFrom: '2025-01-11T00:00:00Z', activeTo: '2025-02-01T00:00:00Z', quantity: 2 }] }]);
    const seat = targetLines(s, at('2025-02-10T00:00:00Z')).filter((l) => l.itemKey === 'seat').map(brief);
    // 5 × 2 = 10, × 21/31 = 6.774… → 6.77
    expect(seat).toEqual([{ id: 'sub1/default/seat/v[0]/period[0]', service: '2025-01-11T00:00:00Z – 2025-02-01T00:00:00Z', invoiceAt: '2025-01-01T00:00:00Z', amount: '6.77' }]);
  });
  it('no running instance (quantity 0): the spec is unchanged', () => {
    expect(applyAddons(base, [{ rateCards: [flat('10')], segments: [{ activeFrom: '2025-01-11T00:00:00Z', quantity: 0 }] }])).toBe(base);
  });
});
