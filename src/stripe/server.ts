import express, { type Express, type Request, type Response } from 'express';
import { createServer, type Server } from 'node:http';
import { TEST_CARDS, type StripeEmulator, type StripeRequest, type StripeResponse, type ThreeDSecureOutcome } from './StripeEmulator.ts';

/**
 * The emulated Stripe over HTTP, as stripe-mock serves it: `/v1/*` form-encoded in, JSON out.
 * It also serves the pages Stripe would host: a checkout session's `url` (a form that
 * completes it with a chosen test card, with a 3-D Secure step for 4000 0000 0000 3220) and a
 * portal session's `url` (a form that makes a chosen test card the customer's default).
 */
export function createStripeApp(stripe: StripeEmulator): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.text({ type: () => true, limit: '5mb' }));

  app.get('/checkout/:id', (req: Request, res: Response) => {
    const s = stripe.find(String(req.params.id));
    if (!s || s.object !== 'checkout.session') return void res.status(404).type('text/plain').send('No such checkout session');
    res.type('text/html').send(checkoutPage(s));
  });
  app.post('/checkout/:id', async (req: Request, res: Response) => {
    const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
    const card = form.get('card') ?? 'pm_card_visa';
    try {
      const out = await stripe.completeCheckoutSession(String(req.params.id), card, challengeOf(form));
      if (out.requiresAction) return void res.type('text/html').send(challengePage(`/checkout/${String(req.params.id)}`, card));
      if (out.redirectUrl) return void res.redirect(303, out.redirectUrl);
      res.type('text/html').send(`<!doctype html><title>Done</title><p>Checkout session ${escapeHtml(String(out.session.id))} is complete.</p>`);
    } catch (e) {
      res.status(400).type('text/plain').send((e as Error).message);
    }
  });
  app.get('/billing_portal/:id', (req: Request, res: Response) => {
    const s = stripe.find(String(req.params.id));
    if (!s || s.object !== 'billing_portal.session') return void res.status(404).type('text/plain').send('No such portal session');
    const customer = stripe.find(String(s.customer));
    const current = (customer?.invoice_settings as { default_payment_method?: string | null } | undefined)?.default_payment_method;
    const pm = current ? stripe.find(current) : undefined;
    const last4 = (pm?.card as { last4?: string } | undefined)?.last4;
    const back = s.return_url ? `<p><a href="${escapeHtml(String(s.return_url))}">Return</a></p>` : '';
    res.type('text/html').send(`<!doctype html><html><head><meta charset="utf-8"><title>Customer portal (emulated Stripe)</title></head><body>
<h1>Customer portal (emulated)</h1><p>Customer <code>${escapeHtml(String(s.customer))}</code>; default card: ${last4 ? `•••• ${escapeHtml(last4)}` : 'none'}.</p>
<h2>Add a payment method (it becomes the default)</h2>
<form method="post" action="/billing_portal/${escapeHtml(String(s.id))}">
${cardChoices()}
<button type="submit">Save card</button></form>${back}</body></html>`);
  });
  app.post('/billing_portal/:id', async (req: Request, res: Response) => {
    const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
    const card = form.get('card') ?? 'pm_card_visa';
    try {
      const out = await stripe.updatePortalPaymentMethod(String(req.params.id), card, challengeOf(form));
      if (out.requiresAction) return void res.type('text/html').send(challengePage(`/billing_portal/${String(req.params.id)}`, card));
      if (out.redirectUrl) return void res.redirect(303, out.redirectUrl);
      res.type('text/html').send(`<!doctype html><title>Done</title><p>The default payment method is now ${escapeHtml(String(out.paymentMethod))}.</p>`);
    } catch (e) {
      res.status(400).type('text/plain').send((e as Error).message);
    }
  });

  app.use(async (req: Request, res: Response) => {
    const q = req.originalUrl.indexOf('?');
    const r = await stripe.handle(toStripeRequest(req.method, req.path, q < 0 ? '' : req.originalUrl.slice(q + 1), req.headers, typeof req.body === 'string' ? req.body : ''));
    send(res, r);
    afterFinalize(stripe, req.method, req.path, r.status, true);
  });
  return app;
}

function send(res: Response, r: StripeResponse): void {
  for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  res.status(r.status).type('application/json').send(JSON.stringify(r.body, null, 2));
}

