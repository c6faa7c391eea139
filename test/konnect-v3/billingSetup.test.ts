import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const prefix = '/v3/openmeter';

const WORKFLOW_DEFAULTS = {
  collection: { alignment: { type: 'subscription' }, interval: 'PT1H' },
  invoicing: { auto_advance: true, draft_period: 'P0D', progressive_billing: true, subscription_end_proration_mode: 'bill_actual_period' },
  payment: { collection_method: 'charge_automatically' },
  tax: { enabled: true, enforced: false },
};

type App = ReturnType<typeof createTestEmulator>['app'];

async function sandboxId(app: App): Promise<string> {
  const apps = await request(app).get(`${prefix}/apps`).expect(200);
  return apps.body.data.find((a: { type: string }) => a.type === 'sandbox').id;
}

const profileBody = (appId: string, over: Record<string, unknown> = {}) => ({
  name: 'EU profile',
  supplier: { name: 'Acme GmbH', addresses: { billing_address: { country: 'DE', city: 'Berlin', postal_code: '10115' } } },
  workflow: {},
  apps: { tax: { id: appId }, invoicing: { id: appId }, payment: { id: appId } },
  default: false,
  ...over,
});

describe('Konnect v3 apps and billing profiles', () => {
  it('provisions a default sandbox app and a default profile with the workflow defaults', async () => {
    const { app } = createTestEmulator();
    const apps = await request(app).get(`${prefix}/apps`).expect(200);
    expect(apps.body.meta.page).toMatchObject({ number: 1, total: 1 });
    expect(apps.body.data[0]).toMatchObject({ type: 'sandbox', name: 'Sandbox', status: 'ready', definition: { type: 'sandbox', install_methods: ['no_credentials_required'] } });
    // the OpenMeter app registry's order and keys (openmeter/app/sandbox/marketplace.go)
    expect(apps.body.data[0].definition.capabilities.map((c: { type: string; key: string }) => [c.type, c.key])).toEqual([
      ['collect_payments', 'sandbox_collect_payment'],
      ['calculate_tax', 'sandbox_calculate_tax'],
      ['invoice_customers', 'sandbox_invoice_customer'],
    ]);
    const id = apps.body.data[0].id as string;
    const profiles = await request(app).get(`${prefix}/profiles`).expect(200);
    expect(profiles.body.data).toHaveLength(1);
    expect(profiles.body.data[0]).toMatchObject({ default: true, apps: { tax: { id }, invoicing: { id }, payment: { id } } });
    expect(profiles.body.data[0].workflow).toEqual(WORKFLOW_DEFAULTS);
  });

  // POST /app-catalog/install with type sandbox or external_invoicing is rejected by the request
  // validator (express-openapi-validator mis-resolves the `BillingInstallAppRequest`
  // discriminator: a sandbox body is checked against the Stripe schema), so the app is installed
  // on v1 here and the v3 install is exercised with Stripe.
  it('installs sandbox and external_invoicing through POST /app-catalog/install', async () => {
    const { app } = createTestEmulator();
    const sandbox = await request(app).post(`${prefix}/app-catalog/install`).send({ type: 'sandbox', name: 'Sandbox 2', create_billing_profile: false }).expect(201);
    expect(sandbox.body.app).toMatchObject({ name: 'Sandbox 2', definition: { type: 'sandbox' } });
    const erp = await request(app).post(`${prefix}/app-catalog/install`).send({ type: 'external_invoicing', name: 'ERP', create_billing_profile: true }).expect(201);
    expect(erp.body.app).toMatchObject({ name: 'ERP', definition: { type: 'external_invoicing' } });
    const apps = await request(app).get(`${prefix}/apps`).expect(200);
    expect(apps.body.data.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['Sandbox 2', 'ERP']));
    // a body that fits no branch of the union is still a 400
    await request(app).post(`${prefix}/app-catalog/install`).send({ type: 'sandbox', name: 'x', create_billing_profile: false, api_key: 'sk_test_x' }).expect(400);
  });

  it('shows the catalog; a custom invoicing app reads as external_invoicing and updates', async () => {
    const { app } = createTestEmulator();
    const cat = await request(app).get(`${prefix}/app-catalog`).expect(200);
    expect(cat.body.data.map((x: { type: string }) => x.type)).toEqual(['stripe', 'sandbox', 'external_invoicing']);
    expect((await request(app).get(`${prefix}/app-catalog/external_invoicing`).expect(200)).body.install_methods).toEqual(['no_credentials_required']);
    const inst = { body: (await request(app).post('/api/v1/marketplace/listings/custom_invoicing/install').send({ name: 'ERP' }).expect(200)).body };
    const got = await request(app).get(`${prefix}/apps/${inst.body.app.id}`).expect(200);
    expect(got.body).toMatchObject({ type: 'external_invoicing', name: 'ERP', enable_draft_sync_hook: false, enable_issuing_sync_hook: false });
    expect((await request(app).get(`${prefix}/profiles`).expect(200)).body.data.find((p: { default: boolean }) => p.default).apps.invoicing.id).toBe(inst.body.app.id);
    const v1 = await request(app).get(`/api/v1/apps/${inst.body.app.id}`).expect(200);
    expect(v1.body).toMatchObject({ type: 'custom_invoicing', name: 'ERP' });

    const upd = await request(app)
      .put(`${prefix}/apps/${inst.body.app.id}`)
      .send({ type: 'external_invoicing', name: 'ERP 2', enable_draft_sync_hook: true, enable_issuing_sync_hook: false })
      .expect(200);
    expect(upd.body).toMatchObject({ name: 'ERP 2', enable_draft_sync_hook: true });
    const inUse = await request(app).delete(`${prefix}/apps/${inst.body.app.id}`).expect(409);
    expect(inUse.body).toMatchObject({ type: 'about:blank', title: 'Conflict', status: 409 });

    const stripe = await request(app).post(`${prefix}/app-catalog/install`).send({ type: 'stripe', name: 'Stripe', create_billing_profile: false, api_key: 'rk_test_abcdefgh123' }).expect(201);
    expect(stripe.body.app).toMatchObject({ type: 'stripe', livemode: false, masked_api_key: 'rk_test_***123' });
    expect(stripe.body.default_for_capability_types).toEqual([]);
    await request(app).delete(`${prefix}/apps/${stripe.body.app.id}`).expect(204);
    await request(app).get(`${prefix}/apps/${stripe.body.app.id}`).expect(404);
  });

  it('a second default profile takes over; the default cannot be deleted', async () => {
    const { app } = createTestEmulator();
    const id = await sandboxId(app);
    const first = (await request(app).get(`${prefix}/profiles`).expect(200)).body.data[0];
    const created = await request(app)
      .post(`${prefix}/profiles`)
      .send(profileBody(id, { default: true, workflow: { payment: { collection_method: 'send_invoice', due_after: 'P14D' } } }))
      .expect(201);
    expect(created.body.workflow).toEqual({ ...WORKFLOW_DEFAULTS, payment: { collection_method: 'send_invoice', due_after: 'P14D' } });
    expect(created.body.supplier).toEqual({ name: 'Acme GmbH', addresses: { billing_address: { country: 'DE', city: 'Berlin', postal_code: '10115' } } });
    expect((await request(app).get(`${prefix}/profiles/${first.id}`).expect(200)).body.default).toBe(false);
    const refused = await request(app).delete(`${prefix}/profiles/${created.body.id}`).expect(400);
    expect(refused.body).toMatchObject({ type: 'about:blank', status: 400 });
    const upd = await request(app)
      .put(`${prefix}/profiles/${created.body.id}`)
      .send({ name: 'Renamed', supplier: { name: 'Acme' }, workflow: { invoicing: { auto_advance: false } }, default: true })
      .expect(200);
    expect(upd.body).toMatchObject({ name: 'Renamed', workflow: { ...WORKFLOW_DEFAULTS, invoicing: { ...WORKFLOW_DEFAULTS.invoicing, auto_advance: false } } });
    await request(app).delete(`${prefix}/profiles/${first.id}`).expect(204);
  });

  it('answers malformed input with 400 (invalid_parameters from the schema, validationErrors from the service), unknown ids with 404', async () => {
    const { app } = createTestEmulator();
    const id = await sandboxId(app);
    const schema = await request(app).post(`${prefix}/profiles`).send({ name: 'x' }).expect(400);
    expect(schema.body).toMatchObject({ type: 'https://kongapi.info/konnect/bad-request', status: 400 });
    expect(schema.body.invalid_parameters.length).toBeGreaterThan(0);
    // rules checked by the service come in the shared OpenMeter shape (api/v3/apierrors/encoder.go)
    const bodies = [profileBody(id, { supplier: {} }), profileBody(id, { workflow: { invoicing: { draft_period: 'soon' } } }), profileBody('01J0000000000000000000000Z')];
    for (const b of bodies) {
      const r = await request(app).post(`${prefix}/profiles`).send(b);
      expect(r.status).toBe(400);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r.body).toMatchObject({ type: 'about:blank', status: 400 });
      expect(r.body.extensions.validationErrors.length).toBeGreaterThan(0);
    }
    await request(app).post(`${prefix}/app-catalog/install`).send({ type: 'stripe', name: 'S', create_billing_profile: false, api_key: 'sk_test' }).expect(400);
    // the key is checked by asking Stripe for the account (client/stripe.go): Stripe's 401 is a 401
    await request(app).post(`${prefix}/app-catalog/install`).send({ type: 'stripe', name: 'S', create_billing_profile: false, api_key: 'junk_key_12345' }).expect(401);
    await request(app).put(`${prefix}/apps/${id}`).send({ type: 'stripe', name: 'x' }).expect(400);
    await request(app).get(`${prefix}/profiles/01J0000000000000000000000Z`).expect(404);
    await request(app).get(`${prefix}/apps/01J0000000000000000000000Z`).expect(404);
  });
});
