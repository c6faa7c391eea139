import type { Request } from 'express';
import { classifyError } from '../http/classifyError.ts';
import { reasonPhrase } from '../http/problem.ts';
import { requestIdOf } from '../http/requestId.ts';
import type { EmulatorPort } from '../http/emulatorPort.ts';
import type { ProblemRenderer } from '../http/types.ts';

const MAX_DETAIL = 1000;

const nowOf = (req: Request): Date => (req.app.locals.emulator as EmulatorPort).control.clock().now;

/**
 * Domain errors Zuplo answers with a status their kind does not carry: the CLI reads a 422 on
 * project creation as "name taken, pick another".
 */
const STATUS_BY_CODE: Record<string, number> = { project_name_taken: 422 };

/** Zuplo problem: `https://httpproblems.com/http-status/<code>` types plus the gateway's `trace`. */
export const renderZuploProblem: ProblemRenderer = (err: unknown, req: Request) => {
  const classified = classifyError(err);
  const override = classified.domain ? STATUS_BY_CODE[classified.domain.code] : undefined;
  const c = override ? { ...classified, status: override } : classified;
  // The MCP endpoints speak JSON-RPC 2.0: a body that is not JSON (-32700) or not a request object
  // (-32600) is answered as a JSON-RPC error, not as a problem.
  if (req.path.startsWith('/mcp') && c.status === 400) {
    const parse = (err as { type?: string })?.type === 'entity.parse.failed';
    return { status: 400, body: { jsonrpc: '2.0', id: null, error: { code: parse ? -32700 : -32600, message: parse ? 'Parse error' : 'Invalid Request' } } };
  }
  const body: Record<string, unknown> = {
    type: `https://httpproblems.com/http-status/${c.status}`,
    title: reasonPhrase(c.status),
    status: c.status,
    // a message may quote the offending input: a 10 MB name must not come back as a 10 MB detail
    detail: c.detail ? (c.detail.length > MAX_DETAIL ? `${c.detail.slice(0, MAX_DETAIL)}…` : c.detail) : undefined,
    instance: req.path,
    trace: { timestamp: nowOf(req).toISOString(), requestId: requestIdOf(req), buildId: 'localmeter' },
  };
  if (c.domain && c.domain.issues.length > 0) {
    body.extensions = { validationErrors: c.domain.issues.map((i) => ({ severity: 'critical', ...i })) };
  }
  if (c.notBuiltOperationId) body.extensions = { operationId: c.notBuiltOperationId };
  return { status: c.status, body };
};
