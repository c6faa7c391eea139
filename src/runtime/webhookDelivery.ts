import { createHmac } from 'node:crypto';
import type { DeliveryOutcome, PendingDelivery } from '../domain/notifications/types.ts';
import type { Clock } from '../domain/shared/clock.ts';

/** A receiver that has not answered within this is recorded as FAILED (the emulator must not hang). */
export const WEBHOOK_TIMEOUT_MS = 5_000;
const MAX_BODY_RECORDED = 1024;

/**
 * svix-style signature: `v1,` + base64(HMAC-SHA256(secret, "id.timestamp.body")), where the key
 * is the base64 part of `whsec_<base64>` (a secret without the prefix is taken as base64 too).
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * POSTs one event payload to the URL the user configured on the channel, and reports the outcome
 * for `NotificationService.recordDelivery`. Never throws: network errors and timeouts are FAILED.
 * `webhook-timestamp` comes from the emulator clock: wall time unless the clock was moved or
 * frozen, in which case receivers that enforce svix's 5-minute tolerance will reject it (that is
 * the emulated time the event happened at; verify without the tolerance check in such tests).
 */
export async function deliverWebhook(
  d: PendingDelivery,
  opts: { clock: Clock; timeoutMs?: number; encode?: (payload: PendingDelivery['payload']) => unknown },
): Promise<DeliveryOutcome> {
  // the surface decides the wire spelling (OpenMeter writes Go RFC 3339 instants)
  const body = JSON.stringify(opts.encode ? opts.encode(d.payload) : d.payload);
  const id = d.eventId;
  const timestamp = Math.floor(opts.clock.now().getTime() / 1000);
  const headers: Record<string, string> = {
    ...(d.channel.customHeaders ?? {}),
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(d.channel.signingSecret, id, timestamp, body),
  };
  const started = performance.now();
  const base = { eventId: d.eventId, channelId: d.channel.id, url: d.channel.url };
  try {
    const res = await fetch(d.channel.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS),
    });
    const text = (await res.text().catch(() => '')).slice(0, MAX_BODY_RECORDED);
    const durationMs = Math.round(performance.now() - started);
    const success = res.status >= 200 && res.status < 300;
    return {
      ...base,
      state: success ? 'SUCCESS' : 'FAILED',
      reason: success ? '' : `receiver answered HTTP ${res.status}`,
      statusCode: res.status,
      body: text,
      durationMs,
    };
  } catch (err) {
    const durationMs = Math.round(performance.now() - started);
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `receiver did not answer within ${opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS} ms`
        : `delivery failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
    return { ...base, state: 'FAILED', reason, body: '', durationMs };
  }
}
