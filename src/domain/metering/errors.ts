import { DomainError, ErrorKind } from '../shared/errors.ts';

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
  customersNotFound: 'customers_not_found',
  customerNotFound: 'customer_not_found',
} as const;

/**
 * A meter query filtered by customers that do not exist (404). The v1 handler reports the
 * first id in its message ("customer with id … not found", openmeter/meter/httphandler/mapping.go);
 * the v3 surface lists every id as a `customer_not_found` issue (api/v3/handlers/meters/query).
 */
export class CustomersNotFoundError extends DomainError {
  constructor(readonly customerIds: string[]) {
    super(ErrorKind.notFound, MeteringErrorCode.customerNotFound, `customer with id ${customerIds[0]} not found`);
  }
}
