import type { Request } from 'express';
import { classifyError } from '../http/classifyError.ts';
import { reasonPhrase } from '../http/problem.ts';
import { requestIdOf } from '../http/requestId.ts';
import type { ProblemRenderer } from '../http/types.ts';
import { renderOpenMeterProblem } from '../http/openMeterProblem.ts';

/** A 400 a v3 handler builds itself without naming parameters: Konnect shape, detail "Bad Request". */
export class KonnectBadRequest extends Error {
  readonly status = 400;
  readonly errors: never[] = [];
}

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

/**
 * Konnect (AIP) problems come only from the schema validator and the errors the handlers build
 * themselves (list parameters, cursors): 400s carry `invalid_parameters` and a detail listing
 * them, a malformed path id is a 404. Errors raised by the domain (not found, rule violations,
 * conflicts) go down the shared OpenMeter error path in the real service and are rendered in
 * the v1 problem shape, `type: about:blank` with `extensions.validationErrors`
 * (api/v3/apierrors/encoder.go; both shapes are documented in e2e/v3helpers_test.go).
 */
export const renderV3Problem: ProblemRenderer = (err: unknown, req: Request) => {
  const c = classifyError(err);
  if (c.domain) return renderOpenMeterProblem(err, req);
  let status = c.status;
  const pathIssue = c.schemaIssues?.some((i) => i.location === 'path');
  if (status === 400 && pathIssue) status = 404;
  // an undeclared content type is a request error like any other (api/v3/oasmiddleware/hook.go)
  if (status === 415) status = 400;
  let detail = c.detail;
  if (status === 404 && pathIssue) detail = 'The requested entity was not found';
  else if (status === 404 && !c.notBuiltOperationId) detail = 'The requested route was not found';
  const body: Record<string, unknown> = {
    type: `https://kongapi.info/konnect/${TYPE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad-request')}`,
    status,
    title: TITLE_BY_STATUS[status] ?? reasonPhrase(status),
    instance: `urn:request:${requestIdOf(req)}`,
    detail,
  };
  if (status === 400) {
    const params = (c.schemaIssues ?? []).map((i) => {
      const rule = RULE_BY_KEYWORD[i.keyword ?? ''] ?? i.keyword ?? 'invalid';
      return { field: fieldName(i.path, i.location), ...(rule ? { rule } : {}), reason: i.message, source: i.location === 'path' ? 'path' : i.location };
    });
    // "Bad Request: <field> [<rule>]: <reason>, …" (api/v3/apierrors/errors_ctors.go NewBadRequestError)
    body.detail = 'Bad Request';
    if (params.length > 0) {
      body.invalid_parameters = params;
      body.detail = `Bad Request: ${params.map((p) => `${p.field}${p.rule ? ` [${p.rule}]` : ''}: ${p.reason}`).join(', ')}`;
    }
  }
  return { status, body };
};
