import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { sendProblem } from '../surfaces/http/problem.ts';
import { buildSurfaceRouter } from '../surfaces/http/surfaceRouter.ts';
import type { SurfaceDefinition } from '../surfaces/http/types.ts';
import { loadSurfaces } from '../surfaces/index.ts';
import { ControllableClock } from './ControllableClock.ts';
import type { Emulator } from './Emulator.ts';

export interface AppOptions {
  validateResponses?: boolean;
}

/** request bodies up to this size are kept in the request journal */
const JOURNAL_BODY_LIMIT = 64 * 1024;

const JSON_TYPES = ['application/json', 'application/*+json'];

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

  const parsers = [
    express.json({ type: JSON_TYPES, limit: '50mb', strict: false }),
    express.text({ type: ['text/plain', 'text/csv'], limit: '10mb' }),
    express.raw({ type: ['application/octet-stream', 'application/gzip', 'application/x-gzip', 'application/x-tar'], limit: '200mb' }),
  ];
  // Most requests (every GET) carry no body; running three parsers on them cost ~15% of a read.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] === undefined || req.headers['content-length'] === '0')) return next();
    let i = 0;
    const step = (err?: unknown): void => {
      if (err) return next(err);
      const parse = parsers[i++];
      if (!parse) return next();
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

function surfaceNameOf(surfaces: SurfaceDefinition[], url: string): string {
  let best = '';
  let name = 'unknown';
  for (const s of surfaces) for (const p of s.prefixes) if (url.startsWith(p) && p.length > best.length) ((best = p), (name = s.name));
  return name;
}
