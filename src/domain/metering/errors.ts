/** Stable error codes of the metering domain. */
export const MeteringErrorCode = {
  meterNotFound: 'meter_not_found',
  meterKeyConflict: 'meter_key_conflict',
  meterInvalid: 'meter_invalid',
  eventInvalid: 'invalid_event',
  subjectNotFound: 'subject_not_found',
  subjectInvalid: 'subject_invalid',
  portalTokenInvalid: 'portal_token_invalid',
  portalTokenMeterForbidden: 'portal_token_meter_forbidden',
  portalTokenNotFound: 'portal_token_not_found',
  invalidCursor: 'invalid_cursor',
  invalidQueryParameter: 'invalid_query_parameter',
} as const;
