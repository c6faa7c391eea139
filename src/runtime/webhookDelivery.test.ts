import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FixedClock } from '../domain/shared/clock.ts';
import { deliverWebhook, signWebhook } from './webhookDelivery.ts';

describe('signWebhook', () => {
  it('matches the example signature of the svix documentation', () => {
    expect(signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });
});

describe('deliverWebhook', () => {
  it('records a receiver that does not answer in time as FAILED', async () => {
    const server = http.createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
      const out = await deliverWebhook(
        {
          eventId: 'E1',
          channel: { id: 'C1', type: 'WEBHOOK', name: 'slow', disabled: false, url, signingSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdAt: '', updatedAt: '' },
          payload: { id: 'E1', type: 'invoice.created', timestamp: '2026-01-01T00:00:00Z', data: {} },
        },
        { timeoutMs: 100, clock: new FixedClock(new Date('2026-01-01T00:00:00Z')) },
      );
      expect(out).toMatchObject({ eventId: 'E1', channelId: 'C1', state: 'FAILED', reason: 'receiver did not answer within 100 ms', url });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
