import { EffectType } from '../shared/effects.ts';
import type { FeatureDirectory } from './ports.ts';
import type { Clock } from '../shared/clock.ts';
import { DomainError, ErrorKind, IssueCollector, notFound, validationError } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { paginate, sortBy } from '../shared/paging.ts';
import { NotificationErrorCode as E } from './errors.ts';
import { examplePayload } from './examplePayloads.ts';
import {
  ChannelType,
  DeliveryState,
  NotificationCollections as Col,
  NotificationEventType,
  NOTIFICATION_EVENT_TYPES,
  ThresholdType,
  type ChannelInput,
  type DeliveryOutcome,
  type FeatureRef,
  type ListChannelsInput,
  type ListEventsInput,
  type ListRulesInput,
  type NotificationChannel,
  type NotificationEvent,
  type NotificationRule,
  type Page,
  type PendingDelivery,
  type RuleInput,
} from './types.ts';

const SECRET_RE = /^(whsec_)?[a-zA-Z0-9+/=]{32,100}$/;
const ENTITLEMENT_TYPES: readonly string[] = [NotificationEventType.balanceThreshold, NotificationEventType.entitlementReset];
const THRESHOLD_TYPES: readonly string[] = Object.values(ThresholdType);

/**
 * Notification channels, rules and events (OpenMeter v1). Pure bookkeeping: the HTTP POST of a
 * delivery happens in the runtime, which reads `pendingDeliveries` after the command commits and
 * writes each outcome back with `recordDelivery`.
 */
export class NotificationService {
  private readonly rulesOfTx = new WeakMap<UnitOfWork, NotificationRule[]>();

  constructor(private readonly deps: { clock: Clock; ids: IdGenerator; features: FeatureDirectory }) {}

  // ── channels ───────────────────────────────────────────────────────────

  listChannels(tx: UnitOfWork, input: ListChannelsInput = {}): Page<NotificationChannel> {
    const all = tx
      .collection<NotificationChannel>(Col.channels)
      .find((c) => (input.includeDeleted || !c.deletedAt) && (input.includeDisabled || !c.disabled));
    return paginate(sortBy(all, fieldOf(input.orderBy ?? 'id'), input.order), input);
  }

  createChannel(tx: UnitOfWork, input: ChannelInput): NotificationChannel {
    this.validateChannel(input);
    const now = this.now();
    const channel: NotificationChannel = {
      id: this.deps.ids.next(),
      type: ChannelType.webhook,
      name: input.name,
      disabled: input.disabled ?? false,
      url: input.url,
      ...(input.customHeaders && Object.keys(input.customHeaders).length ? { customHeaders: { ...input.customHeaders } } : {}),
      // Deterministic under seeded ids; the emulator's secrets are for signing tests, not security.
      signingSecret: input.signingSecret ?? `whsec_${this.deps.ids.next()}${this.deps.ids.next()}`,
      ...(input.metadata ? { metadata: { ...input.metadata } } : {}),
      createdAt: now,
      updatedAt: now,
    };
    tx.collection<NotificationChannel>(Col.channels).put(channel);
    return channel;
  }

  getChannel(tx: UnitOfWork, input: { id: string }): NotificationChannel {
    const c = tx.collection<NotificationChannel>(Col.channels).get(input.id);
    if (!c) throw notFound(E.channelNotFound, `notification channel not found: ${input.id}`);
    return c;
  }

  /** PUT semantics: omitted optional fields are cleared, except the secret, which is kept. */
  updateChannel(tx: UnitOfWork, input: ChannelInput & { id: string }): NotificationChannel {
    const cur = this.getChannel(tx, input);
    if (cur.deletedAt) throw validationError(E.updateAfterDelete, 'cannot update channel: channel is deleted');
    this.validateChannel(input);
    const next: NotificationChannel = {
      id: cur.id,
      type: cur.type,
      name: input.name,
      disabled: input.disabled ?? false,
      url: input.url,
      ...(input.customHeaders && Object.keys(input.customHeaders).length ? { customHeaders: { ...input.customHeaders } } : {}),
      signingSecret: input.signingSecret ?? cur.signingSecret,
      ...(input.metadata ? { metadata: { ...input.metadata } } : {}),
      createdAt: cur.createdAt,
      updatedAt: this.now(),
    };
    tx.collection<NotificationChannel>(Col.channels).put(next);
    return next;
  }

