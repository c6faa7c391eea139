/**
 * Invoice error codes and the issue messages OpenMeter gives them (`openmeter/billing/errors.go`).
 * Every one is a 400 validation issue there except a missing invoice (404 `NotFoundError`).
 */
export const InvoiceErrorCode = {
  notFound: 'invoice_not_found',
  customerNotFound: 'customer_not_found',
  cannotAdvance: 'invoice_cannot_advance',
  actionNotAvailable: 'invoice_action_not_available',
  cannotBeEdited: 'invoice_cannot_be_edited',
  createNoLines: 'invoice_create_no_lines',
  linesNotBillable: 'invoice_lines_not_billable',
  ubpLinePeriodEmpty: 'invoice_create_ubp_line_period_is_empty',
  progressiveNotSupported: 'invoice_progressive_billing_not_supported',
  invalidLine: 'invoice_line_invalid',
  featureNotFound: 'feature_not_found',
  usageBasedPriceWithNoFeature: 'usage_based_price_with_no_feature',
  usageBasedPriceWithFeatureAndNoMeter: 'usage_based_price_with_feature_and_no_meter',
  notImplemented: 'invoice_operation_not_implemented',
  appNotInvoicing: 'invoice_app_not_invoicing',
  invalidPaymentStatus: 'invoice_invalid_payment_status',
  immutableInvoiceHandlingNotSupported: 'immutable_invoice_handling_not_supported',
} as const;

const E = InvoiceErrorCode;

export const INVOICE_ISSUE_MESSAGES: Readonly<Record<string, string>> = {
  [E.notFound]: 'invoice not found',
  [E.customerNotFound]: 'customer not found',
  [E.cannotAdvance]: 'invoice cannot advance',
  [E.actionNotAvailable]: 'invoice action not available',
  [E.cannotBeEdited]: 'invoice cannot be edited in the current state',
  [E.createNoLines]: 'the new invoice would have no lines',
  [E.linesNotBillable]: 'invoice lines are not billable',
  [E.ubpLinePeriodEmpty]: 'usage based line period is empty',
  [E.progressiveNotSupported]: 'progressive billing is not supported',
};
