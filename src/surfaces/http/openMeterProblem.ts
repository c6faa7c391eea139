import type { Request } from 'express';
import { classifyError } from './classifyError.ts';
import { reasonPhrase } from './problem.ts';
import { requestIdOf } from './requestId.ts';

/**
 * OpenMeter's shared problem shape, `{type: about:blank, title, status, detail, instance,
 * extensions}` with rule issues under `extensions.validationErrors`
 * (pkg/framework/commonhttp). v1 answers every error in it; real v3 answers in it every error
 * raised below its handlers (api/v3/apierrors/encoder.go), so both surfaces render through here.
 */
export function renderOpenMeterProblem(err: unknown, req: Request, detail?: string): { status: number; body: Record<string, unknown> } {
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
    detail: detail ?? c.detail,
    instance: `urn:request:${requestIdOf(req)}`,
  };
  if (Object.keys(extensions).length > 0) body.extensions = extensions;
  return { status: c.status, body };
}
