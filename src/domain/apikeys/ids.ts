import { createHash } from 'node:crypto';

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const digest = (seed: string): Buffer => createHash('sha256').update(seed).digest();

/**
 * Zuplo-style opaque id (`csmr_brw0leTAVw478VFKD4F6OqVI`): the random-looking part is a hash of
 * a ULID from the injected generator, so a seeded emulator hands out the same ids every run.
 */
export function prefixedId(prefix: string, ulid: string, length = 24): string {
  let out = '';
  let block = 0;
  while (out.length < length) {
    for (const b of digest(`${ulid}:${block++}`)) {
      out += B62[b % 62];
      if (out.length === length) break;
    }
  }
  return `${prefix}_${out}`;
}

/** lower-case hex derived from a seed (tokens, short deployment hashes, upload ids) */
export function hexOf(seed: string, length: number): string {
  let out = '';
  let block = 0;
  while (out.length < length) out += digest(`${seed}:${block++}`).toString('hex');
  return out.slice(0, length);
}

/** RFC 4122-shaped (version 4 layout) UUID derived from a seed */
export function uuidOf(seed: string): string {
  const h = hexOf(seed, 32).split('');
  h[12] = '4';
  h[16] = '89ab'[parseInt(h[16]!, 16) % 4]!;
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
