import type { Clock } from '../shared/clock.ts';
import { conflict, notFound, validationError } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import { paginate } from '../shared/paging.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { generateApiKey } from './apiKeyFormat.ts';
import { ApiKeyErrorCode as E } from './errors.ts';
import { prefixedId } from './ids.ts';
import { ProjectEnvironmentTypes, projectBucketName } from './projectBuckets.ts';
import type { ApiKey, Consumer, ConsumerCreateInput, ConsumerView, KeyBucket, KeyInput, Manager, Page } from './types.ts';

const BUCKETS = 'zuplo_key_buckets';
const CONSUMERS = 'zuplo_consumers';
const KEYS = 'zuplo_api_keys';
const MANAGERS = 'zuplo_consumer_managers';

const BUCKET_NAME = /^[a-z0-9-]{5,128}$/;
const CONSUMER_NAME = /^[a-z0-9-]{1,128}$/;
export const MAX_PAGE = 1000;

/** `tag.<name>=<value>` filters: every pair must be on the record. */
export type TagFilter = Record<string, string>;
const matchesTags = (tags: Record<string, string>, filter: TagFilter = {}): boolean =>
  Object.entries(filter).every(([k, v]) => tags[k] === v);

/** Zuplo clamps out-of-range limits and offsets instead of refusing them. */
const page = <T>(all: T[], limit = MAX_PAGE, offset = 0): Page<T> =>
  paginate(all, { limit: Math.min(Math.max(1, Math.trunc(limit) || 1), MAX_PAGE), offset: Math.max(0, Math.trunc(offset) || 0) });

/**
 * Zuplo's API-key service: buckets → consumers → keys and managers. Tag filters on single-record
 * operations act as authorization (a consumer without the tags is "not found"), as the docs describe
 * for `DELETE …/consumers/org_123?tag.orgId=org_123`.
 */
