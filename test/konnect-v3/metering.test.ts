import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const PREFIXES = ['/v3/openmeter', '/api/v3/openmeter'] as const;

const meterBody = (over: Record<string, unknown> = {}) => ({
  key: 'tokens',
  name: 'Tokens',
  event_type: 'prompt',
  aggregation: 'sum',
  value_property: '$.tokens',
  dimensions: { model: '$.model' },
  ...over,
});

const ev = (id: string, time: string, data: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id,
  source: 'test',
  type: 'prompt',
  subject: 'alice',
  time,
  data,
  ...over,
});

function setup() {
  const { app } = createTestEmulator();
  return { app };
}

describe.each(PREFIXES)('konnect v3 meters under %s', (P) => {
  it('creates, reads, lists, updates and deletes a meter', async () => {
    const { app } = setup();
    const created = await request(app).post(`${P}/meters`).send(meterBody({ labels: { team: 'ai' }, description: 'LLM tokens' }));
    expect(created.status).toBe(201);
    // description is stored and returned (api/v3/handlers/meters/convert.go)
    expect(created.body).toMatchObject({ key: 'tokens', name: 'Tokens', description: 'LLM tokens', aggregation: 'sum', event_type: 'prompt', value_property: '$.tokens', dimensions: { model: '$.model' }, labels: { team: 'ai' } });
    const id = created.body.id as string;
    expect(id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);

    const got = await request(app).get(`${P}/meters/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const calls = await request(app).post(`${P}/meters`).send(meterBody({ key: 'calls', name: 'Calls', aggregation: 'count', value_property: undefined, dimensions: {} })).expect(201);
    // labels are always present (api/v3/labels/convert.go)
    expect(calls.body.labels).toEqual({});
    const list = await request(app).get(`${P}/meters`).query({ 'page[size]': 1, 'page[number]': 2, sort: 'key desc' });
    expect(list.status).toBe(200);
    expect(list.body.meta.page).toEqual({ number: 2, size: 1, total: 2 });
    expect(list.body.data.map((m: { key: string }) => m.key)).toEqual(['calls']);
    const filtered = await request(app).get(`${P}/meters?filter[key][oeq]=calls,nope`);
    expect(filtered.status).toBe(200);
    expect(filtered.body.data.map((m: { key: string }) => m.key)).toEqual(['calls']);
    const byName = await request(app).get(`${P}/meters?filter[name][contains]=tok`);
    expect(byName.body.data.map((m: { key: string }) => m.key)).toEqual(['tokens']);

    const upd = await request(app).put(`${P}/meters/${id}`).send({ name: 'Tokens 2', dimensions: { model: '$.model', region: '$.region' } });
    expect(upd.status).toBe(200);
    expect(upd.body.name).toBe('Tokens 2');
    expect(upd.body.description).toBe('LLM tokens');
    expect(upd.body.dimensions).toEqual({ model: '$.model', region: '$.region' });

    await request(app).delete(`${P}/meters/${id}`).expect(204);
    // a lookup by id finds the deleted meter; deleting it again is a no-op (meter/adapter/meter.go, service/manage.go)
    const gone = await request(app).get(`${P}/meters/${id}`).expect(200);
    expect(gone.body.deleted_at).toBeDefined();
    await request(app).delete(`${P}/meters/${id}`).expect(204);
  });

  it('answers domain errors in the shared OpenMeter problem shape, not the Konnect one (api/v3/apierrors/encoder.go)', async () => {
    const { app } = setup();
    const missing = await request(app).get(`${P}/meters/01JZZZZZZZZZZZZZZZZZZZZZZZ`).expect(404);
    expect(missing.headers['content-type']).toBe('application/problem+json');
    expect(missing.body).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });
    expect(missing.body.invalid_parameters).toBeUndefined();
    // reserved dimension names are refused on create and update (meters/dimensions.go, errors.go)
    for (const dim of ['subject', 'customer_id']) {
      const res = await request(app).post(`${P}/meters`).send(meterBody({ dimensions: { [dim]: '$.x' } })).expect(400);
      expect(res.body).toMatchObject({ type: 'about:blank', status: 400 });
      expect(res.body.extensions.validationErrors[0]).toMatchObject({ code: 'reserved_dimension', field: `dimensions.${dim}` });
    }
    const m = await request(app).post(`${P}/meters`).send(meterBody()).expect(201);
    const upd = await request(app).put(`${P}/meters/${m.body.id}`).send({ name: 'x', dimensions: { model: '$.model', subject: '$.s' } }).expect(400);
    expect(upd.body.extensions.validationErrors[0].code).toBe('reserved_dimension');
  });

  it('ignores undeclared query parameters and accepts raw ":" in values (kin-openapi, api/v3/server/server.go)', async () => {
    const { app } = setup();
    await request(app).get(`${P}/meters?foo=bar`).expect(200);
    await request(app).get(`${P}/events?filter[time][gte]=2026-01-01T00:00:00Z`).expect(200);
  });

  it('answers problem shapes: malformed id 404, schema 400 with invalid_parameters, unknown filter 400, duplicate key 409', async () => {
    const { app } = setup();
    const bad = await request(app).get(`${P}/meters/not-a-ulid`);
    expect(bad.status).toBe(404);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.body).toMatchObject({ type: 'https://kongapi.info/konnect/not-found', status: 404, title: 'Not Found', detail: 'The requested entity was not found' });
    expect(bad.body.instance).toMatch(/^urn:request:/);
    expect(bad.body.invalid_parameters).toBeUndefined();

    const schema = await request(app).post(`${P}/meters`).send({ ...meterBody(), bogus: 1 });
    expect(schema.status).toBe(400);
    expect(schema.body.type).toBe('https://kongapi.info/konnect/bad-request');
    expect(schema.body.invalid_parameters).toEqual(expect.arrayContaining([expect.objectContaining({ source: 'body', rule: expect.any(String) })]));
    // "Bad Request: <field> [<rule>]: <reason>" (api/v3/apierrors/errors_ctors.go)
    expect(schema.body.detail).toMatch(/^Bad Request: \S+ \[[a-z_]+\]: /);

    const missing = await request(app).post(`${P}/meters`).send({ key: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.invalid_parameters.some((p: { rule: string }) => p.rule === 'required')).toBe(true);

    const unknownFilter = await request(app).get(`${P}/meters?filter[nope]=1`);
    expect(unknownFilter.status).toBe(400);
    expect(unknownFilter.body.invalid_parameters[0].source).toBe('query');

    const badSort = await request(app).get(`${P}/meters?sort=nope desc`);
    expect(badSort.status).toBe(400);
    expect(badSort.body.invalid_parameters[0]).toMatchObject({ field: 'sort', source: 'query' });

    await request(app).post(`${P}/meters`).send(meterBody()).expect(201);
    const dup = await request(app).post(`${P}/meters`).send(meterBody());
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ type: 'about:blank', title: 'Conflict', status: 409 });

    const route = await request(app).get(`${P}/nowhere`).expect(404);
    expect(route.body).toMatchObject({ type: 'https://kongapi.info/konnect/not-found', detail: 'The requested route was not found' });
  });

  it('ingests in three content types (202) and queries with granularity, grouping, filters and CSV', async () => {
    const { app } = setup();
    const m = await request(app).post(`${P}/meters`).send(meterBody()).expect(201);
    const id = m.body.id as string;
    const single = await request(app)
      .post(`${P}/events`)
      .set('Content-Type', 'application/cloudevents+json')
      .send(JSON.stringify(ev('1', '2026-01-01T00:10:00Z', { tokens: 10, model: 'gpt' })));
    expect(single.status).toBe(202);
    expect(single.text).toBe('');
    await request(app)
      .post(`${P}/events`)
      .set('Content-Type', 'application/cloudevents-batch+json')
      .send(JSON.stringify([ev('2', '2026-01-01T01:10:00Z', { tokens: 5.5, model: 'gpt' }), ev('3', '2026-01-01T01:20:00Z', { tokens: 1, model: 'claude' }, { subject: 'bob' })]))
      .expect(202);
    await request(app).post(`${P}/events`).send([ev('4', '2026-01-02T00:00:00Z', { tokens: 100, model: 'gpt' })]).expect(202);
    // the v3 handler parses the media type, so parameters are fine (api/v3/handlers/events/ingest.go) ...
    await request(app).post(`${P}/events`).set('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify([])).expect(202);
    // ... while an undeclared type is the validator's Konnect 400 (api/v3/oasmiddleware/hook.go)
    const plain = await request(app).post(`${P}/events`).set('Content-Type', 'text/plain').send('hi').expect(400);
    expect(plain.body.type).toBe('https://kongapi.info/konnect/bad-request');
    // duplicates are dropped silently
    await request(app).post(`${P}/events`).send(ev('4', '2026-01-02T00:00:00Z', { tokens: 100, model: 'gpt' })).expect(202);
    // the schema validator refuses a batch that is not an array (api/v3/oasmiddleware/hook.go) ...
    const badBatch = await request(app).post(`${P}/events`).set('Content-Type', 'application/cloudevents-batch+json').send(JSON.stringify(ev('9', '2026-01-01T00:00:00Z', {})));
    expect(badBatch.status).toBe(400);
    expect(badBatch.body.type).toBe('https://kongapi.info/konnect/bad-request');
    expect(badBatch.body.invalid_parameters[0]).toMatchObject({ source: 'body' });
    // ... and an event the handler cannot decode is its own Konnect 400 (api/v3/handlers/events/ingest.go)
    const oldSpec = await request(app).post(`${P}/events`).send({ ...ev('x', '2026-01-01T00:00:00Z', {}), specversion: '0.3' }).expect(400);
    expect(oldSpec.body).toMatchObject({ type: 'https://kongapi.info/konnect/bad-request', detail: 'Bad Request' });
    expect(oldSpec.body.invalid_parameters).toBeUndefined();

    const total = await request(app).post(`${P}/meters/${id}/query`).send({ from: '2026-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z' });
    expect(total.status).toBe(200);
    expect(total.body).toEqual({
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-03T00:00:00Z',
      data: [{ value: '116.5', from: '2026-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z', dimensions: {} }],
    });

    const hourly = await request(app)
      .post(`${P}/meters/${id}/query`)
      .send({ from: '2026-01-01T00:00:00Z', to: '2026-01-01T12:00:00Z', granularity: 'PT1H', group_by_dimensions: ['model'], filters: { dimensions: { model: { in: ['gpt'] } } } });
    expect(hourly.status).toBe(200);
    expect(hourly.body.data).toEqual([
      { value: '10', from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:00:00Z', dimensions: { model: 'gpt' } },
      { value: '5.5', from: '2026-01-01T01:00:00Z', to: '2026-01-01T02:00:00Z', dimensions: { model: 'gpt' } },
    ]);

    // a subject filter also groups by subject (api/v3/handlers/meters/query/params.go)
    const oneSubject = await request(app).post(`${P}/meters/${id}/query`).send({ filters: { dimensions: { subject: { eq: 'bob' } } } });
    expect(oneSubject.body.data.map((r: { value: string; dimensions: object }) => [r.value, r.dimensions])).toEqual([['1', { subject: 'bob' }]]);
    const twoSubjects = await request(app).post(`${P}/meters/${id}/query`).send({ filters: { dimensions: { subject: { in: ['alice', 'bob'] } } } });
    expect(twoSubjects.body.data.map((r: { value: string; dimensions: { subject: string } }) => `${r.dimensions.subject}=${r.value}`).sort()).toEqual(['alice=115.5', 'bob=1']);
    const grouped = await request(app).post(`${P}/meters/${id}/query`).send({ group_by_dimensions: ['subject'], filters: { dimensions: { subject: { in: ['alice', 'bob'] } } } });
    expect(grouped.body.data.map((r: { value: string; dimensions: { subject: string } }) => `${r.dimensions.subject}=${r.value}`).sort()).toEqual(['alice=115.5', 'bob=1']);
    const badOp = await request(app).post(`${P}/meters/${id}/query`).send({ filters: { dimensions: { subject: { contains: 'a' } } } });
    expect(badOp.status).toBe(400);
    expect(badOp.body.extensions.validationErrors[0]).toMatchObject({ code: 'unsupported_filter_operator', field: 'filters.dimensions.subject' });

    // a customer filter groups by customer_id too; an unknown customer is a 404 issue (query/params.go, customers.go)
    const cust = await request(app).post(`${P}/customers`).send({ key: 'bob-co', name: 'Bob', usage_attribution: { subject_keys: ['bob'] } });
    expect(cust.status).toBe(201);
    const byCustomer = await request(app).post(`${P}/meters/${id}/query`).send({ filters: { dimensions: { customer_id: { eq: cust.body.id } } } }).expect(200);
    expect(byCustomer.body.data.map((r: { value: string; dimensions: object }) => [r.value, r.dimensions])).toEqual([['1', { customer_id: cust.body.id }]]);
    const unknown = await request(app).post(`${P}/meters/${id}/query`).send({ filters: { dimensions: { customer_id: { in: [cust.body.id, '01JZZZZZZZZZZZZZZZZZZZZZZZ'] } } } }).expect(404);
    expect(unknown.body).toMatchObject({ type: 'about:blank', status: 404 });
    expect(unknown.body.extensions.validationErrors).toEqual([expect.objectContaining({ code: 'customer_not_found', customer_id: '01JZZZZZZZZZZZZZZZZZZZZZZZ' })]);

    const csv = await request(app)
      .post(`${P}/meters/${id}/query`)
      .set('Accept', 'text/csv')
      .send({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', granularity: 'P1D', group_by_dimensions: ['subject', 'model'] });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.trim().split('\n').sort()).toEqual(
      [
        'from,to,subject,model,value',
        '2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,alice,gpt,15.5',
        '2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,bob,claude,1',
      ].sort(),
    );
    expect(csv.headers['content-disposition']).toBe('attachment; filename=tokens.csv');
    const csvCust = await request(app).post(`${P}/meters/${id}/query`).set('Accept', 'text/csv').send({ group_by_dimensions: ['customer_id'] });
    expect(csvCust.text.split('\n')[0]).toBe('from,to,customer_id,customer_key,customer_name,value');
    const csvFiltered = await request(app).post(`${P}/meters/${id}/query`).set('Accept', 'text/csv').send({ filters: { dimensions: { subject: { eq: 'bob' } } } });
    expect(csvFiltered.text.split('\n')[0]).toBe('from,to,subject,value');

    const badGroup = await request(app).post(`${P}/meters/${id}/query`).send({ group_by_dimensions: ['nope'] });
    expect(badGroup.status).toBe(400);
    const badGranularity = await request(app).post(`${P}/meters/${id}/query`).send({ granularity: 'PT5M' });
    expect(badGranularity.status).toBe(400);
    expect(badGranularity.body.invalid_parameters[0].source).toBe('body');
  });

  it('queries a DST day in a time zone: the day window is 23 hours long', async () => {
    const { app } = setup();
    const m = await request(app).post(`${P}/meters`).send(meterBody({ dimensions: {} })).expect(201);
    // Europe/Budapest springs forward on 2026-03-29 (02:00 → 03:00)
    await request(app)
      .post(`${P}/events`)
      .send([
        ev('a', '2026-03-28T22:30:00Z', { tokens: 1 }), // 2026-03-28 23:30 local (UTC+1)
        ev('b', '2026-03-28T23:30:00Z', { tokens: 2 }), // 2026-03-29 00:30 local
        ev('c', '2026-03-29T21:30:00Z', { tokens: 4 }), // 2026-03-29 23:30 local (UTC+2)
        ev('d', '2026-03-29T22:30:00Z', { tokens: 8 }), // 2026-03-30 00:30 local
      ])
      .expect(202);
    const r = await request(app)
      .post(`${P}/meters/${m.body.id}/query`)
      .send({ from: '2026-03-27T23:00:00Z', to: '2026-03-30T22:00:00Z', granularity: 'P1D', time_zone: 'Europe/Budapest' });
    expect(r.status).toBe(200);
    expect(r.body.data.map((x: { from: string; to: string; value: string }) => [x.from, x.to, x.value])).toEqual([
      ['2026-03-27T23:00:00Z', '2026-03-28T23:00:00Z', '1'],
      ['2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z', '6'],
      ['2026-03-29T22:00:00Z', '2026-03-30T22:00:00Z', '8'],
    ]);
  });
});

describe.each(PREFIXES)('konnect v3 events under %s', (P) => {
  it('walks forward cursor pages with no duplicates and no gaps, with filters (events/list.go, response/cursorpagination.go)', async () => {
    const { app } = setup();
    await request(app).post(`${P}/meters`).send(meterBody()).expect(201);
    const events = Array.from({ length: 23 }, (_, i) =>
      ev(`e${String(i).padStart(2, '0')}`, `2026-01-01T00:${String(i % 20).padStart(2, '0')}:00Z`, { tokens: i, model: 'gpt' }, { subject: i % 2 ? 'odd' : 'even' }),
    );
    await request(app).post(`${P}/events`).send(events).expect(202);

    const seen: string[] = [];
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const res: request.Response = await request(app).get(`${P}/events`).query({ 'page[size]': 5, ...(after ? { 'page[after]': after } : {}) });
      expect(res.status).toBe(200);
      const ids = res.body.data.map((e: { event: { id: string } }) => e.event.id);
      pages.push(ids);
      seen.push(...ids);
      const page = res.body.meta.page;
      expect(page.size).toBe(5);
      // previous is always null; first/last whenever there are items; next only on a full page
      expect(page.previous).toBeNull();
      expect(page.first === undefined).toBe(ids.length === 0);
      expect(page.next === null).toBe(ids.length < 5);
      if (ids.length === 5) expect(page.next).toBe(page.last);
      after = page.next;
    } while (after);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(new Set(seen).size).toBe(23);
    expect([...seen].sort()).toEqual(events.map((e) => e.id).sort());
    // newest first by event time (ties by ingestion order, newest first)
    const times = seen.map((id) => events.find((e) => e.id === id)!.time);
    expect([...times].sort().reverse()).toEqual(times);

    const odd = await request(app).get(`${P}/events?filter[subject]=odd&page[size]=100`);
    expect(odd.body.data).toHaveLength(11);
    const some = await request(app).get(`${P}/events?filter[id][oeq]=e01,e02&filter[time][gte]=2026-01-01T00:02:00Z`);
    expect(some.body.data.map((e: { event: { id: string } }) => e.event.id)).toEqual(['e02']);
    const ev0 = (await request(app).get(`${P}/events?filter[id]=e00`)).body.data[0];
    expect(ev0).toMatchObject({ event: { id: 'e00', subject: 'even', data: { tokens: 0, model: 'gpt' } }, ingested_at: '2026-01-01T00:00:00Z' });
    expect(ev0.validation_errors).toEqual([{ code: 'customer_not_found', message: 'no customer found for event subject: even' }]);

    const unknown = await request(app).get(`${P}/events?filter[foo]=1`);
    expect(unknown.status).toBe(400);
    const badCursor = await request(app).get(`${P}/events?page[after]=garbage`);
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.invalid_parameters[0]).toMatchObject({ field: 'page[after]', source: 'query' });
  });

  it('pages 20 by default, at most 100, and refuses page[before] (events/list.go)', async () => {
    const { app } = setup();
    await request(app).post(`${P}/events`).send(Array.from({ length: 25 }, (_, i) => ev(`e${i}`, `2026-01-01T00:${String(i).padStart(2, '0')}:00Z`, { tokens: i }))).expect(202);
    const first = await request(app).get(`${P}/events`).expect(200);
    expect(first.body.data).toHaveLength(20);
    expect(first.body.meta.page.size).toBe(20);
    await request(app).get(`${P}/events?page[size]=100`).expect(200);
    await request(app).get(`${P}/events?page[size]=101`).expect(400);
    const before = await request(app).get(`${P}/events?page[before]=${first.body.meta.page.first}`).expect(400);
    expect(before.body).toMatchObject({ type: 'https://kongapi.info/konnect/bad-request' });
    expect(before.body.invalid_parameters[0]).toMatchObject({ field: 'page[before]', reason: 'backward pagination is not supported', source: 'query' });
  });

  it('sorts by time, ingested_at or stored_at; a bare field means descending (events/convert.go)', async () => {
    const { app, emulator } = createTestEmulator();
    // ingested in the reverse order of their event times
    for (const [i, t] of ['03', '02', '01'].entries()) {
      emulator.clock.set(new Date(Date.UTC(2026, 0, 1, 1, 0, i)));
      await request(app).post(`${P}/events`).send(ev(`t${t}`, `2026-01-01T00:${t}:00Z`, { tokens: 1 })).expect(202);
    }
    const ids = async (sort: string) => (await request(app).get(`${P}/events`).query({ sort }).expect(200)).body.data.map((e: { event: { id: string } }) => e.event.id);
    expect(await ids('time asc')).toEqual(['t01', 't02', 't03']);
    expect(await ids('time')).toEqual(['t03', 't02', 't01']);
    expect(await ids('ingested_at')).toEqual(['t01', 't02', 't03']);
    expect(await ids('ingested_at asc')).toEqual(['t03', 't02', 't01']);
    expect(await ids('stored_at desc')).toEqual(['t01', 't02', 't03']);
    await request(app).get(`${P}/events`).query({ sort: 'subject' }).expect(400);
    await request(app).get(`${P}/events`).query({ sort: 'time DESC' }).expect(400);
    await request(app).get(`${P}/events`).query({ sort: 'time desc,ingested_at' }).expect(400);
  });

  it('refuses unknown customer ids in the customer filter with a 400 (meterevent/adapter/event.go)', async () => {
    const { app } = setup();
    const res = await request(app).get(`${P}/events?filter[customer_id]=01JZZZZZZZZZZZZZZZZZZZZZZZ`).expect(400);
    expect(res.body).toMatchObject({ type: 'about:blank', status: 400 });
  });
});

describe('konnect v3 invalid_parameters field names', () => {
  it('names query parameters as written and body fields with dots', async () => {
    const { createTestEmulator } = await import('../../src/harness/testEmulator.ts');
    const { default: request } = await import('supertest');
    const { app } = createTestEmulator();
    const q = await request(app).get('/v3/openmeter/meters?filter%5Bbogus%5D=1').expect(400);
    expect(q.body.invalid_parameters[0]).toMatchObject({ field: 'filter[bogus]', source: 'query' });
    const b = await request(app).post('/v3/openmeter/meters').send({ key: 'k', name: 'n', event_type: 'e', aggregation: 'count', dimensions: { a: { nested: true } } }).expect(400);
    expect(b.body.invalid_parameters[0]).toMatchObject({ field: 'dimensions.a', source: 'body' });
  });
});
