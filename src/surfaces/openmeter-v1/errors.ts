import type { Request } from 'express';
import { classifyError } from '../http/classifyError.ts';
import { reasonPhrase } from '../http/problem.ts';
import { requestIdOf } from '../http/requestId.ts';
import type { ProblemRenderer } from '../http/types.ts';

/** OpenMeter v1 problem: `{type: about:blank, title, status, detail, instance, extensions}`. */
export const renderV1Problem: ProblemRenderer = (err: unknown, req: Request) => {
  const c = classifyError(err);
  const extensions: Record<string, unknown> = {};
  if (c.domain) {
    Object.assign(extensions, c.domain.extensions);
    if (c.domain.issues.length > 0) {
      extensions.validationErrors = c.domain.issues.map((i) => ({ severity: 'critical', ...i }));
    }
  }
  if (c.notBuiltOperationId) extensions.operationId = c.notBuiltOperationId;
  const body: Record<string, unknown> = {
    type: 'about:blank',
    title: reasonPhrase(c.status),
    status: c.status,
    detail: c.detail,
    instance: `urn:request:${requestIdOf(req)}`,
  };
  if (Object.keys(extensions).length > 0) body.extensions = extensions;
  return { status: c.status, body };
};
