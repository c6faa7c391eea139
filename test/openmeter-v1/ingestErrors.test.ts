import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

/**
 * A body that is not JSON is refused at ingest time, before the handler: the v1 request validator
 * decodes it with Go's json.Decoder and answers 400 with kin-openapi's RequestError first line
 * (`openmeter/server/server.go` OapiRequestValidatorWithOptions; `openmeter/server/router/router.go`
 * registers the same decoder for the cloudevents media types). Nothing of the batch is stored.
 */
describe('OpenMeter v1 ingest: JSON syntax errors in the events body', () => {
  const prefix = 'request body has an error: failed to decode request body: ';
  it.each([
    ['application/json', '{"specversion":"1.0","id":"a","source":"s","type":"tokens","subject":"c","data":{"tokens":1,}}', "invalid character '}' looking for beginning of object key string"],
    ['application/cloudevents+json', '{"specversion":"1.0","id":"a","source":"s","type":"tokens","subject":"c","data":{"tokens":1', 'unexpected EOF'],
    ['application/cloudevents-batch+json', '[{"specversion":"1.0","id":"a","source":"s","type":"tokens","subject":"c","data":{"tokens":tru}}]', "invalid character '}' in literal true (expecting 'e')"],
    ['application/json', "[{'id':'a'}]", "invalid character '\\'' looking for beginning of object key string"],
  ])('%s: %s', async (contentType, body, reason) => {
    const { app } = createTestEmulator({ start: new Date('2026-03-01T00:00:00Z') });
    const res = await request(app).post('/api/v1/events').set('content-type', contentType).send(body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400, detail: prefix + reason });
    expect((await request(app).get('/api/v1/events').expect(200)).body).toEqual([]);
  });
});
