import { compileJsonPath, FAST_INT_LIMIT, lookup, MISSING, parseEventValue, stringifyValue } from './parseEventValue.ts';
import { instantMs } from '../shared/canonicalInstant.ts';
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
  /** finds a tuple's id by its subject and group values */
  tupleIds: TupleTable;
}

export class TypeBucket {
  /** append order: the "ordinal" of an event is its position here */
  readonly events: StoredEvent[] = [];
  readonly times: number[] = [];
  /** ordinals sorted by (time, seq) */
  sortedOrd: number[] = [];
  sortedTimes: number[] = [];
  /** late arrivals, in append order */
  private pending: number[] = [];
  /**
   * Whether every append had a greater seq than the one before and a time that is a number: then
   * (time, seq) order is (time, ordinal) order, both sides of a merge are sorted by it, and the
   * cheap merge below is exact. Anything else (a hand-edited log) takes the general merge.
   */
  private plain = true;
  private lastSeq = -Infinity;
  readonly columns = new Map<string, MeterColumn>();

  add(e: StoredEvent, timeMs: number): void {
    const ord = this.events.length;
    this.events.push(e);
    this.times.push(timeMs);
    if (!(e.seq > this.lastSeq) || Number.isNaN(timeMs)) this.plain = false;
    this.lastSeq = e.seq;
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
    if (this.plain) this.mergeFromBack();
    else this.mergeGeneral();
  }

  /**
   * The merge in place from the back: only the sorted tail later than the earliest late arrival
   * moves (late events are late by hours, not months, so usually a handful), and a read after
   * each batch does not copy the whole history. Late arrivals are sorted as numbers, (time −
   * earliest) · 2^k + position, natively (no comparator call per comparison), while that stays
   * an exact integer in a double.
   */
  private mergeFromBack(): void {
    const p = this.pending;
    const times = this.times;
    const m = p.length;
    let lo = Infinity, hi = -Infinity;
    for (let x = 0; x < m; x++) {
      const t = times[p[x]!]!;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    let late: number[];
    // positions take the low bits: a power of two, so dividing it off again is exact
    let room = 1;
    while (room < m) room *= 2;
    if ((hi - lo + 1) * room <= Number.MAX_SAFE_INTEGER) {
      const keys = new Float64Array(m);
      for (let x = 0; x < m; x++) keys[x] = (times[p[x]!]! - lo) * room + x;
      keys.sort();
      late = new Array<number>(m);
      for (let x = 0; x < m; x++) {
        const key = keys[x]!;
        late[x] = p[key - Math.floor(key / room) * room]!;
      }
    } else {
      // p is in ordinal order and the sort is stable: equal times keep it
      late = p.sort((a, b) => times[a]! - times[b]!);
    }
    this.pending = [];
    const ord = this.sortedOrd, ts = this.sortedTimes;
    let i = ord.length - 1;
    let j = m - 1;
    for (let x = 0; x < m; x++) {
      ord.push(0);
      ts.push(0);
    }
    // a sorted event goes after a late one when it is later, or as late and appended after it
    for (let k = ord.length - 1; j >= 0; k--) {
      const b = late[j]!, tb = times[b]!;
      if (i >= 0 && (ts[i]! > tb || (ts[i] === tb && ord[i]! > b))) {
        ord[k] = ord[i]!;
        ts[k] = ts[i]!;
        i--;
      } else {
        ord[k] = b;
        ts[k] = tb;
        j--;
      }
    }
  }

  /** sorts the late arrivals by (time, seq) and merges them with the whole sorted order into new arrays */
  private mergeGeneral(): void {
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
      col = { groupKeys: keys, covered: 0, nums: [], exact: [], texts: [], errors: [], tuple: [], tuples: [], tupleIds: new TupleTable(keys.length) };
      this.columns.set(sig, col);
    }
    if (col.covered < this.events.length) extendColumn(col, spec, this.events);
    return col;
  }
}

type Segments = ReturnType<typeof compileJsonPath>;

const hasOwn = Object.prototype.hasOwnProperty;

/** the one property name of a path like `$.tokens` (the common case, read without `lookup`) */
const singleName = (segs: Segments): string | undefined => (segs && segs.length === 1 && typeof segs[0] === 'string' ? segs[0] : undefined);

/** a group-by value of one event: missing or null reads as '' */
function groupValue(data: unknown, segs: Segments, name: string | undefined): string {
  if (data === null || typeof data !== 'object' || !segs) return '';
  if (name !== undefined && !Array.isArray(data)) {
    if (!hasOwn.call(data, name)) return '';
    const raw = (data as Record<string, unknown>)[name];
    if (typeof raw === 'string') return raw;
    return raw === null ? '' : stringifyValue(raw);
  }
  const raw = lookup(data, segs);
  return raw === MISSING || raw === null ? '' : stringifyValue(raw);
}

