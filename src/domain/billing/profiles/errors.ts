import { INVOICE_ISSUE_MESSAGES } from '../invoices/errors.ts';

/**
 * Codes of billing profile errors. OpenMeter reports rule violations of profiles as 400
 * (`ValidationError`): deleting the default profile, deleting a profile customers are pinned to,
 * apps lacking a capability; unknown profiles and overrides are 404. The codes of the rules
 * OpenMeter names (openmeter/billing/errors.go) are its own.
 */
export const BillingProfileErrorCode = {
  notFound: 'profile_not_found',
  defaultNotFound: 'default_profile_not_found',
  invalid: 'billing_profile_invalid',
  defaultCannotBeDeleted: 'default_profile_cannot_be_deleted',
  defaultCannotBeUnset: 'default_profile_cannot_be_unset',
  referencedByOverrides: 'profile_referenced',
  deleted: 'profile_already_deleted',
  appMissingCapability: 'billing_profile_app_missing_capability',
  appNotFound: 'billing_profile_app_not_found',
  overrideNotFound: 'customer_override_not_found',
  invalidPagination: 'invalid_pagination',
} as const;
export type BillingProfileErrorCode = (typeof BillingProfileErrorCode)[keyof typeof BillingProfileErrorCode];

const E = BillingProfileErrorCode;

/**
 * OpenMeter's billing validation issues (openmeter/billing/errors.go): code → the issue's own
 * message. An error with one of these codes is such an issue; the problem's detail adds the ids
 * (`default profile cannot be deleted [id=…]`), and the v1 surface flattens the issue into the
 * problem's `extensions` the way the billing HTTP driver does.
 */
export const BILLING_ISSUE_MESSAGES: Readonly<Record<string, string>> = {
  ...INVOICE_ISSUE_MESSAGES,
  [E.notFound]: 'profile not found',
  [E.defaultNotFound]: 'default profile not found',
  [E.deleted]: 'profile already deleted',
  [E.referencedByOverrides]: 'profile is referenced by customer overrides',
  [E.defaultCannotBeDeleted]: 'default profile cannot be deleted',
  [E.defaultCannotBeUnset]: 'default profile cannot be unset',
  [E.overrideNotFound]: 'customer override not found',
};

/** `<issue message> <suffix>`, as OpenMeter wraps an issue with the ids it concerns */
export const billingIssueText = (code: string, suffix: string): string => `${BILLING_ISSUE_MESSAGES[code]!} ${suffix}`;

/** v3 customer billing (customers/billing/*.go). */
export const CustomerBillingErrorCode = {
  customerDeleted: 'customer_deleted',
  noStripeData: 'customer_has_no_stripe_data',
  noInvoicingApp: 'customer_has_no_invoicing_app',
  invalidPaymentMethod: 'invalid_stripe_payment_method_id',
} as const;
