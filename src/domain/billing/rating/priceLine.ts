import { TieredPriceMode, type DynamicPrice, type FlatPrice, type PackagePrice, type TieredPrice, type UnitPrice } from '../../catalog/types.ts';
import { flatPricer } from './flatPricer.ts';
import { unitPricer } from './unitPricer.ts';
import { packagePricer } from './packagePricer.ts';
import { dynamicPricer } from './dynamicPricer.ts';
import { volumeTieredPricer } from './volumeTieredPricer.ts';
import { graduatedTieredPricer } from './graduatedTieredPricer.ts';
import type { DraftDetailedLine } from './types.ts';
import type { PricerInput } from './pricer.ts';

/** Dispatches on the price type (and tiered mode), keeping each pricer typed to its own price. */
export const priceLine = (input: PricerInput): DraftDetailedLine[] => {
  // the input itself, narrowed by its price type (no copy per line)
  const { price } = input;
  switch (price.type) {
    case 'flat':
      return flatPricer.rate(input as PricerInput<FlatPrice>);
    case 'unit':
      return unitPricer.rate(input as PricerInput<UnitPrice>);
    case 'package':
      return packagePricer.rate(input as PricerInput<PackagePrice>);
    case 'dynamic':
      return dynamicPricer.rate(input as PricerInput<DynamicPrice>);
    case 'tiered':
      return price.mode === TieredPriceMode.volume
        ? volumeTieredPricer.rate(input as PricerInput<TieredPrice>)
        : graduatedTieredPricer.rate(input as PricerInput<TieredPrice>);
  }
};
