import { dec, type Dec } from '../../shared/money.ts';
import type { PriceTier, TieredPrice } from '../../catalog/types.ts';
import { validationError } from '../../shared/errors.ts';
import { RatingErrorCode } from './errors.ts';

export interface SortedTier {
  tier: PriceTier;
  /** null = open-ended */
  upTo: Dec | null;
}

const isOpen = (t: PriceTier): boolean => t.upToAmount === undefined || t.upToAmount === null;

/** Tiers by `upToAmount` ascending, the open-ended tier last (TieredPrice.WithSortedTiers). */
export const sortedTiers = (price: TieredPrice): SortedTier[] => {
  if (!price.tiers.some(isOpen)) {
    throw validationError(RatingErrorCode.missingOpenEndedTier, 'tiered price has no open-ended tier');
  }
  return price.tiers
    .map((tier) => ({ tier, upTo: isOpen(tier) ? null : dec(tier.upToAmount) }))
    .sort((a, b) => (a.upTo === null ? (b.upTo === null ? 0 : 1) : b.upTo === null ? -1 : a.upTo.cmp(b.upTo)));
};
