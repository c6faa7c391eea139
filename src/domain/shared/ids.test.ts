import { describe, expect, it } from 'vitest';
import { isUlid, SequentialIds } from './ids.ts';

describe('SequentialIds', () => {
  it('gives distinct ULIDs however many are drawn (base 32 digits I, L, O, U included)', () => {
    const ids = new SequentialIds();
    const drawn = Array.from({ length: 5000 }, () => ids.next());
    expect(new Set(drawn).size).toBe(drawn.length);
    for (const id of drawn) expect(isUlid(id)).toBe(true);
  });
});
