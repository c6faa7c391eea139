import type { Dec } from '../../../shared/money.ts';
import type { Discounts, Price, UnitConfig } from '../../../catalog/types.ts';
import type { CreditApplied, DraftDetailedLine, ProrationCreditAllocation, RatingPeriod, UsageDiscountApplied } from '../types.ts';

/** The validated, parsed view of a RatingInput that every mutator reads. */
export interface RatingContext {
  lineName: string;
  currency: string;
  price: Price;
  discounts: Discounts;
  isFirstInPeriod: boolean;
  isLastInPeriod: boolean;
  previouslyBilledAmount: Dec;
  period: RatingPeriod;
  /** split-group period, or the line period for non-split lines */
  fullServicePeriod: RatingPeriod;
  percentageCorrelationId?: string;
  usageCorrelationId?: string;
  unitConfig?: UnitConfig;
  /** in allocation order */
  creditsApplied: CreditApplied[];
  prorationCredit?: ProrationCreditAllocation;
}

/** Quantities the pricer will see. */
export interface UsageState {
  quantity: Dec;
  preLinePeriodQuantity: Dec;
  usageDiscount?: UsageDiscountApplied;
}

/** Runs before the pricer and may only change the quantities. */
export interface PreMutator {
  readonly name: string;
  mutate(ctx: RatingContext, usage: UsageState): UsageState;
}

/** Runs after the pricer, in order, on the detailed lines emitted so far. */
export interface PostMutator {
  readonly name: string;
  mutate(ctx: RatingContext, lines: DraftDetailedLine[]): DraftDetailedLine[];
}
