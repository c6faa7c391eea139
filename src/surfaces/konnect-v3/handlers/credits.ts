/** Konnect v3 customer credits (`/openmeter/customers/{id}/credits/...`, konnect-billing.md §4). */
import type { FeatureView, TransactionType } from '../../../domain/billing/credits/types.ts';
import { ok, type Handler } from '../../http/types.ts';
import { AipQueryError, FilterOp, matchCondition, pageOf, parseCursorPage, parseFilters, parsePage, type FilterCondition } from '../aip.ts';
import type { components } from '../api.gen.ts';
import { decodeTransactionCursor, encodeTransactionCursor, fromApiCreateGrant, toApiCreditGrant, toApiCreditTransaction } from '../convert/credits.ts';

type S = components['schemas'];

const STRING_OPS = [FilterOp.eq, FilterOp.neq, FilterOp.contains, FilterOp.ocontains, FilterOp.oeq, FilterOp.exists, FilterOp.nexists] as const;

export const createCreditGrant: Handler = async (c) => {
  const input = fromApiCreateGrant(c.params.customerId!, c.body as S['CreateCreditGrantRequest']);
  const [g, status] = await c.run((tx) => {
    const grant = c.services.credits.createGrant(tx, input);
    return [grant, c.services.credits.grantStatus(grant)] as const;
  });
  return ok(toApiCreditGrant(g, status), 201);
};

export const listCreditGrants: Handler = (c) => {
  const filters = parseFilters(c.query.filter, {
    status: { kind: 'string', ops: [FilterOp.eq] },
    currency: { kind: 'string', ops: [FilterOp.eq] },
    key: { kind: 'string', ops: STRING_OPS },
  });
  const page = parsePage(c.query.page);
  const status = filters.find((f) => f.field === 'status')?.value as S['BillingCreditGrantStatus'] | undefined;
  if (status !== undefined && !['pending', 'active', 'expired', 'voided'].includes(status)) throw new AipQueryError('filter[status]', `invalid grant status filter: ${status}`, 'enum');
  const currency = filters.find((f) => f.field === 'currency')?.value as string | undefined;
  const keyConds = filters.filter((f) => f.field === 'key');
  const rows = c.read((tx) => {
    const all = c.services.credits.listGrants(tx, {
      customerId: c.params.customerId!,
      ...(status ? { status } : {}),
      ...(currency ? { currency } : {}),
      ...(keyConds.length > 0 ? { key: (k: string | undefined) => keyConds.every((f) => matchCondition(k, f)) } : {}),
    });
    return all.map((g) => ({ g, status: c.services.credits.grantStatus(g) }));
  });
  return ok(pageOf(rows, page, (r) => toApiCreditGrant(r.g, r.status)));
};

export const getCreditGrant: Handler = (c) => {
  const { g, status } = c.read((tx) => {
    const grant = c.services.credits.getGrant(tx, { customerId: c.params.customerId!, grantId: c.params.creditGrantId! });
    return { g: grant, status: c.services.credits.grantStatus(grant) };
  });
  return ok(toApiCreditGrant(g, status));
};

/** Optional body; `payment_adjustment` may only be `none` (the validator injects it). */
export const voidCreditGrant: Handler = async (c) => {
  const { g, status } = await c.run((tx) => {
    const grant = c.services.credits.voidGrant(tx, { customerId: c.params.customerId!, grantId: c.params.creditGrantId! });
    return { g: grant, status: c.services.credits.grantStatus(grant) };
  });
  return ok(toApiCreditGrant(g, status));
};

export const updateCreditGrantExternalSettlement: Handler = async (c) => {
  const body = c.body as S['UpdateCreditGrantExternalSettlementRequest'];
  const { g, status } = await c.run((tx) => {
    const grant = c.services.credits.updateExternalSettlement(tx, { customerId: c.params.customerId!, grantId: c.params.creditGrantId!, status: body.status });
    return { g: grant, status: c.services.credits.grantStatus(grant) };
  });
  return ok(toApiCreditGrant(g, status));
};

