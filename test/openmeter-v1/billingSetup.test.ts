import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const WORKFLOW_DEFAULTS = {
  collection: { alignment: { type: 'subscription' }, interval: 'PT1H' },
  invoicing: { autoAdvance: true, draftPeriod: 'P0D', dueAfter: 'P30D', progressiveBilling: true, subscriptionEndProrationMode: 'bill_actual_period' },
  payment: { collectionMethod: 'charge_automatically' },
  tax: { enabled: true, enforced: false },
};

type App = ReturnType<typeof createTestEmulator>['app'];

async function sandboxId(app: App): Promise<string> {
  const apps = await request(app).get('/api/v1/apps').expect(200);
  return apps.body.items.find((a: { type: string }) => a.type === 'sandbox').id;
}

const profileBody = (appId: string, over: Record<string, unknown> = {}) => ({
  name: 'EU profile',
  supplier: { name: 'Acme GmbH', addresses: [{ country: 'DE', city: 'Berlin' }] },
  default: false,
  workflow: {},
  apps: { tax: appId, invoicing: appId, payment: appId },
  ...over,
});

describe('OpenMeter v1 apps and billing profiles', () => {
  it('provisions a default sandbox app and a default profile with the workflow defaults', async () => {
    const { app } = createTestEmulator();
    const apps = await request(app).get('/api/v1/apps').expect(200);
    expect(apps.body).toMatchObject({ totalCount: 1, page: 1, pageSize: 100 });
    // openmeter/app/sandbox/helpers.go (the app) and marketplace.go (its listing)
    expect(apps.body.items[0]).toMatchObject({
      type: 'sandbox',
      name: 'Sandbox',
      description: 'OpenMeter Sandbox App to be used for testing purposes.',
      status: 'ready',
      listing: { type: 'sandbox', name: 'Sandbox', description: 'Sandbox can be used to test OpenMeter without external connections.', installMethods: ['no_credentials_required'] },
    });
    expect(apps.body.items[0].listing.capabilities).toEqual([
      { type: 'collectPayments', key: 'sandbox_collect_payment', name: 'Payment', description: 'Process payments' },
      { type: 'calculateTax', key: 'sandbox_calculate_tax', name: 'Calculate Tax', description: 'Calculate tax for a payment' },
      { type: 'invoiceCustomers', key: 'sandbox_invoice_customer', name: 'Invoice Customer', description: 'Invoice a customer' },
    ]);
    const id = apps.body.items[0].id as string;
    expect((await request(app).get(`/api/v1/apps/${id}`).expect(200)).body).toEqual(apps.body.items[0]);

    const profiles = await request(app).get('/api/v1/billing/profiles').expect(200);
    expect(profiles.body.totalCount).toBe(1);
    const def = profiles.body.items[0];
    // openmeter/billing/service/profile.go: clients find the provisioned profile by this name
    expect(def).toMatchObject({
      name: 'openmeter-sandbox',
      description: 'Default profile for OpenMeter sandbox',
      supplier: { name: 'OpenMeter', addresses: [{ country: 'US' }] },
      default: true,
      apps: { tax: { id }, invoicing: { id }, payment: { id } },
    });
    expect(def.workflow).toEqual(WORKFLOW_DEFAULTS);
    const expanded = await request(app).get(`/api/v1/billing/profiles/${def.id}?expand=apps`).expect(200);
    expect(expanded.body.apps.invoicing).toMatchObject({ id, type: 'sandbox', name: 'Sandbox' });
  });

  it('lists the marketplace and installs custom invoicing, which becomes the default over the sandbox', async () => {
    const { app } = createTestEmulator();
    const listings = await request(app).get('/api/v1/marketplace/listings').expect(200);
    expect(listings.body.items.map((l: { type: string }) => l.type)).toEqual(['stripe', 'sandbox', 'custom_invoicing']);
    const stripe = await request(app).get('/api/v1/marketplace/listings/stripe').expect(200);
    // openmeter/app/stripe/marketplace.go
    expect(stripe.body).toMatchObject({ description: 'Send invoices, calculate tax and collect payments.', installMethods: ['with_api_key'] });
    expect(stripe.body.capabilities.map((c: { key: string }) => c.key)).toEqual(['stripe_collect_payment', 'stripe_calculate_tax', 'stripe_invoice_customer']);
    const custom = await request(app).get('/api/v1/marketplace/listings/custom_invoicing').expect(200);
    expect(custom.body.capabilities.map((c: { key: string }) => c.key)).toEqual(['custom_invoicing_collect_payment', 'custom_invoicing_calculate_tax', 'custom_invoicing_invoice_customer']);

    const inst = await request(app).post('/api/v1/marketplace/listings/custom_invoicing/install').send({ name: 'ERP' }).expect(200);
    expect(inst.body.app).toMatchObject({ type: 'custom_invoicing', name: 'ERP', enableDraftSyncHook: false, enableIssuingSyncHook: false });
    expect(inst.body.defaultForCapabilityTypes).toEqual(['calculateTax', 'invoiceCustomers', 'collectPayments']);
    const profiles = (await request(app).get('/api/v1/billing/profiles').expect(200)).body.items;
    expect(profiles.filter((p: { default: boolean }) => p.default).map((p: { apps: { invoicing: { id: string } } }) => p.apps.invoicing.id)).toEqual([inst.body.app.id]);

    const upd = await request(app)
      .put(`/api/v1/apps/${inst.body.app.id}`)
      .send({ type: 'custom_invoicing', name: 'ERP 2', enableDraftSyncHook: true, enableIssuingSyncHook: true })
      .expect(200);
    expect(upd.body).toMatchObject({ name: 'ERP 2', enableDraftSyncHook: true, enableIssuingSyncHook: true });
    // used by a profile: cannot go
    const refused = await request(app).delete(`/api/v1/apps/${inst.body.app.id}`).expect(409);
    expect(refused.body).toMatchObject({ type: 'about:blank', status: 409 });

    const plain = await request(app).post('/api/v1/marketplace/listings/custom_invoicing/install').send({ createBillingProfile: false }).expect(200);
    expect(plain.body.defaultForCapabilityTypes).toEqual([]);
    await request(app).delete(`/api/v1/apps/${plain.body.app.id}`).expect(204);
    await request(app).get(`/api/v1/apps/${plain.body.app.id}`).expect(404);
  });

  it('installs stripe with a test API key, verified with the emulated Stripe; masked 8 + *** + 3 (service/app.go)', async () => {
    const { app } = createTestEmulator();
    const key = 'sk_test_51HxYzAbCdEfGhIjKlMnOp';
    const r = await request(app).post('/api/v1/marketplace/listings/stripe/install/apikey').send({ apiKey: key, createBillingProfile: false }).expect(200);
    expect(r.body.app).toMatchObject({ type: 'stripe', name: 'Stripe', livemode: false, maskedAPIKey: 'sk_test_***nOp' });
    expect(JSON.stringify(r.body)).not.toContain(key);
    const short = await request(app).post('/api/v1/marketplace/listings/stripe/install/apikey').send({ apiKey: 'sk_test' }).expect(400);
    expect(short.body.extensions.validationErrors[0]).toMatchObject({ field: 'apiKey' });
    await request(app).post('/api/v1/marketplace/listings/stripe/install').send({}).expect(400);
  });

  it('creates a second default profile: the previous one loses default; defaults fill the workflow', async () => {
    const { app } = createTestEmulator();
    const id = await sandboxId(app);
    const first = (await request(app).get('/api/v1/billing/profiles').expect(200)).body.items[0];
    const created = await request(app)
      .post('/api/v1/billing/profiles')
      .send(profileBody(id, { default: true, workflow: { invoicing: { dueAfter: 'P14D' } } }))
      .expect(201);
    expect(created.body.default).toBe(true);
    expect(created.body.workflow).toEqual({ ...WORKFLOW_DEFAULTS, invoicing: { ...WORKFLOW_DEFAULTS.invoicing, dueAfter: 'P14D' } });
    expect((await request(app).get(`/api/v1/billing/profiles/${first.id}`).expect(200)).body.default).toBe(false);

    // without an order the list is newest first (openmeter/billing/httpdriver/profile.go: createdAt DESC)
    await request(app).post('/_emulator/clock/advance').send({ by: 'PT1M' }).expect(200);
    const third = (await request(app).post('/api/v1/billing/profiles').send(profileBody(id, { name: 'Third' })).expect(201)).body;
    const names = async (qs: string) => (await request(app).get(`/api/v1/billing/profiles${qs}`).expect(200)).body.items.map((p: { id: string }) => p.id);
    expect((await names('')).slice(0, 1)).toEqual([third.id]);
    expect((await names('?order=ASC')).at(-1)).toBe(third.id);
    await request(app).delete(`/api/v1/billing/profiles/${third.id}`).expect(204);

    // the former default can be deleted now; the new default cannot. Billing errors carry the
    // issue flattened into `extensions` (openmeter/billing/httpdriver/errors.go, openmeter/billing/errors.go)
    const refused = await request(app).delete(`/api/v1/billing/profiles/${created.body.id}`).expect(400);
    expect(refused.body).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: `default profile cannot be deleted [id=${created.body.id}]`,
      instance: expect.stringMatching(/^urn:request:/),
      extensions: { code: 'default_profile_cannot_be_deleted', message: 'default profile cannot be deleted', severity: 'critical' },
    });
    await request(app).delete(`/api/v1/billing/profiles/${first.id}`).expect(204);
    expect((await request(app).get('/api/v1/billing/profiles').expect(200)).body.totalCount).toBe(1);
    const missing = await request(app).get('/api/v1/billing/profiles/01J0000000000000000000000Z').expect(404);
    expect(missing.body).toMatchObject({ detail: 'profile not found [id=01J0000000000000000000000Z]', extensions: { code: 'profile_not_found', message: 'profile not found', severity: 'critical' } });
    const unset = await request(app).put(`/api/v1/billing/profiles/${created.body.id}`).send({ name: 'x', supplier: { name: 'Acme' }, default: false, workflow: {} }).expect(400);
    expect(unset.body.extensions).toEqual({ code: 'default_profile_cannot_be_unset', message: 'default profile cannot be unset', severity: 'critical' });

    const upd = await request(app)
      .put(`/api/v1/billing/profiles/${created.body.id}`)
      .send({ name: 'Renamed', supplier: { name: 'Acme' }, default: true, workflow: { tax: { enabled: false } } })
      .expect(200);
    expect(upd.body).toMatchObject({ name: 'Renamed', default: true, workflow: { ...WORKFLOW_DEFAULTS, tax: { enabled: false, enforced: false } } });
  });

  it('a customer override changes the effective profile; deleting it restores the default', async () => {
    const { app } = createTestEmulator();
    const id = await sandboxId(app);
    const def = (await request(app).get('/api/v1/billing/profiles').expect(200)).body.items[0];
    const other = (await request(app).post('/api/v1/billing/profiles').send(profileBody(id, { workflow: { invoicing: { autoAdvance: false } } })).expect(201)).body;
    const cust = (await request(app).post('/api/v1/customers').send({ name: 'Acme', key: 'acme' }).expect(201)).body;

    const before = await request(app).get(`/api/v1/billing/customers/${cust.id}`).expect(200);
    expect(before.body.baseBillingProfileId).toBe(def.id);
    expect(before.body.customerOverride).toBeUndefined();

    const up = await request(app).put(`/api/v1/billing/customers/${cust.id}`).send({ billingProfileId: other.id }).expect(200);
    expect(up.body).toMatchObject({ baseBillingProfileId: other.id, customerOverride: { customerId: cust.id, billingProfileId: other.id } });
    expect(up.body.customerProfile.workflow.invoicing.autoAdvance).toBe(false);

    const list = await request(app).get('/api/v1/billing/customers?expand=customer').expect(200);
    expect(list.body.items.map((x: { customer: { key: string } }) => x.customer.key)).toEqual(['acme']);
    const pinned = await request(app).delete(`/api/v1/billing/profiles/${other.id}`).expect(400);
    expect(pinned.body.detail).toBe(`profile is referenced by customer overrides [profile_id=${other.id}, customer_ids=[${cust.id}]]`);
    expect(pinned.body.extensions).toEqual({ code: 'profile_referenced', message: 'profile is referenced by customer overrides', severity: 'critical' });
    await request(app).post('/api/v1/customers').send({ name: 'Beta', key: 'beta' }).expect(201);
    const all = await request(app).get('/api/v1/billing/customers?includeAllCustomers=true&orderBy=customerKey').expect(200);
    expect(all.body.items.map((x: { baseBillingProfileId: string }) => x.baseBillingProfileId)).toEqual([other.id, def.id]);
    const byProfile = await request(app).get(`/api/v1/billing/customers?includeAllCustomers=true&billingProfile=${def.id}`).expect(200);
    expect(byProfile.body.totalCount).toBe(1);

    const got = await request(app).get(`/api/v1/billing/customers/${cust.id}?expand=customer&expand=apps`).expect(200);
    expect(got.body).toMatchObject({ baseBillingProfileId: other.id, customer: { id: cust.id, key: 'acme' }, customerProfile: { apps: { tax: { id, type: 'sandbox' } } } });
    await request(app).delete(`/api/v1/billing/customers/${cust.id}`).expect(204);
    expect((await request(app).get(`/api/v1/billing/customers/${cust.id}`).expect(200)).body.baseBillingProfileId).toBe(def.id);
    const noOverride = await request(app).delete(`/api/v1/billing/customers/${cust.id}`).expect(404);
    expect(noOverride.body.extensions).toEqual({ code: 'customer_override_not_found', message: 'customer override not found', severity: 'critical' });
  });

  it('stores customer app data per app', async () => {
    const { app } = createTestEmulator();
    const id = await sandboxId(app);
    await request(app).post('/api/v1/customers').send({ name: 'Acme', key: 'acme' }).expect(201);
    const up = await request(app).put('/api/v1/customers/acme/apps').send([{ type: 'sandbox' }]).expect(200);
    expect(up.body).toEqual([expect.objectContaining({ id, type: 'sandbox', app: expect.objectContaining({ id }) })]);
    expect((await request(app).get('/api/v1/customers/acme/apps').expect(200)).body.totalCount).toBe(1);
    await request(app).delete(`/api/v1/customers/acme/apps/${id}`).expect(204);
    expect((await request(app).get('/api/v1/customers/acme/apps').expect(200)).body.totalCount).toBe(0);
  });

  it('answers malformed or invalid input with 400 problems, never 500', async () => {
    const { app } = createTestEmulator();
    const id = await sandboxId(app);
    const cases: Array<[string, string, unknown]> = [
      ['post', '/api/v1/billing/profiles', { name: 'x' }],
      ['post', '/api/v1/billing/profiles', profileBody(id, { supplier: {} })],
      ['post', '/api/v1/billing/profiles', profileBody(id, { workflow: { invoicing: { draftPeriod: 'tomorrow' } } })],
      ['post', '/api/v1/billing/profiles', profileBody('01J0000000000000000000000Z')],
      ['put', `/api/v1/apps/${id}`, { type: 'custom_invoicing', name: 'x', enableDraftSyncHook: true, enableIssuingSyncHook: true }],
      ['put', `/api/v1/apps/${id}`, { name: 'no type' }],
      ['post', '/api/v1/marketplace/listings/stripe/install/apikey', { apiKey: 42 }],
      ['put', '/api/v1/customers/nobody/apps', { type: 'sandbox' }],
    ];
    for (const [method, url, body] of cases) {
      const r = await (request(app) as unknown as Record<string, (u: string) => request.Test>)[method]!(url).send(body as object);
      expect([url, r.status]).toEqual([url, 400]);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r.body).toMatchObject({ type: 'about:blank', status: 400 });
    }
    const bad = await request(app).post('/api/v1/billing/profiles').send(profileBody(id, { supplier: {} })).expect(400);
    expect(bad.body.extensions.validationErrors.map((e: { field: string }) => e.field)).toEqual(['supplier.name']);
    await request(app).get('/api/v1/billing/profiles/01J0000000000000000000000Z').expect(404);
    await request(app).get('/api/v1/marketplace/listings/nope').expect(400);
  });
});
