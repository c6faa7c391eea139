/**
 * Codes of customer errors. OpenMeter answers 409 for a duplicate key (`customer with key X
 * already exists`) and for a subject key already attributed to another customer (`one or
 * multiple subject keys of [..] are already associated with an existing customer`), and 412
 * for changes to a deleted customer; the snake_case codes are this emulator's names for them.
 */
export const CustomerErrorCode = {
  notFound: 'customer_not_found',
  keyConflict: 'customer_key_conflict',
  subjectKeyConflict: 'customer_subject_key_conflict',
  deleted: 'customer_deleted',
  invalid: 'customer_invalid',
  keyOrSubjectRequired: 'customer_key_or_subject_keys_required',
  invalidPagination: 'invalid_pagination',
} as const;
export type CustomerErrorCode = (typeof CustomerErrorCode)[keyof typeof CustomerErrorCode];
