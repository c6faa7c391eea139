/** Codes of the API-key service's errors (emulator-named; Zuplo's problem bodies carry only prose). */
export const ApiKeyErrorCode = {
  bucketNotFound: 'bucket_not_found',
  bucketNameTaken: 'bucket_name_taken',
  consumerNotFound: 'consumer_not_found',
  consumerNameTaken: 'consumer_name_taken',
  keyNotFound: 'api_key_not_found',
  keyTaken: 'api_key_taken',
  managerNotFound: 'manager_not_found',
  invalidExpiresOn: 'invalid_expires_on',
  invalidName: 'invalid_name',
} as const;