  deleteChannel(tx: UnitOfWork, input: { id: string }): void {
    const cur = this.getChannel(tx, input);
    if (cur.deletedAt) throw notFound(E.channelNotFound, `notification channel not found: ${input.id}`);
    const users = tx.collection<NotificationRule>(Col.rules).find((r) => !r.deletedAt && r.channelIds.includes(cur.id));
    if (users.length) {
      // a plain validation error, no issues (openmeter/notification/service/channel.go)
      throw new DomainError(
        ErrorKind.validation,
        E.channelInUse,
        `failed to delete channel as it is assigned to one or more rules [namespace=${tx.namespace} channel.id=${cur.id}]: [${users.map((r) => r.id).join(' ')}]`,
      );
    }
    const now = this.now();
    tx.collection<NotificationChannel>(Col.channels).put({ ...cur, deletedAt: now, updatedAt: now });
  }

  // ── rules ──────────────────────────────────────────────────────────────

  listRules(tx: UnitOfWork, input: ListRulesInput = {}): Page<NotificationRule> {
    const features = input.features?.length ? new Set(input.features) : undefined;
    const channels = input.channels?.length ? new Set(input.channels) : undefined;
    const all = tx.collection<NotificationRule>(Col.rules).find(
      (r) =>
        (input.includeDeleted || !r.deletedAt) &&
        (input.includeDisabled || !r.disabled) &&
        (!features || (r.features ?? []).some((f) => features.has(f.id) || features.has(f.key))) &&
        (!channels || r.channelIds.some((c) => channels.has(c))),
    );
    return paginate(sortBy(all, fieldOf(input.orderBy ?? 'id'), input.order), input);
  }

  createRule(tx: UnitOfWork, input: RuleInput): NotificationRule {
    const resolved = this.validateRule(tx, input);
    const now = this.now();
    const rule: NotificationRule = { id: this.deps.ids.next(), ...resolved, createdAt: now, updatedAt: now };
    tx.collection<NotificationRule>(Col.rules).put(rule);
    return rule;
  }

  getRule(tx: UnitOfWork, input: { id: string }): NotificationRule {
    const r = tx.collection<NotificationRule>(Col.rules).get(input.id);
    if (!r) throw notFound(E.ruleNotFound, `notification rule not found: ${input.id}`);
    return r;
  }

  updateRule(tx: UnitOfWork, input: RuleInput & { id: string }): NotificationRule {
    const cur = this.getRule(tx, input);
    if (cur.deletedAt) throw validationError(E.updateAfterDelete, 'cannot update rule: rule is deleted');
    if (input.type !== cur.type) {
      throw validationError(E.ruleInvalid, `cannot change the type of a rule from ${cur.type} to ${input.type}`, [
        { code: E.ruleInvalid, message: 'rule type cannot be changed', field: 'type' },
      ]);
    }
    const next: NotificationRule = { id: cur.id, ...this.validateRule(tx, input), createdAt: cur.createdAt, updatedAt: this.now() };
    tx.collection<NotificationRule>(Col.rules).put(next);
    return next;
  }

  deleteRule(tx: UnitOfWork, input: { id: string }): void {
    const cur = this.getRule(tx, input);
    if (cur.deletedAt) throw notFound(E.ruleNotFound, `notification rule not found: ${input.id}`);
    const now = this.now();
    tx.collection<NotificationRule>(Col.rules).put({ ...cur, deletedAt: now, updatedAt: now });
  }

