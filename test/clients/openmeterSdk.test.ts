import { HTTPError, OpenMeter } from '@openmeter/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator } from '../../src/harness/testEmulator.ts';
import type { RunningEmulator } from '../../src/runtime/main.ts';

/** The official client, unchanged, against the emulator: what users' code will do. */
describe('@openmeter/sdk against localmeter', () => {
  let running: RunningEmulator;
  let om: OpenMeter;

  beforeAll(async () => {
    running = await startTestEmulator({ start: new Date('2026-05-01T00:00:00Z') });
    om = new OpenMeter({ baseUrl: running.url, apiKey: 'om_test_anything' });
  });
  afterAll(async () => running.stop());

  it('creates a meter, ingests a batch and queries it back', async () => {
    const meter = await om.meters.create({ slug: 'api_requests', eventType: 'request', aggregation: 'SUM', valueProperty: '$.duration_ms', groupBy: { method: '$.method' } });
    expect(meter?.slug).toBe('api_requests');
    expect(meter?.createdAt).toBeInstanceOf(Date);

    await om.events.ingest([
      { type: 'request', subject: 'customer-1', time: new Date('2026-04-30T10:00:00Z'), data: { duration_ms: 12, method: 'GET' } },
      { type: 'request', subject: 'customer-1', time: new Date('2026-04-30T11:00:00Z'), data: { duration_ms: 30, method: 'POST' } },
      { type: 'request', subject: 'customer-2', time: new Date('2026-04-30T12:00:00Z'), data: { duration_ms: 8, method: 'GET' } },
    ]);

    const all = await om.meters.query('api_requests', { from: new Date('2026-04-30T00:00:00Z'), to: new Date('2026-05-01T00:00:00Z') } as never);
    expect(all?.data).toHaveLength(1);
    expect(all?.data[0]?.value).toBe(50);

    const bySubject = await om.meters.query('api_requests', { groupBy: ['method'], subject: ['customer-1'] } as never);
    const rows = (bySubject?.data ?? []).map((r) => `${r.subject}:${r.groupBy?.method}=${r.value}`).sort();
    expect(rows).toEqual(['customer-1:GET=12', 'customer-1:POST=30']);

    const events = await om.events.list({ from: new Date('2026-04-29T00:00:00Z') } as never);
    expect(events).toHaveLength(3);
    expect(events?.[0]?.ingestedAt).toBeInstanceOf(Date);
  });

  it('surfaces problem details through HTTPError', async () => {
    const err = await om.meters.get('does_not_exist').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HTTPError);
    const h = err as HTTPError;
    expect(h.status).toBe(404);
    expect(h.title).toBe('Not Found');
    expect(h.message).toMatch(/does_not_exist/);
  });
  it('creates pending lines, invoices them and lists the invoices (billing.invoices)', async () => {
    const customer = await om.customers.create({ name: 'Sdk Buyer', key: 'sdk-buyer', usageAttribution: { subjectKeys: ['sdk-buyer'] } });
    await om.billing.invoices.createLineItems(customer!.id, {
      currency: 'USD',
      lines: [
        {
          name: 'Seat',
          period: { from: new Date('2026-04-01T00:00:00Z'), to: new Date('2026-05-01T00:00:00Z') },
          invoiceAt: new Date('2026-04-01T00:00:00Z'),
          rateCard: { price: { type: 'flat', amount: '12.5', paymentTerm: 'in_advance' } },
        },
      ],
    } as never);
    const created = await om.billing.invoices.invoicePendingLines({ customerId: customer!.id } as never);
    expect(created?.[0]?.status).toBe('paid');
    const list = await om.billing.invoices.list({ customers: [customer!.id] } as never);
    expect(list?.items).toHaveLength(1);
    expect(list?.items[0]?.number).toBe('OM-SANDBOX-SDBU-1');
    expect(list?.items[0]?.totals.total).toBe('12.5');
    expect(list?.items[0]?.issuedAt).toBeInstanceOf(Date);
  });
});
