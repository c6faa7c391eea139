import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { BadRequestError } from '../surfaces/http/classifyError.ts';
import { sendProblem } from '../surfaces/http/problem.ts';
import { AccessRefused, crossSite, hostAllowed, keyAccepted, presentedToken, unauthenticated, type AccessOptions } from './accessGuard.ts';
import { buildSurfaceRouter } from '../surfaces/http/surfaceRouter.ts';
import type { SurfaceDefinition } from '../surfaces/http/types.ts';
import { loadSurfaces } from '../surfaces/index.ts';
import { PORTAL_PREFIX } from '../surfaces/zuplo/surface.ts';
import { ControllableClock } from './ControllableClock.ts';
import { steppedJsonBody } from './steppedJson.ts';
import type { Emulator } from './Emulator.ts';

export interface AppOptions {
  validateResponses?: boolean;
  /** the address the server listens on (the Host check allows it besides loopback names) */
  host?: string;
  /** default: the emulator's options (`open` unless configured) */
  auth?: 'open' | 'strict';
  apiKeys?: readonly string[];
}

/** request bodies up to this size are kept in the request journal */
const JOURNAL_BODY_LIMIT = 64 * 1024;

/** Nesting deeper than this is refused with a 400: recursive code (JSON.stringify) would overflow the stack. */
export const MAX_JSON_DEPTH = 100;

const JSON_TYPES = ['application/json', 'application/*+json'];
const JSON_LIMIT_BYTES = 50 * 1024 * 1024;

/** Konnect is served under /v3/openmeter and, as self-hosted OpenMeter does, /api/v3/openmeter. */
const V3_ALIAS = '/api/v3/openmeter';

export function createApp(emulator: Emulator, options: AppOptions = {}): { app: Express; surfaces: SurfaceDefinition[] } {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.set('etag', false);
  app.locals.emulator = emulator;
  const surfaces = loadSurfaces();

  app.use((req: Request, res: Response, next: NextFunction) => {
    const t0 = process.hrtime.bigint();
    const path = req.path;
    if (req.url.startsWith(V3_ALIAS)) req.url = req.url.slice(4);
    if (!path.startsWith('/_emulator')) {
      // A listener that throws is an uncaught exception: the process would end. Never let it.
      res.on('finish', () => {
        try {
          recordRequest();
        } catch (err) {
          emulator.log.error('[localmeter] request journal:', err);
        }
      });
      const recordRequest = () => {
        const bytes = Number(req.headers['content-length'] ?? 0);
        const body = (req as { body?: unknown }).body;
        emulator.journal.record({
          at: emulator.clock.now().toISOString(),
          method: req.method,
          path: req.originalUrl,
          surface: surfaceNameOf(surfaces, req.url),
          operationId: (res.locals as { operationId?: string }).operationId,
          status: res.statusCode,
          durationMs: ControllableClock.elapsedMs(t0),
          // A reference, not a copy (parsers build a fresh value per request); large or binary
          // bodies are noted by size so the journal never holds an ingest load in memory.
          ...(body === undefined ? {} : bytes <= JOURNAL_BODY_LIMIT && !Buffer.isBuffer(body) ? { body } : { bodyBytes: bytes }),
        });
      };
    }
    next();
  });

  const access: AccessOptions = {
    auth: options.auth ?? emulator.options.auth ?? 'open',
    apiKeys: options.apiKeys ?? emulator.options.apiKeys ?? [],
    host: options.host,
  };
  if (access.auth === 'strict' && access.apiKeys.length === 0) throw new Error('strict auth needs at least one API key (--api-key KEY or LOCALMETER_API_KEYS)');
  const surfaceOf = (url: string) => surfaces.find((x) => x.prefixes.some((p) => url.startsWith(p)));
  const refuse = (req: Request, res: Response, err: unknown, headers: Record<string, string> = {}) => {
    const s = surfaceOf(req.url) ?? surfaces.find((x) => x.name === 'control')!;
    const { status, body } = s.renderProblem(err, req);
    sendProblem(res, status, body, headers);
  };
  // The developer portal (Zudoku) calls the gateway service from the browser, on another origin,
  // with an Authorization header: its routes answer CORS, preflights included, as the hosted
  // service must for a portal to work at all.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!req.url.startsWith(PORTAL_PREFIX)) return next();
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
    res.setHeader('Vary', 'Origin');
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', String(req.headers['access-control-request-headers'] ?? 'authorization, content-type'));
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!hostAllowed(req, access)) {
      return refuse(req, res, new AccessRefused(403, `requests for host ${String(req.headers.host).slice(0, 100)} are refused: localmeter answers only to loopback names (DNS rebinding protection); bind with --host to serve another name`));
    }
    const control = req.path.startsWith('/_emulator');
    if (control && crossSite(req)) {
      return refuse(req, res, new AccessRefused(403, 'cross-site requests to the control plane are refused'));
    }
    // In strict mode every request shows a key; the portal query is checked by its portal token
    // in the handler, as the real service does, the developer portal's routes by the signed-in
    // user's token, and the health probe stays open.
    if (
      access.auth === 'strict' &&
      req.path !== '/_emulator/health' &&
      !req.path.startsWith('/api/v1/portal/meters/') &&
      !req.path.startsWith(PORTAL_PREFIX) &&
      !keyAccepted(presentedToken(req), access.apiKeys)
    ) {
      return refuse(req, res, unauthenticated('missing or invalid API key (Authorization: Bearer <key>)'), { 'WWW-Authenticate': 'Bearer' });
    }
    next();
  });

  const parsers = [
    // a large JSON body (an event batch) is parsed in steps, so other clients get turns meanwhile
    steppedJsonBody({ types: JSON_TYPES, limit: JSON_LIMIT_BYTES }),
    // a signed body (Stripe webhooks) is verified over the bytes sent, so they are kept
    express.json({ type: JSON_TYPES, limit: JSON_LIMIT_BYTES, strict: false, verify: (req, _res, buf) => void ((req as { rawBody?: Buffer }).rawBody = buf) }),
    express.text({ type: ['text/plain', 'text/csv'], limit: '10mb' }),
    express.raw({ type: ['application/octet-stream', 'application/gzip', 'application/x-gzip', 'application/x-tar'], limit: '200mb' }),
  ];
  // Most requests (every GET) carry no body; running three parsers on them cost ~15% of a read.
  // A GET or HEAD body means nothing to any operation: it is not parsed (a 45 MB one cost 1.5 s).
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] === undefined || req.headers['content-length'] === '0')) return next();
    let i = 0;
    const step = (err?: unknown): void => {
      if (err) return next(err);
      const parse = parsers[i++];
      if (!parse) {
        const body = (req as { body?: unknown }).body;
        if (Array.isArray(body) && body.length > SHAPE_STEP) return void jsonShapeErrorInSteps(body).then((e) => next(e), next);
        return next(jsonShapeError(body));
      }
      parse(req, res, step);
    };
    step();
  });

  for (const s of surfaces) {
    // Only requests under the surface's prefixes reach its validator: route lookup there is a
    // linear scan, so letting every surface look at every request would cost all of them.
    const router = buildSurfaceRouter(s, { validateResponses: options.validateResponses ?? false });
    app.use((req: Request, res: Response, next: NextFunction) => {
      if (s.prefixes.some((p) => req.url.startsWith(p))) router(req, res, next);
      else next();
    });
  }

  app.use((req: Request, res: Response) => {
    const s = surfaces.find((x) => x.prefixes.some((p) => req.url.startsWith(p)));
    if (s) {
      const { status, body } = s.renderProblem({ status: 404, message: 'not found', errors: [{ path: req.path, message: `no route for ${req.method} ${req.path}` }] }, req);
      sendProblem(res, status, body);
      return;
    }
    sendProblem(res, 404, { type: 'about:blank', title: 'Not Found', status: 404, detail: `no route for ${req.method} ${req.path}` });
  });
  // Errors raised before a surface router claimed the request (e.g. unparseable JSON).
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const s = surfaces.find((x) => x.prefixes.some((p) => req.url.startsWith(p))) ?? surfaces[0]!;
    const { status, body } = s.renderProblem(err, req);
    if (status >= 500) emulator.log.error(err);
    sendProblem(res, status, body);
  });
  return { app, surfaces };
}

