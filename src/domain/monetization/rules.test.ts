import { describe, expect, it } from 'vitest';
import { environmentOfName, isUpgradeByOrder, keyBucketNameOf, rateCardHasPrice } from './MonetizationService.ts';
import type { RateCard } from '../catalog/types.ts';

const v = (key: string, version = 1) => ({ key, version });

describe('plan order (reference zuplo-monetization.md §4; ZDK "newOrder >= currentOrder")', () => {
  it.each([
    [['free', 'starter', 'pro'], v('starter'), v('pro'), true, 'higher index'],
    [['free', 'starter', 'pro'], v('pro'), v('starter'), false, 'lower index'],
    [['free', 'starter', 'pro'], v('pro'), v('free'), false, 'lowest'],
    [['free', 'starter', 'pro'], v('starter'), v('starter', 2), true, 'newer version of the same key'],
    [['free', 'starter', 'pro'], v('starter', 2), v('starter', 1), false, 'older version of the same key'],
    [['free', 'pro'], v('starter'), v('free'), true, 'a key outside the order counts as an upgrade'],
    [[], v('pro'), v('free'), true, 'no order: every change applies at once'],
  ])('%j: %j → %j is upgrade=%s (%s)', (order, from, to, want) => {
    expect(isUpgradeByOrder(order, from, to)).toBe(want);
  });
  it('a first subscription is an upgrade', () => expect(isUpgradeByOrder(['a'], undefined, v('a'))).toBe(true));
});

describe('bucket environment and key-bucket name (decision 0022)', () => {
  it.each([
    ['zprj-shop-production', 'production'],
    ['shop-prod', 'production'],
    ['zprj-shop-preview', 'preview'],
    ['zprj-shop-working-copy', 'working-copy'],
    ['bckt_abc', 'working-copy'],
  ])('%s → %s', (name, env) => expect(environmentOfName(name)).toBe(env));
  it.each([
    ['zprj-shop-production', 'zprj-shop-production'],
    ['bckt_ABC', 'bckt-abc'],
    ['ab', 'bucket-ab'],
  ])('%s → key bucket %s', (id, name) => expect(keyBucketNameOf(id)).toBe(name));
});

describe('what counts as a price (payment required, cancel at next billing cycle)', () => {
  const flat = (amount: string): RateCard => ({ type: 'flat_fee', key: 'f', name: 'f', billingCadence: 'P1M', price: { type: 'flat', amount } });
  it.each([
    [flat('29'), true],
    [flat('0'), false],
    [{ type: 'usage_based', key: 'u', name: 'u', billingCadence: 'P1M', price: null } as RateCard, false],
    [{ type: 'usage_based', key: 'u', name: 'u', billingCadence: 'P1M', price: { type: 'unit', amount: '0.01' } } as RateCard, true],
  ])('%j → %s', (rc, want) => expect(rateCardHasPrice(rc)).toBe(want));
});
