import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator } from '../../src/harness/testEmulator.ts';
import type { RunningEmulator } from '../../src/runtime/main.ts';

/**
 * 200 clients racing for the same unique name: exactly one wins, the others get a 4xx, and the
 * store holds one record. Persisted mode, over real sockets, so commits are asynchronous and
 * overlap (a uniqueness check that only saw durable state would let several through).
 */
const CLIENTS = 200;
let running: RunningEmulator;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lm-races-'));
  running = await startTestEmulator({ dataDir: dir });
}, 60_000);
afterAll(async () => {
  await running.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function race(path: string, body: (i: number) => unknown, contentType = 'application/json'): Promise<number[]> {
  // warm the operation's validator so the race is not serialised by its first compilation
  const statuses = await Promise.all(
    Array.from({ length: CLIENTS }, (_, i) => fetch(running.url + path, { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify(body(i)) }).then((r) => r.status)),
  );
  expect(statuses.filter((s) => s >= 500)).toEqual([]);
  return statuses;
}
const created = (statuses: number[]) => statuses.filter((s) => s === 201 || s === 200).length;
const get = async (path: string) => (await fetch(running.url + path)).json() as Promise<unknown>;

describe(`${CLIENTS} concurrent clients per uniqueness rule`, () => {
  it('customer key', async () => {
    const s = await race('/api/v1/customers', (i) => ({ key: 'race-key', name: `C${i}` }));
    expect(created(s)).toBe(1);
    expect(s.filter((x) => x === 409)).toHaveLength(CLIENTS - 1);
    const list = (await get('/api/v1/customers?key=race-key')) as { items: unknown[] };
    expect(list.items).toHaveLength(1);
  });

  it('subject keys', async () => {
    const s = await race('/api/v1/customers', (i) => ({ key: `subj-${i}`, name: `S${i}`, usageAttribution: { subjectKeys: ['race-subject'] } }));
    expect(created(s)).toBe(1);
    const list = (await get('/api/v1/customers?subject=race-subject&pageSize=1000')) as { items: unknown[] };
    expect(list.items).toHaveLength(1);
  });

  it('meter slug', async () => {
    const s = await race('/api/v1/meters', () => ({ slug: 'race_meter', eventType: 'race', aggregation: 'COUNT' }));
    expect(created(s)).toBe(1);
    const meters = (await get('/api/v1/meters')) as Array<{ slug: string }>;
    expect(meters.filter((m) => m.slug === 'race_meter')).toHaveLength(1);
  });

  it('feature key', async () => {
    const s = await race('/api/v1/features', (i) => ({ key: 'race_feature', name: `F${i}` }));
    expect(created(s)).toBe(1);
    const features = (await get('/api/v1/features')) as Array<{ key: string }> | { items: Array<{ key: string }> };
    const items = Array.isArray(features) ? features : features.items;
    expect(items.filter((f) => f.key === 'race_feature')).toHaveLength(1);
  });

  it('plan draft per key', async () => {
    const plan = (i: number) => ({
      key: 'race_plan',
      name: `P${i}`,
      currency: 'USD',
      billingCadence: 'P1M',
      phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [{ type: 'flat_fee', key: 'base', name: 'Base', billingCadence: 'P1M', price: { type: 'flat', amount: '1' } }] }],
    });
    const s = await race('/api/v1/plans', plan);
    expect(created(s)).toBe(1);
    const plans = (await get('/api/v1/plans?key=race_plan')) as { items: unknown[] };
    expect(plans.items).toHaveLength(1);
  });

  it('add-on draft per key', async () => {
    const addon = (i: number) => ({
      key: 'race_addon',
      name: `A${i}`,
      instanceType: 'single',
      currency: 'USD',
      rateCards: [{ type: 'flat_fee', key: 'seat', name: 'Seat', billingCadence: 'P1M', price: { type: 'flat', amount: '5' } }],
    });
    const s = await race('/api/v1/addons', addon);
    expect(created(s)).toBe(1);
  });

  it('one subscription per customer at a time (409 only_single_subscription_allowed_per_customer_at_a_time)', async () => {
    const post = (path: string, body: unknown) =>
      fetch(running.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const plan = await post('/api/v1/plans', {
      key: 'race_sub_plan',
      name: 'Race',
      currency: 'USD',
      billingCadence: 'P1M',
      phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [{ type: 'flat_fee', key: 'base', name: 'Base', billingCadence: 'P1M', price: { type: 'flat', amount: '1', paymentTerm: 'in_arrears' } }] }],
    });
    expect(plan.status).toBe(201);
    const planId = ((await plan.json()) as { id: string }).id;
    expect((await post(`/api/v1/plans/${planId}/publish`, {})).status).toBe(200);
    expect((await post('/api/v1/customers', { key: 'race-subscriber', name: 'R' })).status).toBe(201);
    const s = await race('/api/v1/subscriptions', () => ({ customerKey: 'race-subscriber', plan: { key: 'race_sub_plan' } }));
    expect(created(s)).toBe(1);
    expect(s.filter((x) => x === 409)).toHaveLength(CLIENTS - 1);
    const subs = (await get('/api/v1/customers/race-subscriber/subscriptions')) as { items: unknown[] };
    expect(subs.items).toHaveLength(1);
  });

  it('event (source, id): one stored, the rest deduplicated', async () => {
    const s = await race('/api/v1/events', () => ({ specversion: '1.0', id: 'race-event', source: 'race', type: 'race', subject: 'x' }), 'application/cloudevents+json');
    expect(s.every((x) => x === 204)).toBe(true);
    const events = (await get('/api/v1/events?limit=100')) as Array<{ event: { id: string } }>;
    expect(events.filter((e) => e.event.id === 'race-event')).toHaveLength(1);
  });
});
