import Stripe from 'stripe';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';
import { inProcessStripeFetch } from '../../src/stripe/server.ts';
import { STRIPE_API_VERSION, type StripeEmulator } from '../../src/stripe/StripeEmulator.ts';

/** the `stripe` SDK against the emulator's own Stripe, with the key the test installs the app with */
const stripeSdk = (stripe: StripeEmulator) =>
  new Stripe('sk_test_abcdefgh123', { apiVersion: STRIPE_API_VERSION as Stripe.LatestApiVersion, httpClient: Stripe.createFetchHttpClient(inProcessStripeFetch(stripe)), telemetry: false });

const prefix = '/v3/openmeter';
type App = ReturnType<typeof createTestEmulator>['app'];

async function customer(app: App, key = 'acme'): Promise<string> {
  return (await request(app).post(`${prefix}/customers`).send({ key, name: key.toUpperCase(), currency: 'USD' }).expect(201)).body.id;
}

/** A profile whose payment app is a fresh Stripe / custom invoicing app (not the default). */
async function profileWith(app: App, type: 'stripe' | 'custom_invoicing', makeDefault = false, existingAppId?: string): Promise<{ profileId: string; appId: string }> {
  const appId =
    existingAppId ??
    (type === 'stripe'
      ? (await request(app).post(`${prefix}/app-catalog/install`).send({ type: 'stripe', name: 'Stripe', create_billing_profile: false, api_key: 'sk_test_abcdefgh123' }).expect(201)).body.app.id
      : (await request(app).post('/api/v1/marketplace/listings/custom_invoicing/install').send({ name: 'ERP', createBillingProfile: false }).expect(200)).body.app.id);
  const profile = await request(app)
    .post(`${prefix}/profiles`)
    .send({ name: `${type} profile`, supplier: { name: 'Acme' }, workflow: {}, apps: { tax: { id: appId }, invoicing: { id: appId }, payment: { id: appId } }, default: makeDefault })
    .expect(201);
  return { profileId: profile.body.id, appId };
}

