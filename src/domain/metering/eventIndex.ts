import { compileJsonPath, lookup, MISSING, parseEventValue, stringifyValue } from './parseEventValue.ts';
import { IdSet } from './idSet.ts';
import type { MeterAggregation, StoredEvent } from './types.ts';

/**
 * In-memory index over the stored events of one namespace, built for meter queries:
 * per event type a time-sorted list (binary search by time), and per meter definition a
 * cached column of parsed values and interned (subject, group values) tuples, so a query
 * touches a few array slots per event and never re-reads JSON. Events mostly arrive in time
 * order; late ones wait in a pending list and are merged in O(n) on the next read.
 */

/** The parts of a meter that decide how event data is parsed. */
export interface MeterSpec {
  eventType: string;
  aggregation: MeterAggregation;
  valueProperty?: string;
  groupBy: Record<string, string>;
}

export interface GroupTuple {
  subject: string;
  /** values of MeterColumn.groupKeys, in order */
  groups: string[];
}

/** Parsed meter values indexed by the bucket's append ordinal. */
export interface MeterColumn {
  readonly groupKeys: string[];
  /** number of ordinals parsed so far */
  covered: number;
  nums: number[];
  /*
   * The three below are set only where they hold something (holes read as undefined): most
   * meters have none of them, and at millions of events a slot per event costs megabytes.
   */
  /** exact decimal text when the value is not a fast-path integer */
  exact: (string | undefined)[];
  /** UNIQUE_COUNT text values (a hole is '') */
  texts: (string | undefined)[];
  /** parse error (without the "invalid event: " prefix), undefined when valid */
  errors: (string | undefined)[];
  tuple: number[];
  tuples: GroupTuple[];
  tupleIds: Map<string, number>;
}

export class TypeBucket {
  /** append order: the "ordinal" of an event is its position here */
  readonly events: StoredEvent[] = [];
  readonly times: number[] = [];
  /** ordinals sorted by (time, seq) */
  sortedOrd: number[] = [];
  sortedTimes: number[] = [];
  private pending: number[] = [];
  readonly columns = new Map<string, MeterColumn>();

  add(e: StoredEvent, timeMs: number): void {
    const ord = this.events.length;
    this.events.push(e);
    this.times.push(timeMs);
    const n = this.sortedTimes.length;
    if (this.pending.length === 0 && (n === 0 || this.sortedTimes[n - 1]! <= timeMs)) {
      this.sortedOrd.push(ord);
      this.sortedTimes.push(timeMs);
    } else {
      this.pending.push(ord);
    }
  }

  /** merges late arrivals into the sorted order */
  ensureSorted(): void {
    if (this.pending.length === 0) return;
    const times = this.times;
    const events = this.events;
    const p = this.pending.sort((a, b) => times[a]! - times[b]! || events[a]!.seq - events[b]!.seq);
    this.pending = [];
    const aOrd = this.sortedOrd;
    const total = aOrd.length + p.length;
    const ord: number[] = new Array(total);
    const ts: number[] = new Array(total);
    let i = 0, j = 0, k = 0;
    while (i < aOrd.length || j < p.length) {
      let takeA: boolean;
      if (j >= p.length) takeA = true;
      else if (i >= aOrd.length) takeA = false;
      else {
        const ta = times[aOrd[i]!]!, tb = times[p[j]!]!;
        takeA = ta < tb || (ta === tb && events[aOrd[i]!]!.seq <= events[p[j]!]!.seq);
      }
      const o = takeA ? aOrd[i++]! : p[j++]!;
      ord[k] = o;
      ts[k] = times[o]!;
      k++;
    }
    this.sortedOrd = ord;
    this.sortedTimes = ts;
  }

