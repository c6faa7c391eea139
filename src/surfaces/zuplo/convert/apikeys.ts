import { formatKey, KeyFormat } from '../../../domain/apikeys/apiKeyFormat.ts';
import type { ApiKey, ConsumerCreateInput, ConsumerView, KeyBucket, KeyInput, Manager, Page } from '../../../domain/apikeys/types.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];

export const toApiBucket = (b: KeyBucket): S['Zuplo.ApiKeys.Bucket'] => ({
  id: b.id,
  name: b.name,
  createdOn: b.createdOn,
  updatedOn: b.updatedOn,
  isRetrievable: b.isRetrievable,
  tags: b.tags,
});

export function toApiKey(k: ApiKey, format: KeyFormat = KeyFormat.visible): S['Zuplo.ApiKeys.ApiKey'] & { description?: string } {
  const key = formatKey(k.key, format);
  return {
    id: k.id,
    createdOn: k.createdOn,
    updatedOn: k.updatedOn,
    ...(k.expiresOn !== null ? { expiresOn: k.expiresOn } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(k.description !== undefined ? { description: k.description } : {}),
  };
}

export const toApiManager = (m: Manager) => ({ id: m.id, createdOn: m.createdOn, email: m.email, sub: m.sub });

export interface ConsumerShape {
  apiKeys: boolean;
  managers: boolean;
  managerInvites: boolean;
  keyFormat: KeyFormat;
}

export function toApiConsumer(v: ConsumerView, shape: ConsumerShape): S['Zuplo.ApiKeys.Consumer'] & Record<string, unknown> {
  const c = v.consumer;
  return {
    id: c.id,
    name: c.name,
    createdOn: c.createdOn,
    updatedOn: c.updatedOn,
    ...(c.description !== undefined ? { description: c.description } : {}),
    tags: c.tags,
    metadata: c.metadata as Record<string, string>,
    ...(shape.apiKeys ? { apiKeys: v.apiKeys.map((k) => toApiKey(k, shape.keyFormat)) } : {}),
    ...(shape.managers ? { managers: v.managers.map(toApiManager) } : {}),
    ...(shape.managerInvites ? { managerInvites: c.managerInvites.map((email) => ({ email })) } : {}),
  };
}

export const toApiList = <T, U>(p: Page<T>, f: (x: T) => U) => ({ data: p.items.map(f), limit: p.pageSize, offset: p.offset, total: p.totalCount });

export const fromApiKeyInput = (b: { expiresOn?: string | null; key?: string; description?: string } | undefined): KeyInput => ({
  ...(b?.key !== undefined ? { key: b.key } : {}),
  ...(b?.expiresOn !== undefined ? { expiresOn: b.expiresOn } : {}),
  ...(b?.description !== undefined ? { description: b.description } : {}),
});

export function fromApiConsumerCreate(body: Record<string, unknown>, withApiKey: boolean): ConsumerCreateInput {
  const managers = Array.isArray(body.managers) ? (body.managers as Array<string | { email: string; sub: string }>) : undefined;
  const apiKeys = Array.isArray(body.apiKeys) ? (body.apiKeys as Array<Record<string, string>>).map((k) => fromApiKeyInput(k)) : undefined;
  return {
    name: body.name as string,
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
    ...(body.tags ? { tags: body.tags as Record<string, string> } : {}),
    ...(body.metadata ? { metadata: body.metadata as Record<string, unknown> } : {}),
    ...(managers ? { managers } : {}),
    ...(apiKeys ? { apiKeys } : {}),
    withApiKey,
  };
}
