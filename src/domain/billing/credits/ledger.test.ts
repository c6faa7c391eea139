import { describe, expect, it } from 'vitest';
import { dec } from '../../shared/money.ts';
import { consumptionOrder, expiredAmount, ledgerRows, liveBalance, liveSourceOrder, pendingAt, remainingAt, settledAt } from './ledger.ts';
import type { CreditEntry, CreditGrant } from './types.ts';

const T = '2026-01-10T00:00:00.000Z';
const grant = (id: string, over: Partial<CreditGrant> = {}): CreditGrant => ({
  id,
  customerId: 'c',
  name: id,
  currency: 'USD',
  amount: '0',
  fundingMethod: 'none',
  priority: 10,
  availableFrom: T,
  chargeStatus: 'final',
  createdAt: T,
  updatedAt: T,
  ...over,
});
const funded = (g: CreditGrant, bookedAt = g.availableFrom): CreditEntry => ({ id: `f-${g.id}`, customerId: 'c', currency: g.currency, type: 'funded', amount: g.amount, bookedAt, createdAt: T, grantId: g.id, name: g.name });
const consumed = (g: CreditGrant, amount: string, bookedAt: string): CreditEntry => ({ id: `c-${g.id}-${bookedAt}`, customerId: 'c', currency: 'USD', type: 'consumed', amount: `-${amount}`, bookedAt, createdAt: bookedAt, grantId: g.id, name: 'x' });

describe('billing credit ledger', () => {
  it('konnect-billing.md §4.6 worked example: settled 150, pending 30, live −70', () => {
    const a = grant('A', { amount: '50' });
    const b = grant('B', { amount: '100', fundingMethod: 'external', chargeStatus: 'active' });
    const c = grant('C', { amount: '30', effectiveAt: '2026-02-10T00:00:00.000Z', availableFrom: '2026-02-10T00:00:00.000Z' });
    const grants = [a, b, c];
    const entries = grants.map((g) => funded(g));
    const now = new Date(T);
    const settled = settledAt(ledgerRows(grants, entries), now);
    expect(settled.toString()).toBe('150'); // 50 + 100; C is booked next month
    expect(pendingAt(grants, entries, now).toString()).toBe('30');
    const live = liveBalance(
      settled,
      grants,
      entries,
      [
        { chargeId: 'u1', currency: 'USD', settlementMode: 'credit_then_invoice', outstanding: '20', createdAt: T },
        { chargeId: 'u2', currency: 'USD', settlementMode: 'credit_only', outstanding: '200', createdAt: T },
      ],
      now,
    );
    // 150 − min(20, 150) − 200 = −70
    expect(live.toString()).toBe('-70');
  });

  it('a credit_then_invoice charge takes only credit it can use (feature restriction)', () => {
    const tokens = grant('T', { amount: '30', featureKeys: ['tokens'] });
    const entries = [funded(tokens)];
    const impact = { chargeId: 'x', currency: 'USD', featureKey: 'images', settlementMode: 'credit_then_invoice' as const, outstanding: '50', createdAt: T };
    // the images charge cannot use credit restricted to tokens: live stays 30
    expect(liveBalance(dec(30), [tokens], entries, [impact], new Date(T)).toString()).toBe('30');
  });

  it('expiry forfeits the remainder just before expires_at; an expired grant has nothing left', () => {
    const g = grant('G', { amount: '20', expiresAt: '2026-01-20T00:00:00.000Z' });
    const entries = [funded(g), consumed(g, '8', '2026-01-15T00:00:00.000Z')];
    expect(expiredAmount(g, entries)?.toString()).toBe('-12'); // 20 − 8
    expect(remainingAt(g, entries, new Date('2026-01-19T00:00:00Z')).toString()).toBe('12');
    expect(remainingAt(g, entries, new Date('2026-01-20T00:00:00Z')).toString()).toBe('0');
    const rows = ledgerRows([g], entries);
    expect(settledAt(rows, new Date('2026-01-19T23:59:59Z')).toString()).toBe('12');
    expect(settledAt(rows, new Date('2026-01-20T00:00:00Z')).toString()).toBe('0');
  });

  it('collection order: priority, then earliest expiry (never-expiring last), then creation', () => {
    const rows = [
      grant('late-prio', { priority: 20 }),
      grant('never-expires'),
      grant('expires-later', { expiresAt: '2026-03-01T00:00:00.000Z' }),
      grant('expires-soon', { expiresAt: '2026-02-01T00:00:00.000Z' }),
    ];
    expect([...rows].sort(consumptionOrder).map((g) => g.id)).toEqual(['expires-soon', 'expires-later', 'never-expires', 'late-prio']);
  });

  it('live walks restricted credit before unrestricted credit of the same priority', () => {
    const rows = [grant('late-prio', { priority: 20, featureKeys: ['tokens'] }), grant('any'), grant('restricted', { featureKeys: ['tokens'] })];
    expect([...rows].sort(liveSourceOrder).map((g) => g.id)).toEqual(['restricted', 'any', 'late-prio']);
  });
});
