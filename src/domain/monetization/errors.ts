/** Stable codes of monetization errors (Zuplo publishes none; these are ours). */
export const MonetizationErrorCode = {
  emptyConfiguration: 'monetization_configuration_empty',
  invalidConfiguration: 'monetization_configuration_invalid',
  planInviteNotFound: 'plan_invite_not_found',
  planNotFound: 'plan_not_found',
  subscriptionLimit: 'subscription_limit_reached',
  invalidSubscribe: 'monetization_subscribe_invalid',
  cancelWithoutBillables: 'subscription_cancel_next_billing_cycle_without_billables',
  notScheduledForCancel: 'subscription_not_scheduled_for_cancelation',
  stripeKeyMode: 'stripe_key_environment_mismatch',
  stripeKeyInvalid: 'stripe_key_invalid',
  invalidPendingCredits: 'pending_credits_invalid',
} as const;
export type MonetizationErrorCode = (typeof MonetizationErrorCode)[keyof typeof MonetizationErrorCode];
