import type { HandlerContext } from './types.ts';

/**
 * Names of the query parameters the caller actually sent. The validator fills in defaults
 * (`page`, `pageSize`, `limit`, ...), and which paging style was asked for changes the answer
 * (a bare array or a page envelope), so handlers look at the raw URL.
 */
export function sentQueryKeys(c: HandlerContext): Set<string> {
  const url = c.request.url;
  const i = url.indexOf('?');
  const keys = new Set<string>();
  if (i < 0) return keys;
  for (const k of new URLSearchParams(url.slice(i + 1)).keys()) keys.add(k.replace(/\[.*$/, ''));
  return keys;
}
