import { describe, expect, it } from 'vitest';
import { stripeSignatureHeader, verifyStripeSignature } from './signature.ts';

describe('Stripe-Signature (stripe-go webhook.ConstructEventWithTolerance)', () => {
  const secret = 'whsec_test';
  const body = '{"id":"evt_1"}';
  const header = stripeSignatureHeader(secret, 1_000, body);

  it.each([
    ['a valid signature within tolerance', header, body, secret, 1_300, 300, true],
    ['one of several v1 values', `t=1000,v1=00ff,${header.split(',')[1]}`, body, secret, 1_000, 300, true],
    ['another secret', header, body, 'whsec_other', 1_000, 300, false],
    ['a changed body', header, '{"id":"evt_2"}', secret, 1_000, 300, false],
    ['outside the tolerance', header, body, secret, 1_301, 300, false],
    ['no header', undefined, body, secret, 1_000, 300, false],
    ['no v1', 't=1000', body, secret, 1_000, 300, false],
  ])('%s', (_name, h, payload, key, now, tolerance, ok) => {
    expect(verifyStripeSignature(h, payload, key, now, tolerance).ok).toBe(ok);
  });
});
