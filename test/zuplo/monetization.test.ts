import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';
import { base, seedMonetizedBucket, subscribe, use, validate } from './monetizationFixtures.ts';

describe('Zuplo monetization: subscriptions own API keys', () => {
  it('smoke', async () => {
    const { app } = createTestEmulator();
    const plans = await seedMonetizedBucket(app);
    const s = await subscribe(app, { customerSub: 'auth0|u1', customerEmail: 'u1@example.com', planId: plans.free });
    console.log(JSON.stringify(s.body, null, 1).slice(0, 3000));
    const v = await validate(app, s.key);
    console.log(v.status, JSON.stringify(v.body, null, 1));
    await use(app, s.consumer, s.id, 2);
    const a = await request(app).get(`${base()}/subscriptions/${s.id}/access`);
    console.log(a.status, JSON.stringify(a.body));
  });
});
