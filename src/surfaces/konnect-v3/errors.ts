import type { Request } from 'express';
import { classifyError } from '../http/classifyError.ts';
import { reasonPhrase } from '../http/problem.ts';
import { requestIdOf } from '../http/requestId.ts';
import type { ProblemRenderer } from '../http/types.ts';

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthenticated',
  403: 'unauthorized',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'resource-conflict',
  410: 'gone',
  412: 'precondition-failed',
  429: 'rate-limited',
  501: 'not-implemented',
  503: 'unavailable',
};
const TITLE_BY_STATUS: Record<number, string> = { 401: 'Unauthenticated', 403: 'Forbidden', 409: 'Conflict' };

const RULE_BY_KEYWORD: Record<string, string> = {
  required: 'required',
  enum: 'enum',
  format: 'format',
  pattern: 'pattern',
  type: 'type',
  minItems: 'min_items',
  maxItems: 'max_items',
  minimum: 'min',
  maximum: 'max',
  minLength: 'min_length',
  maxLength: 'max_length',
  additionalProperties: 'is_not_allowed',
};

/** `phases[0].rateCards[1].featureKey` → `phases[0].rate_cards[1].feature_key`: v3 names fields in snake_case */
const snakePath = (path: string): string => path.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

/**
 * The validator reports `/body/usage_attribution/subject_keys/0` or `/query/filter/bogus`; Konnect
 * names body fields with dots and query parameters the way they are written (`filter[bogus]`).
 */
function fieldName(path: string, location: string): string {
  const parts = path.replace(/^[./]?(body|query|params|path|headers)[./]?/, '').split(/[./]/).filter(Boolean);
  if (parts.length === 0) return location;
  if (location === 'query') return parts[0]! + parts.slice(1).map((p) => `[${p}]`).join('');
  return parts.join('.');
}

/** Konnect (AIP) problem: 400s carry `invalid_parameters`; a malformed path id is a 404. */
export const renderV3Problem: ProblemRenderer = (err: unknown, req: Request) => {
  const c = classifyError(err);
  let status = c.status;
  const pathIssue = c.schemaIssues?.some((i) => i.location === 'path');
  if (status === 400 && pathIssue) status = 404;
  const body: Record<string, unknown> = {
    type: `https://kongapi.info/konnect/${TYPE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad-request')}`,
    status,
    title: TITLE_BY_STATUS[status] ?? reasonPhrase(status),
    instance: `urn:request:${requestIdOf(req)}`,
    detail: status === 404 && pathIssue ? 'the requested resource was not found' : c.detail,
  };
  if (status === 400 && c.schemaIssues && c.schemaIssues.length > 0) {
    body.invalid_parameters = c.schemaIssues.map((i) => ({
      field: fieldName(i.path, i.location),
      rule: RULE_BY_KEYWORD[i.keyword ?? ''] ?? i.keyword ?? 'invalid',
      reason: i.message,
      source: i.location === 'path' ? 'path' : i.location,
    }));
  }
  if (c.domain && c.domain.issues.length > 0) {
    body.extensions = { validationErrors: c.domain.issues.map((i) => ({ severity: 'critical', ...i })) };
  }
  // The v3 document's BadRequestError requires `invalid_parameters`; rule violations found by
  // the domain are listed there too, one per issue, with the rule code as the `rule`.
  if (status === 400 && c.domain && body.invalid_parameters === undefined) {
    const issues = c.domain.issues.length > 0 ? c.domain.issues : [{ code: c.domain.code, message: c.domain.message, field: undefined }];
    body.invalid_parameters = issues.map((i) => ({ field: snakePath(i.field ?? ''), rule: i.code, reason: i.message, source: 'body' }));
  }
  if (c.domain && Object.keys(c.domain.extensions).length > 0) {
    body.extensions = { ...((body.extensions as object) ?? {}), ...c.domain.extensions };
  }
  if (c.notBuiltOperationId) body.detail = c.detail;
  return { status, body };
};
