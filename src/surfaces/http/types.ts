import type { Request } from 'express';
import type { UnitOfWork } from '../../domain/shared/unitOfWork.ts';
import type { Command, ControlPort, DomainServices, StripeAppPort } from './emulatorPort.ts';

/** What a handler answers; the surface router writes it (and validates it in dev/test). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** defaults to application/json when a body is present */
  contentType?: string;
  /** write `body` as-is (a string/Buffer), e.g. CSV */
  raw?: boolean;
}

/** What a handler may know of the HTTP request beyond its validated params, query and body. */
export interface RequestFacts {
  header(name: string): string | undefined;
  readonly method: string;
  /** the URL as the client sent it (path and query string) */
  readonly url: string;
  readonly ip: string | undefined;
  /** `protocol://host` as the client reached the emulator (links that point back here) */
  readonly origin: string;
  /** a stable handle for this request (problem `instance`, audit entries) */
  readonly requestId: string;
  /** the body as sent, for routes whose clients send no Content-Type (no parser ran) */
  rawBody(): Promise<Buffer>;
}

/**
 * A handler sees the domain services, one unit of work at a time, and the request — never the
 * composition root, the store or the clock.
 */
export interface HandlerContext {
  services: DomainServices;
  /** the Stripe app's operations that call Stripe (the runtime calls it around one command) */
  stripeApp: StripeAppPort;
  /** tenant of this request (OpenMeter organisation, Zuplo bucket, ...) */
  namespace: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  request: RequestFacts;
  /** one command = one unit of work: commits once if `fn` returns, discards if it throws */
  run<T>(fn: Command<T>): Promise<T>;
  /** read-only access (nothing written is kept) */
  read<T>(fn: (tx: UnitOfWork) => T): T;
  /** the same, in another namespace (Zuplo's routes span the platform and an account) */
  runIn<T>(namespace: string, fn: Command<T>): Promise<T>;
  readIn<T>(namespace: string, fn: (tx: UnitOfWork) => T): T;
  /** the emulator's control plane; only the control surface touches it (lint-enforced) */
  control: ControlPort;
}

export type Handler = (ctx: HandlerContext) => Reply | Promise<Reply>;

/** Marks an operation that is specified but not built yet: it answers 501 naming itself. */
export const NOT_BUILT = Symbol('notBuilt');
export type HandlerMap<Op extends string> = Record<Op, Handler | typeof NOT_BUILT>;

export interface OperationInfo {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly successStatus?: number | string;
}

/** Renders any error into this surface's problem shape. */
export interface ProblemRenderer {
  (err: unknown, req: Request): { status: number; body: Record<string, unknown>; headers?: Record<string, string> };
}

export interface SurfaceDefinition<Op extends string = string> {
  name: string;
  /** prefixes under which this surface answers (for the health report and unknown-route errors) */
  prefixes: string[];
  /** prepended to every spec path when routing (the spec's server path) */
  basePath: string;
  spec: Record<string, unknown>;
  operations: readonly OperationInfo[];
  handlers: HandlerMap<Op>;
  renderProblem: ProblemRenderer;
  namespaceOf(req: Request): string;
  /** how instants are written in JSON bodies of this operation: Go's RFC 3339 (OpenMeter) or JS ISO with ms */
  timeFormat(operationId: string): 'go' | 'js';
}

export const ok = (body: unknown, status = 200): Reply => ({ status, body });
export const noContent = (): Reply => ({ status: 204 });
