import { DomainError, ErrorKind } from '../shared/errors.ts';

/** Stable codes of the entitlement service (the credit engine's own codes are in credit/reset.ts). */
export const EntitlementErrorCode = {
  entitlementNotFound: 'entitlement_not_found',
  grantNotFound: 'grant_not_found',
  customerNotFound: 'customer_not_found',
  subjectNotFound: 'subject_not_found',
  featureNotFound: 'feature_not_found',
  featureArchived: 'feature_archived',
  featureRequired: 'feature_required',
  featureHasNoMeter: 'feature_has_no_meter',
  entitlementAlreadyExists: 'entitlement_already_exists',
  usagePeriodRequired: 'usage_period_required',
  usagePeriodTooShort: 'usage_period_too_short',
  usagePeriodInvalid: 'usage_period_invalid',
  staticConfigInvalid: 'static_config_invalid',
  issueAfterResetPriorityWithoutAmount: 'issue_after_reset_priority_without_amount',
  notMetered: 'entitlement_not_metered',
  invalidType: 'invalid_entitlement_type',
  invalidPagination: 'invalid_pagination',
  managedBySubscription: 'entitlement_managed_by_subscription',
} as const;
export type EntitlementErrorCode = (typeof EntitlementErrorCode)[keyof typeof EntitlementErrorCode];

/** `entitlement is managed by subscription` (entitlement/hooks/subscription/hook.go) → 403 */
export const managedBySubscription = () =>
  new DomainError(ErrorKind.forbidden, EntitlementErrorCode.managedBySubscription, 'entitlement is managed by subscription');
