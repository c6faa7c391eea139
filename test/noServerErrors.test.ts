import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../src/harness/testEmulator.ts';
import { operations as v1Ops } from '../src/surfaces/openmeter-v1/operations.gen.ts';
import { operations as v3Ops } from '../src/surfaces/konnect-v3/operations.gen.ts';
import { operations as zuploOps } from '../src/surfaces/zuplo/operations.gen.ts';

/**
 * Malformed input must get a problem in the surface's shape, never a 500: every documented
 * operation of every surface is hit with garbage path ids, a wrong-typed query and a bogus body.
 */
const surfaces = [
  { name: 'openmeter-v1', base: '', ops: v1Ops },
  { name: 'konnect-v3', base: '/v3', ops: v3Ops },
  { name: 'konnect-v3 (self-hosted prefix)', base: '/api/v3', ops: v3Ops.slice(0, 20) },
  { name: 'zuplo', base: '', ops: zuploOps },
];

const fill = (path: string, value: string) => path.replace(/\{[^}]+\}/g, value);

describe.each(surfaces)('$name: no 500 for malformed requests', ({ base, ops }) => {
  it(`answers every operation with a client error or 501 (${ops.length} operations)`, async () => {
    const { app } = createTestEmulator();
    const failures: string[] = [];
    for (const op of ops) {
      const url = base + fill(op.path, '%%bad id%%'.replace(/%/g, 'x'));
      const m = op.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
      const attempts = [
        request(app)[m](url).set('content-type', 'application/json').send('{"broken": '),
        request(app)[m](`${url}?page=-5&limit=notanumber`),
        request(app)[m](url).send({ __bogus__: [1, { deep: null }] }),
      ];
      for (const res of await Promise.all(attempts)) {
        const ok = res.status < 500 || res.status === 501;
        if (!ok) failures.push(`${op.method.toUpperCase()} ${url} → ${res.status} ${res.text.slice(0, 200)}`);
        if (res.status >= 400) {
          const ct = res.headers['content-type'] ?? '';
          if (!ct.startsWith('application/problem+json')) failures.push(`${op.method.toUpperCase()} ${url} → ${res.status} with content-type ${ct}`);
        }
      }
    }
    expect(failures).toEqual([]);
    // the first request of each operation compiles its validator: hundreds of them here
  }, 600_000);
});
