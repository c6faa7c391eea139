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

/**
 * Tiers by `upToAmount` ascending, the open-ended tier last (TieredPrice.WithSortedTiers). Worked
 * out once per price object: prices are replaced, never edited in place (the invoice service keys
 * its rating on the same rule), and every line of a subscription item shares its price.
 */
export const sortedTiers = (price: TieredPrice): readonly SortedTier[] => {
  let out = sortedOf.get(price);
  if (out === undefined) {
    if (!price.tiers.some(isOpen)) {
      throw validationError(RatingErrorCode.missingOpenEndedTier, 'tiered price has no open-ended tier');
    }
    out = price.tiers
      .map((tier) => ({ tier, upTo: isOpen(tier) ? null : dec(tier.upToAmount) }))
      .sort((a, b) => (a.upTo === null ? (b.upTo === null ? 0 : 1) : b.upTo === null ? -1 : a.upTo.cmp(b.upTo)));
    sortedOf.set(price, out);
  }
  return out;
};
const sortedOf = new WeakMap<TieredPrice, readonly SortedTier[]>();
