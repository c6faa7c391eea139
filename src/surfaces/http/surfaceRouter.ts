import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Emulator } from '../../runtime/Emulator.ts';
import { NotBuiltError } from './classifyError.ts';
import { sendProblem } from './problem.ts';
import { NOT_BUILT, type Handler, type HandlerContext, type Reply, type SurfaceDefinition } from './types.ts';

export interface SurfaceRouterOptions {
  /** validate responses against the spec (development and tests); a violation becomes a 500 */
  validateResponses: boolean;
}

const toExpressPath = (p: string): string => p.replace(/\{([^}]+)\}/g, ':$1').replace(/\$/g, '\\$');

/**
 * Route → validate request → act → (validate response) for one wire contract. Every operation in
 * the spec gets a route; the handler map decides whether it acts or answers 501.
 */
export function buildSurfaceRouter(def: SurfaceDefinition, emulator: Emulator, opts: SurfaceRouterOptions): Router {
  const router = express.Router();
  router.use(
    OpenApiValidator.middleware({
      apiSpec: def.spec as never,
      validateRequests: { allowUnknownQueryParameters: false, coerceTypes: true },
      validateResponses: opts.validateResponses ? { removeAdditional: false } : false,
      validateApiSpec: false,
      ignoreUndocumented: true,
      useRequestUrl: true,
      fileUploader: false,
      validateSecurity: false,
      $refParser: { mode: 'bundle' },
    }),
  );

  for (const op of def.operations) {
    const handler = (def.handlers as Record<string, Handler | typeof NOT_BUILT>)[op.operationId];
    const method = op.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    router[method](toExpressPath(def.basePath + op.path), async (req: Request, res: Response, next: NextFunction) => {
      (res.locals as Record<string, unknown>).operationId = op.operationId;
      try {
        if (handler === undefined || handler === NOT_BUILT) throw new NotBuiltError(op.operationId);
        const reply = await handler(contextFor(def, emulator, req, res));
        writeReply(res, reply);
      } catch (err) {
        next(err);
      }
    });
  }

  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body, headers } = def.renderProblem(err, req);
    if (status >= 500 && !(err instanceof NotBuiltError)) emulator.log.error(`[${def.name}] ${req.method} ${req.originalUrl}:`, err);
    sendProblem(res, status, body, headers);
  });
  return router;
}

function contextFor(def: SurfaceDefinition, emulator: Emulator, req: Request, res: Response): HandlerContext {
  const namespace = def.namespaceOf(req);
  return {
    req,
    res,
    emulator,
    namespace,
    params: req.params as Record<string, string>,
    query: req.query as Record<string, unknown>,
    body: req.body,
    run: (fn) => emulator.run(namespace, fn),
    read: (fn) => emulator.read(namespace, fn),
  };
}

function writeReply(res: Response, reply: Reply): void {
  res.status(reply.status);
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  if (reply.body === undefined || reply.status === 204) {
    res.end();
    return;
  }
  if (reply.raw) {
    res.setHeader('Content-Type', reply.contentType ?? 'text/plain');
    res.end(reply.body as string);
    return;
  }
  if (reply.contentType) res.type(reply.contentType);
  res.json(reply.body);
}
