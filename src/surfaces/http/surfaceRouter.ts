import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { EmulatorPort } from './emulatorPort.ts';
import { requestIdOf } from './requestId.ts';
import { BadRequestError, NotBuiltError } from './classifyError.ts';
import { sendProblem } from './problem.ts';
import { operationSpec } from './operationSpec.ts';
import { toGoTimes } from './wireTime.ts';
import { skipSpecSelfValidation } from './skipSpecSelfValidation.ts';
import { NOT_BUILT, type Handler, type HandlerContext, type OperationInfo, type Reply, type RequestFacts, type SurfaceDefinition } from './types.ts';

export interface SurfaceRouterOptions {
  /** validate responses against the spec (development and tests); a violation becomes a 500 */
  validateResponses: boolean;
}

const toExpressPath = (p: string): string => p.replace(/\{([^}]+)\}/g, ':$1').replace(/\$/g, '\\$');

/**
 * Route → validate request → act → (validate response) for one wire contract. Every operation in
 * the spec gets a route; the handler map decides whether it acts or answers 501.
 */
/**
 * Vendor formats that are documentation, not constraints (`uint8`, `ISO8601`, ...): accepted as
 * declared so ajv neither warns nor rejects; durations are checked by the domain.
 */
const DOC_FORMATS: Record<string, true> = Object.fromEntries(
  ['double', 'duration', 'ISO8601', 'uint8', 'int16', 'uint32', 'path', 'password', 'json', 'uint64', 'uri-reference', 'application/json', 'int32', 'int64', 'float'].map((f) => [f, true]),
);

const cache = new Map<string, Router>();

skipSpecSelfValidation();

/**
 * Compiling a vendor document's validators costs seconds, and it does not depend on the
 * emulator instance: every emulator in a process shares one router per surface and option set,
 * and finds its own state through `req.app.locals.emulator`.
 */
export function buildSurfaceRouter(def: SurfaceDefinition, opts: SurfaceRouterOptions): Router {
  const key = `${def.name}|${opts.validateResponses}`;
  let router = cache.get(key);
  if (!router) cache.set(key, (router = createSurfaceRouter(def, opts)));
  return router;
}

/** How many leading path segments pick a route group. */
const GROUP_DEPTH = 3;

/** `/api/v1/meters/{id}/query` → `/api/v1/meters`; a parameter segment becomes `*`. */
function groupKeyOf(fullPath: string): string {
  return fullPath
    .split('/')
    .filter(Boolean)
    .slice(0, GROUP_DEPTH)
    .map((seg) => (seg.startsWith('{') ? '*' : seg))
    .join('/');
}

/** The group keys a request path could belong to, most literal first. */
function candidateKeys(path: string, groups: Map<string, Router>): string[] {
  const segs = path.split('/').filter(Boolean).slice(0, GROUP_DEPTH);
  const out: Array<{ key: string; wild: number; mask: number }> = [];
  for (let mask = 0; mask < 1 << segs.length; mask++) {
    const key = segs.map((seg, i) => (mask & (1 << (segs.length - 1 - i)) ? '*' : seg)).join('/');
    if (groups.has(key)) out.push({ key, wild: segs.filter((_, i) => mask & (1 << (segs.length - 1 - i))).length, mask });
  }
  return out.sort((a, b) => a.wild - b.wild || a.mask - b.mask).map((c) => c.key);
}

/**
 * Express tries routes one by one; with 150 operations per surface that scan cost more than the
 * rest of a request. Operations are grouped by their first path segments and a request only
 * walks the groups its own segments can belong to.
 */
