import { validationError } from '../shared/errors.ts';

/** RFC 3339 → canonical ISO-8601 (UTC, milliseconds), or a validation error naming the field. */
export function instant(value: string, field: string, code: string): string {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t)) {
    const message = `${field} must be an RFC 3339 date-time`;
    throw validationError(code, message, [{ code, message, field, severity: 'critical' }]);
  }
  return new Date(t).toISOString();
}

/** `to`, when given, must be strictly after `from` */
export function checkPeriod(from: string, to: string | undefined, code: string, field = 'effective_to'): void {
  if (to !== undefined && Date.parse(to) <= Date.parse(from)) {
    const message = `${field} must be later than effective_from`;
    throw validationError(code, message, [{ code, message, field, severity: 'critical' }]);
  }
}