export class ApiKeyService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator }) {}

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  // ---- buckets
  listBuckets(tx: UnitOfWork, tags: TagFilter = {}): KeyBucket[] {
    return tx.collection<KeyBucket>(BUCKETS).find((b) => matchesTags(b.tags, tags));
  }

  createBucket(tx: UnitOfWork, input: { name: string; tags?: Record<string, string> }): KeyBucket {
    if (!BUCKET_NAME.test(input.name)) throw validationError(E.invalidName, `bucket name '${input.name}' must match ${BUCKET_NAME.source}`);
    const col = tx.collection<KeyBucket>(BUCKETS);
    if (col.findOne((b) => b.name === input.name)) throw conflict(E.bucketNameTaken, `a bucket named '${input.name}' already exists`);
    const now = this.now();
    const b: KeyBucket = { id: prefixedId('bckt', this.deps.ids.next(), 32), name: input.name, tags: { ...(input.tags ?? {}) }, isRetrievable: true, createdOn: now, updatedOn: now };
    col.put(b);
    return b;
  }

  /** accepts the bucket's name or its `bckt_` id */
  getBucket(tx: UnitOfWork, nameOrId: string): KeyBucket {
    const b = tx.collection<KeyBucket>(BUCKETS).findOne((x) => x.name === nameOrId || x.id === nameOrId);
    if (!b) throw notFound(E.bucketNotFound, `bucket '${nameOrId}' not found`);
    return b;
  }

  updateBucket(tx: UnitOfWork, nameOrId: string, input: { tags?: Record<string, string> }): KeyBucket {
    const b = this.getBucket(tx, nameOrId);
    const next: KeyBucket = { ...b, tags: input.tags !== undefined ? { ...input.tags } : b.tags, updatedOn: this.now() };
    tx.collection<KeyBucket>(BUCKETS).put(next);
    return next;
  }

  deleteBucket(tx: UnitOfWork, nameOrId: string): void {
    const b = this.getBucket(tx, nameOrId);
    for (const c of tx.collection<Consumer>(CONSUMERS).find((x) => x.bucketId === b.id)) this.removeConsumer(tx, c);
    tx.collection<KeyBucket>(BUCKETS).delete(b.id);
  }

  /**
   * Every Zuplo project gets one bucket per environment type, tagged so `zuplo bucket list` can show
   * which project and environment it serves. Idempotent.
   */
  ensureProjectBuckets(tx: UnitOfWork, input: { accountName: string; projectName: string }): KeyBucket[] {
    const out: KeyBucket[] = [];
    for (const envType of ProjectEnvironmentTypes) {
      const existing = tx.collection<KeyBucket>(BUCKETS).findOne((b) => b.tags.project === input.projectName && b.tags.environmentType === envType);
      if (existing) {
        out.push(existing);
        continue;
      }
      out.push(this.createBucket(tx, { name: projectBucketName(input.projectName, envType), tags: { account: input.accountName, project: input.projectName, environmentType: envType } }));
    }
    return out;
  }

  // ---- consumers
  listConsumers(tx: UnitOfWork, bucket: string, input: { limit?: number; offset?: number; tags?: TagFilter; managerEmail?: string } = {}): Page<ConsumerView> {
    const b = this.getBucket(tx, bucket);
    const managers = tx.collection<Manager>(MANAGERS);
    const all = tx
      .collection<Consumer>(CONSUMERS)
      .find((c) => c.bucketId === b.id && matchesTags(c.tags, input.tags))
      .filter((c) => {
        if (!input.managerEmail) return true;
        const email = input.managerEmail.toLowerCase();
        return c.managerInvites.some((m) => m.toLowerCase() === email) || managers.findOne((m) => m.consumerId === c.id && m.email.toLowerCase() === email) !== undefined;
      });
    const p = page(all, input.limit, input.offset);
    return { ...p, items: p.items.map((c) => this.view(tx, c)) };
  }

  createConsumer(tx: UnitOfWork, bucket: string, input: ConsumerCreateInput): ConsumerView {
    const b = this.getBucket(tx, bucket);
    if (!CONSUMER_NAME.test(input.name)) throw validationError(E.invalidName, `consumer name '${input.name}' must match ${CONSUMER_NAME.source}`);
    const col = tx.collection<Consumer>(CONSUMERS);
    if (col.findOne((c) => c.bucketId === b.id && c.name === input.name)) throw conflict(E.consumerNameTaken, `a consumer named '${input.name}' already exists in bucket '${b.name}'`);
    const now = this.now();
    const invites = (input.managers ?? []).filter((m): m is string => typeof m === 'string');
    const c: Consumer = {
      id: prefixedId('csmr', this.deps.ids.next()),
      bucketId: b.id,
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      tags: { ...(input.tags ?? {}) },
      metadata: { ...(input.metadata ?? {}) },
      managerInvites: invites,
      createdOn: now,
      updatedOn: now,
    };
    col.put(c);
    for (const m of input.managers ?? []) if (typeof m !== 'string') this.addManager(tx, c, m);
    for (const k of input.apiKeys ?? []) this.addKey(tx, c, k);
    if (input.withApiKey) this.addKey(tx, c, {});
    return this.view(tx, c);
  }

  getConsumer(tx: UnitOfWork, bucket: string, name: string, tags: TagFilter = {}): ConsumerView {
    return this.view(tx, this.findConsumer(tx, bucket, name, tags));
  }

  updateConsumer(tx: UnitOfWork, bucket: string, name: string, input: { tags?: Record<string, string>; metadata?: Record<string, unknown>; description?: string }, tags: TagFilter = {}): ConsumerView {
    const c = this.findConsumer(tx, bucket, name, tags);
    const next: Consumer = {
      ...c,
      ...(input.description !== undefined ? { description: input.description } : {}),
      tags: input.tags !== undefined ? { ...input.tags } : c.tags,
      metadata: input.metadata !== undefined ? { ...input.metadata } : c.metadata,
      updatedOn: this.now(),
    };
    tx.collection<Consumer>(CONSUMERS).put(next);
    return this.view(tx, next);
  }

  deleteConsumer(tx: UnitOfWork, bucket: string, name: string, tags: TagFilter = {}): void {
    this.removeConsumer(tx, this.findConsumer(tx, bucket, name, tags));
  }

  /**
   * Issues a new non-expiring key and makes every other key that is still valid expire at
   * `expiresOn` (a past instant revokes them now). Keys that already expire earlier keep their date.
   */
  rollKey(tx: UnitOfWork, bucket: string, name: string, expiresOn: string, tags: TagFilter = {}): ApiKey {
    const c = this.findConsumer(tx, bucket, name, tags);
    const at = Date.parse(expiresOn);
    if (Number.isNaN(at)) throw validationError(E.invalidExpiresOn, `expiresOn '${expiresOn}' is not a date-time`);
    const nowMs = this.deps.clock.now().getTime();
    const keys = tx.collection<ApiKey>(KEYS);
    const iso = new Date(at).toISOString();
    for (const k of keys.find((x) => x.consumerId === c.id)) {
      const exp = k.expiresOn === null ? Infinity : Date.parse(k.expiresOn);
      if (exp <= nowMs || exp <= at) continue;
      keys.put({ ...k, expiresOn: iso, updatedOn: this.now() });
    }
    return this.addKey(tx, c, {});
  }

  // ---- keys
  listKeys(tx: UnitOfWork, bucket: string, consumer: string, input: { limit?: number; offset?: number; tags?: TagFilter } = {}): Page<ApiKey> {
    const c = this.findConsumer(tx, bucket, consumer, input.tags);
    return page(this.keysOf(tx, c.id), input.limit, input.offset);
  }

  createKeys(tx: UnitOfWork, bucket: string, consumer: string, inputs: KeyInput[], tags: TagFilter = {}): ApiKey[] {
    const c = this.findConsumer(tx, bucket, consumer, tags);
    const out = inputs.map((k) => this.addKey(tx, c, k));
    tx.collection<Consumer>(CONSUMERS).put({ ...c, updatedOn: this.now() });
    return out;
  }

  getKey(tx: UnitOfWork, bucket: string, consumer: string, keyId: string, tags: TagFilter = {}): ApiKey {
    const c = this.findConsumer(tx, bucket, consumer, tags);
    const k = tx.collection<ApiKey>(KEYS).get(keyId);
    if (!k || k.consumerId !== c.id) throw notFound(E.keyNotFound, `API key '${keyId}' not found`);
    return k;
  }

  updateKey(tx: UnitOfWork, bucket: string, consumer: string, keyId: string, input: KeyInput, tags: TagFilter = {}): ApiKey {
    const k = this.getKey(tx, bucket, consumer, keyId, tags);
    const next: ApiKey = {
      ...k,
      ...(input.expiresOn !== undefined ? { expiresOn: input.expiresOn === null ? null : this.instant(input.expiresOn) } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      updatedOn: this.now(),
    };
    tx.collection<ApiKey>(KEYS).put(next);
    return next;
  }

  deleteKey(tx: UnitOfWork, bucket: string, consumer: string, keyId: string, tags: TagFilter = {}): void {
    const k = this.getKey(tx, bucket, consumer, keyId, tags);
    tx.collection<ApiKey>(KEYS).delete(k.id);
  }

  /**
   * A presented key with its consumer and bucket, expired or not (Zuplo's validate-api-key answers
   * an expired key with its `expiresOn` and lets the gateway refuse it); undefined when unknown.
   */
  findKey(tx: UnitOfWork, key: string): { bucket: KeyBucket; consumer: Consumer; apiKey: ApiKey } | undefined {
    const k = tx.collection<ApiKey>(KEYS).findOne((x) => x.key === key);
    const consumer = k ? tx.collection<Consumer>(CONSUMERS).get(k.consumerId) : undefined;
    const bucket = consumer ? tx.collection<KeyBucket>(BUCKETS).get(consumer.bucketId) : undefined;
    return k && consumer && bucket ? { bucket, consumer, apiKey: k } : undefined;
  }

  /** what a gateway does with a presented key: the consumer it belongs to, if valid now */
  authenticateKey(tx: UnitOfWork, key: string): { bucket: KeyBucket; consumer: Consumer; apiKey: ApiKey } | undefined {
    const k = tx.collection<ApiKey>(KEYS).findOne((x) => x.key === key);
    if (!k) return undefined;
    if (k.expiresOn !== null && Date.parse(k.expiresOn) <= this.deps.clock.now().getTime()) return undefined;
    const consumer = tx.collection<Consumer>(CONSUMERS).get(k.consumerId);
    const bucket = consumer ? tx.collection<KeyBucket>(BUCKETS).get(consumer.bucketId) : undefined;
    return consumer && bucket ? { bucket, consumer, apiKey: k } : undefined;
  }

  // ---- managers
  listManagers(tx: UnitOfWork, bucket: string, consumer: string, input: { limit?: number; offset?: number } = {}): Page<Manager> {
    const c = this.findConsumer(tx, bucket, consumer);
    return page(tx.collection<Manager>(MANAGERS).find((m) => m.consumerId === c.id), input.limit, input.offset);
  }

  createManager(tx: UnitOfWork, bucket: string, consumer: string, input: { email: string; sub: string }): Manager {
    const c = this.findConsumer(tx, bucket, consumer);
    const m = this.addManager(tx, c, input);
    // a direct manager supersedes a pending invite for the same address
    const invites = c.managerInvites.filter((e) => e.toLowerCase() !== input.email.toLowerCase());
    tx.collection<Consumer>(CONSUMERS).put({ ...c, managerInvites: invites, updatedOn: this.now() });
    return m;
  }

  deleteManager(tx: UnitOfWork, bucket: string, consumer: string, managerId: string): void {
    const c = this.findConsumer(tx, bucket, consumer);
    const m = tx.collection<Manager>(MANAGERS).get(managerId);
    if (!m || m.consumerId !== c.id) throw notFound(E.managerNotFound, `manager '${managerId}' not found`);
    tx.collection<Manager>(MANAGERS).delete(m.id);
  }

  // ---- internals
  private findConsumer(tx: UnitOfWork, bucket: string, name: string, tags: TagFilter = {}): Consumer {
    const b = this.getBucket(tx, bucket);
    const c = tx.collection<Consumer>(CONSUMERS).findOne((x) => x.bucketId === b.id && (x.name === name || x.id === name));
    if (!c || !matchesTags(c.tags, tags)) throw notFound(E.consumerNotFound, `consumer '${name}' not found`);
    return c;
  }

  private keysOf(tx: UnitOfWork, consumerId: string): ApiKey[] {
    return tx.collection<ApiKey>(KEYS).find((k) => k.consumerId === consumerId);
  }

  private view(tx: UnitOfWork, c: Consumer): ConsumerView {
    return { consumer: c, apiKeys: this.keysOf(tx, c.id), managers: tx.collection<Manager>(MANAGERS).find((m) => m.consumerId === c.id) };
  }

  private instant(s: string): string {
    const t = Date.parse(s);
    if (Number.isNaN(t)) throw validationError(E.invalidExpiresOn, `expiresOn '${s}' is not a date-time`);
    return new Date(t).toISOString();
  }

  private addKey(tx: UnitOfWork, c: Consumer, input: KeyInput): ApiKey {
    const keys = tx.collection<ApiKey>(KEYS);
    const ulid = this.deps.ids.next();
    const key = input.key ?? generateApiKey(ulid);
    if (keys.findOne((k) => k.key === key)) throw conflict(E.keyTaken, 'an API key with this value already exists');
    const now = this.now();
    const k: ApiKey = {
      id: prefixedId('key', ulid),
      bucketId: c.bucketId,
      consumerId: c.id,
      key,
      ...(input.description !== undefined ? { description: input.description } : {}),
      expiresOn: input.expiresOn ? this.instant(input.expiresOn) : null,
      createdOn: now,
      updatedOn: now,
    };
    keys.put(k);
    return k;
  }

  private addManager(tx: UnitOfWork, c: Consumer, input: { email: string; sub: string }): Manager {
    const m: Manager = { id: prefixedId('eusr', this.deps.ids.next()), consumerId: c.id, email: input.email, sub: input.sub, createdOn: this.now() };
    tx.collection<Manager>(MANAGERS).put(m);
    return m;
  }

  private removeConsumer(tx: UnitOfWork, c: Consumer): void {
    for (const k of this.keysOf(tx, c.id)) tx.collection<ApiKey>(KEYS).delete(k.id);
    for (const m of tx.collection<Manager>(MANAGERS).find((x) => x.consumerId === c.id)) tx.collection<Manager>(MANAGERS).delete(m.id);
    tx.collection<Consumer>(CONSUMERS).delete(c.id);
  }
}
