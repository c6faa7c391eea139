/**
 * OpenMeter v1 subscriptions (`/api/v1/subscriptions`, `/api/v1/customers/{id}/subscriptions`).
 * Zuplo's `/v3/metering/{bucketId}` surface can reuse these as they are (the bucket is the namespace).
 */
import type { components } from '../api.gen.ts';
import { DomainError, ErrorKind } from '../../../domain/shared/errors.ts';
import { noContent, ok, type HandlerContext, type Reply } from '../../http/types.ts';
import { sentQueryKeys } from '../../http/sentQueryKeys.ts';
import { toApiPage } from '../convert/paging.ts';
import {
  fromApiEditOperation,
  fromApiListCustomerSubscriptionsQuery,
  fromApiSubscriptionChange,
  fromApiSubscriptionCreate,
  toApiSubscription,
  toApiSubscriptionAddon,
  toApiSubscriptionExpanded,
} from '../convert/subscriptions.ts';

type S = components['schemas'];

const subs = (c: HandlerContext) => c.services.subscriptions;
const idOf = (c: HandlerContext) => c.params.subscriptionId!;
const body = (c: HandlerContext) => (c.body ?? {}) as Record<string, unknown>;

export async function createSubscription(c: HandlerContext): Promise<Reply> {
  const input = fromApiSubscriptionCreate(c.body as S['SubscriptionCreate']);
  return ok(toApiSubscription(await c.run((tx) => subs(c).createSubscription(tx, input))), 201);
}

export function getSubscription(c: HandlerContext): Reply {
  // The real handler refuses `?at=` before it looks the subscription up
  // (productcatalog/subscription/http/get.go).
  if (c.query.at !== undefined) {
    throw new DomainError(ErrorKind.notImplemented, 'not_implemented', 'historical queries are not supported');
  }
  return ok(toApiSubscriptionExpanded(c.read((tx) => subs(c).getSubscription(tx, { id: idOf(c) }))));
}

export function listCustomerSubscriptions(c: HandlerContext): Reply {
  const input = fromApiListCustomerSubscriptionsQuery(c.params.customerIdOrKey!, c.query, sentQueryKeys(c));
  return ok(toApiPage(c.read((tx) => subs(c).listSubscriptions(tx, input)), toApiSubscription));
}

export async function deleteSubscription(c: HandlerContext): Promise<Reply> {
  await c.run((tx) => subs(c).deleteSubscription(tx, { id: idOf(c) }));
  return noContent();
}

export async function editSubscription(c: HandlerContext): Promise<Reply> {
  const b = c.body as S['SubscriptionEdit'];
  const input = { id: idOf(c), customizations: (b.customizations ?? []).map(fromApiEditOperation), ...(b.timing !== undefined ? { timing: b.timing } : {}) };
  return ok(toApiSubscription(await c.run((tx) => subs(c).editSubscription(tx, input))));
}

export async function cancelSubscription(c: HandlerContext): Promise<Reply> {
  const timing = body(c).timing as string | undefined;
  return ok(toApiSubscription(await c.run((tx) => subs(c).cancelSubscription(tx, { id: idOf(c), ...(timing !== undefined ? { timing } : {}) }))));
}

export async function unscheduleCancelation(c: HandlerContext): Promise<Reply> {
  return ok(toApiSubscription(await c.run((tx) => subs(c).unscheduleCancelation(tx, { id: idOf(c) }))));
}

export async function restoreSubscription(c: HandlerContext): Promise<Reply> {
  return ok(toApiSubscription(await c.run((tx) => subs(c).restoreSubscription(tx, { id: idOf(c) }))));
}

export async function changeSubscription(c: HandlerContext): Promise<Reply> {
  const input = fromApiSubscriptionChange(idOf(c), c.body as S['SubscriptionChange']);
  const res = await c.run((tx) => subs(c).changeSubscription(tx, input));
  return ok({ current: toApiSubscription(res.current), next: toApiSubscriptionExpanded(res.next) });
}

export async function migrateSubscription(c: HandlerContext): Promise<Reply> {
  const b = body(c);
  const input = {
    id: idOf(c),
    ...(typeof b.timing === 'string' ? { timing: b.timing } : {}),
    ...(typeof b.targetVersion === 'number' ? { targetVersion: b.targetVersion } : {}),
    ...(typeof b.startingPhase === 'string' ? { startingPhase: b.startingPhase } : {}),
    ...(typeof b.billingAnchor === 'string' ? { billingAnchor: b.billingAnchor } : {}),
  };
  const res = await c.run((tx) => subs(c).migrateSubscription(tx, input));
  return ok({ current: toApiSubscription(res.current), next: toApiSubscriptionExpanded(res.next) });
}

export function listSubscriptionAddons(c: HandlerContext): Reply {
  const addons = c.read((tx) => subs(c).listSubscriptionAddons(tx, { subscriptionId: idOf(c), pageSize: 1000 }));
  return ok(addons.items.map(toApiSubscriptionAddon));
}

export async function createSubscriptionAddon(c: HandlerContext): Promise<Reply> {
  const b = c.body as S['SubscriptionAddonCreate'];
  const input = {
    subscriptionId: idOf(c),
    addonId: b.addon.id,
    quantity: b.quantity,
    timing: b.timing as string,
    name: b.name,
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.metadata ? { metadata: b.metadata as Record<string, string> } : {}),
  };
  return ok(toApiSubscriptionAddon(await c.run((tx) => subs(c).createSubscriptionAddon(tx, input))), 201);
}

export function getSubscriptionAddon(c: HandlerContext): Reply {
  const a = c.read((tx) => subs(c).getSubscriptionAddon(tx, { subscriptionId: idOf(c), subscriptionAddonId: c.params.subscriptionAddonId! }));
  return ok(toApiSubscriptionAddon(a));
}

export async function updateSubscriptionAddon(c: HandlerContext): Promise<Reply> {
  const b = c.body as S['SubscriptionAddonUpdate'];
  const input = {
    subscriptionId: idOf(c),
    subscriptionAddonId: c.params.subscriptionAddonId!,
    ...(b.quantity !== undefined ? { quantity: b.quantity } : {}),
    ...(b.timing !== undefined ? { timing: b.timing as string } : {}),
    ...(b.name !== undefined ? { name: b.name } : {}),
    ...(b.metadata ? { metadata: b.metadata as Record<string, string> } : {}),
  };
  return ok(toApiSubscriptionAddon(await c.run((tx) => subs(c).updateSubscriptionAddon(tx, input))));
}
