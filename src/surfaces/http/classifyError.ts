import { DomainError, ErrorKind } from '../../domain/shared/errors.ts';

/** One normalised view of anything a request can fail with, before a surface renders it. */
export interface ClassifiedError {
  status: number;
  detail: string;
  domain?: DomainError;
  /** request validation failures (from the OpenAPI validator or body parsing) */
  schemaIssues?: Array<{ path: string; message: string; keyword?: string; location: string }>;
  /** set when the operation exists in the spec but has no handler yet */
  notBuiltOperationId?: string;
  unexpected?: boolean;
}

export class NotBuiltError extends Error {
  constructor(readonly operationId: string) {
    super(`operation ${operationId} is not implemented by localmeter yet`);
  }
}

export const KIND_STATUS: Record<ErrorKind, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  conflict: 409,
  gone: 410,
  preconditionFailed: 412,
  notImplemented: 501,
};

interface ValidatorLikeError {
  status?: number;
  statusCode?: number;
  message?: string;
  type?: string;
  errors?: Array<{ path?: string; message?: string; errorCode?: string; location?: string }>;
}

const locationOf = (path: string): string => {
  if (path.startsWith('.body') || path.startsWith('/body')) return 'body';
  if (path.startsWith('.query') || path.startsWith('/query')) return 'query';
  if (path.startsWith('.params') || path.startsWith('/params') || path.startsWith('.path')) return 'path';
  if (path.startsWith('.headers') || path.startsWith('/headers')) return 'header';
  return 'body';
};

/** A request the router refuses before validation (missing required body, malformed query shape). */
export class BadRequestError extends Error {
  readonly status = 400;
  constructor(
    message: string,
    readonly errors: Array<{ path: string; message: string; errorCode?: string; location?: string }>,
  ) {
    super(message);
  }
}

/** I/O failures of the data directory: the write was refused and rolled back, so a retry can succeed. */
const STORAGE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE', 'EBUSY', 'EAGAIN']);

export function classifyError(err: unknown): ClassifiedError {
  const io = err as { code?: unknown; syscall?: unknown } | null;
  if (io && typeof io.code === 'string' && typeof io.syscall === 'string' && STORAGE_CODES.has(io.code)) {
    return { status: 503, detail: `the emulator could not write its data directory (${io.code}); nothing was stored, retry later` };
  }
  if (err instanceof DomainError) {
    return { status: KIND_STATUS[err.kind], detail: err.message, domain: err };
  }
  if (err instanceof NotBuiltError) {
    return { status: 501, detail: err.message, notBuiltOperationId: err.operationId };
  }
  const e = err as ValidatorLikeError;
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (e.type === 'entity.parse.failed') {
      return { status: 400, detail: 'invalid JSON in request body', schemaIssues: [{ path: '.body', message: 'malformed JSON', keyword: 'format', location: 'body' }] };
    }
    const issues = (e.errors ?? []).map((x) => ({
      path: x.path ?? '',
      message: x.message ?? 'invalid',
      keyword: x.errorCode?.replace(/\.openapi\.(validation|requestValidation)$/, ''),
      location: x.location ?? locationOf(x.path ?? ''),
    }));
    const detail = issues.length > 0 ? issues.map((i) => `${i.path.replace(/^\./, '')} ${i.message}`.trim()).join('; ') : (e.message ?? 'bad request');
    return { status, detail, schemaIssues: issues };
  }
  return { status: 500, detail: '', unexpected: true };
}