  /** Creates an event with an example payload of the rule's type, pending on each usable channel. */
  testRule(tx: UnitOfWork, input: { id: string }): NotificationEvent {
    const rule = this.getRule(tx, input);
    if (rule.deletedAt) throw notFound(E.ruleNotFound, `notification rule not found: ${input.id}`);
    const now = this.now();
    const id = this.deps.ids.next();
    const channels = tx.collection<NotificationChannel>(Col.channels);
    const event: NotificationEvent = {
      id,
      type: rule.type,
      createdAt: now,
      rule,
      payload: examplePayload(rule, { id, now, newId: () => this.deps.ids.next() }),
      deliveryStatus: rule.channelIds
        .map((cid) => channels.get(cid))
        .filter((c): c is NotificationChannel => !!c && !c.deletedAt && !c.disabled)
        .map((c) => ({ channelId: c.id, state: DeliveryState.pending, reason: '', updatedAt: now, attempts: [] })),
      annotations: { 'notification.rule.test': true },
    };
    tx.collection<NotificationEvent>(Col.events).put(event);
    if (event.deliveryStatus.length > 0) tx.afterCommit({ type: EffectType.deliverNotification, eventId: event.id });
    return event;
  }

  // ── events ─────────────────────────────────────────────────────────────

  /**
   * A real event of `type` (an invoice created or updated): one notification event per enabled
   * rule of that type, pending on each usable channel of the rule, delivered after commit.
   */
  /** Whether raising an event of `type` would do anything (a live rule listens for it). */
  listens(tx: UnitOfWork, type: NotificationEventType): boolean {
    return this.liveRules(tx).some((r) => r.type === type);
  }

  /** a billing run raises an event per invoice transition: the rules are read once per unit of work */
  private liveRules(tx: UnitOfWork): NotificationRule[] {
    let live = this.rulesOfTx.get(tx);
    if (!live) {
      live = tx.collection<NotificationRule>(Col.rules).find((r) => !r.deletedAt && !r.disabled);
      this.rulesOfTx.set(tx, live);
    }
    return live;
  }

  raiseEvent(tx: UnitOfWork, input: { type: NotificationEventType; data: () => Record<string, unknown> }): NotificationEvent[] {
    const rules = this.liveRules(tx).filter((r) => r.type === input.type);
    if (rules.length === 0) return [];
    const channels = tx.collection<NotificationChannel>(Col.channels);
    const now = this.now();
    // the payload is built only when some rule wants it
    const data = input.data();
    return rules.map((rule) => {
      const id = this.deps.ids.next();
      const event: NotificationEvent = {
        id,
        type: input.type,
        createdAt: now,
        rule,
        payload: { id, type: input.type, timestamp: now, data },
        deliveryStatus: rule.channelIds
          .map((cid) => channels.get(cid))
          .filter((c): c is NotificationChannel => !!c && !c.deletedAt && !c.disabled)
          .map((c) => ({ channelId: c.id, state: DeliveryState.pending, reason: '', updatedAt: now, attempts: [] })),
      };
      tx.collection<NotificationEvent>(Col.events).put(event);
      if (event.deliveryStatus.length > 0) tx.afterCommit({ type: EffectType.deliverNotification, eventId: event.id });
      return event;
    });
  }


  listEvents(tx: UnitOfWork, input: ListEventsInput = {}): Page<NotificationEvent> {
    const set = (xs?: string[]) => (xs?.length ? new Set(xs) : undefined);
    const [features, subjects, rules, channels] = [set(input.features), set(input.subjects), set(input.rules), set(input.channels)];
    const from = input.from ? Date.parse(input.from) : undefined;
    const to = input.to ? Date.parse(input.to) : undefined;
    const all = tx.collection<NotificationEvent>(Col.events).find((e) => {
      const at = Date.parse(e.createdAt);
      const data = e.payload.data as { feature?: { id?: string; key?: string }; subject?: { id?: string; key?: string } };
      return (
        (from === undefined || at >= from) &&
        (to === undefined || at <= to) &&
        (!rules || rules.has(e.rule.id)) &&
        (!channels || e.deliveryStatus.some((d) => channels.has(d.channelId))) &&
        (!features || matchesRef(features, data.feature)) &&
        (!subjects || matchesRef(subjects, data.subject))
      );
    });
    return paginate(sortBy(all, fieldOf(input.orderBy ?? 'createdAt'), input.order), input);
  }

