import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

/**
 * An invoice-funded grant is invoiced, so its create first asks whether the customer's invoicing
 * app can invoice the customer (billing/creditgrant/service/service.go Create →
 * validators/customerbilling ValidateCustomerInvoicingApp, wrapped "invalid billing setup"): the
 * merged profile's invoicing app validates the customer — Stripe needs the customer's Stripe data
 * (app/stripe/adapter/customer.go GetStripeCustomerData: a 412 precondition), sandbox and custom
 * invoicing accept anyone (app/sandbox/app.go, app/custominvoicing/app.go ValidateCustomer).
 * Promotional and external grants are not checked.
 */
const prefix = '/v3/openmeter';
type App = ReturnType<typeof createTestEmulator>['app'];

async function defaultProfileWith(app: App, type: 'stripe' | 'custom_invoicing'): Promise<string> {
  const appId =
    type === 'stripe'
      ? (await request(app).post(`${prefix}/app-catalog/install`).send({ type: 'stripe', name: 'Stripe', create_billing_profile: false, api_key: 'sk_test_abcdefgh123' }).expect(201)).body.app.id
      : (await request(app).post('/api/v1/marketplace/listings/custom_invoicing/install').send({ name: 'ERP', createBillingProfile: false }).expect(200)).body.app.id;
  await request(app)
    .post(`${prefix}/profiles`)
    .send({ name: `${type} profile`, supplier: { name: 'Acme' }, workflow: {}, apps: { tax: { id: appId }, invoicing: { id: appId }, payment: { id: appId } }, default: true })
    .expect(201);
  return appId as string;
}

const invoiceFunded = { name: 'Pack', funding_method: 'invoice', currency: 'USD', amount: '100', purchase: { currency: 'USD' } };

describe('invoice-funded credit grants check the customer invoicing app', () => {
  it('a Stripe profile without the customer Stripe data refuses the grant with 412 and creates nothing; promotional credit is not checked', async () => {
    const { app } = createTestEmulator();
    const id = (await request(app).post(`${prefix}/customers`).send({ key: 'acme', name: 'ACME', currency: 'USD' }).expect(201)).body.id;
    const appId = await defaultProfileWith(app, 'stripe');
    const r = await request(app).post(`${prefix}/customers/${id}/credits/grants`).send(invoiceFunded).expect(412);
    expect(JSON.stringify(r.body)).toContain(
      `invalid billing setup: failed to get stripe customer data: customer with id ${id} does not meet condition customer has no data for stripe app for stripe app type with id ${appId}`,
    );
    expect((await request(app).get(`${prefix}/customers/${id}/credits/grants`).expect(200)).body.data).toEqual([]);
    // no gathering line was made either
    expect((await request(app).get('/api/v1/billing/invoices').query({ customers: id }).expect(200)).body.items).toEqual([]);
    // funding none never reaches an invoice: not checked
    await request(app).post(`${prefix}/customers/${id}/credits/grants`).send({ name: 'Promo', funding_method: 'none', currency: 'USD', amount: '5' }).expect(201);
    // the input is validated before the setup: a bad amount is still 400
    await request(app).post(`${prefix}/customers/${id}/credits/grants`).send({ ...invoiceFunded, amount: '0' }).expect(400);
  });

  it('custom invoicing and the sandbox accept every customer', async () => {
    const { app } = createTestEmulator();
    const id = (await request(app).post(`${prefix}/customers`).send({ key: 'acme', name: 'ACME', currency: 'USD' }).expect(201)).body.id;
    // the sandbox default profile
    await request(app).post(`${prefix}/customers/${id}/credits/grants`).send(invoiceFunded).expect(201);
    await defaultProfileWith(app, 'custom_invoicing');
    await request(app)
      .post(`${prefix}/customers/${id}/credits/grants`)
      .send({ ...invoiceFunded, name: 'Pack 2' })
      .expect(201);
  });
});
