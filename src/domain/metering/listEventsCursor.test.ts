import { describe, expect, it } from 'vitest';
import { FixedClock } from '../shared/clock.ts';
import { SequentialIds } from '../shared/ids.ts';
import { createMemoryUnitOfWork } from '../../store/memoryUnitOfWork.ts';
import { CustomerService } from '../customers/CustomerService.ts';
import { MeteringService } from './MeteringService.ts';
import { memoryEventStores } from './testSupport.ts';
import type { ListEventsCursorInput } from './types.ts';

function seeded() {
  const clock = new FixedClock(new Date('2025-03-10T12:00:00Z'));
  const ids = new SequentialIds();
  const svc = new MeteringService({ clock, ids, events: memoryEventStores(), customers: new CustomerService({ clock, ids }) });
  const tx = createMemoryUnitOfWork('ns');
  // 7 events, two share a timestamp (ties broken by ingestion order); ingested in reverse time order
  const times = ['01', '02', '03', '03', '04', '05', '06'];
  times.forEach((m, i) => {
    clock.set(new Date(Date.UTC(2025, 2, 10, 12, 0, 6 - i)));
    svc.ingestEvents(tx, [{ specversion: '1.0', id: String(i), source: 's', type: 't', subject: 'a', time: `2025-03-10T10:${m}:00Z`, data: {} }]);
  });
  return { svc, tx };
}

function walk(svc: MeteringService, tx: ReturnType<typeof createMemoryUnitOfWork>, input: ListEventsCursorInput): string[][] {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const p = svc.listEventsCursor(tx, { limit: 3, ...input, ...(cursor ? { cursor } : {}) });
    pages.push(p.items.map((e) => e.event.id));
    expect(p.firstCursor === undefined).toBe(p.items.length === 0);
    cursor = p.nextCursor;
  } while (cursor);
  return pages;
}

describe('listEventsCursor', () => {
  it('walks newest first by event time, a cursor on every full page (meterevent adapter: next when len == limit)', () => {
    const { svc, tx } = seeded();
    expect(walk(svc, tx, {})).toEqual([['6', '5', '4'], ['3', '2', '1'], ['0']]);
  });

  it('sorts ascending by time, and by ingestion time either way (v3 sort=time asc, ingested_at)', () => {
    const { svc, tx } = seeded();
    expect(walk(svc, tx, { sort: { field: 'time', desc: false } })).toEqual([['0', '1', '2'], ['3', '4', '5'], ['6']]);
    // ingestion ran backwards in time: event 6 was ingested first
    expect(walk(svc, tx, { sort: { field: 'ingestedAt', desc: true } })).toEqual([['0', '1', '2'], ['3', '4', '5'], ['6']]);
    expect(walk(svc, tx, { sort: { field: 'storedAt', desc: false } })).toEqual([['6', '5', '4'], ['3', '2', '1'], ['0']]);
  });

  it('a full last page leads to an empty one', () => {
    const { svc, tx } = seeded();
    const first = svc.listEventsCursor(tx, { limit: 7 });
    expect(first.items).toHaveLength(7);
    expect(svc.listEventsCursor(tx, { limit: 7, cursor: first.nextCursor! }).items).toEqual([]);
  });
});
