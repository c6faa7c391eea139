import { describe, expect, it } from 'vitest';
import { base58Decode, base58Encode } from './base58.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('base58 (Bitcoin alphabet)', () => {
  it.each([
    // well-known vectors of the Bitcoin alphabet
    ['', ''],
    ['Hello World!', '2NEpo7TZRRrLZSi2U'],
    ['The quick brown fox jumps over the lazy dog.', 'USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z'],
  ])('%j ⇄ %s', (plain, encoded) => {
    expect(base58Encode(bytes(plain))).toBe(encoded);
    expect(new TextDecoder().decode(base58Decode(encoded))).toBe(plain);
  });

  it('keeps leading zero bytes as leading 1s', () => {
    const b = Uint8Array.from([0, 0, 0x28, 0x7f, 0xb4, 0xcd]);
    expect(base58Encode(b)).toBe('11233QC4');
    expect([...base58Decode('11233QC4')]).toEqual([...b]);
  });

  it('round-trips JSON with non-ASCII text', () => {
    const json = JSON.stringify({ __ZUPLO_DEPLOYMENT_NAME: 'shop-main-abc1234', note: 'Zürich ✓' });
    expect(new TextDecoder().decode(base58Decode(base58Encode(bytes(json))))).toBe(json);
  });

  it('refuses characters outside the alphabet (0, O, I, l)', () => {
    expect(() => base58Decode('0OIl')).toThrow(/not a base58 character/);
  });
});
