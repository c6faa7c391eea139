import { HTTPError, OpenMeter } from '@openmeter/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator } from '../../src/harness/testEmulator.ts';
import type { RunningEmulator } from '../../src/runtime/main.ts';

/** The official client drives the subscription lifecycle as a user's code would. */
describe('@openmeter/sdk subscriptions against localmeter', () => {
  let running: RunningEmulator;
  let om: OpenMeter;

  beforeAll(async () => {
    running = await startTestEmulator({ start: new Date('2026-05-01T00:00:00Z') });
    om = new OpenMeter({ baseUrl: running.url, apiKey: 'om_test_anything' });
  });
  afterAll(async () => running.stop());

  it('plan → subscription → list → cancel → unschedule → change, and the 409 of a second subscription', async () => {
    await om.features.create({ key: 'sso', name: 'SSO' });
    const rateCards = [
      { type: 'flat_fee', key: 'base', name: 'Base', billingCadence: 'P1M', price: { type: 'flat', amount: '20', paymentTerm: 'in_advance' } },
      { type: 'flat_fee', key: 'sso', name: 'SSO', featureKey: 'sso', billingCadence: 'P1M', price: null, entitlementTemplate: { type: 'boolean' } },
    ];
    const plan = await om.plans.create({ key: 'team', name: 'Team', currency: 'USD', billingCadence: 'P1M', phases: [{ key: 'default', name: 'Default', duration: null, rateCards }] } as never);
    await om.plans.publish(plan!.id);
    const other = await om.plans.create({ key: 'solo', name: 'Solo', currency: 'USD', billingCadence: 'P1M', phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [rateCards[0]] }] } as never);
    await om.plans.publish(other!.id);
    const customer = await om.customers.create({ name: 'Initech', key: 'initech', usageAttribution: { subjectKeys: ['initech'] } });

    const sub = await om.subscriptions.create({ customerKey: 'initech', plan: { key: 'team' } } as never);
    expect(sub).toMatchObject({ customerId: customer!.id, status: 'active', plan: { key: 'team', version: 1 } });
    expect(sub!.activeFrom).toEqual(new Date('2026-05-01T00:00:00Z'));

    const full = await om.subscriptions.get(sub!.id);
    expect(full!.phases[0]!.items.map((i) => i.key)).toEqual(['base', 'sso']);
    expect(full!.alignment?.currentAlignedBillingPeriod?.to).toEqual(new Date('2026-06-01T00:00:00Z'));

    const list = await om.customers.listSubscriptions('initech');
    expect(list!.items.map((s) => s.id)).toEqual([sub!.id]);

    const dup = await om.subscriptions.create({ customerKey: 'initech', plan: { key: 'solo' } } as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(dup).toBeInstanceOf(HTTPError);
    expect((dup as HTTPError).status).toBe(409);

    const canceled = await om.subscriptions.cancel(sub!.id, { timing: 'next_billing_cycle' });
    expect(canceled).toMatchObject({ status: 'canceled', activeTo: new Date('2026-06-01T00:00:00Z') });
    const resumed = await om.subscriptions.unscheduleCancelation(sub!.id);
    expect(resumed!.status).toBe('active');

    const changed = await om.subscriptions.change(sub!.id, { timing: 'next_billing_cycle', plan: { key: 'solo' } } as never);
    expect(changed!.current.activeTo).toEqual(new Date('2026-06-01T00:00:00Z'));
    expect(changed!.next).toMatchObject({ status: 'scheduled', plan: { key: 'solo' } });
    await om.subscriptions.delete(changed!.next.id);
  });
});
