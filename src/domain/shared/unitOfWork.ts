import type { Effect } from './effects.ts';

/**
 * Ports the store implements. Domain services receive a UnitOfWork per command: reads see the
 * command's own uncommitted writes; the runtime commits once when the command returns and
 * discards everything if it throws, so a failed command never leaves a half-written state.
 */
export interface Entity {
  id: string;
}

export interface Collection<T extends Entity> {
  get(id: string): T | undefined;
  /** insert or replace (the value is stored as given; treat it as immutable afterwards) */
  put(value: T): void;
  delete(id: string): void;
  /** every record, in insertion order */
  list(): T[];
  find(predicate: (value: T) => boolean): T[];
  findOne(predicate: (value: T) => boolean): T | undefined;
  count(): number;
}

export interface UnitOfWork {
  /** the tenant this command runs in: an OpenMeter organisation or a Zuplo bucket */
  readonly namespace: string;
  collection<T extends Entity>(name: string): Collection<T>;
  /** queue an outbound effect, performed by the runtime after this unit of work commits */
  afterCommit(effect: Effect): void;
}
