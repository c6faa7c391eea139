import { monotonicFactory } from 'ulid';
import type { Clock } from '../domain/shared/clock.ts';
import type { IdGenerator } from '../domain/shared/ids.ts';

/** mulberry32: tiny, fast, good enough to make ULID randomness reproducible from a seed */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * ULIDs whose time part comes from the emulator clock and whose random part comes from a seeded
 * PRNG when a seed is given: two runs with the same seed and the same clock moves give the same ids.
 */
export function createIdGenerator(clock: Clock, seed?: number): IdGenerator {
  const factory = seed === undefined ? monotonicFactory() : monotonicFactory(mulberry32(seed));
  return { next: () => factory(clock.now().getTime()) };
}
