import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

describe('billing profiles across surfaces', () => {
  it('a profile created on v1 reads the same on v3, and back', async () => {
    const { app } = createTestEmulator();
    const appId = (await request(app).get('/api/v1/apps').expect(200)).body.items[0].id as string;
    const v1 = await request(app)
      .post('/api/v1/billing/profiles')
      .send({
        name: 'EU',
        description: 'europe',
        metadata: { region: 'eu' },
        supplier: { name: 'Acme GmbH', taxId: { code: 'DE123' }, addresses: [{ country: 'DE', postalCode: '10115' }] },
        default: true,
        workflow: { invoicing: { draftPeriod: 'P1D', dueAfter: 'P10D' }, payment: { collectionMethod: 'send_invoice' }, tax: { enforced: true } },
        apps: { tax: appId, invoicing: appId, payment: appId },
      })
      .expect(201);
    const v3 = await request(app).get(`/v3/openmeter/profiles/${v1.body.id}`).expect(200);
    expect(v3.body).toEqual({
      id: v1.body.id,
      name: 'EU',
      description: 'europe',
      labels: { region: 'eu' },
      created_at: v1.body.createdAt,
      updated_at: v1.body.updatedAt,
      supplier: { name: 'Acme GmbH', tax_id: { code: 'DE123' }, addresses: { billing_address: { country: 'DE', postal_code: '10115' } } },
      workflow: {
        collection: { alignment: { type: 'subscription' }, interval: 'PT1H' },
        invoicing: { auto_advance: true, draft_period: 'P1D', progressive_billing: true, subscription_end_proration_mode: 'bill_actual_period' },
        payment: { collection_method: 'send_invoice', due_after: 'P10D' },
        tax: { enabled: true, enforced: true },
      },
      apps: { tax: { id: appId }, invoicing: { id: appId }, payment: { id: appId } },
      default: true,
    });
    const list = await request(app).get('/v3/openmeter/profiles').expect(200);
    expect(list.body.data.filter((p: { default: boolean }) => p.default).map((p: { id: string }) => p.id)).toEqual([v1.body.id]);

    // created on v3 → read on v1
    const made = await request(app)
      .post('/v3/openmeter/profiles')
      .send({ name: 'US', supplier: { name: 'Acme Inc' }, workflow: {}, apps: { tax: { id: appId }, invoicing: { id: appId }, payment: { id: appId } }, default: false })
      .expect(201);
    const back = await request(app).get(`/api/v1/billing/profiles/${made.body.id}`).expect(200);
    expect(back.body).toMatchObject({ name: 'US', default: false, supplier: { name: 'Acme Inc' }, workflow: { invoicing: { dueAfter: 'P30D' }, payment: { collectionMethod: 'charge_automatically' } } });
  });
});
