import type { Dec } from '../../shared/money.ts';
import type { Price } from '../../catalog/types.ts';
import type { DraftDetailedLine } from './types.ts';

/** What a pricer sees: quantities after the pre-mutators (usage discount) as Decimals. */
export interface PricerInput<P extends Price = Price> {
  lineName: string;
  currency: string;
  price: P;
  quantity: Dec;
  preLinePeriodQuantity: Dec;
  isFirstInPeriod: boolean;
  isLastInPeriod: boolean;
}

/**
 * One implementation per price type (tiered: one per mode). A pricer only emits the detailed
 * lines of OpenMeter billing/rating/service/rate; discounts and commitments are the mutators' job, totals are computed
 * last by rateLine.
 */
export interface Pricer<P extends Price = Price> {
  rate(input: PricerInput<P>): DraftDetailedLine[];
}