function createSurfaceRouter(def: SurfaceDefinition, opts: SurfaceRouterOptions): Router {
  const router = express.Router();
  const groups = new Map<string, Router>();
  // Paths repeat (the same few collections are hit over and over): remember their groups.
  const keysByPrefix = new Map<string, string[]>();
  router.use((req: Request, res: Response, next: NextFunction) => {
    const prefix = req.path.split('/').filter(Boolean).slice(0, GROUP_DEPTH).join('/');
    let keys = keysByPrefix.get(prefix);
    if (!keys) {
      keys = candidateKeys(req.path, groups);
      if (keysByPrefix.size > 10_000) keysByPrefix.clear();
      keysByPrefix.set(prefix, keys);
    }
    let i = 0;
    const candidates = keys;
    const tryNext = (err?: unknown): void => {
      if (err !== undefined && err !== 'route' && err !== 'router') return next(err);
      const g = candidates[i++];
      if (!g) return next();
      groups.get(g)!(req, res, tryNext);
    };
    tryNext();
  });
  for (const op of orderBySpecificity(def.operations)) {
    const key = groupKeyOf(def.basePath + op.path);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = express.Router()));
    const handler = (def.handlers as Record<string, Handler | typeof NOT_BUILT>)[op.operationId];
    const method = op.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    let validators: RequestHandler[] | null = null;
    let listMaps: string[] | null = null;
    let shape: RequestShape | null = null;
    let bareQuery: Json | undefined;
    group[method](toExpressPath(def.basePath + op.path), (req: Request, res: Response, next: NextFunction) => {
      (res.locals as Record<string, unknown>).operationId = op.operationId;
      listMaps ??= deepObjectListParams(def.spec, op.path, op.method.toLowerCase());
      if (listMaps.length > 0) wrapSingleValues(req, listMaps);
      shape ??= requestShapeOf(def.spec, op.path, op.method.toLowerCase());
      const refused = refuseShape(req, shape);
      if (refused) return next(refused);
      validators ??= OpenApiValidator.middleware({
        apiSpec: operationSpec(def.spec, op.path, op.method.toLowerCase()) as never,
        formats: DOC_FORMATS as never,
        // kin-openapi, behind both real surfaces, checks only the parameters an operation declares
        validateRequests: { allowUnknownQueryParameters: true, coerceTypes: true },
        validateResponses: opts.validateResponses ? { removeAdditional: false } : false,
        validateApiSpec: false,
        ignoreUndocumented: true,
        useRequestUrl: true,
        fileUploader: false,
        validateSecurity: false,
        $refParser: { mode: 'bundle' },
      }) as RequestHandler[];
      // A bare request (no query, no body) to an operation without path or header parameters
      // validates the same way every time: the first one runs the validator, later ones get the
      // query it produced (the parameters' defaults) without running it again. Not when
      // responses are validated: that check rides on the same chain.
      const bare = !opts.validateResponses && shape.bareCacheable && isBare(req);
      if (bare && bareQuery !== undefined) {
        setQuery(req, copyQuery(bareQuery));
        void act(def, handler, op.operationId, req, res, next);
        return;
      }
      runChain(validators, req, res, (err?: unknown) => {
        if (err) return next(err);
        if (bare && bareQuery === undefined) bareQuery = copyQuery(req.query as Json);
        void act(def, handler, op.operationId, req, res, next);
      });
    });
  }

  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body, headers } = def.renderProblem(err, req);
    if (status >= 500 && !(err instanceof NotBuiltError)) (req.app.locals.emulator as EmulatorPort).log.error(`[${def.name}] ${req.method} ${req.originalUrl}:`, err);
    sendProblem(res, status, body, headers);
  });
  return router;
}

async function act(def: SurfaceDefinition, handler: Handler | typeof NOT_BUILT | undefined, operationId: string, req: Request, res: Response, next: NextFunction): Promise<void> {
  try {
    if (handler === undefined || handler === NOT_BUILT) throw new NotBuiltError(operationId);
    const reply = await handler(contextFor(def, req.app.locals.emulator as EmulatorPort, req));
    if (reply.body !== undefined && !reply.raw && def.timeFormat(operationId) === 'go') reply.body = toGoTimes(reply.body);
    writeReply(res, reply);
  } catch (err) {
    next(err);
  }
}

type Json = Record<string, unknown>;

/**
 * deepObject query parameters whose values are lists (`keyVersion[pro]=1&keyVersion[pro]=2`).
 * A client naming one value sends a scalar (`keyVersion[pro]=1`); the validator does not coerce
 * nested values to arrays, so they are wrapped before validation.
 */
function deepObjectListParams(spec: Json, path: string, method: string): string[] {
  const item = (spec.paths as Record<string, Json>)[path]!;
  const params = [...(((item[method] as Json).parameters as Json[]) ?? []), ...((item.parameters as Json[]) ?? [])];
  const components = ((spec.components as Json)?.parameters ?? {}) as Record<string, Json>;
  const out: string[] = [];
  for (const raw of params) {
    const p = typeof raw.$ref === 'string' ? components[(raw.$ref as string).split('/').pop()!] : raw;
    const schema = p?.schema as Json | undefined;
    const ap = schema?.additionalProperties as Json | undefined;
    if (p?.in === 'query' && p.style === 'deepObject' && ap?.type === 'array') out.push(p.name as string);
  }
  return out;
}

interface RequestShape {
  bodyRequired: boolean;
  /** no path, header or cookie parameter and no body: a bare request's validation never varies */
  bareCacheable: boolean;
  /** query parameters that may carry an object (`filter[key][eq]=x`); any other one must not */
  objectParams: Set<string>;
}

function requestShapeOf(spec: Json, path: string, method: string): RequestShape {
  const item = (spec.paths as Record<string, Json>)[path]!;
  const op = item[method] as Json;
  const components = (spec.components ?? {}) as Record<string, Record<string, Json>>;
  const deref = (x: Json | undefined, kind: string): Json | undefined => (x && typeof x.$ref === 'string' ? components[kind]?.[(x.$ref as string).split('/').pop()!] : x);
  const body = deref(op.requestBody as Json | undefined, 'requestBodies');
  const objectParams = new Set<string>();
  let bareCacheable = body === undefined;
  for (const raw of [...((op.parameters as Json[]) ?? []), ...((item.parameters as Json[]) ?? [])]) {
    const p = deref(raw, 'parameters');
    if (p?.in !== 'query') {
      bareCacheable = false;
      continue;
    }
    const schema = deref(p.schema as Json | undefined, 'schemas');
    const isObject = p.style === 'deepObject' || schema?.type === 'object' || schema?.properties !== undefined || schema?.additionalProperties !== undefined || schema?.type === undefined;
    if (isObject) objectParams.add(p.name as string);
  }
  return { bodyRequired: body?.required === true, bareCacheable, objectParams };
}

