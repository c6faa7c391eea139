import type { Customer } from '../../../domain/customers/types.ts';
import type { AccessQueryOutcome, AccessQueryResult, EntitlementValueView } from '../../../domain/entitlements/types.ts';
import { AipQueryError, type CursorPageRequest } from '../aip.ts';
import type { components } from '../api.gen.ts';
import { toApiCustomer } from './customers.ts';

type S = components['schemas'];

export function toApiEntitlementAccess(featureKey: string, v: EntitlementValueView): S['BillingEntitlementAccessResult'] {
  return {
    type: v.type ?? 'boolean',
    feature_key: featureKey,
    has_access: v.hasAccess,
    ...(v.config !== undefined ? { config: v.config } : {}),
  };
}

/**
 * pkg/pagination/v2 cursor: base64 of `<RFC 3339, whole seconds>,<id>` of a customer
 * (openmeter/entitlementaccess/service/service.go `cursorFor`).
 */
interface AccessCursor {
  time: number;
  id: string;
}
const cursorOf = (c: Customer): AccessCursor => ({ time: Math.floor(Date.parse(c.createdAt) / 1000) * 1000, id: c.id });
const encodeCursor = (c: AccessCursor): string => Buffer.from(`${new Date(c.time).toISOString().slice(0, 19)}Z,${c.id}`).toString('base64');
const compareCursor = (a: AccessCursor, b: AccessCursor): number => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function decodeAccessCursor(raw: string, param: string): AccessCursor {
  const text = Buffer.from(raw, 'base64').toString('utf8');
  const i = text.indexOf(',');
  const time = i > 0 ? Date.parse(text.slice(0, i)) : NaN;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(raw) || Number.isNaN(time) || i === text.length - 1) throw new AipQueryError(param, 'invalid cursor');
  return { time, id: text.slice(i + 1) };
}

/**
 * The query answers one page of the resolved customers, sorted by (created_at, id); `size` is the
 * page size asked for (default 100), `first`/`last` the cursors of the page's ends, `next` /
 * `previous` set when there is more that way (api/v3/handlers/entitlementaccess/mapping.go
 * `toAPICursorMeta`, openmeter/entitlementaccess/service/service.go `paginate`).
 */
export function toApiAccessQuery(o: AccessQueryOutcome, page: CursorPageRequest): S['EntitlementAccessQueryResponse'] {
  const sorted = [...o.results].sort((a, b) => Date.parse(a.customer.createdAt) - Date.parse(b.customer.createdAt) || (a.customer.id < b.customer.id ? -1 : 1));
  let items: AccessQueryResult[];
  let hasPrev: boolean;
  let hasNext: boolean;
  if (page.before !== undefined) {
    const before = decodeAccessCursor(page.before, 'page[before]');
    const candidates = sorted.filter((r) => compareCursor(cursorOf(r.customer), before) < 0);
    hasPrev = candidates.length > page.size;
    items = hasPrev ? candidates.slice(candidates.length - page.size) : candidates;
    hasNext = true;
  } else {
    const after = page.after !== undefined ? decodeAccessCursor(page.after, 'page[after]') : undefined;
    const found = after === undefined ? 0 : sorted.findIndex((r) => compareCursor(cursorOf(r.customer), after) > 0);
    const start = found < 0 ? sorted.length : found;
    const rest = sorted.slice(start);
    hasPrev = start > 0;
    hasNext = rest.length > page.size;
    items = rest.slice(0, page.size);
  }
  const first = items.length > 0 ? encodeCursor(cursorOf(items[0]!.customer)) : undefined;
  const last = items.length > 0 ? encodeCursor(cursorOf(items[items.length - 1]!.customer)) : undefined;
  return {
    data: items.map((r) => ({
      matched: r.matched,
      customer: toApiCustomer(r.customer),
      features: Object.fromEntries(
        Object.entries(r.features).map(([k, f]) => [k, { has_access: f.hasAccess, ...(f.reason ? { reason: { code: f.reason.code, message: f.reason.message } } : {}) }]),
      ),
      updated_at: r.customer.updatedAt,
    })),
    errors: o.missingCustomers.map((k) => ({ code: 'customer_not_found' as const, message: 'customer not found', customer: k })),
    meta: {
      page: {
        size: page.size,
        ...(first !== undefined ? { first } : {}),
        ...(last !== undefined ? { last } : {}),
        next: hasNext && last !== undefined ? last : null,
        previous: hasPrev && first !== undefined ? first : null,
      },
    },
  };
}
