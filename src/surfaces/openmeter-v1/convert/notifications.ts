import type {
  ChannelInput,
  ListChannelsInput,
  ListEventsInput,
  ListRulesInput,
  NotificationChannel,
  NotificationEvent,
  NotificationRule,
  RuleInput,
  Threshold,
} from '../../../domain/notifications/types.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];

const num = (q: Record<string, unknown>, k: string) => (typeof q[k] === 'number' ? (q[k] as number) : undefined);
const strs = (q: Record<string, unknown>, k: string): string[] | undefined => {
  const v = q[k];
  if (Array.isArray(v)) return v.map(String);
  return typeof v === 'string' ? [v] : undefined;
};
const order = (q: Record<string, unknown>) => (q.order === 'ASC' || q.order === 'DESC' ? q.order : undefined);
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function fromApiChannelInput(b: S['NotificationChannelCreateRequest']): ChannelInput {
  return defined({
    name: b.name,
    disabled: b.disabled,
    url: b.url,
    customHeaders: b.customHeaders,
    signingSecret: b.signingSecret,
    metadata: b.metadata && typeof b.metadata === 'object' ? b.metadata : undefined,
  });
}

export function fromApiRuleInput(b: S['NotificationRuleCreateRequest']): RuleInput {
  const x = b as Partial<S['NotificationRuleBalanceThresholdCreateRequest']> & { type: RuleInput['type']; name: string; channels: string[] };
  return defined({
    type: x.type,
    name: x.name,
    disabled: x.disabled,
    channels: x.channels,
    features: x.features,
    thresholds: x.thresholds?.map((t): Threshold => ({ value: t.value, type: t.type })),
    metadata: x.metadata && typeof x.metadata === 'object' ? x.metadata : undefined,
  });
}

export function fromApiListChannelsQuery(q: Record<string, unknown>): ListChannelsInput {
  return defined({
    page: num(q, 'page'),
    pageSize: num(q, 'pageSize'),
    order: order(q),
    orderBy: typeof q.orderBy === 'string' ? (q.orderBy as ListChannelsInput['orderBy']) : undefined,
    includeDeleted: q.includeDeleted === true ? true : undefined,
    includeDisabled: q.includeDisabled === true ? true : undefined,
  });
}

export function fromApiListRulesQuery(q: Record<string, unknown>): ListRulesInput {
  return defined({
    ...fromApiListChannelsQuery(q),
    features: strs(q, 'feature'),
    channels: strs(q, 'channel'),
  });
}

export function fromApiListEventsQuery(q: Record<string, unknown>): ListEventsInput {
  const time = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : q[k] instanceof Date ? (q[k] as Date).toISOString() : undefined);
  return defined({
    page: num(q, 'page'),
    pageSize: num(q, 'pageSize'),
    order: order(q),
    orderBy: typeof q.orderBy === 'string' ? (q.orderBy as ListEventsInput['orderBy']) : undefined,
    from: time('from'),
    to: time('to'),
    features: strs(q, 'feature'),
    subjects: strs(q, 'subject'),
    rules: strs(q, 'rule'),
    channels: strs(q, 'channel'),
  });
}

export function toApiChannel(c: NotificationChannel): S['NotificationChannel'] {
  return defined({
    id: c.id,
    type: c.type,
    name: c.name,
    disabled: c.disabled,
    url: c.url,
    customHeaders: c.customHeaders,
    signingSecret: c.signingSecret,
    metadata: c.metadata,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    deletedAt: c.deletedAt,
  }) as S['NotificationChannel'];
}

/** Channels are rendered as `{id, type}`; every channel is a webhook today. */
export function toApiRule(r: NotificationRule): S['NotificationRule'] {
  return defined({
    id: r.id,
    type: r.type,
    name: r.name,
    disabled: r.disabled,
    channels: r.channelIds.map((id) => ({ id, type: 'WEBHOOK' as const })),
    features: r.features?.map((f) => ({ id: f.id, key: f.key })),
    thresholds: r.thresholds?.map((t) => ({ value: t.value, type: t.type })),
    metadata: r.metadata,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    deletedAt: r.deletedAt,
  }) as S['NotificationRule'];
}

export function toApiEvent(e: NotificationEvent): S['NotificationEvent'] {
  return defined({
    id: e.id,
    type: e.type,
    createdAt: e.createdAt,
    rule: toApiRule(e.rule),
    payload: e.payload as unknown as S['NotificationEventPayload'],
    deliveryStatus: e.deliveryStatus.map((d) => ({
      state: d.state,
      reason: d.reason,
      updatedAt: d.updatedAt,
      channel: { id: d.channelId, type: 'WEBHOOK' as const },
      attempts: d.attempts.map((a) => ({ state: a.state, response: { ...a.response }, timestamp: a.timestamp })),
    })),
    annotations: e.annotations,
  }) as S['NotificationEvent'];
}
