import { validationError, type ValidationIssue } from '../domain/shared/errors.ts';
import type { StoredEvent } from '../domain/metering/types.ts';
import { checkNamespaceName } from '../store/Store.ts';
import { assertClockInstant } from './ControllableClock.ts';
import type { StripeState } from '../stripe/StripeEmulator.ts';

export interface SnapshotDocument {
  clock?: { now?: Date; frozen?: boolean };
  namespaces: Record<string, { collections: Record<string, Record<string, { id: string }>> }>;
  events: Record<string, StoredEvent[]>;
  /** the emulated Stripe's objects (absent in snapshots from before it existed) */
  stripe?: StripeState;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInstantText = (v: unknown): boolean => typeof v === 'string' && Number.isFinite(Date.parse(v));
const MAX_ISSUES = 20;

/**
 * Checks a whole `localmeter-snapshot@1` document before anything is touched: an import either
 * takes all of it or answers 400 and changes nothing.
 */
export function parseSnapshotDocument(snap: unknown): SnapshotDocument {
  if (!isObject(snap) || snap.format !== 'localmeter-snapshot@1') {
    throw validationError('invalid_snapshot', 'not a localmeter snapshot (expected format "localmeter-snapshot@1")');
  }
  const issues: ValidationIssue[] = [];
  const bad = (field: string, message: string) => void (issues.length < MAX_ISSUES && issues.push({ code: 'invalid_snapshot', field, message: `${field}: ${message}` }));
  const nsName = (field: string, ns: string) => {
    try {
      checkNamespaceName(ns);
    } catch (e) {
      bad(field, (e as Error).message);
    }
  };

  let clock: SnapshotDocument['clock'];
  if (snap.clock !== undefined) {
    if (!isObject(snap.clock)) bad('clock', 'must be an object');
    else {
      clock = {};
      const { now, frozen } = snap.clock;
      if (now !== undefined) {
        try {
          if (typeof now !== 'string') throw new Error('must be an RFC 3339 instant');
          clock.now = assertClockInstant(new Date(now), 'clock.now');
        } catch (e) {
          bad('clock.now', (e as Error).message);
        }
      }
      if (frozen !== undefined && typeof frozen !== 'boolean') bad('clock.frozen', 'must be a boolean');
      else clock.frozen = frozen;
    }
  }

  const namespaces = snap.namespaces ?? {};
  if (!isObject(namespaces)) bad('namespaces', 'must be an object of namespaces');
  else {
    for (const [ns, body] of Object.entries(namespaces)) {
      const at = `namespaces[${JSON.stringify(ns.slice(0, 40))}]`;
      nsName(at, ns);
      if (!isObject(body)) {
        bad(at, 'must be an object with collections');
        continue;
      }
      const cols = body.collections ?? {};
      if (!isObject(cols)) {
        bad(`${at}.collections`, 'must be an object');
        continue;
      }
      for (const [name, recs] of Object.entries(cols)) {
        if (!isObject(recs)) {
          bad(`${at}.collections.${name}`, 'must be an object of records by id');
          continue;
        }
        for (const [id, rec] of Object.entries(recs)) {
          if (!isObject(rec) || rec.id !== id) bad(`${at}.collections.${name}[${JSON.stringify(id.slice(0, 40))}]`, 'must be a record whose id is its key');
        }
      }
    }
  }

  const events = snap.events ?? {};
  if (!isObject(events)) bad('events', 'must be an object of event lists by namespace');
  else {
    for (const [ns, list] of Object.entries(events)) {
      const at = `events[${JSON.stringify(ns.slice(0, 40))}]`;
      nsName(at, ns);
      if (!Array.isArray(list)) {
        bad(at, 'must be a list of events');
        continue;
      }
      list.forEach((e: unknown, i) => {
        const ok =
          isObject(e) &&
          typeof e.id === 'string' &&
          typeof e.source === 'string' &&
          typeof e.type === 'string' &&
          typeof e.subject === 'string' &&
          isInstantText(e.time) &&
          (e.ingestedAt === undefined || isInstantText(e.ingestedAt)) &&
          typeof e.seq === 'number' &&
          Number.isFinite(e.seq);
        if (!ok) bad(`${at}[${i}]`, 'must be a stored event (id, source, type, subject strings, time an instant, seq a number)');
      });
    }
  }
  const stripe = snap.stripe;
  if (stripe !== undefined) {
    const st = stripe as Record<string, unknown>;
    const ok =
      isObject(stripe) &&
      st.format === 'localmeter-stripe@1' &&
      Number.isInteger(st.seq) &&
      Number.isInteger(st.invoiceSeq) &&
      Array.isArray(st.objects) &&
      st.objects.every((o) => isObject(o) && typeof o.id === 'string' && typeof o.object === 'string') &&
      Array.isArray(st.revoked) &&
      st.revoked.every((k) => typeof k === 'string');
    if (!ok) bad('stripe', 'must be the emulated Stripe\'s state (format "localmeter-stripe@1", seq, invoiceSeq, objects with id and object, revoked keys)');
  }
  if (issues.length > 0) throw validationError('invalid_snapshot', `invalid snapshot: ${issues.map((i) => i.message).join('; ')}`, issues);
  return { clock, namespaces: namespaces as SnapshotDocument['namespaces'], events: events as SnapshotDocument['events'], ...(stripe !== undefined ? { stripe: stripe as StripeState } : {}) };
}
