import { KeyFormat } from '../../../domain/apikeys/apiKeyFormat.ts';
import { noContent, ok, type HandlerContext, type Reply } from '../../http/types.ts';
import { fromApiConsumerCreate, fromApiKeyInput, toApiBucket, toApiConsumer, toApiKey, toApiList, toApiManager, type ConsumerShape } from '../convert/apikeys.ts';
import { audited, tagsOf } from './common.ts';

const svc = (c: HandlerContext) => c.services.apiKeys;
const keyFormatOf = (c: HandlerContext): KeyFormat => (c.query['key-format'] as KeyFormat | undefined) ?? KeyFormat.visible;
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const p = (c: HandlerContext) => c.params as Record<string, string>;

function shapeOf(c: HandlerContext): ConsumerShape {
  return {
    apiKeys: c.query['include-api-keys'] === true,
    managers: c.query['include-managers'] === true,
    managerInvites: c.query['include-manager-invites'] === true,
    keyFormat: keyFormatOf(c),
  };
}

// ---- buckets
export function listBuckets(c: HandlerContext): Reply {
  const list = c.read((tx) => svc(c).listBuckets(tx, tagsOf(c)));
  return ok({ data: list.map(toApiBucket), limit: 1000, offset: 0, total: list.length });
}

export async function createBucket(c: HandlerContext): Promise<Reply> {
  const body = c.body as { name: string; tags?: Record<string, string> };
  const b = await audited(c, 'key-bucket.create', (r) => ({ type: 'key-bucket', id: r?.id ?? body.name }), () => c.run((tx) => svc(c).createBucket(tx, body)));
  return ok(toApiBucket(b));
}

export function getBucket(c: HandlerContext): Reply {
  const b = c.read((tx) => svc(c).getBucket(tx, p(c).bucketName!));
  return ok(toApiBucket(b));
}

export async function updateBucket(c: HandlerContext): Promise<Reply> {
  const name = p(c).bucketName!;
  const b = await audited(c, 'key-bucket.update', (r) => ({ type: 'key-bucket', id: r?.id ?? name }), () => c.run((tx) => svc(c).updateBucket(tx, name, c.body as { tags?: Record<string, string> })));
  return ok(toApiBucket(b));
}

export async function deleteBucket(c: HandlerContext): Promise<Reply> {
  const name = p(c).bucketName!;
  await audited(c, 'key-bucket.delete', () => ({ type: 'key-bucket', id: name }), () => c.run((tx) => svc(c).deleteBucket(tx, name)));
  return noContent();
}

// ---- consumers
export function listConsumers(c: HandlerContext): Reply {
  const shape = shapeOf(c);
  const managerEmail = c.query['manager-email'] as string | undefined;
  const page = c.read((tx) => svc(c).listConsumers(tx, p(c).bucketName!, { limit: num(c.query.limit), offset: num(c.query.offset), tags: tagsOf(c), ...(managerEmail ? { managerEmail } : {}) }));
  return ok(toApiList(page, (v) => toApiConsumer(v, shape)));
}

export async function createConsumer(c: HandlerContext): Promise<Reply> {
  const input = fromApiConsumerCreate(c.body as Record<string, unknown>, c.query['with-api-key'] === true);
  const v = await audited(c, 'consumer.create', (r) => ({ type: 'consumer', id: r?.consumer.id ?? input.name }), () => c.run((tx) => svc(c).createConsumer(tx, p(c).bucketName!, input)));
  // the caller just asked for these: the new keys come back in full (`?with-api-key=true`)
  return ok(toApiConsumer(v, { apiKeys: v.apiKeys.length > 0, managers: v.managers.length > 0, managerInvites: v.consumer.managerInvites.length > 0, keyFormat: KeyFormat.visible }));
}

export function getConsumer(c: HandlerContext): Reply {
  const v = c.read((tx) => svc(c).getConsumer(tx, p(c).bucketName!, p(c).consumerName!, tagsOf(c)));
  return ok(toApiConsumer(v, shapeOf(c)));
}

export async function updateConsumer(c: HandlerContext): Promise<Reply> {
  const { bucketName, consumerName } = p(c);
  const v = await audited(c, 'consumer.update', (r) => ({ type: 'consumer', id: r?.consumer.id ?? consumerName! }), () =>
    c.run((tx) => svc(c).updateConsumer(tx, bucketName!, consumerName!, c.body as { tags?: Record<string, string>; metadata?: Record<string, string>; description?: string }, tagsOf(c))),
  );
  return ok(toApiConsumer(v, shapeOf(c)));
}

