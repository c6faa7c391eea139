import { describe, expect, it } from 'vitest';
import { createMemoryUnitOfWork } from '../../store/memoryUnitOfWork.ts';
import { FeatureService } from '../catalog/FeatureService.ts';
import { FixedClock } from '../shared/clock.ts';
import { DomainError } from '../shared/errors.ts';
import { SequentialIds } from '../shared/ids.ts';
import { NotificationErrorCode as E } from './errors.ts';
import { NotificationService } from './NotificationService.ts';
import type { RuleInput } from './types.ts';

const T0 = new Date('2026-03-01T10:00:00.000Z');

function setup() {
  const clock = new FixedClock(T0);
  const ids = new SequentialIds();
  // the catalog proper, without meters: these features are static
  const features = new FeatureService({ clock, ids, meters: { findLiveMeter: () => undefined } });
  const svc = new NotificationService({ clock, ids, features });
  const tx = createMemoryUnitOfWork('ns');
  const channel = svc.createChannel(tx, { name: 'hook', url: 'http://localhost:4000/hook' });
  const addTokens = () => features.createFeature(tx, { key: 'tokens', name: 'Tokens' }).id;
  return { clock, svc, tx, channel, addTokens };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return `${e.kind}:${e.code}`;
    throw e;
  }
  return 'no error';
}

describe('NotificationService channels', () => {
  it('generates an svix-shaped secret whose base64 part decodes, and keeps it across updates', () => {
    const { svc, tx, channel } = setup();
    expect(channel.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/=]{32,100}$/);
    expect(Buffer.from(channel.signingSecret.slice(6), 'base64').length).toBeGreaterThanOrEqual(32);
    const upd = svc.updateChannel(tx, { id: channel.id, name: 'renamed', url: 'https://example.com/x' });
    expect(upd).toMatchObject({ name: 'renamed', signingSecret: channel.signingSecret, disabled: false });
  });

  it.each([
    ['empty name', { name: ' ', url: 'http://localhost/x' }, 'validation:notification_channel_invalid'],
    ['relative url', { name: 'a', url: '/hook' }, 'validation:notification_channel_invalid'],
    ['ftp url', { name: 'a', url: 'ftp://h/x' }, 'validation:notification_channel_invalid'],
    ['bad secret', { name: 'a', url: 'http://h/x', signingSecret: 'whsec_short' }, 'validation:notification_channel_invalid'],
    ['ok', { name: 'a', url: 'http://h/x', signingSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, 'no error'],
  ])('validates a channel: %s', (_n, input, expected) => {
    const { svc, tx } = setup();
    expect(codeOf(() => svc.createChannel(tx, input))).toBe(expected);
  });

  it('refuses to delete a channel an active rule uses, allows it once the rule is deleted', () => {
    const { svc, tx, channel } = setup();
    const rule = svc.createRule(tx, { type: 'invoice.created', name: 'r', channels: [channel.id] });
    expect(codeOf(() => svc.deleteChannel(tx, { id: channel.id }))).toBe(`validation:${E.channelInUse}`);
    svc.deleteRule(tx, { id: rule.id });
    svc.deleteChannel(tx, { id: channel.id });
    expect(svc.getChannel(tx, { id: channel.id }).deletedAt).toBe(T0.toISOString());
    expect(codeOf(() => svc.deleteChannel(tx, { id: channel.id }))).toBe(`notFound:${E.channelNotFound}`);
    // a deleted channel cannot be referenced by a new rule
    expect(codeOf(() => svc.createRule(tx, { type: 'invoice.created', name: 'r', channels: [channel.id] }))).toBe(`validation:${E.unknownChannel}`);
  });
});

describe('NotificationService rules', () => {
  const base = (channels: string[]): RuleInput => ({ type: 'entitlements.balance.threshold', name: 'r', channels, thresholds: [{ value: 80, type: 'PERCENT' }] });

  it.each<[string, (ch: string) => RuleInput, string]>([
    ['unknown channel', () => base(['01J0000000000000000000ZZZZ']), `validation:${E.unknownChannel}`],
    ['no channels', () => base([]), `validation:${E.ruleInvalid}`],
    ['threshold rule without thresholds', (ch) => ({ ...base([ch]), thresholds: [] }), `validation:${E.ruleInvalid}`],
    ['negative threshold', (ch) => ({ ...base([ch]), thresholds: [{ value: -1, type: 'NUMBER' }] }), `validation:${E.ruleInvalid}`],
    ['thresholds on an invoice rule', (ch) => ({ type: 'invoice.created', name: 'r', channels: [ch], thresholds: [{ value: 1, type: 'NUMBER' }] }), `validation:${E.ruleInvalid}`],
    ['features on an invoice rule', (ch) => ({ type: 'invoice.updated', name: 'r', channels: [ch], features: ['tokens'] }), `validation:${E.ruleInvalid}`],
    ['unknown feature', (ch) => ({ ...base([ch]), features: ['nope'] }), `validation:${E.unknownFeature}`],
    ['valid', (ch) => ({ ...base([ch]), features: ['tokens'] }), 'no error'],
  ])('validates a rule: %s', (_n, make, expected) => {
    const { svc, tx, channel, addTokens } = setup();
    addTokens();
    expect(codeOf(() => svc.createRule(tx, make(channel.id)))).toBe(expected);
  });

  it('resolves features by key, dedupes channels, and forbids a type change', () => {
    const { svc, tx, channel, addTokens } = setup();
    const tokensId = addTokens();
    const r = svc.createRule(tx, { ...base([channel.id, channel.id]), features: ['tokens', tokensId] });
    expect(r.channelIds).toEqual([channel.id]);
    expect(r.features).toEqual([{ id: tokensId, key: 'tokens' }]);
    expect(codeOf(() => svc.updateRule(tx, { id: r.id, type: 'entitlements.reset', name: 'x', channels: [channel.id] }))).toBe(`validation:${E.ruleInvalid}`);
  });
});

