import { EventIndex } from './eventIndex.ts';
import type { EventStore } from './ports.ts';
import type { Meter, StoredEvent } from './types.ts';

/** Test helpers: in-memory event stores per namespace and compact event/meter builders. */
export function memoryEventStores(): (namespace: string) => EventStore {
  const stores = new Map<string, EventStore>();
  return (ns) => {
    let s = stores.get(ns);
    if (!s) {
      const index = new EventIndex();
      s = { index, has: (src, id) => index.has(src, id), append: (evts) => void index.append(evts), appendClaimed: (evts, times) => index.appendClaimed(evts, times) };
      stores.set(ns, s);
    }
    return s;
  };
}

let seq = 0;
export function ev(time: string, data: unknown, over: Partial<StoredEvent> = {}): StoredEvent {
  seq++;
  return {
    id: `e${seq}`,
    source: 'test',
    specversion: '1.0',
    type: 'prompt',
    subject: 'alice',
    time: new Date(time).toISOString(),
    data,
    ingestedAt: '2025-01-01T00:00:00.000Z',
    storedAt: '2025-01-01T00:00:00.000Z',
    seq,
    ...over,
  };
}

export function meter(over: Partial<Meter> = {}): Meter {
  return {
    id: '01J00000000000000000000001',
    key: 'tokens',
    name: 'tokens',
    eventType: 'prompt',
    aggregation: 'SUM',
    valueProperty: '$.tokens',
    groupBy: { model: '$.model' },
    createdAt: '2025-01-01T00:00:00Z',
    updatedAt: '2025-01-01T00:00:00Z',
    ...over,
  };
}
