import type { Request } from 'express';
import { BILLING_ISSUE_MESSAGES } from '../../domain/billing/profiles/errors.ts';
import { classifyError } from '../http/classifyError.ts';
import { reasonPhrase } from '../http/problem.ts';
import { renderOpenMeterProblem } from '../http/openMeterProblem.ts';
import type { ProblemRenderer } from '../http/types.ts';
import { jsonDecodeError } from '../../domain/shared/jsonDecodeError.ts';

/**
 * A body that is not JSON never reaches a v1 handler: the request validator decodes it with Go's
 * json.Decoder and answers 400 with the first line of kin-openapi's RequestError
 * (`openmeter/server/server.go` OapiRequestValidatorWithOptions; `router.go` registers the same
 * decoder for the cloudevents media types). Undefined when Go would have accepted the text.
 */
function undecodableBodyDetail(err: unknown): string | undefined {
  const e = err as { type?: unknown; body?: unknown } | null;
  if (e?.type !== 'entity.parse.failed' || typeof e.body !== 'string') return undefined;
  const reason = jsonDecodeError(e.body);
  return reason === undefined ? undefined : `request body has an error: failed to decode request body: ${reason}`;
}

/** OpenMeter v1 problem: the shared OpenMeter shape (http/openMeterProblem.ts). */
export const renderV1Problem: ProblemRenderer = (err: unknown, req: Request) => {
  const c = classifyError(err);
  // A content type the operation does not declare fails kin-openapi's request check, which the
  // validator middleware turns into a plain 400 written without the request context, so with
  // no `instance` (openmeter/server/server.go, oapi-codegen nethttp-middleware).
  if (!c.domain && c.status === 415) {
    const type = req.get('content-type') ?? '';
    return { status: 400, body: { type: 'about:blank', title: reasonPhrase(400), status: 400, detail: `request body has an error: header Content-Type has unexpected value "${type}"` } };
  }
  const out = renderOpenMeterProblem(err, req, undecodableBodyDetail(err));
  const billingIssue = c.domain ? BILLING_ISSUE_MESSAGES[c.domain.code] : undefined;
  if (c.domain && billingIssue !== undefined) {
    // the billing HTTP driver flattens the (first) validation issue into the extensions
    // (openmeter/billing/httpdriver/errors.go, openmeter/billing/errors.go EncodeValidationIssues)
    out.body.extensions = { code: c.domain.code, message: billingIssue, severity: 'critical' };
  }
  return out;
};
