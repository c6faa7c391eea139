import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Stripe's webhook signature: `Stripe-Signature: t=<unix seconds>,v1=<hex>` where the hex is
 * HMAC-SHA256 keyed with the endpoint's whole `whsec_…` secret over `"<t>.<raw body>"`.
 */
export function stripeSignatureHeader(secret: string, timestamp: number, payload: string): string {
  return `t=${timestamp},v1=${stripeSignature(secret, timestamp, payload)}`;
}

export function stripeSignature(secret: string, timestamp: number, payload: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * Verifies a header the way stripe-go's `webhook.ConstructEventWithTolerance` does: any `v1`
 * matching, timestamp within `toleranceSeconds` of `nowSeconds`. Reasons use stripe-go's words.
 */
export function verifyStripeSignature(header: string | undefined, payload: string, secret: string, nowSeconds: number, toleranceSeconds: number): SignatureCheck {
  if (!header) return { ok: false, reason: 'webhook has no Stripe-Signature header' };
  let timestamp: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.split('=', 2) as [string, string | undefined];
    if (k.trim() === 't' && v !== undefined) timestamp = Number(v);
    else if (k.trim() === 'v1' && v !== undefined) v1.push(v.trim());
  }
  if (timestamp === undefined || !Number.isFinite(timestamp) || v1.length === 0) return { ok: false, reason: 'webhook has invalid Stripe-Signature header' };
  const expected = Buffer.from(stripeSignature(secret, timestamp, payload), 'hex');
  const match = v1.some((s) => {
    const got = Buffer.from(s, 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
  if (!match) return { ok: false, reason: 'webhook had no valid signature' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'timestamp wasn\'t within tolerance' };
  return { ok: true, timestamp };
}
