/**
 * OpenMeter v1 entitlements and grants: the v2 customer routes (`/api/v2/customers/{c}/entitlements`),
 * the v1 customer value/access reads, the global lists and the deprecated subject routes, which
 * resolve the subject key to the customer that owns it.
 */
import { toApiPage } from '../convert/paging.ts';
import type { CustomerRef } from '../../../domain/entitlements/types.ts';
import { noContent, ok, type HandlerContext, type Reply } from '../../http/types.ts';
import {
  fromApiEntitlementCreate,
  fromApiGrantCreate,
  fromApiListEntitlementsQuery,
  fromApiListGrantsQuery,
  parseInstant,
  toApiEntitlement,
  toApiEntitlementValue,
  toApiGrant,
  toApiHistory,
  wantsPage,
} from '../convert/entitlements.ts';
import { sentQueryKeys } from '../../http/sentQueryKeys.ts';

const svc = (c: HandlerContext) => c.services.entitlements;

const customerOf = (c: HandlerContext): CustomerRef => c.params.customerIdOrKey!;
const subjectOf = (c: HandlerContext): CustomerRef => ({ subject: c.params.subjectIdOrKey! });
const entOf = (c: HandlerContext): string => c.params.entitlementIdOrFeatureKey ?? c.params.entitlementId!;
const pageOf = toApiPage;

// ---------------------------------------------------------------- shared bodies

function create(c: HandlerContext, customer: CustomerRef, v: 'v1' | 'v2'): Promise<Reply> {
  const input = { ...fromApiEntitlementCreate(c.body), customer };
  return c.run((tx) => svc(c).createEntitlement(tx, input)).then((e) => ok(toApiEntitlement(e, v), 201));
}

function override(c: HandlerContext, customer: CustomerRef, v: 'v1' | 'v2'): Promise<Reply> {
  const input = { ...fromApiEntitlementCreate(c.body), customer, entitlement: entOf(c) };
  return c.run((tx) => svc(c).overrideEntitlement(tx, input)).then((e) => ok(toApiEntitlement(e, v), 201));
}

function get(c: HandlerContext, customer: CustomerRef, v: 'v1' | 'v2'): Reply {
  return ok(toApiEntitlement(c.read((tx) => svc(c).getEntitlement(tx, { customer, entitlement: entOf(c) })), v));
}

async function del(c: HandlerContext, customer: CustomerRef): Promise<Reply> {
  await c.run((tx) => svc(c).deleteEntitlement(tx, { customer, entitlement: entOf(c) }));
  return noContent();
}

function createGrantH(c: HandlerContext, customer: CustomerRef, v: 'v1' | 'v2'): Promise<Reply> {
  const input = { ...fromApiGrantCreate(c.body, v), customer, entitlement: entOf(c) };
  return c.run((tx) => svc(c).createGrant(tx, input)).then((g) => ok(toApiGrant(g, v), 201));
}

function value(c: HandlerContext, customer: CustomerRef, v: 'v1' | 'v2', entitlement = entOf(c)): Reply {
  const at = parseInstant(c.query.time, 'time');
  return ok(toApiEntitlementValue(c.read((tx) => svc(c).getEntitlementValue(tx, { customer, entitlement, ...(at ? { at } : {}) })), v));
}

function history(c: HandlerContext, customer: CustomerRef): Reply {
  const from = parseInstant(c.query.from, 'from');
  const to = parseInstant(c.query.to, 'to');
  const h = c.read((tx) =>
    svc(c).getEntitlementHistory(tx, {
      customer,
      entitlement: entOf(c),
      windowSize: String(c.query.windowSize),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(typeof c.query.windowTimeZone === 'string' ? { windowTimeZone: c.query.windowTimeZone } : {}),
    }),
  );
  return ok(toApiHistory(h));
}

async function reset(c: HandlerContext, customer: CustomerRef): Promise<Reply> {
  const b = (c.body ?? {}) as { effectiveAt?: string; retainAnchor?: boolean; preserveOverage?: boolean };
  const effectiveAt = parseInstant(b.effectiveAt, 'effectiveAt');
  await c.run((tx) =>
    svc(c).resetEntitlementUsage(tx, {
      customer,
      entitlement: entOf(c),
      ...(effectiveAt ? { effectiveAt } : {}),
      ...(b.retainAnchor !== undefined ? { retainAnchor: b.retainAnchor } : {}),
      ...(b.preserveOverage !== undefined ? { preserveOverage: b.preserveOverage } : {}),
    }),
  );
  return noContent();
}

// ---------------------------------------------------------------- v2 customer routes

