import type { Request } from 'express';

let seq = 0;
/** A per-process request counter: problem `instance`s need a stable handle, not a domain id. */
export function requestIdOf(req: Request): string {
  const r = req as Request & { localmeterRequestId?: string };
  if (!r.localmeterRequestId) r.localmeterRequestId = `lm-${(++seq).toString(36).padStart(6, '0')}`;
  return r.localmeterRequestId;
}
