import type { Page, PageInput } from '../shared/paging.ts';
export type { Page, PageInput };
/** Wire spellings shared by every surface that shows notifications (OpenMeter v1). */
export const NotificationEventType = {
  balanceThreshold: 'entitlements.balance.threshold',
  entitlementReset: 'entitlements.reset',
  invoiceCreated: 'invoice.created',
  invoiceUpdated: 'invoice.updated',
} as const;
export type NotificationEventType = (typeof NotificationEventType)[keyof typeof NotificationEventType];
export const NOTIFICATION_EVENT_TYPES: readonly NotificationEventType[] = Object.values(NotificationEventType);

export const ChannelType = { webhook: 'WEBHOOK' } as const;
export type ChannelType = (typeof ChannelType)[keyof typeof ChannelType];

export const DeliveryState = {
  success: 'SUCCESS',
  failed: 'FAILED',
  sending: 'SENDING',
  pending: 'PENDING',
  resending: 'RESENDING',
} as const;
export type DeliveryState = (typeof DeliveryState)[keyof typeof DeliveryState];

export const ThresholdType = {
  percent: 'PERCENT',
  number: 'NUMBER',
  balanceValue: 'balance_value',
  usagePercentage: 'usage_percentage',
  usageValue: 'usage_value',
} as const;
export type ThresholdType = (typeof ThresholdType)[keyof typeof ThresholdType];

export const NotificationCollections = {
  channels: 'notificationChannels',
  rules: 'notificationRules',
  events: 'notificationEvents',
} as const;

/** A webhook channel (`notificationChannels`). */
export interface NotificationChannel {
  id: string;
  type: ChannelType;
  name: string;
  disabled: boolean;
  url: string;
  customHeaders?: Record<string, string>;
  /** svix-style `whsec_<base64>`; generated when the caller gives none */
  signingSecret: string;
  metadata?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** soft delete: the channel stays readable by id but receives nothing */
  deletedAt?: string;
}

export interface ChannelInput {
  name: string;
  disabled?: boolean;
  url: string;
  customHeaders?: Record<string, string>;
  signingSecret?: string;
  metadata?: Record<string, string> | null;
}

export interface Threshold {
  /** a JSON number on the wire (`format: double`), kept as the caller sent it */
  value: number;
  type: ThresholdType;
}

export interface FeatureRef {
  id: string;
  key: string;
}

/** A rule (`notificationRules`): which event type goes to which channels. */
export interface NotificationRule {
  id: string;
  type: NotificationEventType;
  name: string;
  disabled: boolean;
  channelIds: string[];
  /** only for entitlement rule types; absent = every feature */
  features?: FeatureRef[];
  /** only for `entitlements.balance.threshold` */
  thresholds?: Threshold[];
  metadata?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

export interface RuleInput {
  type: NotificationEventType;
  name: string;
  disabled?: boolean;
  /** channel ids */
  channels: string[];
  /** feature ids or keys */
  features?: string[];
  thresholds?: Threshold[];
  metadata?: Record<string, string> | null;
}

export interface DeliveryAttempt {
  state: DeliveryState;
  response: { statusCode?: number; body: string; durationMs: number; url?: string };
  timestamp: string;
}

export interface DeliveryStatus {
  channelId: string;
  state: DeliveryState;
  reason: string;
  updatedAt: string;
  attempts: DeliveryAttempt[];
}

/**
 * An event (`notificationEvents`). `rule` is the rule as it was when the event was created, so
 * later edits of the rule do not rewrite history. `payload` is the exact JSON the webhook gets.
 */
export interface NotificationEvent {
  id: string;
  type: NotificationEventType;
  createdAt: string;
  rule: NotificationRule;
  payload: NotificationPayload;
  deliveryStatus: DeliveryStatus[];
  annotations?: Record<string, unknown>;
}

export interface NotificationPayload {
  id: string;
  type: NotificationEventType;
  timestamp: string;
  data: Record<string, unknown>;
}

/** What the runtime needs to POST one event to one channel. */
export interface PendingDelivery {
  eventId: string;
  channel: NotificationChannel;
  payload: NotificationPayload;
}

/** The outcome of one POST, recorded back by the runtime. */
export interface DeliveryOutcome {
  eventId: string;
  channelId: string;
  state: typeof DeliveryState.success | typeof DeliveryState.failed;
  reason: string;
  statusCode?: number;
  body: string;
  durationMs: number;
  url?: string;
}

export interface ListChannelsInput extends PageInput {
  includeDeleted?: boolean;
  includeDisabled?: boolean;
  orderBy?: 'id' | 'type' | 'createdAt' | 'updatedAt';
}

export interface ListRulesInput extends PageInput {
  includeDeleted?: boolean;
  includeDisabled?: boolean;
  /** feature ids or keys */
  features?: string[];
  /** channel ids */
  channels?: string[];
  orderBy?: 'id' | 'type' | 'createdAt' | 'updatedAt';
}

export interface ListEventsInput extends PageInput {
  from?: string;
  to?: string;
  features?: string[];
  subjects?: string[];
  rules?: string[];
  channels?: string[];
  orderBy?: 'id' | 'createdAt';
}
