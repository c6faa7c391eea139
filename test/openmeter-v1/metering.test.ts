import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const ev = (id: string, time: string, data: Record<string, unknown>, subject = 'customer-1', type = 'tokens') => ({
  specversion: '1.0',
  id,
  source: 'test',
  type,
  subject,
  time,
  data,
});

async function withMeter(aggregation = 'SUM', extra: Record<string, unknown> = {}) {
  const t = createTestEmulator({ start: new Date('2026-03-01T00:00:00Z') });
  const body = { slug: 'tokens_total', name: 'Tokens', eventType: 'tokens', aggregation, ...(aggregation === 'COUNT' ? {} : { valueProperty: '$.tokens' }), groupBy: { model: '$.model' }, ...extra };
  const res = await request(t.app).post('/api/v1/meters').send(body);
  // M1: the real create encoder answers 200 OK, not the documented 201 (openmeter/meter/httphandler/meter.go)
  expect(res.status).toBe(200);
  return { ...t, meter: res.body };
}

describe('OpenMeter v1 meters', () => {
  it('creates, reads by id and slug, lists, updates and deletes a meter', async () => {
    const { app, meter } = await withMeter();
    expect(meter).toMatchObject({ slug: 'tokens_total', aggregation: 'SUM', eventType: 'tokens', valueProperty: '$.tokens', groupBy: { model: '$.model' } });
    expect(meter.id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect((await request(app).get(`/api/v1/meters/${meter.id}`).expect(200)).body.slug).toBe('tokens_total');
    expect((await request(app).get('/api/v1/meters/tokens_total').expect(200)).body.id).toBe(meter.id);
    const list = await request(app).get('/api/v1/meters').expect(200);
    expect(list.body.map((m: { id: string }) => m.id)).toEqual([meter.id]);
    const upd = await request(app).put('/api/v1/meters/tokens_total').send({ name: 'Renamed', groupBy: { model: '$.model', region: '$.region' } }).expect(200);
    expect(upd.body).toMatchObject({ name: 'Renamed', groupBy: { model: '$.model', region: '$.region' } });
    await request(app).delete('/api/v1/meters/tokens_total').expect(204);
    const gone = await request(app).get('/api/v1/meters/tokens_total').expect(404);
    expect(gone.headers['content-type']).toBe('application/problem+json');
    expect(gone.body).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });
  });

  it('finds a deleted meter by id (with deletedAt) and deletes it again as a no-op (meter/adapter/meter.go, service/manage.go)', async () => {
    const { app, meter } = await withMeter();
    await request(app).delete(`/api/v1/meters/${meter.id}`).expect(204);
    const byId = await request(app).get(`/api/v1/meters/${meter.id}`).expect(200);
    expect(byId.body.deletedAt).toBe('2026-03-01T00:00:00Z');
    await request(app).delete(`/api/v1/meters/${meter.id}`).expect(204);
    await request(app).get(`/api/v1/meters/${meter.id}/query`).expect(200);
    // by slug only the live meter is found
    await request(app).get('/api/v1/meters/tokens_total').expect(404);
    await request(app).delete('/api/v1/meters/tokens_total').expect(404);
  });

  it('leaves groupBy out of a meter without dimensions (meter/httphandler/mapping.go)', async () => {
    const { app } = await withMeter();
    const m = await request(app).post('/api/v1/meters').send({ slug: 'calls', eventType: 'call', aggregation: 'COUNT' }).expect(200);
    expect(m.body).not.toHaveProperty('groupBy');
  });

  it('lists every meter on one page: page and pageSize are ignored (meter/httphandler/meter.go lists page 1 of 1000)', async () => {
    const { app } = await withMeter();
    await request(app).post('/api/v1/meters').send({ slug: 'calls', eventType: 'call', aggregation: 'COUNT' }).expect(200);
    const list = await request(app).get('/api/v1/meters?page=2&pageSize=1').expect(200);
    expect(list.body.map((m: { slug: string }) => m.slug)).toEqual(['calls', 'tokens_total']);
  });

  it('ignores undeclared query parameters, as kin-openapi does (openmeter/server/server.go)', async () => {
    const { app } = await withMeter();
    const list = await request(app).get('/api/v1/meters?foo=bar').expect(200);
    expect(list.body).toHaveLength(1);
  });

  it('rejects invalid meters with problem details and keeps what was stored', async () => {
    const { app } = await withMeter();
    const dup = await request(app).post('/api/v1/meters').send({ slug: 'tokens_total', eventType: 'x', aggregation: 'COUNT' }).expect(409);
    expect(dup.headers['content-type']).toBe('application/problem+json');
    const count = await request(app).post('/api/v1/meters').send({ slug: 'c', eventType: 'x', aggregation: 'COUNT', valueProperty: '$.v' }).expect(400);
    expect(count.body.status).toBe(400);
    await request(app).post('/api/v1/meters').send({ slug: 'Bad Slug!', eventType: 'x', aggregation: 'COUNT' }).expect(400);
    await request(app).post('/api/v1/meters').send({ slug: 's', eventType: 'x', aggregation: 'MEDIAN' }).expect(400);
    await request(app).post('/api/v1/meters').set('content-type', 'application/json').send('{not json').expect(400);
    expect((await request(app).get('/api/v1/meters').expect(200)).body).toHaveLength(1);
  });
});

