import { describe, expect, it } from 'vitest';
import { EventIndex, TypeBucket } from './eventIndex.ts';
import { meter } from './testSupport.ts';
import type { StoredEvent } from './types.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const HOUR = 3_600_000;

const event = (seq: number, timeMs: number, over: Partial<StoredEvent> = {}): StoredEvent => ({
  id: `e${seq}`,
  source: 's',
  specversion: '1.0',
  type: 't',
  subject: 'alice',
  time: new Date(timeMs).toISOString(),
  data: {},
  ingestedAt: '2026-01-01T00:00:00.000Z',
  storedAt: '2026-01-01T00:00:00.000Z',
  seq,
  ...over,
});

/** what the sorted order must be: every event so far by (time, seq) */
const expected = (events: StoredEvent[]) =>
  events
    .map((e, ord) => ({ ord, t: Date.parse(e.time), seq: e.seq }))
    .sort((a, b) => a.t - b.t || a.seq - b.seq)
    .map((x) => x.ord);

function check(b: TypeBucket): void {
  b.ensureSorted();
  expect(b.sortedOrd).toEqual(expected(b.events));
  expect(b.sortedTimes).toEqual(b.sortedOrd.map((o) => b.times[o]));
}

let x = 1;
const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff), x % n);

describe('TypeBucket: the time-sorted order of an event type, with late arrivals merged on read', () => {
  it('events within a day arriving in any order, read after each batch (the demo pattern)', () => {
    const b = new TypeBucket();
    let seq = 0;
    for (let day = 0; day < 20; day++) {
      for (let i = 0; i < 50; i++) {
        const t = T0 + day * 24 * HOUR + rnd(24 * HOUR);
        b.add(event(seq++, t), t);
      }
      check(b);
    }
  });

  it('equal times keep seq order, on both sides of a merge', () => {
    const b = new TypeBucket();
    const times = [5, 5, 3, 5, 3, 1, 5, 1, 3].map((h) => T0 + h * HOUR);
    times.forEach((t, seq) => b.add(event(seq, t), t));
    check(b);
    [3, 5, 1, 5].forEach((h, i) => b.add(event(100 + i, T0 + h * HOUR), T0 + h * HOUR));
    check(b);
  });

  it('a late event earlier than everything, and reads with nothing new', () => {
    const b = new TypeBucket();
    [10, 11, 12].forEach((h, seq) => b.add(event(seq, T0 + h * HOUR), T0 + h * HOUR));
    check(b);
    b.add(event(3, T0), T0);
    check(b);
    check(b);
  });

  it('late arrivals spread over millennia (too wide for one exact number per event) are sorted all the same', () => {
    const b = new TypeBucket();
    const span = Date.parse('9999-12-31T00:00:00.000Z') - Date.parse('0001-01-01T00:00:00.000Z');
    const lo = Date.parse('0001-01-01T00:00:00.000Z');
    for (let seq = 0; seq < 3000; seq++) {
      const t = lo + Math.floor((rnd(1 << 30) / (1 << 30)) * span);
      // a few equal times among them
      const tt = seq % 7 === 0 ? lo : t;
      b.add(event(seq, tt), tt);
    }
    check(b);
  });

  it('seq that does not grow with the appends (a log written elsewhere) still sorts by (time, seq)', () => {
    const b = new TypeBucket();
    const seqs = [9, 2, 7, 4, 0, 5];
    const hours = [4, 1, 3, 1, 0, 2];
    seqs.forEach((seq, i) => b.add(event(seq, T0 + hours[i]! * HOUR), T0 + hours[i]! * HOUR));
    check(b);
  });

  it('a meter column is extended over new events and gives each (subject, group values) one tuple', () => {
    const b = new TypeBucket();
    const spec = meter({ eventType: 't', groupBy: { model: '$.model', region: '$.r' } });
    const rows: [string, unknown][] = [
      ['alice', { tokens: 1, model: 'a', r: 'eu' }],
      ['bob', { tokens: 2, model: 'a', r: 'eu' }],
      ['alice', { tokens: 3, model: 'a', r: 'eu' }],
      ['alice', { tokens: '4.5', model: 'b' }],
      ['alice', { tokens: -0, model: 'b', r: null }],
      ['alice', { tokens: 2 ** 53, model: 1, r: 'eu' }],
      ['alice', { model: '1', r: 'eu' }],
      ['a\u0000b', { tokens: 1, model: 'c' }],
      ['a', { tokens: 1, model: 'b\u0000c' }],
    ];
    rows.slice(0, 4).forEach(([subject, data], seq) => b.add(event(seq, T0, { subject, data }), T0));
    b.column(spec);
    rows.slice(4).forEach(([subject, data], i) => b.add(event(4 + i, T0, { subject, data }), T0));
    const col = b.column(spec);
    expect(col.covered).toBe(rows.length);
    expect(col.groupKeys).toEqual(['model', 'region']);
    expect(col.nums).toEqual([1, 2, 3, 4.5, 0, 2 ** 53, 0, 1, 1]);
    expect(Object.is(col.nums[4], 0)).toBe(true);
    expect(col.exact[3]).toBe('4.5');
    expect(col.exact[5]).toBe(String(2 ** 53));
    expect(col.errors[6]).toBe('missing value property: "$.tokens"');
    expect(col.tuple).toEqual([0, 1, 0, 2, 2, 3, 3, 4, 5]);
    expect(col.tuples).toEqual([
      { subject: 'alice', groups: ['a', 'eu'] },
      { subject: 'bob', groups: ['a', 'eu'] },
      { subject: 'alice', groups: ['b', ''] },
      { subject: 'alice', groups: ['1', 'eu'] },
      { subject: 'a\u0000b', groups: ['c', ''] },
      { subject: 'a', groups: ['b\u0000c', ''] },
    ]);
  });

  it('many subjects and group values: every tuple found again', () => {
    const b = new TypeBucket();
    const spec = meter({ eventType: 't', groupBy: { model: '$.model' } });
    for (let seq = 0; seq < 5000; seq++) b.add(event(seq, T0, { subject: `c${seq % 700}`, data: { tokens: 1, model: `m${seq % 3}` } }), T0);
    const col = b.column(spec);
    expect(col.tuples.length).toBe(2100);
    col.tuple.forEach((id, o) => expect(col.tuples[id]).toEqual({ subject: `c${o % 700}`, groups: [`m${o % 3}`] }));
  });
});

describe('EventIndex claims: one (source, id) once', () => {
  it('a claimed or stored pair is refused, per source; a given-back claim can be made again', () => {
    const index = new EventIndex();
    expect(index.claim('a', '1')).toBe(true);
    expect(index.claim('a', '1')).toBe(false);
    expect(index.claim('b', '1')).toBe(true);
    expect(index.has('a', '1')).toBe(true);
    index.unclaim('a', '1');
    expect(index.has('a', '1')).toBe(false);
    expect(index.has('b', '1')).toBe(true);
    expect(index.claim('a', '1')).toBe(true);
    index.append([event(0, T0, { source: 'c', id: '9' }), event(1, T0, { source: 'c', id: '9' })]);
    expect(index.size).toBe(1);
    expect(index.claim('c', '9')).toBe(false);
  });
});
