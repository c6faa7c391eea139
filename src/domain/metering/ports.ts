import type { UnitOfWork } from '../shared/unitOfWork.ts';
import type { EventIndex } from './eventIndex.ts';
import type { StoredEvent } from './types.ts';

/**
 * Usage events of one namespace. They live outside the unit of work on purpose: they are
 * append-only and high-volume, so they are written to an append-only log instead of being
 * rewritten with the JSON database. `append` makes events queryable at once (through
 * `index`); durability is the implementation's business (see store/eventLog.ts).
 */
export interface EventStore {
  /** adds already-validated events; an event whose (source, id) is already stored is skipped */
  append(events: StoredEvent[]): void;
  /** dedupe check by (source, id) */
  has(source: string, id: string): boolean;
  /**
   * Ingestion's path: `index.claim` each (source, id), then append the claimed events with their
   * times in epoch ms (no second dedupe check, no second parse of the time).
   */
  appendClaimed(events: StoredEvent[], times: number[]): void;
  /** the query index over every stored event of the namespace */
  readonly index: EventIndex;
}

/** Resolves the event store of a namespace (an organisation or a Zuplo bucket). */
export type EventStoreProvider = (namespace: string) => EventStore;

/**
 * Who a subject's usage belongs to. The customers domain owns that rule (key over subject
 * keys) and implements this port; metering never reads customer records itself.
 */
export interface CustomerAttribution {
  /** a resolver for many subjects in one unit of work */
  usageAttribution(tx: UnitOfWork): (subject: string) => AttributedCustomer | undefined;
  /** any customer by id, deleted ones included (CSV columns name them) */
  findCustomer(tx: UnitOfWork, idOrKey: string): AttributedCustomer | undefined;
}

export interface AttributedCustomer {
  id: string;
  key?: string;
  name: string;
  /** set once deleted: v1 meter queries and event lists treat a deleted customer as unknown */
  deletedAt?: string | null;
}