export const listCustomerEntitlementsV2 = (c: HandlerContext): Reply => {
  const q = fromApiListEntitlementsQuery(c.query, sentQueryKeys(c));
  return ok(pageOf(c.read((tx) => svc(c).listCustomerEntitlements(tx, { ...q, customer: customerOf(c) })), (e) => toApiEntitlement(e, 'v2')));
};
export const createCustomerEntitlementV2 = (c: HandlerContext) => create(c, customerOf(c), 'v2');
export const getCustomerEntitlementV2 = (c: HandlerContext) => get(c, customerOf(c), 'v2');
export const deleteCustomerEntitlementV2 = (c: HandlerContext) => del(c, customerOf(c));
export const listCustomerEntitlementGrantsV2 = (c: HandlerContext): Reply => {
  const q = fromApiListGrantsQuery(c.query, sentQueryKeys(c));
  return ok(pageOf(c.read((tx) => svc(c).listEntitlementGrants(tx, { ...q, customer: customerOf(c), entitlement: entOf(c) })), (g) => toApiGrant(g, 'v2')));
};
export const createCustomerEntitlementGrantV2 = (c: HandlerContext) => createGrantH(c, customerOf(c), 'v2');
export const getCustomerEntitlementHistoryV2 = (c: HandlerContext) => history(c, customerOf(c));
export const overrideCustomerEntitlementV2 = (c: HandlerContext) => override(c, customerOf(c), 'v2');
export const resetCustomerEntitlementUsageV2 = (c: HandlerContext) => reset(c, customerOf(c));
export const getCustomerEntitlementValueV2 = (c: HandlerContext) => value(c, customerOf(c), 'v2');

export const listEntitlementsV2 = (c: HandlerContext): Reply => {
  const q = fromApiListEntitlementsQuery(c.query, sentQueryKeys(c));
  return ok(pageOf(c.read((tx) => svc(c).listEntitlements(tx, q)), (e) => toApiEntitlement(e, 'v2')));
};
export const getEntitlementByIdV2 = (c: HandlerContext): Reply => ok(toApiEntitlement(c.read((tx) => svc(c).getEntitlementById(tx, c.params.entitlementId!)), 'v2'));
export const listGrantsV2 = (c: HandlerContext): Reply => {
  const q = fromApiListGrantsQuery(c.query, sentQueryKeys(c));
  return ok(pageOf(c.read((tx) => svc(c).listGrants(tx, q)), (g) => toApiGrant(g, 'v2')));
};

// ---------------------------------------------------------------- v1 customer reads and global lists

export const getCustomerEntitlementValue = (c: HandlerContext) => value(c, customerOf(c), 'v1', c.params.featureKey!);
export const getCustomerAccess = (c: HandlerContext): Reply => {
  const access = c.read((tx) => svc(c).getCustomerAccess(tx, { customer: customerOf(c) }));
  return ok({ entitlements: Object.fromEntries(Object.entries(access).map(([k, v]) => [k, toApiEntitlementValue(v, 'v1')])) });
};
export const listEntitlements = (c: HandlerContext): Reply => {
  const sent = sentQueryKeys(c);
  const page = c.read((tx) => svc(c).listEntitlements(tx, fromApiListEntitlementsQuery(c.query, sent)));
  return ok(wantsPage(sent) ? pageOf(page, (e) => toApiEntitlement(e, 'v1')) : page.items.map((e) => toApiEntitlement(e, 'v1')));
};
export const getEntitlementById = (c: HandlerContext): Reply => ok(toApiEntitlement(c.read((tx) => svc(c).getEntitlementById(tx, c.params.entitlementId!)), 'v1'));
export const listGrants = (c: HandlerContext): Reply => {
  const sent = sentQueryKeys(c);
  const page = c.read((tx) => svc(c).listGrants(tx, fromApiListGrantsQuery(c.query, sent)));
  return ok(wantsPage(sent) ? pageOf(page, (g) => toApiGrant(g, 'v1')) : page.items.map((g) => toApiGrant(g, 'v1')));
};
export const voidGrant = async (c: HandlerContext): Promise<Reply> => {
  const at = parseInstant(c.query.at, 'at');
  await c.run((tx) => svc(c).voidGrant(tx, { grantId: c.params.grantId!, ...(at ? { at } : {}) }));
  return noContent();
};

// ---------------------------------------------------------------- legacy subject routes

export const listSubjectEntitlements = (c: HandlerContext): Reply => {
  const all = c.read((tx) =>
    svc(c).listCustomerEntitlements(tx, { customer: subjectOf(c), pageSize: 1000, ...(c.query.includeDeleted === true ? { includeDeleted: true } : {}) }),
  );
  return ok(all.items.map((e) => toApiEntitlement(e, 'v1')));
};
export const createEntitlement = (c: HandlerContext) => create(c, subjectOf(c), 'v1');
export const listEntitlementGrants = (c: HandlerContext): Reply => {
  const orderBy = c.query.orderBy === 'id' || c.query.orderBy === 'createdAt' || c.query.orderBy === 'updatedAt' ? c.query.orderBy : undefined;
  const page = c.read((tx) =>
    svc(c).listEntitlementGrants(tx, {
      customer: subjectOf(c),
      entitlement: entOf(c),
      pageSize: 1000,
      ...(c.query.includeDeleted === true ? { includeDeleted: true } : {}),
      ...(orderBy ? { orderBy } : {}),
    }),
  );
  return ok(page.items.map((g) => toApiGrant(g, 'v1')));
};
export const createGrant = (c: HandlerContext) => createGrantH(c, subjectOf(c), 'v1');
export const overrideEntitlement = (c: HandlerContext) => override(c, subjectOf(c), 'v1');
export const getEntitlementValue = (c: HandlerContext) => value(c, subjectOf(c), 'v1');
export const getEntitlement = (c: HandlerContext) => get(c, subjectOf(c), 'v1');
export const deleteEntitlement = (c: HandlerContext) => del(c, subjectOf(c));
export const getEntitlementHistory = (c: HandlerContext) => history(c, subjectOf(c));
export const resetEntitlementUsage = (c: HandlerContext) => reset(c, subjectOf(c));
