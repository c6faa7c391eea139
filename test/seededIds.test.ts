import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../src/harness/testEmulator.ts';

async function idsOf(seed: number): Promise<string[]> {
  const { app } = createTestEmulator({ seed, start: new Date('2026-02-01T00:00:00Z') });
  const ids: string[] = [];
  for (const slug of ['a', 'b', 'c']) {
    const res = await request(app).post('/api/v1/meters').send({ slug, eventType: slug, aggregation: 'COUNT' }).expect(200);
    ids.push(res.body.id);
  }
  return ids;
}

describe('seedable ids', () => {
  it('gives the same ULIDs for the same seed and clock, different ones for another seed', async () => {
    const a = await idsOf(7);
    const b = await idsOf(7);
    const c = await idsOf(8);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    // the time part is the emulator clock, not the wall clock
    expect(a[0]!.slice(0, 10)).toBe(c[0]!.slice(0, 10));
    expect(new Set(a).size).toBe(3);
  });
});
