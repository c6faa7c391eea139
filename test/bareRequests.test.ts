import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../src/harness/testEmulator.ts';
import { operations as v1Ops } from '../src/surfaces/openmeter-v1/operations.gen.ts';
import { operations as v3Ops } from '../src/surfaces/konnect-v3/operations.gen.ts';
import { operations as zuploOps } from '../src/surfaces/zuplo/operations.gen.ts';

/**
 * A bare GET (no query, no body, no path parameter) is validated once per operation; later ones
 * reuse the query the validator produced (its defaults: `page=1`, `pageSize=100`, ...). Served
 * that way, every such operation must answer exactly as the validated first request did, and as
 * an emulator that validates every request (responses checked, so nothing is reused) does.
 */
const surfaces = [
  { name: 'openmeter-v1', base: '', ops: v1Ops },
  { name: 'konnect-v3', base: '/v3', ops: v3Ops },
  { name: 'zuplo', base: '', ops: zuploOps },
];

describe.each(surfaces)('$name: bare GETs answer the same when their validation is reused', ({ base, ops }) => {
  it('second and third requests equal the first, and equal a fully validating emulator', async () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const fast = createTestEmulator({ validateResponses: false, frozen: true, start, seed: 3 }).app;
    const checked = createTestEmulator({ validateResponses: true, frozen: true, start, seed: 3 }).app;
    const bare = ops.filter((op) => op.method.toLowerCase() === 'get' && !op.path.includes('{'));
    expect(bare.length).toBeGreaterThan(0);
    for (const app of [fast, checked]) {
      for (const slug of ['calls', 'tokens', 'bytes']) {
        await request(app).post('/api/v1/meters').send({ slug, eventType: slug, aggregation: 'COUNT' }).expect(200);
      }
    }
    for (const op of bare) {
      const url = base + op.path;
      const answers = [];
      for (let i = 0; i < 3; i++) {
        const r = await request(fast).get(url);
        answers.push({ status: r.status, body: r.status < 300 ? r.body : undefined });
      }
      const reference = await request(checked).get(url);
      expect(answers[1], url).toEqual(answers[0]);
      expect(answers[2], url).toEqual(answers[0]);
      // a response the validating emulator refuses (a 500 there) says nothing about reuse
      if (reference.status < 500) expect(answers[0], url).toEqual({ status: reference.status, body: reference.status < 300 ? reference.body : undefined });
    }
  }, 120_000);
});
