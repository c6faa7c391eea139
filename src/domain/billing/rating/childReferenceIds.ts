/** Child unique reference ids of detailed lines (OpenMeter `rating/const.go`). Stable so re-rating upserts. */
export const ChildReferenceId = {
  flatPrice: 'flat-price',
  unitPriceUsage: 'unit-price-usage',
  /** package and dynamic prices share it */
  usage: 'usage',
  volumeFlatPrice: 'volume-flat-price',
  volumeTieredPrice: 'volume-tiered-price',
  minimumSpend: 'min-spend',
  maximumSpendDiscount: 'line_maximum_spend',
  /** localmeter's: one proration-credit discount per line */
  prorationCreditDiscount: 'line_proration_credit',
} as const;

/** 1-based tier number. */
export const graduatedTierUsageRef = (tier: number): string => `graduated-tiered-${tier}-price-usage`;
export const graduatedTierFlatRef = (tier: number): string => `graduated-tiered-${tier}-flat-price`;
export const rateCardDiscountRef = (correlationId: string): string => `rateCardDiscount/correlationID=${correlationId}`;