// api/v3/handlers/customers/billing/{get_billing,update_billing,update_billing_app_data}.go
describe('Konnect v3 customer billing', () => {
  it('GET answers the merged (default) profile; a sandbox payment app has no app data', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    const def = (await request(app).get(`${prefix}/profiles`).expect(200)).body.data.find((p: { default: boolean }) => p.default);
    const got = await request(app).get(`${prefix}/customers/${id}/billing`).expect(200);
    expect(got.body).toEqual({ billing_profile: { id: def.id }, app_data: {} });
    await request(app).get(`${prefix}/customers/01J0000000000000000000000Z/billing`).expect(404);
  });

  it('a Stripe profile without Stripe data for the customer is 412 on GET (get_billing.go, quirk)', async () => {
    const { app, emulator } = createTestEmulator();
    const id = await customer(app);
    const { profileId, appId: stripeAppId } = await profileWith(app, 'stripe');
    const stripe = stripeSdk(emulator.stripe);
    const cus1 = (await stripe.customers.create({ name: 'Acme' })).id;
    const cus2 = (await stripe.customers.create({ name: 'Acme 2' })).id;
    const pm1 = (await stripe.paymentMethods.attach('pm_card_visa', { customer: cus1 })).id;
    // PUT without app_data against a Stripe profile: app_data.stripe is required
    const missing = await request(app).put(`${prefix}/customers/${id}/billing`).send({ billing_profile: { id: profileId } }).expect(400);
    // raised by the handler (apierrors.NewBadRequestError): Konnect shape with invalid_parameters
    expect(missing.body).toMatchObject({ type: 'https://kongapi.info/konnect/bad-request', status: 400 });
    expect(missing.body.invalid_parameters).toEqual([expect.objectContaining({ field: 'app_data.stripe', rule: 'required' })]);
    const noId = await request(app).put(`${prefix}/customers/${id}/billing`).send({ billing_profile: { id: profileId }, app_data: { stripe: {} } }).expect(400);
    expect(noId.body.invalid_parameters).toEqual([expect.objectContaining({ field: 'stripe.customer_id', rule: 'required' })]);
    // nothing was bound by the refused calls: the customer still follows the sandbox default
    expect((await request(app).get(`${prefix}/customers/${id}/billing`).expect(200)).body.billing_profile.id).not.toBe(profileId);

    const put = await request(app)
      .put(`${prefix}/customers/${id}/billing`)
      .send({ billing_profile: { id: profileId }, app_data: { stripe: { customer_id: cus1, default_payment_method_id: pm1, labels: { env: 'test' } } } })
      .expect(200);
    // the answer echoes the request (labels included)
    expect(put.body).toEqual({ billing_profile: { id: profileId }, app_data: { stripe: { customer_id: cus1, default_payment_method_id: pm1, labels: { env: 'test' } } } });
    // GET shows what is stored: no labels, ever
    const got = await request(app).get(`${prefix}/customers/${id}/billing`).expect(200);
    expect(got.body).toEqual({ billing_profile: { id: profileId }, app_data: { stripe: { customer_id: cus1, default_payment_method_id: pm1 } } });
    // the same record v1 lists as the customer's app data
    const v1 = await request(app).get(`/api/v1/customers/${id}/apps`).expect(200);
    expect(v1.body.items).toEqual([expect.objectContaining({ type: 'stripe', stripeCustomerId: cus1, stripeDefaultPaymentMethodId: pm1 })]);

    // app-data replaces the data: the previous payment method is cleared (konnect-billing.md §1.3)
    const ad = await request(app).put(`${prefix}/customers/${id}/billing/app-data`).send({ stripe: { customer_id: cus2, labels: { env: 'test' } } }).expect(200);
    expect(ad.body).toEqual({ stripe: { customer_id: cus2, labels: { env: 'test' } } });
    expect((await request(app).get(`${prefix}/customers/${id}/billing`).expect(200)).body.app_data).toEqual({ stripe: { customer_id: cus2 } });
    const noStripe = await request(app).put(`${prefix}/customers/${id}/billing/app-data`).send({}).expect(400);
    expect(noStripe.body.invalid_parameters).toEqual([expect.objectContaining({ field: 'stripe', rule: 'required' })]);
    await request(app).put(`${prefix}/customers/${id}/billing/app-data`).send({ stripe: { customer_id: 'cus_1', default_payment_method_id: 'card_1' } }).expect(400);
    // adapter/customer.go: the Stripe customer must exist in Stripe, the payment method be its own (412)
    const unknown = await request(app).put(`${prefix}/customers/${id}/billing/app-data`).send({ stripe: { customer_id: 'cus_unknown' } }).expect(412);
    expect(unknown.body.detail).toBe('stripe customer cus_unknown not found in stripe account: acct_1LocalmeterEmu');
    const foreign = await request(app).put(`${prefix}/customers/${id}/billing`).send({ billing_profile: { id: profileId }, app_data: { stripe: { customer_id: cus2, default_payment_method_id: pm1 } } }).expect(412);
    expect(foreign.body.detail).toBe(`stripe payment method ${pm1} does not belong to stripe customer ${cus2} in stripe account: acct_1LocalmeterEmu`);

    // another customer bound to the Stripe profile without data reads 412
    const other = await customer(app, 'other');
    // a second profile on the same Stripe app: a second install of the same Stripe account is 409 (adapter/stripe.go)
    const { profileId: p2 } = await profileWith(app, 'stripe', true, stripeAppId);
    const pre = await request(app).get(`${prefix}/customers/${other}/billing`).expect(412);
    // raised by the Stripe app below the handler: the OpenMeter problem shape
    expect(pre.body).toMatchObject({ type: 'about:blank', status: 412, detail: 'customer has no data for stripe app' });
    expect(p2).toBeTruthy();
  });

  it('PUT without billing_profile targets the namespace default, not the current override (quirk); no override is set', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    const { profileId } = await profileWith(app, 'custom_invoicing');
    await request(app).put(`${prefix}/customers/${id}/billing`).send({ billing_profile: { id: profileId }, app_data: { external_invoicing: { labels: { erp: 'x1' } } } }).expect(200);
    expect((await request(app).get(`${prefix}/customers/${id}/billing`).expect(200)).body).toEqual({
      billing_profile: { id: profileId },
      app_data: { external_invoicing: { labels: { erp: 'x1' } } },
    });
    // omitted profile → the default (sandbox) decides: nothing stored, nothing echoed, override kept
    const def = (await request(app).get(`${prefix}/profiles`).expect(200)).body.data.find((p: { default: boolean }) => p.default);
    const put = await request(app).put(`${prefix}/customers/${id}/billing`).send({ app_data: { external_invoicing: { labels: { erp: 'x2' } } } }).expect(200);
    expect(put.body).toEqual({ billing_profile: { id: def.id } });
    expect((await request(app).get(`${prefix}/customers/${id}/billing`).expect(200)).body.billing_profile.id).toBe(profileId);
    // app-data uses the current (custom invoicing) profile: labels replace the stored ones
    const ad = await request(app).put(`${prefix}/customers/${id}/billing/app-data`).send({ external_invoicing: { labels: { erp: 'x3' } } }).expect(200);
    expect(ad.body).toEqual({ external_invoicing: { labels: { erp: 'x3' } } });
    expect((await request(app).get(`${prefix}/customers/${id}/billing`).expect(200)).body.app_data).toEqual({ external_invoicing: { labels: { erp: 'x3' } } });
    // the label rule of the seed's UpsertAppCustomerDataRequest
    await request(app).put(`${prefix}/customers/${id}/billing/app-data`).send({ external_invoicing: { labels: { erp: '-bad-' } } }).expect(400);
    await request(app).put(`${prefix}/customers/${id}/billing`).send({ billing_profile: { id: '01J0000000000000000000000Z' } }).expect(404);
  });

  it('a deleted customer: PUTs are 410, GET still answers (konnect-billing.md §7.4)', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    await request(app).delete(`${prefix}/customers/${id}`).expect(204);
    await request(app).get(`${prefix}/customers/${id}/billing`).expect(200);
    // the handlers raise 410 themselves (apierrors.NewGoneError): Konnect shape
    const gone = await request(app).put(`${prefix}/customers/${id}/billing`).send({}).expect(410);
    expect(gone.body).toMatchObject({ type: 'https://kongapi.info/konnect/gone', status: 410, detail: 'customer is deleted' });
    await request(app).put(`${prefix}/customers/${id}/billing/app-data`).send({}).expect(410);
  });
});
