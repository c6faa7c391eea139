/**
 * Konnect v3 subscriptions (`/openmeter/subscriptions`): the same subscriptions as OpenMeter v1,
 * in the `BillingSubscription` shape.
 */
import type { Subscription } from '../../../domain/subscriptions/types.ts';
import { ok, type Handler, type HandlerContext } from '../../http/types.ts';
import { applyFilters, pageOf, parseFilters, parsePage, parseSort, sortItems } from '../aip.ts';
import { fromApiSubscriptionChange, fromApiSubscriptionCreate, toApiSubscription, toApiSubscriptionAddon } from '../convert/subscriptions.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];

const subs = (c: HandlerContext) => c.services.subscriptions;
const idOf = (c: HandlerContext) => c.params.subscriptionId!;

const subscriptionField = (s: Subscription, k: string): string | undefined =>
  ({ id: s.id, customer_id: s.customerId, plan_id: s.plan?.id, plan_key: s.plan?.key, status: s.status, active_from: s.activeFrom, active_to: s.activeTo })[k];

const ULID_OPS = ['eq', 'oeq', 'neq'] as const;

export const listSubscriptions: Handler = (c) => {
  const filters = parseFilters(c.query.filter, {
    id: { kind: 'string', ops: ULID_OPS },
    customer_id: { kind: 'string', ops: ULID_OPS },
    plan_id: { kind: 'string', ops: ULID_OPS },
    plan_key: { kind: 'string', ops: ['eq', 'oeq'] },
    // only eq and oeq operators are supported for status (evaluated at request time)
    status: { kind: 'string', ops: ['eq', 'oeq'] },
  });
  const sort = parseSort(c.query.sort, ['id', 'active_from', 'active_to'], [{ field: 'active_from', desc: false }]);
  const page = parsePage(c.query.page);
  const all = c.read((tx) => subs(c).listSubscriptions(tx, { unpaged: true })).items;
  const listed = pageOf(sortItems(applyFilters(all, filters, subscriptionField), sort, subscriptionField, (s) => s.id), page, (s) => s.id);
  // the page's subscriptions in full (phases and items), as the real list answers them
  const views = c.read((tx) => subs(c).getSubscriptions(tx, { ids: listed.data }));
  return ok({ ...listed, data: views.map(toApiSubscription) });
};

export const createSubscription: Handler = async (c) => {
  const input = fromApiSubscriptionCreate(c.body as S['BillingSubscriptionCreate']);
  const id = (await c.run((tx) => subs(c).createSubscription(tx, input))).id;
  return ok(toApiSubscription(c.read((tx) => subs(c).getSubscription(tx, { id }))), 201);
};

export const getSubscription: Handler = (c) => ok(toApiSubscription(c.read((tx) => subs(c).getSubscription(tx, { id: idOf(c) }))));

export const cancelSubscription: Handler = async (c) => {
  const timing = ((c.body ?? {}) as S['BillingSubscriptionCancel']).timing as string | undefined;
  await c.run((tx) => subs(c).cancelSubscription(tx, { id: idOf(c), ...(timing !== undefined ? { timing } : {}) }));
  return ok(toApiSubscription(c.read((tx) => subs(c).getSubscription(tx, { id: idOf(c) }))));
};

export const unscheduleCancelation: Handler = async (c) => {
  await c.run((tx) => subs(c).unscheduleCancelation(tx, { id: idOf(c) }));
  return ok(toApiSubscription(c.read((tx) => subs(c).getSubscription(tx, { id: idOf(c) }))));
};

export const changeSubscription: Handler = async (c) => {
  const input = fromApiSubscriptionChange(idOf(c), c.body as S['BillingSubscriptionChange']);
  const res = await c.run((tx) => subs(c).changeSubscription(tx, input));
  const current = c.read((tx) => subs(c).getSubscription(tx, { id: res.current.id }));
  return ok({ current: toApiSubscription(current), next: toApiSubscription(res.next) });
};

export const listSubscriptionAddons: Handler = (c) => {
  const sort = parseSort(c.query.sort, ['id', 'created_at', 'updated_at'], [{ field: 'id', desc: false }]);
  const page = parsePage(c.query.page);
  const all = c.read((tx) => subs(c).listSubscriptionAddons(tx, { subscriptionId: idOf(c), pageSize: 1000 })).items;
  const field = (a: (typeof all)[number], k: string) => ({ id: a.id, created_at: a.createdAt, updated_at: a.updatedAt })[k];
  return ok(pageOf(sortItems(all, sort, field, (a) => a.id), page, toApiSubscriptionAddon));
};

export const createSubscriptionAddon: Handler = async (c) => {
  const b = c.body as S['CreateSubscriptionAddonRequest'];
  const input = {
    subscriptionId: idOf(c),
    addonId: b.addon.id,
    quantity: b.quantity,
    timing: b.timing as string,
    ...(b.labels && Object.keys(b.labels).length > 0 ? { metadata: b.labels } : {}),
  };
  return ok(toApiSubscriptionAddon(await c.run((tx) => subs(c).createSubscriptionAddon(tx, input))), 201);
};

export const getSubscriptionAddon: Handler = (c) =>
  ok(toApiSubscriptionAddon(c.read((tx) => subs(c).getSubscriptionAddon(tx, { subscriptionId: idOf(c), subscriptionAddonId: c.params.subscriptionAddonId! }))));
