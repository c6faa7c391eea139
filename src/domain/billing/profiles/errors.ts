/**
 * Codes of billing profile errors. OpenMeter reports rule violations of profiles as 400
 * (`ValidationError`): deleting the default profile, deleting a profile customers are pinned to,
 * apps lacking a capability; unknown profiles and overrides are 404.
 */
export const BillingProfileErrorCode = {
  notFound: 'billing_profile_not_found',
  invalid: 'billing_profile_invalid',
  defaultCannotBeDeleted: 'default_billing_profile_cannot_be_deleted',
  defaultCannotBeUnset: 'default_billing_profile_cannot_be_unset',
  referencedByOverrides: 'billing_profile_referenced_by_customer_overrides',
  deleted: 'billing_profile_deleted',
  appMissingCapability: 'billing_profile_app_missing_capability',
  appNotFound: 'billing_profile_app_not_found',
  overrideNotFound: 'billing_customer_override_not_found',
  invalidPagination: 'invalid_pagination',
} as const;
export type BillingProfileErrorCode = (typeof BillingProfileErrorCode)[keyof typeof BillingProfileErrorCode];