export async function deleteConsumer(c: HandlerContext): Promise<Reply> {
  const { bucketName, consumerName } = p(c);
  await audited(c, 'consumer.delete', () => ({ type: 'consumer', id: consumerName! }), () => c.run((tx) => svc(c).deleteConsumer(tx, bucketName!, consumerName!, tagsOf(c))));
  return noContent();
}

export async function rollKey(c: HandlerContext): Promise<Reply> {
  const { bucketName, consumerName } = p(c);
  const { expiresOn } = c.body as { expiresOn: string };
  await audited(c, 'consumer.roll-key', () => ({ type: 'consumer', id: consumerName! }), () => c.run((tx) => svc(c).rollKey(tx, bucketName!, consumerName!, expiresOn, tagsOf(c))));
  return noContent();
}

// ---- keys
export function listKeys(c: HandlerContext): Reply {
  const fmt = keyFormatOf(c);
  const page = c.read((tx) => svc(c).listKeys(tx, p(c).bucketName!, p(c).consumerName!, { limit: num(c.query.limit), offset: num(c.query.offset), tags: tagsOf(c) }));
  return ok(toApiList(page, (k) => toApiKey(k, fmt)));
}

export async function createKey(c: HandlerContext): Promise<Reply> {
  const { bucketName, consumerName } = p(c);
  const [k] = await audited(c, 'api-key.create', (r) => ({ type: 'api-key', id: r?.[0]?.id ?? consumerName! }), () =>
    c.run((tx) => svc(c).createKeys(tx, bucketName!, consumerName!, [fromApiKeyInput(c.body as Record<string, string>)], tagsOf(c))),
  );
  return ok(toApiKey(k!));
}

export async function bulkCreateKeys(c: HandlerContext): Promise<Reply> {
  const { bucketName, consumerName } = p(c);
  const inputs = (c.body as Array<Record<string, string>>).map((b) => fromApiKeyInput(b));
  const keys = await audited(c, 'api-key.bulk-create', () => ({ type: 'consumer', id: consumerName! }), () => c.run((tx) => svc(c).createKeys(tx, bucketName!, consumerName!, inputs, tagsOf(c))));
  return ok({ data: keys.map((k) => toApiKey(k)), limit: 1000, offset: 0, total: keys.length });
}

export function getKey(c: HandlerContext): Reply {
  const k = c.read((tx) => svc(c).getKey(tx, p(c).bucketName!, p(c).consumerName!, p(c).keyId!, tagsOf(c)));
  return ok(toApiKey(k, keyFormatOf(c)));
}

export async function updateKey(c: HandlerContext): Promise<Reply> {
  const { bucketName, consumerName, keyId } = p(c);
  const k = await audited(c, 'api-key.update', () => ({ type: 'api-key', id: keyId! }), () =>
    c.run((tx) => svc(c).updateKey(tx, bucketName!, consumerName!, keyId!, fromApiKeyInput(c.body as Record<string, string>), tagsOf(c))),
  );
  return ok(toApiKey(k));
}

export async function deleteKey(c: HandlerContext): Promise<Reply> {
  const { bucketName, consumerName, keyId } = p(c);
  await audited(c, 'api-key.delete', () => ({ type: 'api-key', id: keyId! }), () => c.run((tx) => svc(c).deleteKey(tx, bucketName!, consumerName!, keyId!, tagsOf(c))));
  return noContent();
}

// ---- managers
export function listManagers(c: HandlerContext): Reply {
  const page = c.read((tx) => svc(c).listManagers(tx, p(c).bucketName!, p(c).consumerName!, { limit: num(c.query.limit), offset: num(c.query.offset) }));
  return ok(toApiList(page, toApiManager));
}

export async function createManager(c: HandlerContext): Promise<Reply> {
  const { bucketName, consumerName } = p(c);
  const m = await audited(c, 'consumer-manager.create', (r) => ({ type: 'consumer-manager', id: r?.id ?? consumerName! }), () =>
    c.run((tx) => svc(c).createManager(tx, bucketName!, consumerName!, c.body as { email: string; sub: string })),
  );
  return ok(toApiManager(m));
}

export async function deleteManager(c: HandlerContext): Promise<Reply> {
  const { bucketName, consumerName, managerId } = p(c);
  await audited(c, 'consumer-manager.delete', () => ({ type: 'consumer-manager', id: managerId! }), () => c.run((tx) => svc(c).deleteManager(tx, bucketName!, consumerName!, managerId!)));
  return noContent();
}
