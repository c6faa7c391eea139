import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/**
 * Who may talk to the emulator. By default it listens on loopback and trusts whoever reaches it,
 * but a web page the developer has open can reach loopback too: through a DNS name that resolves
 * to 127.0.0.1 (rebinding: the browser then sends that foreign name as `Host`) or by a cross-site
 * request that needs no preflight. Both are refused; strict mode adds a key check on every surface.
 */
export interface AccessOptions {
  auth: 'open' | 'strict';
  apiKeys: readonly string[];
  /** the address the server is bound to; a wildcard bind means the user exposes it on purpose */
  host?: string;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** `localhost`, `127.0.0.1`, `[::1]` and `*.localhost`, with any port */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (!host) return true; // HTTP/1.0 clients send none; a browser always does
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  const lower = name.toLowerCase();
  return LOOPBACK_NAMES.has(lower) || lower.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(lower);
}

const isWildcard = (host: string | undefined): boolean => host === '0.0.0.0' || host === '::' || host === '[::]';

/** The Host header names this server: loopback, or the explicit address it was bound to. */
export function hostAllowed(req: Request, opts: AccessOptions): boolean {
  if (isWildcard(opts.host)) return true;
  const host = req.headers.host;
  if (isLoopbackHostHeader(host)) return true;
  if (!opts.host || !host) return false;
  const bound = opts.host.toLowerCase();
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0]!;
  return name.toLowerCase() === bound.replace(/^\[|\]$/g, '');
}

/**
 * A control-plane request from a browser page on another site. `Origin` is sent by every current
 * browser on a cross-origin POST, `no-cors` included; `Sec-Fetch-Site` says the same on GETs.
 */
export function crossSite(req: Request): boolean {
  const origin = req.headers.origin;
  if (origin === 'null') return true; // sandboxed frames, file:// pages
  if (origin !== undefined) {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return true;
    }
    return !isLoopbackHostHeader(host) && host !== req.headers.host;
  }
  return req.headers['sec-fetch-site'] === 'cross-site';
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The bearer token (or Zuplo API key) a request carries. */
export function presentedToken(req: Request): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const k = req.headers['konnect-token'] ?? req.headers['x-api-key'];
  return typeof k === 'string' && k !== '' ? k : undefined;
}

/** one of the configured keys, compared in constant time */
export function keyAccepted(token: string | undefined, keys: readonly string[]): boolean {
  if (token === undefined) return false;
  const d = digest(token);
  let ok = false;
  for (const k of keys) if (timingSafeEqual(d, digest(k))) ok = true;
  return ok;
}

/**
 * A refusal at the door, before any operation runs: a plain HTTP error (not a domain one), so each
 * surface renders it in the shape its gateway uses for 401 and 403.
 */
export class AccessRefused extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

export const unauthenticated = (message: string): AccessRefused => new AccessRefused(401, message);

/**
 * Keys from `--api-key` (repeatable) and `LOCALMETER_API_KEYS` (comma separated), blanks dropped.
 */
export function apiKeysFrom(flags: readonly string[] | undefined, env: string | undefined): string[] {
  return [...(flags ?? []), ...(env ?? '').split(',')].map((k) => k.trim()).filter((k) => k !== '');
}