describe('NotificationService events', () => {
  it('test creates a PENDING event with an example payload; outcomes and resends are recorded', () => {
    const { svc, tx, channel, clock } = setup();
    const disabled = svc.createChannel(tx, { name: 'off', url: 'http://localhost/off', disabled: true });
    const rule = svc.createRule(tx, { type: 'entitlements.reset', name: 'r', channels: [channel.id, disabled.id] });
    const ev = svc.testRule(tx, { id: rule.id });
    expect(ev.payload).toMatchObject({ id: ev.id, type: 'entitlements.reset', timestamp: T0.toISOString() });
    expect(ev.payload.data).toHaveProperty('entitlement');
    // a disabled channel gets nothing
    expect(ev.deliveryStatus.map((d) => [d.channelId, d.state])).toEqual([[channel.id, 'PENDING']]);
    expect(svc.pendingDeliveries(tx, { eventId: ev.id }).map((p) => p.channel.id)).toEqual([channel.id]);

    clock.set(new Date('2026-03-01T10:00:05.000Z'));
    svc.recordDelivery(tx, { eventId: ev.id, channelId: channel.id, state: 'FAILED', reason: 'receiver answered HTTP 500', statusCode: 500, body: 'x', durationMs: 3.4 });
    expect(svc.pendingDeliveries(tx, { eventId: ev.id })).toEqual([]);
    const resent = svc.resendEvent(tx, { id: ev.id });
    expect(resent.deliveryStatus[0]).toMatchObject({ state: 'RESENDING', updatedAt: '2026-03-01T10:00:05.000Z' });
    const done = svc.recordDelivery(tx, { eventId: ev.id, channelId: channel.id, state: 'SUCCESS', reason: '', statusCode: 204, body: '', durationMs: 1 });
    expect(done.deliveryStatus[0]!.attempts.map((a) => [a.state, a.response.statusCode, a.response.durationMs])).toEqual([
      ['FAILED', 500, 3],
      ['SUCCESS', 204, 1],
    ]);
    // later edits of the rule do not rewrite the event's copy
    svc.updateRule(tx, { id: rule.id, type: 'entitlements.reset', name: 'renamed', channels: [channel.id] });
    expect(svc.getEvent(tx, { id: ev.id }).rule.name).toBe('r');
    expect(codeOf(() => svc.resendEvent(tx, { id: ev.id, channels: [disabled.id] }))).toBe(`validation:${E.unknownChannel}`);
  });

  it('filters events by rule, channel, time window and paginates', () => {
    const { svc, tx, channel, clock } = setup();
    const other = svc.createChannel(tx, { name: 'o', url: 'http://localhost/o' });
    const r1 = svc.createRule(tx, { type: 'invoice.created', name: 'a', channels: [channel.id] });
    const r2 = svc.createRule(tx, { type: 'invoice.updated', name: 'b', channels: [other.id] });
    const e1 = svc.testRule(tx, { id: r1.id });
    clock.set(new Date('2026-03-02T00:00:00.000Z'));
    const e2 = svc.testRule(tx, { id: r2.id });
    const ids = (q: Parameters<NotificationService['listEvents']>[1]) => svc.listEvents(tx, q).items.map((e) => e.id);
    expect(ids({})).toEqual([e1.id, e2.id]);
    expect(ids({ order: 'DESC' })).toEqual([e2.id, e1.id]);
    expect(ids({ rules: [r2.id] })).toEqual([e2.id]);
    expect(ids({ channels: [channel.id] })).toEqual([e1.id]);
    expect(ids({ from: '2026-03-01T12:00:00Z' })).toEqual([e2.id]);
    expect(ids({ to: '2026-03-01T12:00:00Z' })).toEqual([e1.id]);
    expect(svc.listEvents(tx, { page: 2, pageSize: 1 })).toMatchObject({ totalCount: 2, page: 2, pageSize: 1, items: [{ id: e2.id }] });
    expect(codeOf(() => svc.listEvents(tx, { pageSize: 0 }))).toBe(`validation:${E.invalidPagination}`);
    expect(codeOf(() => svc.getEvent(tx, { id: 'nope' }))).toBe(`notFound:${E.eventNotFound}`);
  });
});