/**
 * Deeply nested JSON breaks recursive code further on (a 5,000-level event broke event listing
 * and snapshots), and a literal like `1e309` parses to Infinity, which JSON cannot give back.
 * Both are refused as the 400 of a body that cannot be decoded. Iterative, so any depth is safe.
 */
function jsonShapeError(body: unknown): BadRequestError | undefined {
  if (Buffer.isBuffer(body)) return undefined;
  if (typeof body !== 'object' || body === null) return typeof body === 'number' && !Number.isFinite(body) ? outOfRange() : undefined;
  return shapeErrorBelow(body, 1);
}

/** Elements of a large array checked per turn of the event loop. */
const SHAPE_STEP = 2000;

/**
 * `jsonShapeError` of a large array (an event batch) a step at a time, finding what the whole
 * walk finds: the array's own values first, then its elements' subtrees, last element first.
 */
async function jsonShapeErrorInSteps(body: unknown[]): Promise<BadRequestError | undefined> {
  for (const x of body) if (typeof x === 'number' && !Number.isFinite(x)) return outOfRange();
  for (let i = body.length - 1; i >= 0; i--) {
    const x = body[i];
    if (typeof x === 'object' && x !== null) {
      const err = shapeErrorBelow(x, 2);
      if (err) return err;
    }
    if (i % SHAPE_STEP === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return undefined;
}

/** the depth-first walk from `root` (at `rootDepth`): iterative, so any depth is safe */
function shapeErrorBelow(root: object, rootDepth: number): BadRequestError | undefined {
  const stack: object[] = [root];
  const depths: number[] = [rootDepth];
  while (stack.length > 0) {
    const v = stack.pop()!;
    const d = depths.pop()!;
    if (d > MAX_JSON_DEPTH) {
      return new BadRequestError(`request body nests deeper than ${MAX_JSON_DEPTH} levels`, [{ path: '.body', message: `nesting deeper than ${MAX_JSON_DEPTH} levels`, errorCode: 'maxDepth.openapi.validation', location: 'body' }]);
    }
    for (const k in v) {
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === 'object' && x !== null) {
        stack.push(x);
        depths.push(d + 1);
      } else if (typeof x === 'number' && !Number.isFinite(x)) return outOfRange();
    }
  }
  return undefined;
}

const outOfRange = () =>
  new BadRequestError('request body holds a number out of the 64-bit float range', [{ path: '.body', message: 'number out of range', errorCode: 'format.openapi.validation', location: 'body' }]);

function surfaceNameOf(surfaces: SurfaceDefinition[], url: string): string {
  let best = '';
  let name = 'unknown';
  for (const s of surfaces) for (const p of s.prefixes) if (url.startsWith(p) && p.length > best.length) ((best = p), (name = s.name));
  return name;
}