  getEvent(tx: UnitOfWork, input: { id: string }): NotificationEvent {
    const e = tx.collection<NotificationEvent>(Col.events).get(input.id);
    if (!e) throw notFound(E.eventNotFound, `notification event not found: ${input.id}`);
    return e;
  }

  /** Marks the event's delivery to the given channels (all of them when none given) as RESENDING. */
  resendEvent(tx: UnitOfWork, input: { id: string; channels?: string[] }): NotificationEvent {
    const cur = this.getEvent(tx, input);
    const wanted = input.channels?.length ? new Set(input.channels) : undefined;
    if (wanted) {
      const unknown = [...wanted].filter((c) => !cur.deliveryStatus.some((d) => d.channelId === c));
      if (unknown.length) {
        throw validationError(E.unknownChannel, `event was not sent to channel(s): ${unknown.join(', ')}`, unknown.map((c) => ({ code: E.unknownChannel, message: `event was not sent to channel ${c}`, field: 'channels' })));
      }
    }
    const now = this.now();
    const next: NotificationEvent = {
      ...cur,
      deliveryStatus: cur.deliveryStatus.map((d) =>
        !wanted || wanted.has(d.channelId) ? { ...d, state: DeliveryState.resending, reason: 'resend requested', updatedAt: now } : d,
      ),
    };
    tx.collection<NotificationEvent>(Col.events).put(next);
    tx.afterCommit({ type: EffectType.deliverNotification, eventId: next.id });
    return next;
  }

  /** Deliveries waiting for the runtime: PENDING or RESENDING, to channels that still exist. */
  pendingDeliveries(tx: UnitOfWork, input: { eventId: string }): PendingDelivery[] {
    const e = this.getEvent(tx, { id: input.eventId });
    const channels = tx.collection<NotificationChannel>(Col.channels);
    const out: PendingDelivery[] = [];
    for (const d of e.deliveryStatus) {
      if (d.state !== DeliveryState.pending && d.state !== DeliveryState.resending) continue;
      const channel = channels.get(d.channelId);
      if (channel) out.push({ eventId: e.id, channel, payload: e.payload });
    }
    return out;
  }