const sentNoBody = (req: Request): boolean =>
  req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] === undefined || req.headers['content-length'] === '0');

/** no query string and no body */
function isBare(req: Request): boolean {
  return sentNoBody(req) && Object.keys((req.query ?? {}) as Json).length === 0;
}

/** the validated query of a bare request: defaults only, copied so no handler shares it */
const copyQuery = (q: Json): Json => (Object.values(q).every((v) => v === null || typeof v !== 'object') ? { ...q } : (structuredClone(q) as Json));

/** Express 5's `req.query` is a getter over the URL: an own property overrides it */
const setQuery = (req: Request, query: Json): void => void Object.defineProperty(req, 'query', { value: query, writable: true, configurable: true, enumerable: true });

const holdsObject = (v: unknown): boolean => typeof v === 'object' && v !== null && (!Array.isArray(v) || v.some((x) => typeof x === 'object' && x !== null));

/**
 * What the validator lets through and a handler cannot take: a required body that is missing
 * (`Content-Length: 0`, a forgotten `-d`), or `expand[a]=1` where the parameter is a list of strings.
 */
function refuseShape(req: Request, shape: RequestShape): BadRequestError | undefined {
  if (shape.bodyRequired && sentNoBody(req)) {
    return new BadRequestError('request body is required', [{ path: '.body', message: 'request body is required', errorCode: 'required.openapi.validation', location: 'body' }]);
  }
  for (const [name, v] of Object.entries((req.query ?? {}) as Json)) {
    if (!shape.objectParams.has(name) && holdsObject(v)) {
      return new BadRequestError(`query parameter ${name} must be a value, not an object`, [{ path: `.query.${name}`, message: 'must be a string or a list of strings, not an object', errorCode: 'type.openapi.validation', location: 'query' }]);
    }
  }
  return undefined;
}

function wrapSingleValues(req: Request, names: string[]): void {
  const query = { ...(req.query as Json) };
  let changed = false;
  for (const name of names) {
    const v = query[name];
    if (!v || typeof v !== 'object' || Array.isArray(v)) continue;
    const wrapped: Json = {};
    for (const [k, x] of Object.entries(v as Json)) wrapped[k] = Array.isArray(x) ? x : [x];
    query[name] = wrapped;
    changed = true;
  }
  if (changed) setQuery(req, query);
}

function runChain(chain: RequestHandler[], req: Request, res: Response, done: (err?: unknown) => void): void {
  let i = 0;
  const step = (err?: unknown): void => {
    if (err) return done(err);
    const mw = chain[i++];
    if (!mw) return done();
    try {
      void mw(req, res, step);
    } catch (e) {
      done(e);
    }
  };
  step();
}

/** Literal segments before parameters, so `/meters/query` is never taken for `/meters/{id}`. */
function orderBySpecificity<T extends OperationInfo>(ops: readonly T[]): T[] {
  const rank = (p: string) => p.split('/').map((seg) => (seg.startsWith('{') ? '~' : seg));
  return [...ops].sort((a, b) => {
    const ra = rank(a.path);
    const rb = rank(b.path);
    for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
      if (ra[i] === rb[i]) continue;
      if (ra[i] === '~') return 1;
      if (rb[i] === '~') return -1;
      return 0;
    }
    return 0;
  });
}

function contextFor(def: SurfaceDefinition, emulator: EmulatorPort, req: Request): HandlerContext {
  const namespace = def.namespaceOf(req);
  return {
    services: emulator.services,
    stripeApp: emulator.stripeApp,
    namespace,
    params: req.params as Record<string, string>,
    query: req.query as Record<string, unknown>,
    body: req.body,
    request: requestFactsOf(req),
    run: (fn) => emulator.run(namespace, fn),
    read: (fn) => emulator.read(namespace, fn),
    runIn: (ns, fn) => emulator.run(ns, fn),
    readIn: (ns, fn) => emulator.read(ns, fn),
    control: emulator.control,
  };
}

function requestFactsOf(req: Request): RequestFacts {
  // ip and origin go through Express's proxy-trust getters: worked out only when a handler asks
  return {
    header: (name) => req.get(name),
    method: req.method,
    url: req.originalUrl ?? req.url ?? '',
    get ip() {
      return req.ip;
    },
    get origin() {
      return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    },
    get requestId() {
      return requestIdOf(req);
    },
    rawBody: async () => {
      const kept = (req as { rawBody?: Buffer }).rawBody;
      if (kept) return kept;
      const chunks: Buffer[] = [];
      if (req.readable) for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
      return Buffer.concat(chunks);
    },
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
