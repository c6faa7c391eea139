import { describe, expect, it } from 'vitest';
import { IdSet } from './idSet.ts';

describe('IdSet: the ids seen from one source, answering as a Set of strings does', () => {
  it('adds, finds and refuses a second add of the same id (also an equal string built apart)', () => {
    const s = new IdSet();
    expect(s.add('e1')).toBe(true);
    expect(s.add(['e', '1'].join(''))).toBe(false);
    expect(s.has('e1')).toBe(true);
    expect(s.has('e2')).toBe(false);
    expect(s.add('')).toBe(true);
    expect(s.has('')).toBe(true);
    expect(s.size).toBe(2);
  });

  it('a removed id can be added again; removing an absent id changes nothing', () => {
    const s = new IdSet();
    s.add('a');
    expect(s.delete('b')).toBe(false);
    expect(s.delete('a')).toBe(true);
    expect(s.has('a')).toBe(false);
    expect(s.add('a')).toBe(true);
    expect(s.size).toBe(1);
  });

  it('agrees with a Set through growth and removals in any order (runs shifted back, no entry lost)', () => {
    const s = new IdSet();
    const ref = new Set<string>();
    let x = 7;
    const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff), x % n);
    for (let step = 0; step < 60_000; step++) {
      const id = `id-${rnd(20_000)}`;
      if (rnd(3) === 0) expect(s.delete(id)).toBe(ref.delete(id));
      else expect(s.add(id)).toBe(!ref.has(id) && Boolean(ref.add(id)));
      expect(s.size).toBe(ref.size);
    }
    for (let i = 0; i < 20_000; i++) expect(s.has(`id-${i}`)).toBe(ref.has(`id-${i}`));
  });

  it('non-ASCII ids are distinct by their UTF-16 code units', () => {
    const s = new IdSet();
    expect(s.add('é')).toBe(true);
    expect(s.add('e\u0301')).toBe(true);
    expect(s.add('😀')).toBe(true);
    expect(s.has('é')).toBe(true);
    expect(s.has('😀')).toBe(true);
    expect(s.has('\ud83d')).toBe(false);
  });
});