  /** first sorted position with time >= t */
  lowerBound(t: number): number {
    const a = this.sortedTimes;
    let lo = 0, hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** parsed column for a meter definition, extended to cover every event in the bucket */
  column(spec: MeterSpec): MeterColumn {
    const keys = Object.keys(spec.groupBy).sort();
    const sig = JSON.stringify([spec.aggregation, spec.valueProperty ?? null, keys.map((k) => [k, spec.groupBy[k]])]);
    let col = this.columns.get(sig);
    if (!col) {
      col = { groupKeys: keys, covered: 0, nums: [], exact: [], texts: [], errors: [], tuple: [], tuples: [], tupleIds: new Map() };
      this.columns.set(sig, col);
    }
    if (col.covered < this.events.length) extendColumn(col, spec, this.events);
    return col;
  }
}

function extendColumn(col: MeterColumn, spec: MeterSpec, events: StoredEvent[]): void {
  const paths = col.groupKeys.map((k) => compileJsonPath(spec.groupBy[k]!));
  for (let o = col.covered; o < events.length; o++) {
    const e = events[o]!;
    const r = parseEventValue(spec.aggregation, spec.valueProperty, e.data);
    if (r.ok) {
      col.nums.push(r.number ? r.number.num : 1);
      if (r.number?.exact !== undefined) col.exact[o] = r.number.exact;
      if (r.text) col.texts[o] = r.text;
    } else {
      col.nums.push(0);
      col.errors[o] = r.error;
    }
    // build the tuple key first; the groups array is only kept for a new tuple
    let key = e.subject;
    const data = e.data;
    const groups: string[] = [];
    for (const segs of paths) {
      const raw = segs && data !== null && typeof data === 'object' ? lookup(data, segs) : MISSING;
      const v = raw === MISSING || raw === null ? '' : stringifyValue(raw);
      groups.push(v);
      key += '\u0000' + v;
    }
    let id = col.tupleIds.get(key);
    if (id === undefined) {
      id = col.tuples.length;
      col.tuples.push({ subject: e.subject, groups });
      col.tupleIds.set(key, id);
    }
    col.tuple.push(id);
  }
  col.covered = events.length;
}

/** (source, id) as one string that no other pair can spell: the source's length goes first */
export const dedupeKey = (source: string, id: string): string => `${source.length}:${source}${id}`;

export class EventIndex {
  private readonly all: StoredEvent[] = [];
  /**
   * Ids seen per source: the (source, id) pair without a joined key string per event (at millions
   * of events the joined keys cost tens of bytes each; the ids are held by the events anyway).
   */
  private readonly idsBySource = new Map<string, IdSet>();
  /** the last source claimed and its ids: a batch mostly comes from one source */
  private lastSource: string | undefined;
  private lastIds: IdSet | undefined;
  private readonly buckets = new Map<string, TypeBucket>();
  /**
   * every event, time-sorted, for listing: built on first use and brought up to date at each
   * (a run that never lists events — billing, meter queries — keeps no second copy of the order)
   */
  private readonly timeline = new TypeBucket();
  /** every event sorted by ingestion time, built on first use (only v3 `sort=ingested_at` needs it) */
  private readonly ingestion = new TypeBucket();
  private maxSeq = -1;

  get size(): number {
    return this.all.length;
  }

  /** the seq the next ingested event should carry */
  nextSeq(): number {
    return this.maxSeq + 1;
  }

  has(source: string, id: string): boolean {
    return this.idsBySource.get(source)?.has(id) ?? false;
  }

  /**
   * Reserves (source, id) for an event about to be added with `appendClaimed`: false when it is
   * stored or claimed already. Ingestion checks and records an id in one set operation this way,
   * not a batch set, a store check and the append's own check (three at every event).
   */
  claim(source: string, id: string): boolean {
    let ids = this.lastIds;
    if (source !== this.lastSource || !ids) {
      ids = this.idsBySource.get(source);
      if (!ids) this.idsBySource.set(source, (ids = new IdSet()));
      this.lastSource = source;
      this.lastIds = ids;
    }
    return ids.add(id);
  }

  /** gives back a claim whose event will not be appended after all */
  unclaim(source: string, id: string): void {
    this.idsBySource.get(source)?.delete(id);
  }

  /** adds events (duplicates by (source, id) are skipped); returns the ones actually added */
  append(events: readonly StoredEvent[]): StoredEvent[] {
    const added: StoredEvent[] = [];
    for (const e of events) {
      if (!this.claim(e.source, e.id)) continue;
      this.put(e, Date.parse(e.time));
      added.push(e);
    }
    return added;
  }

  /** adds events whose (source, id) were each `claim`ed, with their times (epoch ms) parsed once by the caller */
  appendClaimed(events: readonly StoredEvent[], times: readonly number[]): void {
    for (let i = 0; i < events.length; i++) this.put(events[i]!, times[i]!);
  }

  private put(e: StoredEvent, timeMs: number): void {
    this.all.push(e);
    if (e.seq > this.maxSeq) this.maxSeq = e.seq;
    let b = this.buckets.get(e.type);
    if (!b) this.buckets.set(e.type, (b = new TypeBucket()));
    b.add(e, timeMs);
  }

  /** every event in ingestion order */
  events(): readonly StoredEvent[] {
    return this.all;
  }

  /** every event sorted by (time, seq): read `events[sortedOrd[i]]`, time `sortedTimes[i]` */
  sortedByTime(): TypeBucket {
    for (let i = this.timeline.events.length; i < this.all.length; i++) this.timeline.add(this.all[i]!, Date.parse(this.all[i]!.time));
    this.timeline.ensureSorted();
    return this.timeline;
  }

  /** every event sorted by (ingestedAt, seq), the same layout as sortedByTime */
  sortedByIngestion(): TypeBucket {
    for (let i = this.ingestion.events.length; i < this.all.length; i++) this.ingestion.add(this.all[i]!, Date.parse(this.all[i]!.ingestedAt));
    this.ingestion.ensureSorted();
    return this.ingestion;
  }

  eventTypes(): string[] {
    return [...this.buckets.keys()];
  }

  /** the time-sorted bucket of an event type (undefined when no such events exist) */
  bucket(eventType: string): TypeBucket | undefined {
    const b = this.buckets.get(eventType);
    b?.ensureSorted();
    return b;
  }
}
