import { createHash } from 'node:crypto';
import type { UnitOfWork } from '../../../domain/shared/unitOfWork.ts';
import { DomainError } from '../../../domain/shared/errors.ts';
import type { AuditContext } from '../../../domain/platform/types.ts';
import type { Command } from '../../http/emulatorPort.ts';
import { PLATFORM_NAMESPACE } from '../../http/namespaces.ts';
import type { HandlerContext } from '../../http/types.ts';

/** Zuplo's control plane lives in one namespace: several of its routes name no account. */
export const runPlatform = <T>(c: HandlerContext, fn: Command<T>): Promise<T> => c.runIn(PLATFORM_NAMESPACE, fn);
export const readPlatform = <T>(c: HandlerContext, fn: (tx: UnitOfWork) => T): T => c.readIn(PLATFORM_NAMESPACE, fn);

/** the account the request acts for: the path's, else the query's, else the configured one */
export function accountOf(c: HandlerContext): string {
  const q = c.query.accountName;
  return c.params.accountName ?? (typeof q === 'string' && q ? q : c.services.platform.account().name);
}

/** `tag.<name>=<value>` query parameters (Zuplo's open-ended filters) */
export function tagsOf(c: HandlerContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.query)) {
    if (k.startsWith('tag.') && k.length > 4) out[k.slice(4)] = Array.isArray(v) ? String(v[0]) : String(v);
  }
  return out;
}

export function bearerOf(c: HandlerContext): string | undefined {
  const h = c.request.header('authorization');
  const m = typeof h === 'string' ? /^Bearer\s+(.+)$/i.exec(h.trim()) : null;
  return m?.[1];
}

/** A stable subject per credential: the same key is the same actor in who-am-i and audit logs. */
export const subOf = (token: string | undefined): string =>
  token ? `apikey|${createHash('sha256').update(token).digest('hex').slice(0, 24)}` : 'anonymous';

export function auditContextOf(c: HandlerContext): AuditContext {
  return {
    requestId: c.request.requestId,
    ipAddress: c.request.ip ?? null,
    userAgent: c.request.header('user-agent') ?? null,
    url: c.request.url,
    method: c.request.method,
    actorSub: subOf(bearerOf(c)),
    actorEmail: null,
  };
}

/**
 * Runs a mutation and writes its audit entry: in the same unit of work when the mutation lives in
 * the platform namespace, afterwards otherwise; a failed mutation is recorded with its error.
 */
export async function audited<T>(
  c: HandlerContext,
  action: string,
  resource: (result: T | undefined) => { type: string; id: string },
  mutate: () => Promise<T>,
  accountName = accountOf(c),
): Promise<T> {
  const context = auditContextOf(c);
  const write = (success: boolean, result: T | undefined, error: string | null) =>
    runPlatform(c, (tx) => c.services.auditLogs.record(tx, accountName, { action, resources: [resource(result)], success, error, context }));
  let result: T;
  try {
    result = await mutate();
  } catch (err) {
    if (err instanceof DomainError) await write(false, undefined, err.message);
    throw err;
  }
  await write(true, result, null);
  return result;
}

/** a 4xx with a status no DomainError kind carries (e.g. the 422 the CLI expects for a taken project name) */
export function httpError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status });
}

/** `POST /v1/deployments/source-url` arrives without a Content-Type: read and parse it ourselves. */
export async function jsonBodyOf(c: HandlerContext): Promise<Record<string, unknown>> {
  const b = c.body;
  if (b && typeof b === 'object' && !Buffer.isBuffer(b) && Object.keys(b).length > 0) return b as Record<string, unknown>;
  let text = typeof b === 'string' ? b : Buffer.isBuffer(b) ? b.toString('utf8') : '';
  if (!text) text = (await c.request.rawBody()).toString('utf8');
  if (!text.trim()) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw httpError(400, 'request body must be a JSON object');
}

/** the emulator's own origin, as the client reached it (upload URLs point back here) */
export const originOf = (c: HandlerContext): string => c.request.origin;
