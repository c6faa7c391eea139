import { DomainError, ErrorKind } from '../shared/errors.ts';

/**
 * Subscription error codes. Those marked "real" are OpenMeter's own strings
 * (openmeter/subscription/errors.go); the others are this emulator's names, in the same style,
 * for errors the real service raises without a code (generic validation / forbidden errors).
 */
export const SubscriptionErrorCode = {
  // real
  onlySingleSubscriptionAllowed: 'only_single_subscription_allowed_per_customer_at_a_time',
  onlySingleSubscriptionItemAllowed: 'only_single_subscription_item_allowed_at_a_time',
  restoreNotAllowedForMultiSubscription: 'subscription_restore_not_allowed_for_multi_subscription',
  billingPeriodBeforeStart: 'subscription_billing_period_queried_before_subscription_start',
  phaseHasNoItems: 'subscription_phase_has_no_items',
  /** customer/errors.go */
  deletingCustomerWithActiveSubscriptions: 'deleting_customer_with_active_subscriptions',
  // emulator-named
  notFound: 'subscription_not_found',
  addonNotFound: 'subscription_addon_not_found',
  transitionNotAllowed: 'subscription_transition_not_allowed',
  customerRequired: 'subscription_customer_required',
  customerDeleted: 'subscription_customer_deleted',
  planRequired: 'subscription_plan_required',
  planNotActive: 'subscription_plan_not_active',
  planDeleted: 'subscription_plan_deleted',
  invalidTiming: 'invalid_timing',
  invalidInput: 'subscription_invalid',
  currencyMismatch: 'subscription_currency_mismatch',
  startingPhaseNotFound: 'subscription_starting_phase_not_found',
  migrateTargetVersion: 'subscription_migrate_invalid_target_version',
  editForbidden: 'subscription_edit_forbidden',
  editConflict: 'subscription_edit_conflict',
  addonAlreadyPurchased: 'subscription_addon_already_purchased',
  addonNotActive: 'subscription_addon_not_active',
  addonNotAllowed: 'subscription_addon_not_allowed',
  addonQuantityInvalid: 'subscription_addon_quantity_invalid',
  addonIncompatible: 'subscription_addon_incompatible',
} as const;
export type SubscriptionErrorCode = (typeof SubscriptionErrorCode)[keyof typeof SubscriptionErrorCode];

/**
 * The real service reports subscription rule violations as validation issues, rendered into
 * `extensions.validationErrors` (the v1 Subscription*ErrorResponse schemas require them).
 */
export function issueError(kind: ErrorKind, code: string, message: string, field?: string): DomainError {
  return new DomainError(kind, code, message, { issues: [{ code, message, severity: 'critical', ...(field ? { field } : {}) }] });
}

export const invalid = (code: string, message: string, field?: string) => issueError(ErrorKind.validation, code, message, field);

/** `transition <action> in state <status> not allowed` (subscription/state.go) → 403 */
export const transitionNotAllowed = (action: string, status: string) =>
  new DomainError(ErrorKind.forbidden, SubscriptionErrorCode.transitionNotAllowed, `transition ${action} in state ${status} not allowed`);
