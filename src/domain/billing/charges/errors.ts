/** Codes of charge errors. */
export const ChargeErrorCode = {
  invalid: 'charge_invalid',
  featureNotFound: 'feature_not_found',
  featureHasNoMeter: 'feature_has_no_meter',
  conflict: 'charge_conflict',
  invalidStatusFilter: 'invalid_charge_status',
} as const;
export type ChargeErrorCode = (typeof ChargeErrorCode)[keyof typeof ChargeErrorCode];