describe('OpenMeter v1 events', () => {
  it('ingests all three content types, dedupes by (id, source) and lists newest first', async () => {
    const { app } = await withMeter();
    await request(app).post('/api/v1/events').set('content-type', 'application/cloudevents+json').send(JSON.stringify(ev('a', '2026-02-28T10:00:00Z', { tokens: 5, model: 'gpt' }))).expect(204);
    await request(app)
      .post('/api/v1/events')
      .set('content-type', 'application/cloudevents-batch+json')
      .send(JSON.stringify([ev('b', '2026-02-28T11:00:00Z', { tokens: 7, model: 'gpt' }), ev('a', '2026-02-28T10:00:00Z', { tokens: 999 })]))
      .expect(204);
    await request(app).post('/api/v1/events').send([ev('c', '2026-02-28T12:00:00Z', { tokens: '1.5', model: 'claude' })]).expect(204);
    const list = await request(app).get('/api/v1/events').expect(200);
    expect(list.body.map((e: { event: { id: string } }) => e.event.id)).toEqual(['c', 'b', 'a']);
    const q = await request(app).get('/api/v1/meters/tokens_total/query').expect(200);
    expect(q.body.data).toHaveLength(1);
    expect(q.body.data[0].value).toBe(13.5); // 5 + 7 + 1.5; the duplicate "a" (999) is dropped
  });

  it('lists invalid events with a validationError and never aggregates them', async () => {
    const { app } = await withMeter();
    await request(app).post('/api/v1/events').send([ev('x', '2026-02-28T10:00:00Z', { tokens: 'many' }), ev('y', '2026-02-28T10:00:00Z', { n: 1 }, 's', 'unknown_type'), ev('z', '2026-02-28T10:00:00Z', { tokens: 2 })]).expect(204);
    const list = await request(app).get('/api/v1/events').expect(200);
    const byId = Object.fromEntries(list.body.map((e: { event: { id: string }; validationError?: string }) => [e.event.id, e.validationError]));
    expect(byId.x).toMatch(/invalid event/);
    expect(byId.y).toMatch(/no meter found for event type: unknown_type/);
    const q = await request(app).get('/api/v1/meters/tokens_total/query').expect(200);
    expect(q.body.data[0].value).toBe(2);
  });

  it('rejects malformed payloads with 400 and stores nothing from the batch', async () => {
    const { app } = await withMeter();
    const bad = await request(app).post('/api/v1/events').send([ev('ok', '2026-02-28T10:00:00Z', { tokens: 1 }), { ...ev('s', '2026-02-28T10:00:00Z', {}), data: 'a string' }]);
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toBe('application/problem+json');
    expect((await request(app).get('/api/v1/events').expect(200)).body).toEqual([]);
  });

  it('answers text/plain with a 400 from the request validator, without instance (server.go: kin-openapi + nethttp-middleware)', async () => {
    const { app } = await withMeter();
    const res = await request(app).post('/api/v1/events').set('content-type', 'text/plain').send('hello').expect(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'request body has an error: header Content-Type has unexpected value "text/plain"' });
    expect(res.body).not.toHaveProperty('instance');
  });

  it('refuses a content type with parameters: the handler matches the raw header (ingest/httpdriver/ingest.go)', async () => {
    const { app } = await withMeter();
    const res = await request(app)
      .post('/api/v1/events')
      .set('content-type', 'application/json; charset=utf-8')
      .send(JSON.stringify(ev('a', '2026-02-28T10:00:00Z', { tokens: 1 })))
      .expect(400);
    expect(res.body).toMatchObject({ type: 'about:blank', status: 400, detail: 'invalid content type: application/json; charset=utf-8' });
    expect((await request(app).get('/api/v1/events').expect(200)).body).toEqual([]);
  });

  it('lists events from the last 32 days by default and refuses an older from (meterevent/httphandler/event.go, service.go)', async () => {
    const { app } = await withMeter();
    // the clock is at 2026-03-01T00:00:00Z
    await request(app).post('/api/v1/events').send([ev('recent', '2026-02-25T00:00:00Z', { tokens: 1 }), ev('old', '2026-01-29T00:00:01Z', { tokens: 1 }), ev('older', '2026-01-28T00:00:00Z', { tokens: 1 })]).expect(204);
    const list = await request(app).get('/api/v1/events').expect(200);
    expect(list.body.map((e: { event: { id: string } }) => e.event.id)).toEqual(['recent', 'old']);
    // exactly 32 days back is still allowed; a second more is not
    await request(app).get('/api/v1/events?from=2026-01-28T00:00:00Z').expect(200);
    const tooOld = await request(app).get('/api/v1/events?from=2026-01-27T23:59:59Z').expect(400);
    expect(tooOld.body.detail).toBe('validate input: from date is too old: 2026-01-27T23:59:59Z, must be after 2026-01-28T00:00:00Z');
    await request(app).get('/api/v1/events?ingestedAtFrom=2026-01-01T00:00:00Z').expect(400);
  });

  it('matches subject exactly and treats to as exclusive (streaming/clickhouse/event_query.go)', async () => {
    const { app } = await withMeter();
    await request(app).post('/api/v1/events').send([ev('1', '2026-02-28T10:00:00Z', { tokens: 1 }, 'c1'), ev('2', '2026-02-28T11:00:00Z', { tokens: 1 }, 'c'), ev('3', '2026-02-28T12:00:00Z', { tokens: 1 }, 'c')]).expect(204);
    const bySubject = await request(app).get('/api/v1/events?subject=c').expect(200);
    expect(bySubject.body.map((e: { event: { id: string } }) => e.event.id)).toEqual(['3', '2']);
    // raw ":" in the query value, unencoded, as Go's net/url accepts it
    const until = await request(app).get('/api/v1/events?to=2026-02-28T11:00:00Z').expect(200);
    expect(until.body.map((e: { event: { id: string } }) => e.event.id)).toEqual(['1']);
  });

  it('refuses unknown customer ids with 400, on v1 and v2 (meterevent/adapter/event.go)', async () => {
    const { app } = await withMeter();
    const unknown = '01JZZZZZZZZZZZZZZZZZZZZZZZ';
    const v1 = await request(app).get(`/api/v1/events?customerId=${unknown}`).expect(400);
    expect(v1.body.detail).toBe(`customers not found in namespace default: ${unknown}`);
    const filter = encodeURIComponent(JSON.stringify({ customerId: { $in: [unknown] } }));
    await request(app).get(`/api/v2/events?filter=${filter}`).expect(400);
  });

  it('lists events with datacontenttype application/json when they carry data (meterevent/httphandler/mapping.go)', async () => {
    const { app } = await withMeter();
    await request(app).post('/api/v1/events').send([ev('1', '2026-02-28T10:00:00Z', { tokens: 1 })]).expect(204);
    const [item] = (await request(app).get('/api/v1/events').expect(200)).body;
    expect(item.event.datacontenttype).toBe('application/json');
    const v2 = await request(app).get('/api/v2/events').expect(200);
    expect(v2.body.items[0].event.datacontenttype).toBe('application/json');
  });

  it('pages through /api/v2/events with a cursor, without gaps or repeats', async () => {
    const { app } = await withMeter();
    const events = Array.from({ length: 25 }, (_, i) => ev(`e${i}`, new Date(Date.UTC(2026, 1, 27, 0, i)).toISOString(), { tokens: i }));
    await request(app).post('/api/v1/events').send(events).expect(204);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const res = await request(app).get('/api/v2/events').query({ limit: 10, ...(cursor ? { cursor } : {}) }).expect(200);
      seen.push(...res.body.items.map((e: { event: { id: string } }) => e.event.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(25);
    expect(seen).toHaveLength(25);
  });
});

describe('OpenMeter v1 meter queries', () => {
  async function seeded() {
    const t = await withMeter();
    await request(t.app)
      .post('/api/v1/events')
      .send([
        ev('1', '2026-02-01T10:00:00Z', { tokens: 10, model: 'gpt' }, 'alice'),
        ev('2', '2026-02-01T23:30:00Z', { tokens: 5, model: 'claude' }, 'alice'),
        ev('3', '2026-02-02T01:00:00Z', { tokens: 1, model: 'gpt' }, 'bob'),
        ev('4', '2026-02-03T00:00:00Z', { tokens: 100, model: 'gpt' }, 'bob'),
      ])
      .expect(204);
    return t;
  }

  it('windows by DAY with an exclusive end and no zero-filled windows', async () => {
    const { app } = await seeded();
    const res = await request(app).get('/api/v1/meters/tokens_total/query').query({ from: '2026-02-01T00:00:00Z', to: '2026-02-03T00:00:00Z', windowSize: 'DAY' }).expect(200);
    expect(res.body.data.map((r: { windowStart: string; value: number }) => [r.windowStart, r.value])).toEqual([
      ['2026-02-01T00:00:00Z', 15],
      ['2026-02-02T00:00:00Z', 1],
    ]);
  });

  it('groups by subject and meter dimensions, filters by subject and group values', async () => {
    const { app } = await seeded();
    const bySubject = await request(app).get('/api/v1/meters/tokens_total/query').query({ groupBy: ['subject', 'model'] }).expect(200);
    const rows = bySubject.body.data.map((r: { subject: string; groupBy: { model: string }; value: number }) => `${r.subject}/${r.groupBy.model}=${r.value}`).sort();
    expect(rows).toEqual(['alice/claude=5', 'alice/gpt=10', 'bob/gpt=101']);
    const bob = await request(app).get('/api/v1/meters/tokens_total/query').query({ subject: 'bob' }).expect(200);
    expect(bob.body.data).toEqual([expect.objectContaining({ subject: 'bob', value: 101 })]);
    const gpt = await request(app).get('/api/v1/meters/tokens_total/query?filterGroupBy[model]=gpt').expect(200);
    expect(gpt.body.data[0].value).toBe(111);
    // an empty subject list filters nothing and still groups by subject (mapping.go tests for nil)
    const allSubjects = await request(app).post('/api/v1/meters/tokens_total/query').send({ subject: [] }).expect(200);
    expect(allSubjects.body.data.map((r: { subject: string; value: number }) => `${r.subject}=${r.value}`).sort()).toEqual(['alice=15', 'bob=101']);
    const post = await request(app).post('/api/v1/meters/tokens_total/query').send({ groupBy: ['model'], filterGroupBy: { model: ['claude'] } }).expect(200);
    expect(post.body.data[0]).toMatchObject({ value: 5, groupBy: { model: 'claude' } });
  });

  it('windows DAY in a time zone across a DST change (Europe/Budapest, 2026-03-29 has 23 hours)', async () => {
    const t = await withMeter();
    await request(t.app)
      .post('/api/v1/events')
      .send([ev('a', '2026-03-28T23:30:00Z', { tokens: 1 }), ev('b', '2026-03-29T21:59:00Z', { tokens: 2 }), ev('c', '2026-03-29T22:00:00Z', { tokens: 4 })])
      .expect(204);
    const res = await request(t.app).get('/api/v1/meters/tokens_total/query').query({ windowSize: 'DAY', windowTimeZone: 'Europe/Budapest' }).expect(200);
    expect(res.body.data.map((r: { windowStart: string; windowEnd: string; value: number }) => [r.windowStart, r.windowEnd, r.value])).toEqual([
      ['2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z', 3],
      ['2026-03-29T22:00:00Z', '2026-03-30T22:00:00Z', 4],
    ]);
  });

  it('answers CSV laid out as query_csv.go writes it: grouping order, %f values, unquoted filename', async () => {
    const { app } = await seeded();
    const res = await request(app).get('/api/v1/meters/tokens_total/query').query({ groupBy: 'model' }).set('accept', 'text/csv').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename=tokens_total.csv');
    const lines = res.text.trim().split('\n');
    expect(lines[0]).toBe('window_start,window_end,model,value');
    expect(lines.slice(1).map((l) => l.split(',').slice(-2).join('=')).sort()).toEqual(['claude=5.000000', 'gpt=111.000000']);
    // the subject filter appends `subject` after the requested keys
    const bySubject = await request(app).get('/api/v1/meters/tokens_total/query').query({ groupBy: 'model', subject: 'bob' }).set('accept', 'text/csv').expect(200);
    expect(bySubject.text.split('\n')[0]).toBe('window_start,window_end,subject,model,value');
    expect(bySubject.text.split('\n')[1]!.split(',').slice(2)).toEqual(['bob', 'gpt', '101.000000']);
    // no rows: the header with its group columns still
    const empty = await request(app).get('/api/v1/meters/tokens_total/query?from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z&groupBy=model&groupBy=subject').set('accept', 'text/csv').expect(200);
    expect(empty.text).toBe('window_start,window_end,subject,model,value\n');
  });

  it('CSV adds subject_display_name for known subjects and an always-empty customer_id group column (query_csv.go)', async () => {
    const { app } = await seeded();
    await request(app).post('/api/v1/subjects').send([{ key: 'alice', displayName: 'Alice, Inc.' }]).expect(200);
    const cust = await request(app).post('/api/v1/customers').send({ name: 'Bob', key: 'bob-co', usageAttribution: { subjectKeys: ['bob'] } }).expect(201);
    const res = await request(app).get('/api/v1/meters/tokens_total/query').query({ groupBy: 'subject', windowSize: 'DAY', from: '2026-02-01T00:00:00Z', to: '2026-02-02T00:00:00Z' }).set('accept', 'text/csv').expect(200);
    expect(res.text).toBe('window_start,window_end,subject,subject_display_name,value\n2026-02-01T00:00:00Z,2026-02-02T00:00:00Z,alice,"Alice, Inc.",15.000000\n');
    const byCustomer = await request(app).get('/api/v1/meters/tokens_total/query').query({ filterCustomerId: cust.body.id }).set('accept', 'text/csv').expect(200);
    const [header, row] = byCustomer.text.trim().split('\n');
    expect(header).toBe('window_start,window_end,customer_id,value');
    expect(row!.split(',').slice(2)).toEqual(['', '101.000000']);
  });

  it('answers 404 for an unknown filterCustomerId (meter/httphandler/mapping.go getFilterCustomer)', async () => {
    const { app } = await seeded();
    const res = await request(app).get('/api/v1/meters/tokens_total/query?filterCustomerId=01JZZZZZZZZZZZZZZZZZZZZZZZ').expect(404);
    expect(res.body).toMatchObject({ type: 'about:blank', status: 404, detail: 'customer with id 01JZZZZZZZZZZZZZZZZZZZZZZZ not found' });
  });

  it('echoes from and to as sent, keeping the offset (meter/httphandler/mapping.go)', async () => {
    const { app } = await seeded();
    const res = await request(app).get('/api/v1/meters/tokens_total/query?from=2026-02-01T01:00:00%2B01:00&to=2026-02-03T00:00:00Z').expect(200);
    expect(res.body).toMatchObject({ from: '2026-02-01T01:00:00+01:00', to: '2026-02-03T00:00:00Z' });
    expect(res.body.data[0].value).toBe(16);
  });

  it('rejects invalid queries with 400 problems', async () => {
    const { app } = await seeded();
    await request(app).get('/api/v1/meters/tokens_total/query').query({ from: '2026-02-02T00:00:00Z', to: '2026-02-01T00:00:00Z' }).expect(400);
    await request(app).get('/api/v1/meters/tokens_total/query').query({ from: '2026-02-02T00:00:00Z', to: '2026-02-02T00:00:00Z' }).expect(400);
    await request(app).get('/api/v1/meters/tokens_total/query').query({ groupBy: 'nope' }).expect(400);
    await request(app).get('/api/v1/meters/tokens_total/query').query({ windowSize: 'FORTNIGHT' }).expect(400);
    await request(app).get('/api/v1/meters/tokens_total/query').query({ from: 'yesterday' }).expect(400);
  });

  it('lists group-by values and meter subjects', async () => {
    const { app } = await seeded();
    const values = await request(app).get('/api/v1/meters/tokens_total/group-by/model/values').query({ from: '2026-01-01T00:00:00Z' }).expect(200);
    expect([...values.body].sort()).toEqual(['claude', 'gpt']);
    const subjects = await request(app).get('/api/v1/meters/tokens_total/subjects').query({ from: '2026-01-01T00:00:00Z' }).expect(200);
    expect([...subjects.body].sort()).toEqual(['alice', 'bob']);
  });
});

describe('OpenMeter v1 subjects and portal', () => {
  it('upserts, gets, lists and deletes subjects', async () => {
    const { app } = createTestEmulator();
    const up = await request(app).post('/api/v1/subjects').send([{ key: 'alice', displayName: 'Alice' }]).expect(200);
    expect(up.body[0]).toMatchObject({ key: 'alice', displayName: 'Alice' });
    expect((await request(app).get('/api/v1/subjects/alice').expect(200)).body.id).toBe(up.body[0].id);
    expect((await request(app).get('/api/v1/subjects').expect(200)).body).toHaveLength(1);
    await request(app).delete('/api/v1/subjects/alice').expect(204);
    await request(app).get('/api/v1/subjects/alice').expect(404);
  });

  it('issues portal tokens that query only their own subject', async () => {
    const { app } = await withMeter();
    await request(app).post('/api/v1/events').send([ev('1', '2026-02-01T10:00:00Z', { tokens: 3 }, 'alice'), ev('2', '2026-02-01T10:00:00Z', { tokens: 4 }, 'bob')]).expect(204);
    const tok = await request(app).post('/api/v1/portal/tokens').send({ subject: 'alice', allowedMeterSlugs: ['tokens_total'] }).expect(200);
    expect(tok.body.token).toBeTruthy();
    const q = await request(app).get('/api/v1/portal/meters/tokens_total/query').set('authorization', `Bearer ${tok.body.token}`).expect(200);
    expect(q.body.data).toEqual([expect.objectContaining({ value: 3, subject: 'alice' })]);
    await request(app).get('/api/v1/portal/meters/tokens_total/query').set('authorization', 'Bearer nope').expect(401);
    const tokens = await request(app).get('/api/v1/portal/tokens').expect(200);
    expect(tokens.body).toHaveLength(1);
    await request(app).post('/api/v1/portal/tokens/invalidate').send({ subject: 'alice' }).expect(204);
    await request(app).get('/api/v1/portal/meters/tokens_total/query').set('authorization', `Bearer ${tok.body.token}`).expect(401);
  });
});