export function toStripeRequest(method: string, path: string, query: string, headers: Record<string, string | string[] | undefined>, body: string): StripeRequest {
  const h: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  return { method, path, query, headers: h, body };
}

/** Starts the emulated Stripe on its own port (127.0.0.1 unless told otherwise). */
export async function startStripeServer(stripe: StripeEmulator, port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string; stop(): Promise<void> }> {
  // not `app.listen`: Express 5 hands a listen error to its callback, which would read as success
  const server = createServer(createStripeApp(stripe));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? Object.assign(new Error(`port ${port} on ${host} is already in use (another localmeter or stripe-mock?); choose another with --stripe-port, or --stripe-port 0 for any free port`), { code: err.code })
          : err,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const url = `http://${host}:${typeof addr === 'object' && addr ? addr.port : port}`;
  return {
    server,
    url,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
    },
  };
}

/**
 * A `fetch` that answers from the emulated Stripe in process: the app's `stripe` SDK uses it
 * (through `Stripe.createFetchHttpClient`) when no `--stripe-api-base` is given, so requests
 * never leave the process and tests need no port.
 */
export function inProcessStripeFetch(stripe: StripeEmulator, opts: { collectAfterFinalize?: boolean } = {}): typeof fetch {
  const collect = opts.collectAfterFinalize ?? true;
  return (async (input: string | URL | globalThis.Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const body = typeof init?.body === 'string' ? init.body : init?.body ? String(init.body) : '';
    const method = init?.method ?? 'GET';
    const r = await stripe.handle(toStripeRequest(method, url.pathname, url.search.replace(/^\?/, ''), headers, body));
    const res = new Response(JSON.stringify(r.body), { status: r.status, headers: { ...r.headers, 'content-type': 'application/json' } });
    afterFinalize(stripe, method, url.pathname, r.status, collect);
    return res;
  }) as typeof fetch;
}

/**
 * Stripe collects a finalized auto-advancing invoice on its own, and sends what followed the
 * finalization, after answering it. The app's runtime asks for it itself once it recorded the
 * finalization (`collectAfterFinalize: false` on its fetch); everyone else gets it here.
 */
function afterFinalize(stripe: StripeEmulator, method: string, path: string, status: number, collect: boolean): void {
  const finalized = /^\/v1\/invoices\/([^/]+)\/finalize$/.exec(path);
  if (collect && method.toUpperCase() === 'POST' && finalized && status === 200) setImmediate(() => void stripe.collectDue([decodeURIComponent(finalized[1]!)]).catch(() => undefined));
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const challengeOf = (form: URLSearchParams): ThreeDSecureOutcome | undefined => {
  const v = form.get('challenge');
  return v === 'complete' || v === 'fail' ? v : undefined;
};

function cardChoices(): string {
  return Object.entries(TEST_CARDS)
    .map(([token, c], i) => `<label><input type="radio" name="card" value="${token}"${i === 0 ? ' checked' : ''}> ${c.number.replace(/(\d{4})(?=\d)/g, '$1 ')} (${token})</label><br>`)
    .join('\n');
}

/** The bank's 3-D Secure step: the same form posted again with the challenge's outcome. */
function challengePage(action: string, card: string): string {
  const hidden = `<input type="hidden" name="card" value="${escapeHtml(card)}">`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>3-D Secure (emulated Stripe)</title></head><body>
<h1>3D Secure 2 Test Page</h1><p>Your bank asks you to confirm this card.</p>
<form method="post" action="${escapeHtml(action)}">${hidden}<input type="hidden" name="challenge" value="complete"><button type="submit">Complete authentication</button></form>
<form method="post" action="${escapeHtml(action)}">${hidden}<input type="hidden" name="challenge" value="fail"><button type="submit">Fail authentication</button></form>
</body></html>`;
}

function checkoutPage(s: Record<string, unknown>): string {
  const id = escapeHtml(String(s.id));
  const state = s.status === 'open' ? `<form method="post" action="/checkout/${id}">\n${cardChoices()}\n<button type="submit">Save card</button></form>` : `<p>This session is ${escapeHtml(String(s.status))}.</p>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Checkout (emulated Stripe)</title></head><body>
<h1>Set up a payment method</h1><p>Session <code>${id}</code>, customer <code>${escapeHtml(String(s.customer))}</code>.</p>
${state}</body></html>`;
}
