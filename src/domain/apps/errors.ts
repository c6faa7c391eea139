/**
 * Codes of app errors. OpenMeter answers 404 for an unknown app or listing, 400 for an install
 * method the listing does not offer or a body whose type differs from the app's, and refuses to
 * uninstall an app a billing profile still uses (409 here).
 */
export const AppErrorCode = {
  notFound: 'app_not_found',
  listingNotFound: 'marketplace_listing_not_found',
  installMethodNotSupported: 'app_install_method_not_supported',
  typeMismatch: 'app_type_mismatch',
  invalid: 'app_invalid',
  invalidStripeApiKey: 'invalid_stripe_api_key',
  stripeAppExists: 'stripe_app_already_exists',
  inUse: 'app_in_use_by_billing_profile',
  customerAppDataInvalid: 'customer_app_data_invalid',
  customerAppDataNotFound: 'customer_app_data_not_found',
  invalidPagination: 'invalid_pagination',
} as const;
export type AppErrorCode = (typeof AppErrorCode)[keyof typeof AppErrorCode];
