import { parseDuration, addDuration } from '../../domain/shared/recurrence.ts';
import { validationError } from '../../domain/shared/errors.ts';
import { coverageReport } from '../coverage.ts';
import { noContent, ok, type HandlerContext, type HandlerMap, type Reply } from '../http/types.ts';
import type { OperationId } from './operations.gen.ts';
import { VERSION } from '../../version.ts';
import type { PendingCredit } from '../../domain/monetization/types.ts';
import { bucketNamespace } from '../http/namespaces.ts';

const clockBody = (c: HandlerContext) => {
  const { now, frozen } = c.control.clock();
  return { now: now.toISOString(), frozen };
};


/** years 0001–9999: what an RFC 3339 instant can spell, and what the clock accepts */
const isInstant = (d: Date): boolean => {
  const t = d.getTime();
  return Number.isFinite(t) && t >= Date.parse('0001-01-01T00:00:00Z') && t <= Date.parse('9999-12-31T23:59:59.999Z');
};

function instantOf(text: string, field: string): Date {
  const d = new Date(text);
  if (typeof text !== 'string' || !isInstant(d)) throw validationError('invalid_instant', `${field} is not an RFC 3339 instant between years 0001 and 9999: ${String(text).slice(0, 64)}`);
  return d;
}

/** The emulator's own control plane: nothing here exists on the vendors' services. */
export const handlers: HandlerMap<OperationId> = {
  getHealth: (c) => {
    const cov = coverageReport();
    return ok({
      status: 'ok',
      version: VERSION,
      uptimeSeconds: c.control.uptimeSeconds(),
      surfaces: cov.map((r) => ({ name: r.name, prefix: r.prefix, operations: r.total, implemented: r.implemented })),
      stripe: c.control.stripeInfo(),
    });
  },
  completeStripeCheckoutSession: async (c) => {
    const body = c.body as { card?: string; challenge?: 'complete' | 'fail' } | undefined;
    return ok(await c.control.completeStripeCheckout(c.params.sessionId!, body?.card ?? 'pm_card_visa', body?.challenge));
  },
  updateStripePortalPaymentMethod: async (c) => {
    const body = c.body as { card?: string; challenge?: 'complete' | 'fail' } | undefined;
    return ok(await c.control.updateStripePortalPaymentMethod(c.params.sessionId!, body?.card ?? 'pm_card_visa', body?.challenge));
  },
  setZuploPendingCredits: async (c) => {
    const body = c.body as { pendingCredits: PendingCredit[] };
    const pendingCredits = await c.runIn(bucketNamespace(c.params.bucketId!), (tx) =>
      c.services.monetization.setPendingCredits(tx, { customer: c.params.customerIdOrKey!, pendingCredits: body.pendingCredits }),
    );
    return ok({ pendingCredits });
  },
  revokeStripeKey: (c) => {
    c.control.revokeStripeKey((c.body as { key: string }).key);
    return noContent();
  },
  getClock: (c) => ok(clockBody(c)),
  setClock: async (c) => {
    const body = c.body as { now?: string; frozen?: boolean };
    const target = body.now === undefined ? undefined : instantOf(body.now, 'now');
    if (body.frozen === true) c.control.freezeClock();
    if (target !== undefined) {
      // Setting the clock forward is an advance: due work must not be skipped silently.
      if (target.getTime() > c.control.clock().now.getTime()) await c.control.advanceTo(target);
      else c.control.setClock(target);
    }
    if (body.frozen === false) c.control.unfreezeClock();
    return ok(clockBody(c));
  },
  freezeClock: (c) => {
    c.control.freezeClock();
    return ok(clockBody(c));
  },
  unfreezeClock: (c) => {
    c.control.unfreezeClock();
    return ok(clockBody(c));
  },
  advanceClock: async (c): Promise<Reply> => {
    const body = c.body as { by?: string; to?: string };
    const now = c.control.clock().now;
    let target: Date;
    if (body.by !== undefined) {
      const d = parseDuration(body.by);
      if (!d) throw validationError('invalid_duration', `not an ISO-8601 duration: ${body.by}`);
      target = addDuration(now, d);
      if (!isInstant(target)) throw validationError('invalid_instant', `advancing by ${body.by} leaves the range of instants the clock can hold`);
    } else {
      target = instantOf(body.to!, 'to');
      if (target.getTime() < now.getTime()) throw validationError('clock_cannot_go_back', `advance target ${body.to} is before the current time ${now.toISOString()}; use PUT /_emulator/clock to go back`);
    }
    const jobsRun = await c.control.advanceTo(target);
    return ok({ ...clockBody(c), jobsRun });
  },
  resetState: async (c) => {
    const body = (c.body ?? {}) as { namespace?: string };
    await c.control.reset(body.namespace);
    return noContent();
  },
  listRequests: (c) => {
    const q = c.query as { limit?: number; surface?: string; status?: number; operationId?: string };
    return ok({ data: c.control.requests(q).map((i) => ({ ...i, id: String(i.id) })) });
  },
  clearRequests: (c) => {
    c.control.clearRequests();
    return noContent();
  },
  exportSnapshot: async (c) => {
    return ok(await c.control.exportSnapshot());
  },
  importSnapshot: async (c) => {
    await c.control.importSnapshot(c.body as Record<string, unknown>);
    return noContent();
  },
  getCoverage: () => ok({ surfaces: coverageReport().map(({ name, implemented, total, missing }) => ({ name, implemented, total, missing })) }),
  listJobs: (c) => {
    // Everything scheduled, however far ahead: a horizon of 100 years stands in for "all".
    const horizon = new Date(c.control.clock().now.getTime() + 100 * 365 * 86400_000);
    return ok({ data: c.control.pendingJobs(horizon).map((j) => ({ name: j.name, dueAt: j.dueAt.toISOString(), namespace: j.namespace })) });
  },
};
