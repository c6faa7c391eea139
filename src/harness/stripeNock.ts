import nock from 'nock';
import { StripeEmulator, type StripeEmulatorOptions } from '../stripe/StripeEmulator.ts';
import { toStripeRequest } from '../stripe/server.ts';

export interface StripeNockOptions {
  /** the emulated Stripe to answer from (default: a new one on the wall clock) */
  stripe?: StripeEmulator;
  /** the origin to intercept (default Stripe's own API) */
  origin?: string;
  /** where its outgoing webhooks go (default: POSTed with fetch; under nock, intercept those too) */
  deliver?: StripeEmulatorOptions['deliver'];
}

/**
 * The emulated Stripe as nock interceptors, for tests that cannot open a port: every request
 * the `stripe` SDK (or any client) sends to `https://api.stripe.com` is answered by the
 * emulated Stripe in process. Returns the emulator (to read its state) and a `restore`.
 * Give the SDK `httpClient: Stripe.createFetchHttpClient()`: its Node client waits for a TLS
 * `secureConnect` event that nock 14's mock socket never emits, and would hang.
 */
export function installStripeNock(opts: StripeNockOptions = {}): { stripe: StripeEmulator; scope: nock.Scope; restore(): void } {
  const origin = opts.origin ?? 'https://api.stripe.com';
  const stripe =
    opts.stripe ??
    new StripeEmulator({
      // eslint-disable-next-line no-restricted-syntax -- a standalone Stripe for a user's test runs on the wall clock
      now: () => new Date(),
      publicUrl: () => origin,
      deliver:
        opts.deliver ??
        (async (p) => {
          const r = await fetch(p.url, { method: 'POST', headers: p.headers, body: p.body }).catch(() => undefined);
          return r?.status ?? 0;
        }),
    });
  const answer = (method: string) =>
    async function (this: nock.ReplyFnContext, uri: string, body: nock.Body): Promise<nock.ReplyFnResult> {
      const url = new URL(uri, origin);
      const text = typeof body === 'string' ? body : body && Object.keys(body).length > 0 ? new URLSearchParams(body as Record<string, string>).toString() : '';
      const r = await stripe.handle(toStripeRequest(method, url.pathname, url.search.replace(/^\?/, ''), this.req.headers, text));
      return [r.status, JSON.stringify(r.body), { ...r.headers, 'content-type': 'application/json' }];
    };
  const scope = nock(origin).persist();
  const interceptors = (['GET', 'POST', 'DELETE'] as const).map((m) => {
    const i = scope.intercept(/.*/, m);
    i.reply(answer(m));
    return i;
  });
  return {
    stripe,
    scope,
    // only these interceptors go: a test's own nock setup stays
    restore: () => {
      for (const i of interceptors) nock.removeInterceptor(i);
    },
  };
}
