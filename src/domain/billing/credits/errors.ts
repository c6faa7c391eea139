/** Codes of billing-credit errors; the ones the real service names are its own (api/v3/handlers/customers/credits/errors.go). */
export const CreditErrorCode = {
  invalid: 'credit_grant_invalid',
  notFound: 'credit_grant_not_found',
  keyConflict: 'credit_grant_key_conflict',
  notVoidable: 'credit_grant_not_voidable',
  voidPaymentAdjustmentInvalid: 'credit_grant_void_payment_adjustment_invalid',
  externalSettlementStatusInvalid: 'credit_grant_external_settlement_status_invalid',
  externalSettlementNotSupported: 'credit_grant_external_settlement_not_supported',
  unsupportedTransition: 'unsupported_operation',
  taxCodeNotFound: 'tax_code_not_found',
  invalidCursor: 'invalid_cursor',
  adjustmentsNotImplemented: 'credit_adjustments_not_implemented',
} as const;
export type CreditErrorCode = (typeof CreditErrorCode)[keyof typeof CreditErrorCode];