function extendColumn(col: MeterColumn, spec: MeterSpec, events: StoredEvent[]): void {
  const paths = col.groupKeys.map((k) => compileJsonPath(spec.groupBy[k]!));
  const names = paths.map(singleName);
  const nk = paths.length;
  const agg = spec.aggregation;
  // A plain integer at a one-name value path ($.tokens) is what parseEventValue would answer
  // as { num } without exact text: read it here, without the parser's result objects.
  const valueName = agg !== 'COUNT' && agg !== 'UNIQUE_COUNT' && spec.valueProperty !== undefined ? singleName(compileJsonPath(spec.valueProperty)) : undefined;
  const { nums, tuple, tuples, tupleIds } = col;
  const values: string[] = new Array<string>(nk);
  for (let o = col.covered; o < events.length; o++) {
    const e = events[o]!;
    const data = e.data;
    let v: unknown;
    if (agg === 'COUNT') nums.push(1);
    else if (
      valueName !== undefined &&
      data !== null &&
      typeof data === 'object' &&
      !Array.isArray(data) &&
      hasOwn.call(data, valueName) &&
      typeof (v = (data as Record<string, unknown>)[valueName]) === 'number' &&
      Number.isInteger(v) &&
      Math.abs(v) <= FAST_INT_LIMIT
    ) {
      nums.push(v === 0 ? 0 : v);
    } else {
      const r = parseEventValue(agg, spec.valueProperty, data);
      if (r.ok) {
        nums.push(r.number ? r.number.num : 1);
        if (r.number?.exact !== undefined) col.exact[o] = r.number.exact;
        if (r.text) col.texts[o] = r.text;
      } else {
        nums.push(0);
        col.errors[o] = r.error;
      }
    }
    const subject = e.subject;
    for (let k = 0; k < nk; k++) values[k] = groupValue(data, paths[k]!, names[k]);
    tuple.push(tupleIds.id(subject, values, tuples));
  }
  col.covered = events.length;
}

/**
 * The ids of a column's (subject, group values) tuples. Each subject and each group value gets a
 * small number the first time it is seen (a Map lookup, hashed natively and cached with the
 * string), and a tuple is found by its numbers in an open-addressing table of (hash, id + 1)
 * pairs: no joined key string, and no hashing of text in JS, per event.
 */
export class TupleTable {
  private readonly subjects = new Map<string, number>();
  private readonly values: Map<string, number>[];
  /** the numbers of tuple t at [t · width, (t + 1) · width): its subject's, then each value's */
  private readonly keys: number[] = [];
  private readonly width: number;
  private readonly scratch: number[];
  private slots = new Int32Array(2 * 16);
  private mask = 15;
  private count = 0;

  constructor(groupCount: number) {
    this.values = Array.from({ length: groupCount }, () => new Map<string, number>());
    this.width = groupCount + 1;
    this.scratch = new Array<number>(this.width).fill(0);
  }

  /** the id of (subject, values); a tuple seen for the first time is added to `tuples` */
  id(subject: string, values: readonly string[], tuples: GroupTuple[]): number {
    const width = this.width, key = this.scratch;
    let fresh = false;
    let n = this.subjects.get(subject);
    if (n === undefined) {
      this.subjects.set(subject, (n = this.subjects.size));
      fresh = true;
    }
    key[0] = n;
    let h = mix(0x9e3779b9, n);
    for (let k = 1; k < width; k++) {
      const map = this.values[k - 1]!;
      const v = values[k - 1]!;
      let m = map.get(v);
      if (m === undefined) {
        map.set(v, (m = map.size));
        fresh = true;
      }
      key[k] = m;
      h = mix(h, m);
    }
    h = finish(h);
    const keys = this.keys, slots = this.slots, mask = this.mask;
    let i = h & mask;
    // a subject or value never seen before makes a new tuple: no need to look
    if (!fresh) {
      for (; ; i = (i + 1) & mask) {
        const ref = slots[2 * i + 1]!;
        if (ref === 0) break;
        if (slots[2 * i] !== h) continue;
        const at = (ref - 1) * width;
        let same = true;
        for (let k = 0; k < width; k++) {
          if (keys[at + k] !== key[k]) {
            same = false;
            break;
          }
        }
        if (same) return ref - 1;
      }
    } else {
      while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    }
    const id = tuples.length;
    tuples.push({ subject, groups: values.slice() });
    for (let k = 0; k < width; k++) keys.push(key[k]!);
    slots[2 * i] = h;
    slots[2 * i + 1] = id + 1;
    if (++this.count * 2 > mask + 1) this.grow();
    return id;
  }

  private grow(): void {
    const old = this.slots;
    const mask = 2 * (this.mask + 1) - 1;
    const slots = new Int32Array(2 * (mask + 1));
    for (let k = 0; k < old.length; k += 2) {
      const ref = old[k + 1]!;
      if (ref === 0) continue;
      let i = old[k]! & mask;
      while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
      slots[2 * i] = old[k]!;
      slots[2 * i + 1] = ref;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

const mix = (h: number, n: number): number => Math.imul(h ^ n, 0x01000193) ^ (h >>> 15);

/** murmur3's finaliser: the low bits (the slot) depend on every bit */
function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
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
      this.put(e, instantMs(e.time));
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
    for (let i = this.timeline.events.length; i < this.all.length; i++) this.timeline.add(this.all[i]!, instantMs(this.all[i]!.time));
    this.timeline.ensureSorted();
    return this.timeline;
  }

  /** every event sorted by (ingestedAt, seq), the same layout as sortedByTime */
  sortedByIngestion(): TypeBucket {
    for (let i = this.ingestion.events.length; i < this.all.length; i++) this.ingestion.add(this.all[i]!, instantMs(this.all[i]!.ingestedAt));
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
