/** Codes the rating engine throws. The `invoice_*` ones are the real service's strings (OpenMeter pkg/models/problem.go, billing/errors.go). */
export const RatingErrorCode = {
  /** misnamed in the real service: it is raised for volume-tiered lines with pre-line usage */
  volumeSplitNotSupported: 'invoice_line_graduated_split_not_supported',
  missingOpenEndedTier: 'invoice_line_missing_open_ended_tier',
  /** left-over credit after every detailed line is paid (billing.ErrInvoiceLineCreditsNotConsumedFully) */
  creditsNotConsumedFully: 'invoice_line_credits_not_consumed_fully',
  /**
   * emulator's own codes for the unit-config refusals: the real service raises plain errors
   * (`mutator/errors.go` ErrUnitConfigDisabled / ErrUnitConfigUnsupportedPrice, and
   * UnitConfig.Validate) with no code; the messages are the real ones.
   */
  unitConfigDisabled: 'rating_unit_config_disabled',
  unitConfigUnsupportedPrice: 'rating_unit_config_unsupported_price',
  unitConfigInvalid: 'rating_unit_config_invalid',
  /** emulator's own: a credit allocation that is not a positive amount (CreditApplied.Validate) */
  creditAmountNotPositive: 'rating_credit_amount_not_positive',
  /** emulator's own: the real service fails line validation without a dedicated code */
  negativeTotal: 'invoice_line_total_negative',
  /** emulator's own: a quantity / amount input that is not a decimal string */
  invalidDecimal: 'rating_invalid_decimal',
  /** emulator's own: a rate-card discount reached the engine without a correlation id */
  discountCorrelationIdMissing: 'rating_discount_correlation_id_missing',
} as const;
export type RatingErrorCode = (typeof RatingErrorCode)[keyof typeof RatingErrorCode];
