/**
 * OpenMeter's multi-subscription switch per namespace (decision 0031). The real server reads
 * `productcatalog.subscription.multiSubscriptionNamespaces` (app/config/productcatalog.go) and turns
 * the `multi-subscription-enabled` flag on for those namespaces only (app/common/ffx.go): by
 * default no namespace has it. With it, subscriptions may overlap as long as no two items with an
 * entitlement or a price share a key at the same time (subscription/uniqueness.go
 * ValidateUniqueConstraintByFeatures), and restore is refused (workflow/service/subscription.go).
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { advance, publishPlan, setupSubscriptions } from './subscriptionFixtures.ts';

const v1 = '/api/v1/subscriptions';
const v3 = '/v3/openmeter/subscriptions';

/** a plan whose only item (`seats`, $5 a month in advance) shares no key with `pro` or `basic` */
const seatsPlan = {
  key: 'seats',
  name: 'Seats',
  currency: 'USD',
  billingCadence: 'P1M',
  phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [{ type: 'flat_fee', key: 'seats', name: 'Seats', billingCadence: 'P1M', price: { type: 'flat', amount: '5', paymentTerm: 'in_advance' } }] }],
};

describe('OpenMeter v1/v3: several subscriptions per customer only in a multi-subscription namespace', () => {
  it('by default (no namespace listed) a second overlapping subscription is 409 only_single_subscription_allowed_per_customer_at_a_time, even with disjoint items', async () => {
    const { app } = await setupSubscriptions();
    await publishPlan(app, seatsPlan);
    await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' } }).expect(201);
    const res = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'seats' } }).expect(409);
    expect(res.body.extensions.validationErrors[0].code).toBe('only_single_subscription_allowed_per_customer_at_a_time');
  });

  it('listed: plans without a shared item key run side by side (v1 and v3); a shared priced item key is 409 only_single_subscription_item_allowed_at_a_time', async () => {
    const { app } = await setupSubscriptions({ multiSubscriptionNamespaces: ['default'] });
    await publishPlan(app, seatsPlan);
    const pro = (await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' } }).expect(201)).body;
    const seats = (await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'seats' } }).expect(201)).body;
    expect(seats.status).toBe('active');
    // basic's `base` fee overlaps pro's `base` fee (from pro's second phase on)
    const clash = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(409);
    expect(clash.body.extensions.validationErrors[0].code).toBe('only_single_subscription_item_allowed_at_a_time');
    expect(clash.body.extensions.validationErrors[0].message).toBe('for any given feature, only one subscription item with entitlements or billable prices can exist at a time');
    const v3clash = await request(app).post(v3).send({ customer: { key: 'acme' }, plan: { key: 'basic' } }).expect(409);
    expect(JSON.stringify(v3clash.body)).toContain('only_single_subscription_item_allowed_at_a_time');
    // another customer is not concerned; once pro ends, basic's `base` no longer overlaps
    await request(app).post(v3).send({ customer: { key: 'globex' }, plan: { key: 'basic' } }).expect(201);
    await request(app).post(`${v1}/${pro.id}/cancel`).send({ timing: 'immediate' }).expect(200);
    await advance(app, 'PT1S');
    await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    // both running subscriptions are the customer's
    const listed = (await request(app).get(`/api/v1/customers/acme/subscriptions?status=active`).expect(200)).body.items.map((s: { plan: { key: string } }) => s.plan.key);
    expect(listed.sort()).toEqual(['basic', 'seats']);
  });

  it('listed: restore is 403 "restore subscription is not allowed for multi-subscription"', async () => {
    const { app } = await setupSubscriptions({ multiSubscriptionNamespaces: ['default'] });
    const s = (await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201)).body;
    await request(app).post(`${v1}/${s.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
    const res = await request(app).post(`${v1}/${s.id}/restore`).expect(403);
    expect(res.body.detail).toBe('restore subscription is not allowed for multi-subscription');
  });
});
