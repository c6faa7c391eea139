import type { Page } from '../shared/paging.ts';
export type { Page };
import type { FilterString, FilterTime } from '../shared/filters.ts';

export type { FilterString, FilterTime };
/** Wire-neutral metering records (camelCase like OpenMeter v1; the surfaces convert). */

export const MeterAggregation = {
  SUM: 'SUM',
  COUNT: 'COUNT',
  AVG: 'AVG',
  MIN: 'MIN',
  MAX: 'MAX',
  UNIQUE_COUNT: 'UNIQUE_COUNT',
  LATEST: 'LATEST',
} as const;
export type MeterAggregation = (typeof MeterAggregation)[keyof typeof MeterAggregation];

export const WindowSize = {
  MINUTE: 'MINUTE',
  HOUR: 'HOUR',
  DAY: 'DAY',
  MONTH: 'MONTH',
} as const;
export type WindowSize = (typeof WindowSize)[keyof typeof WindowSize];

export interface Meter {
  id: string;
  /** the v1 `slug`, v3 `key`; unique per namespace among non-deleted meters */
  key: string;
  name: string;
  description?: string;
  eventType: string;
  aggregation: MeterAggregation;
  /** JSONPath into event data; absent for COUNT */
  valueProperty?: string;
  /** dimension name -> JSONPath */
  groupBy: Record<string, string>;
  /** events with time before this instant are not metered */
  eventFrom?: string;
  metadata?: Record<string, string> | null;
  annotations?: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

export interface MeterCreateInput {
  key: string;
  name?: string;
  description?: string;
  eventType: string;
  aggregation: string;
  valueProperty?: string | null;
  groupBy?: Record<string, string> | null;
  eventFrom?: string | null;
  metadata?: Record<string, string> | null;
  annotations?: Record<string, unknown> | null;
}

export interface MeterUpdateInput {
  name?: string;
  description?: string | null;
  groupBy?: Record<string, string> | null;
  metadata?: Record<string, string> | null;
}

export interface ListMetersInput {
  includeDeleted?: boolean;
  page?: number;
  pageSize?: number;
  order?: 'ASC' | 'DESC';
  orderBy?: 'key' | 'name' | 'aggregation' | 'createdAt' | 'updatedAt';
}

/** CloudEvents 1.0 as received (already JSON-decoded, not yet validated). */
export interface CloudEventInput {
  specversion?: unknown;
  id?: unknown;
  source?: unknown;
  type?: unknown;
  subject?: unknown;
  time?: unknown;
  data?: unknown;
  [extra: string]: unknown;
}

/**
 * An accepted event. `time` is the event's own instant (UTC ISO); `ingestedAt` is when the
 * emulator accepted it; `storedAt` when it became queryable (the same instant here, because
 * the emulator has no ingestion pipeline); `seq` is the ingestion order within the namespace.
 */
export interface StoredEvent {
  id: string;
  source: string;
  specversion: string;
  type: string;
  subject: string;
  time: string;
  data: unknown;
  ingestedAt: string;
  storedAt: string;
  /** customer the subject belonged to at ingestion time */
  customerId?: string;
  /** the `subscription` extension attribute Zuplo's gateway puts on its events (decision 0022) */
  subscription?: string;
  seq: number;
}

export interface IngestedEvent {
  event: {
    id: string;
    source: string;
    specversion: string;
    type: string;
    subject: string;
    time: string;
    data?: unknown;
  };
  /** every validation problem; v1 renders them joined with "\n" as `validationError` */
  validationErrors?: string[];
  ingestedAt: string;
  storedAt: string;
  customerId?: string;
}

export interface ListEventsInput {
  from?: string;
  to?: string;
  ingestedAtFrom?: string;
  ingestedAtTo?: string;
  /** partial (substring) match, as the v1 API documents */
  id?: string;
  /** exact match: the document says partial, the real query is `subject IN (…)` */
  subject?: string;
  customerId?: string[];
  hasError?: boolean;
  limit?: number;
}



export interface EventFilter {
  id?: FilterString;
  source?: FilterString;
  subject?: FilterString;
  type?: FilterString;
  customerId?: { $in?: string[] | null };
  time?: FilterTime;
  ingestedAt?: FilterTime;
}

export interface ListEventsCursorInput {
  /** page after this cursor (in the sort order) */
  cursor?: string;
  limit?: number;
  filter?: EventFilter;
  /** default: event time, newest first */
  sort?: { field: 'time' | 'ingestedAt' | 'storedAt'; desc: boolean };
}

export interface CursorPage<T> {
  items: T[];
  /** opaque; set whenever the page is full */
  nextCursor?: string;
  /** cursors of the first and last item (v3 `meta.page.first` / `last`); absent when empty */
  firstCursor?: string;
  lastCursor?: string;
}

export interface MeterQueryParams {
  from?: string;
  to?: string;
  windowSize?: WindowSize | string;
  /** IANA zone, default UTC */
  windowTimeZone?: string;
  subject?: string[];
  filterCustomerId?: string[];
  groupBy?: string[];
  filterGroupBy?: Record<string, string | string[]>;
  advancedMeterGroupByFilters?: Record<string, FilterString>;
  /** Zuplo: only events whose `subscription` attribute is one of these (no grouping implied) */
  filterSubscription?: string[];
  /** v3 resolves customer filters including deleted customers; v1 does not */
  includeDeletedCustomers?: boolean;
}

export interface MeterQueryRow {
  /** canonical decimal string */
  value: string;
  windowStart: string;
  windowEnd: string;
  /** null when the query is not grouped by subject */
  subject: string | null;
  customerId?: string;
  /** requested meter dimensions; a missing value reads as "" */
  groupBy: Record<string, string | null>;
}

export interface MeterQueryResult {
  from?: string;
  to?: string;
  windowSize?: WindowSize;
  windowTimeZone?: string;
  data: MeterQueryRow[];
}

export interface Subject {
  id: string;
  key: string;
  displayName?: string | null;
  metadata?: Record<string, unknown> | null;
  currentPeriodStart?: string;
  currentPeriodEnd?: string;
  stripeCustomerId?: string | null;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

export interface SubjectUpsertInput {
  key: string;
  displayName?: string | null;
  metadata?: Record<string, unknown> | null;
  currentPeriodStart?: string | null;
  currentPeriodEnd?: string | null;
  stripeCustomerId?: string | null;
}

export interface PortalToken {
  id: string;
  subject: string;
  allowedMeterSlugs?: string[];
  expiresAt: string;
  /** computed against the clock when read */
  expired: boolean;
  createdAt: string;
  /** only present on the record returned by createPortalToken */
  token?: string;
}

/** What is stored: the token is kept so it can be authenticated; `invalidatedAt` is set by invalidate. */
export interface PortalTokenRecord {
  id: string;
  subject: string;
  allowedMeterSlugs?: string[];
  expiresAt: string;
  createdAt: string;
  token: string;
  invalidatedAt?: string;
}
