/** Codes the rating engine throws. The `invoice_*` ones are the real service's strings (engine.md §6.1). */
export const RatingErrorCode = {
  /** misnamed in the real service: it is raised for volume-tiered lines with pre-line usage */
  volumeSplitNotSupported: 'invoice_line_graduated_split_not_supported',
  missingOpenEndedTier: 'invoice_line_missing_open_ended_tier',
  /** emulator's own: the real service fails line validation without a dedicated code */
  negativeTotal: 'invoice_line_total_negative',
  /** emulator's own: a quantity / amount input that is not a decimal string */
  invalidDecimal: 'rating_invalid_decimal',
  /** emulator's own: a rate-card discount reached the engine without a correlation id */
  discountCorrelationIdMissing: 'rating_discount_correlation_id_missing',
} as const;
export type RatingErrorCode = (typeof RatingErrorCode)[keyof typeof RatingErrorCode];
