import { describe, expect, it } from 'vitest';
import { createMemoryUnitOfWork } from '../../store/memoryUnitOfWork.ts';
import { FixedClock } from '../shared/clock.ts';
import { DomainError } from '../shared/errors.ts';
import { SequentialIds } from '../shared/ids.ts';
import { formatKey, generateApiKey, isWellFormedApiKey } from './apiKeyFormat.ts';
import { ApiKeyService } from './ApiKeyService.ts';

function setup() {
  const clock = new FixedClock(new Date('2026-01-01T00:00:00Z'));
  const svc = new ApiKeyService({ clock, ids: new SequentialIds() });
  const tx = createMemoryUnitOfWork('zuplo-account:test');
  svc.createBucket(tx, { name: 'bucket-one' });
  return { clock, svc, tx };
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  throw new Error('expected a DomainError');
};

describe('API key format', () => {
  it('is zpka_<32 hex>_<8 hex> with a checksum that detects tampering', () => {
    const k = generateApiKey('01J00000000000000000000001');
    expect(k).toMatch(/^zpka_[0-9a-f]{32}_[0-9a-f]{8}$/);
    expect(isWellFormedApiKey(k)).toBe(true);
    const tampered = k.replace(/^zpka_./, (m) => (m.endsWith('0') ? 'zpka_1' : 'zpka_0'));
    expect(isWellFormedApiKey(tampered)).toBe(false);
    expect(generateApiKey('01J00000000000000000000001')).toBe(k);
    expect(generateApiKey('01J00000000000000000000002')).not.toBe(k);
  });

  it.each([
    ['visible', 'zpka_0123456789abcdef0123456789abcdef_89abcdef'],
    ['masked', '****89abcdef'],
    ['none', undefined],
  ] as const)('formats %s', (fmt, expected) => {
    expect(formatKey('zpka_0123456789abcdef0123456789abcdef_89abcdef', fmt)).toBe(expected);
  });
});

describe('ApiKeyService', () => {
  it('rolls keys: valid keys get the expiry, expired and earlier-expiring keys keep theirs', () => {
    const { svc, tx } = setup();
    const c = svc.createConsumer(tx, 'bucket-one', { name: 'c1', withApiKey: true, apiKeys: [{ expiresOn: '2025-12-01T00:00:00Z' }, { expiresOn: '2026-01-02T00:00:00Z' }] });
    const [expired, soon, open] = [c.apiKeys[0]!, c.apiKeys[1]!, c.apiKeys[2]!];
    const fresh = svc.rollKey(tx, 'bucket-one', 'c1', '2026-01-05T00:00:00Z');
    const byId = new Map(svc.listKeys(tx, 'bucket-one', 'c1').items.map((k) => [k.id, k]));
    expect(byId.get(expired.id)!.expiresOn).toBe('2025-12-01T00:00:00.000Z');
    expect(byId.get(soon.id)!.expiresOn).toBe('2026-01-02T00:00:00.000Z');
    expect(byId.get(open.id)!.expiresOn).toBe('2026-01-05T00:00:00.000Z');
    expect(byId.get(fresh.id)!.expiresOn).toBeNull();
  });

  it('authenticates only keys that are valid now', () => {
    const { svc, tx, clock } = setup();
    const c = svc.createConsumer(tx, 'bucket-one', { name: 'c1', withApiKey: true });
    const key = c.apiKeys[0]!.key;
    expect(svc.authenticateKey(tx, key)?.consumer.name).toBe('c1');
    svc.rollKey(tx, 'bucket-one', 'c1', '2026-01-01T01:00:00Z');
    expect(svc.authenticateKey(tx, key)).toBeDefined();
    clock.set(new Date('2026-01-01T01:00:00Z'));
    expect(svc.authenticateKey(tx, key)).toBeUndefined();
  });

  it('treats tag filters as authorization and cascades deletes', () => {
    const { svc, tx } = setup();
    svc.createConsumer(tx, 'bucket-one', { name: 'c1', tags: { orgId: 'a' }, withApiKey: true });
    expect(codeOf(() => svc.deleteConsumer(tx, 'bucket-one', 'c1', { orgId: 'b' }))).toBe('consumer_not_found');
    svc.deleteBucket(tx, 'bucket-one');
    expect(tx.collection('zuplo_api_keys').count()).toBe(0);
    expect(tx.collection('zuplo_consumers').count()).toBe(0);
  });

  it('creates project buckets once per environment type', () => {
    const { svc, tx } = setup();
    const first = svc.ensureProjectBuckets(tx, { accountName: 'acc', projectName: 'Lime_Fox' });
    expect(first.map((b) => b.name)).toEqual(['zprj-lime-fox-production', 'zprj-lime-fox-preview', 'zprj-lime-fox-working-copy']);
    expect(svc.ensureProjectBuckets(tx, { accountName: 'acc', projectName: 'Lime_Fox' }).map((b) => b.id)).toEqual(first.map((b) => b.id));
  });

  it('rejects duplicate names and keys', () => {
    const { svc, tx } = setup();
    expect(codeOf(() => svc.createBucket(tx, { name: 'bucket-one' }))).toBe('bucket_name_taken');
    svc.createConsumer(tx, 'bucket-one', { name: 'c1', apiKeys: [{ key: 'same' }] });
    expect(codeOf(() => svc.createConsumer(tx, 'bucket-one', { name: 'c1' }))).toBe('consumer_name_taken');
    expect(codeOf(() => svc.createKeys(tx, 'bucket-one', 'c1', [{ key: 'same' }]))).toBe('api_key_taken');
  });
});
