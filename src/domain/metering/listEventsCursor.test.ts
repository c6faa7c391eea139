import { describe, expect, it } from 'vitest';
import { FixedClock } from '../shared/clock.ts';
import { SequentialIds } from '../shared/ids.ts';
import { createMemoryUnitOfWork } from '../../store/memoryUnitOfWork.ts';
import { CustomerService } from '../customers/CustomerService.ts';
import { MeteringService } from './MeteringService.ts';
import { memoryEventStores } from './testSupport.ts';

describe('listEventsCursor before/after', () => {
  it('walks forward with cursor and back with before, without gaps or duplicates', () => {
    const clock = new FixedClock(new Date('2025-03-10T12:00:00Z'));
    const ids = new SequentialIds();
    const svc = new MeteringService({ clock, ids, events: memoryEventStores(), customers: new CustomerService({ clock, ids }) });
    const tx = createMemoryUnitOfWork('ns');
    // 7 events, two share a timestamp (ties broken by ingestion order)
    const times = ['01', '02', '03', '03', '04', '05', '06'];
    svc.ingestEvents(tx, times.map((m, i) => ({ specversion: '1.0', id: String(i), source: 's', type: 't', subject: 'a', time: `2025-03-10T10:${m}:00Z`, data: {} })));
    const pages: string[][] = [];
    const prevs: (string | undefined)[] = [];
    let cursor: string | undefined;
    do {
      const p = svc.listEventsCursor(tx, { limit: 3, ...(cursor ? { cursor } : {}) });
      pages.push(p.items.map((e) => e.event.id));
      prevs.push(p.prevCursor);
      cursor = p.nextCursor;
    } while (cursor);
    expect(pages).toEqual([['6', '5', '4'], ['3', '2', '1'], ['0']]);
    expect(prevs[0]).toBeUndefined();
    const back = svc.listEventsCursor(tx, { limit: 3, before: prevs[2]! });
    expect(back.items.map((e) => e.event.id)).toEqual(['3', '2', '1']);
    const back2 = svc.listEventsCursor(tx, { limit: 3, before: back.prevCursor! });
    expect(back2.items.map((e) => e.event.id)).toEqual(['6', '5', '4']);
    expect(back2.prevCursor).toBeUndefined();
    expect(() => svc.listEventsCursor(tx, { cursor: back.nextCursor!, before: back.nextCursor! })).toThrow();
  });
});
