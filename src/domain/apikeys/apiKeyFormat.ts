import { createHash } from 'node:crypto';
import { hexOf } from './ids.ts';

/**
 * Zuplo API keys look like `zpka_<32 hex>_<8 hex checksum>`. The real checksum algorithm is not
 * published; ours is the first 8 hex of sha256 over the `zpka_<body>` part, which keeps the
 * property that matters: a well-formed key can be recognised without a lookup.
 */
export const KEY_PREFIX = 'zpka_';
const KEY_RE = /^zpka_([0-9a-f]{32})_([0-9a-f]{8})$/;

const checksumOf = (head: string): string => createHash('sha256').update(head).digest('hex').slice(0, 8);

export function generateApiKey(seedUlid: string): string {
  const head = `${KEY_PREFIX}${hexOf(`zpka:${seedUlid}`, 32)}`;
  return `${head}_${checksumOf(head)}`;
}

export function isWellFormedApiKey(key: string): boolean {
  const m = KEY_RE.exec(key);
  return m !== null && checksumOf(`${KEY_PREFIX}${m[1]}`) === m[2];
}

export const KeyFormat = { none: 'none', visible: 'visible', masked: 'masked' } as const;
export type KeyFormat = (typeof KeyFormat)[keyof typeof KeyFormat];

/** `masked` follows the OpenAPI example: `****` plus the last 8 characters. */
export function formatKey(key: string, format: KeyFormat): string | undefined {
  if (format === KeyFormat.none) return undefined;
  if (format === KeyFormat.masked) return `****${key.slice(-8)}`;
  return key;
}