/** The real service registers the route but never built it: 501 with an empty body (konnect-billing.md §4.5). */
export const createCreditAdjustment: Handler = () => ({ status: 501 });

/**
 * `filter[feature_key]`: `eq` (or `oeq`) naming one key, or `exists=false` for unrestricted
 * credit only; every other operator, `exists=true` and more than one key are 400
 * (customers/credits/feature_filter.go).
 */
function featureView(conds: FilterCondition[]): FeatureView {
  const keys: string[] = [];
  for (const f of conds) {
    if (f.op === FilterOp.exists || f.op === FilterOp.nexists) {
      const exists = f.op === FilterOp.exists ? f.value : !f.value;
      if (exists === false) return { exists: false };
      throw new AipQueryError('filter[feature_key]', 'exists=true operator is not supported', 'enum');
    }
    if (f.op === FilterOp.eq) keys.push(String(f.value));
    else if (f.op === FilterOp.oeq) keys.push(...(f.value as string[]));
    else throw new AipQueryError('filter[feature_key]', `${f.op} operator is not supported`, 'enum');
  }
  if (keys.length === 0) return undefined;
  if (keys.length > 1 || keys[0] === '') throw new AipQueryError('filter[feature_key]', 'exactly one feature key is supported', 'max_items');
  return { key: keys[0]! };
}

export const getCustomerCreditBalance: Handler = (c) => {
  const filters = parseFilters(c.query.filter, {
    currency: { kind: 'string', ops: [FilterOp.eq, FilterOp.oeq] },
    feature_key: { kind: 'string', ops: STRING_OPS },
  });
  const cur = filters.filter((f) => f.field === 'currency');
  const currencies = cur.length > 0 ? [...new Set(cur.flatMap((f) => (Array.isArray(f.value) ? f.value : [String(f.value)])))].sort() : undefined;
  const feature = featureView(filters.filter((f) => f.field === 'feature_key'));
  const ts = typeof c.query.timestamp === 'string' ? new Date(c.query.timestamp) : undefined;
  if (ts && Number.isNaN(ts.getTime())) throw new AipQueryError('timestamp', 'must be an RFC 3339 date-time', 'format');
  const r = c.read((tx) =>
    c.services.credits.getBalance(tx, { customerId: c.params.customerId!, ...(ts ? { at: ts } : {}), ...(currencies ? { currencies } : {}), ...(feature ? { feature } : {}) }),
  );
  return ok({ retrieved_at: r.retrievedAt.toISOString(), balances: r.balances } satisfies S['BillingCreditBalances']);
};

export const listCreditTransactions: Handler = (c) => {
  const page = parseCursorPage(c.query.page);
  const filters = parseFilters(c.query.filter, {
    type: { kind: 'string', ops: [FilterOp.eq] },
    currency: { kind: 'string', ops: [FilterOp.eq] },
    feature_key: { kind: 'string', ops: STRING_OPS },
  });
  const type = filters.find((f) => f.field === 'type')?.value as TransactionType | undefined;
  if (type !== undefined && !['funded', 'consumed', 'expired', 'voided'].includes(type)) throw new AipQueryError('filter[type]', `invalid credit transaction type: ${type}`, 'enum');
  const currency = filters.find((f) => f.field === 'currency')?.value as string | undefined;
  const feature = featureView(filters.filter((f) => f.field === 'feature_key'));
  const r = c.read((tx) =>
    c.services.credits.listTransactions(tx, {
      customerId: c.params.customerId!,
      size: page.size,
      ...(page.after !== undefined ? { after: decodeTransactionCursor(page.after, 'page[after]') } : {}),
      ...(page.before !== undefined ? { before: decodeTransactionCursor(page.before, 'page[before]') } : {}),
      ...(type ? { type } : {}),
      ...(currency ? { currency } : {}),
      ...(feature ? { feature } : {}),
    }),
  );
  return ok({
    data: r.items.map(toApiCreditTransaction),
    meta: { page: { size: page.size, next: r.next ? encodeTransactionCursor(r.next) : null, previous: r.previous ? encodeTransactionCursor(r.previous) : null } },
  } satisfies S['CreditTransactionPaginatedResponse']);
};
