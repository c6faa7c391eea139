import type { Request } from 'express';
import { classifyError } from '../http/classifyError.ts';
import { reasonPhrase } from '../http/problem.ts';
import { requestIdOf } from '../http/requestId.ts';
import type { ProblemRenderer } from '../http/types.ts';

const nowOf = (req: Request): Date => (req.app.locals.emulator as { clock: { now(): Date } }).clock.now();

/** Zuplo problem: `https://httpproblems.com/http-status/<code>` types plus the gateway's `trace`. */
export const renderZuploProblem: ProblemRenderer = (err: unknown, req: Request) => {
  const c = classifyError(err);
  const body: Record<string, unknown> = {
    type: `https://httpproblems.com/http-status/${c.status}`,
    title: reasonPhrase(c.status),
    status: c.status,
    detail: c.detail || undefined,
    instance: req.path,
    trace: { timestamp: nowOf(req).toISOString(), requestId: requestIdOf(req), buildId: 'localmeter' },
  };
  if (c.domain && c.domain.issues.length > 0) {
    body.extensions = { validationErrors: c.domain.issues.map((i) => ({ severity: 'critical', ...i })) };
  }
  if (c.notBuiltOperationId) body.extensions = { operationId: c.notBuiltOperationId };
  return { status: c.status, body };
};