  /** Records the outcome of one POST; a deleted channel is still recorded (the attempt happened). */
  recordDelivery(tx: UnitOfWork, outcome: DeliveryOutcome): NotificationEvent {
    const cur = this.getEvent(tx, { id: outcome.eventId });
    if (!cur.deliveryStatus.some((d) => d.channelId === outcome.channelId)) {
      throw notFound(E.channelNotFound, `event ${cur.id} has no delivery to channel ${outcome.channelId}`);
    }
    const now = this.now();
    const next: NotificationEvent = {
      ...cur,
      deliveryStatus: cur.deliveryStatus.map((d) =>
        d.channelId !== outcome.channelId
          ? d
          : {
              ...d,
              state: outcome.state,
              reason: outcome.reason,
              updatedAt: now,
              attempts: [
                ...d.attempts,
                {
                  state: outcome.state,
                  response: {
                    ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {}),
                    body: outcome.body,
                    durationMs: Math.max(0, Math.round(outcome.durationMs)),
                    ...(outcome.url ? { url: outcome.url } : {}),
                  },
                  timestamp: now,
                },
              ],
            },
      ),
    };
    tx.collection<NotificationEvent>(Col.events).put(next);
    return next;
  }

  /** The channels an event's delivery statuses refer to (for encoding `channel: {id, type}`). */
  channelsOf(tx: UnitOfWork, ids: string[]): NotificationChannel[] {
    const col = tx.collection<NotificationChannel>(Col.channels);
    return ids.map((id) => col.get(id)).filter((c): c is NotificationChannel => !!c);
  }

  // ── internals ──────────────────────────────────────────────────────────

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  private validateChannel(input: ChannelInput): void {
    const issues = new IssueCollector();
    if (typeof input.name !== 'string' || input.name.trim() === '') issues.add(E.channelInvalid, 'name must not be empty', 'name');
    if (!isHttpUrl(input.url)) issues.add(E.channelInvalid, `invalid url: must be an absolute http(s) URL: ${String(input.url)}`, 'url');
    if (input.signingSecret !== undefined && !SECRET_RE.test(input.signingSecret)) {
      issues.add(E.channelInvalid, 'invalid signingSecret: expected whsec_ followed by 32-100 base64 characters', 'signingSecret');
    }
    issues.throwIfAny(E.channelInvalid);
  }

  private validateRule(tx: UnitOfWork, input: RuleInput): Omit<NotificationRule, 'id' | 'createdAt' | 'updatedAt'> {
    const issues = new IssueCollector();
    if (!NOTIFICATION_EVENT_TYPES.includes(input.type)) issues.add(E.ruleInvalid, `invalid rule type: ${String(input.type)}`, 'type');
    if (typeof input.name !== 'string' || input.name.trim() === '') issues.add(E.ruleInvalid, 'name must not be empty', 'name');
    if (!Array.isArray(input.channels) || input.channels.length === 0) issues.add(E.ruleInvalid, 'at least one channel is required', 'channels');
    const channels = tx.collection<NotificationChannel>(Col.channels);
    const channelIds = [...new Set(input.channels ?? [])];
    channelIds.forEach((id, i) => {
      const c = channels.get(id);
      if (!c || c.deletedAt) issues.add(E.unknownChannel, `channel not found: ${id}`, `channels[${i}]`);
    });
    const isEntitlementRule = ENTITLEMENT_TYPES.includes(input.type);
    let features: FeatureRef[] | undefined;
    if (input.features?.length) {
      if (!isEntitlementRule) issues.add(E.ruleInvalid, `features are not supported for rule type ${input.type}`, 'features');
      features = [];
      input.features.forEach((idOrKey, i) => {
        const f = this.deps.features.findFeature(tx, idOrKey);
        if (!f) issues.add(E.unknownFeature, `feature not found: ${idOrKey}`, `features[${i}]`);
        else if (!features!.some((x) => x.id === f.id)) features!.push({ id: f.id, key: f.key });
      });
    }
    let thresholds = input.thresholds;
    if (input.type === NotificationEventType.balanceThreshold) {
      if (!thresholds?.length) issues.add(E.ruleInvalid, 'at least one threshold is required', 'thresholds');
      else if (thresholds.length > 10) issues.add(E.ruleInvalid, 'at most 10 thresholds are allowed', 'thresholds');
      (thresholds ?? []).forEach((t, i) => {
        if (!THRESHOLD_TYPES.includes(t.type)) issues.add(E.ruleInvalid, `invalid threshold type: ${String(t.type)}`, `thresholds[${i}].type`);
        if (typeof t.value !== 'number' || !Number.isFinite(t.value) || t.value <= 0) {
          issues.add(E.ruleInvalid, 'threshold value must be a positive number', `thresholds[${i}].value`);
        }
      });
    } else if (thresholds?.length) {
      issues.add(E.ruleInvalid, `thresholds are not supported for rule type ${input.type}`, 'thresholds');
    } else thresholds = undefined;
    issues.throwIfAny(E.ruleInvalid);
    return {
      type: input.type,
      name: input.name,
      disabled: input.disabled ?? false,
      channelIds,
      ...(features?.length ? { features } : {}),
      ...(thresholds?.length ? { thresholds: thresholds.map((t) => ({ value: t.value, type: t.type })) } : {}),
      ...(input.metadata ? { metadata: { ...input.metadata } } : {}),
    };
  }
}

function isHttpUrl(u: unknown): boolean {
  if (typeof u !== 'string') return false;
  try {
    const p = new URL(u);
    return p.protocol === 'http:' || p.protocol === 'https:';
  } catch {
    return false;
  }
}

function matchesRef(set: Set<string>, ref?: { id?: string; key?: string }): boolean {
  return !!ref && ((ref.id !== undefined && set.has(ref.id)) || (ref.key !== undefined && set.has(ref.key)));
}

const fieldOf =
  (key: string) =>
  (x: object): string =>
    String((x as Record<string, unknown>)[key] ?? '');
