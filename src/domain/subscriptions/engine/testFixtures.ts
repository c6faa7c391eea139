/** Builders shared by the subscription engine tests. */
import type { FlatFeeRateCard, PaymentTerm, UsageBasedRateCard } from '../../catalog/types.ts';
import type { Period } from '../../shared/period.ts';
import type { SubscriptionItemSpec, SubscriptionPhaseSpec, SubscriptionSpec, TargetLine } from './types.ts';

export const at = (iso: string): Date => new Date(iso);

export const flat = (amount: string, opts: { cadence?: string | null; term?: PaymentTerm; key?: string } = {}): FlatFeeRateCard => ({
  type: 'flat_fee',
  key: opts.key ?? 'base',
  name: 'Base fee',
  billingCadence: opts.cadence === undefined ? 'P1M' : opts.cadence,
  price: { type: 'flat', amount, ...(opts.term ? { paymentTerm: opts.term } : {}) },
});

export const unitUsage = (opts: { cadence?: string; key?: string } = {}): UsageBasedRateCard => ({
  type: 'usage_based',
  key: opts.key ?? 'tokens',
  name: 'Tokens',
  featureKey: 'tokens',
  billingCadence: opts.cadence ?? 'P1M',
  price: { type: 'unit', amount: '0.01' },
});

export const item = (rateCard: FlatFeeRateCard | UsageBasedRateCard, over: Partial<SubscriptionItemSpec> = {}): SubscriptionItemSpec => ({
  key: rateCard.key,
  rateCard,
  ...over,
});

export const phase = (key: string, startAfter: string, items: SubscriptionItemSpec[]): SubscriptionPhaseSpec => ({ key, startAfter, items });

export const spec = (over: Partial<SubscriptionSpec> = {}): SubscriptionSpec => ({
  id: 'sub1',
  customerId: 'cus1',
  currency: 'USD',
  activeFrom: '2025-01-01T00:00:00Z',
  billingAnchor: over.activeFrom ?? '2025-01-01T00:00:00Z',
  billingCadence: 'P1M',
  proRatingConfig: { enabled: true, mode: 'prorate_prices' },
  phases: [phase('default', 'P0D', [item(flat('30'))])],
  ...over,
});

const iso = (d: Date): string => d.toISOString().replace('.000Z', 'Z');
export const fmt = (p: Period): string => `${iso(p.from)} – ${iso(p.to)}`;

/** A compact, comparable view of a line. */
export const brief = (l: TargetLine) => ({
  id: l.childUniqueReferenceId,
  service: fmt(l.servicePeriod),
  invoiceAt: iso(l.invoiceAt),
  amount: l.amount,
});
