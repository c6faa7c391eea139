import type { Request } from 'express';
import { classifyError } from '../http/classifyError.ts';
import { reasonPhrase } from '../http/problem.ts';
import type { ProblemRenderer } from '../http/types.ts';

export const renderControlProblem: ProblemRenderer = (err: unknown, _req: Request) => {
  const c = classifyError(err);
  return { status: c.status, body: { type: 'about:blank', title: reasonPhrase(c.status), status: c.status, detail: c.detail } };
};
