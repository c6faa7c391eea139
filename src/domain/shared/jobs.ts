import type { UnitOfWork } from './unitOfWork.ts';

/** A piece of work that becomes due at an instant (invoice collection, entitlement reset, ...). */
export interface DueJob {
  name: string;
  namespace: string;
  dueAt: Date;
  run(tx: UnitOfWork): void;
}

/** Domains contribute job sources; the scheduler asks them what is due, it stores no timers. */
export interface JobSource {
  name: string;
  /** every job of this source that is due at or before `until` in this namespace */
  dueJobs(tx: UnitOfWork, until: Date): DueJob[];
  /**
   * The earliest of those only (optional). The drain asks for the next job after every job it
   * runs; a source with many pending jobs answers this from an index instead of listing all.
   */
  nextDueJob?(tx: UnitOfWork, until: Date): DueJob | undefined;
  /** a source that keeps derived state (an index) drops it when a namespace (or all) is reset or replaced */
  forget?(namespace?: string): void;
}

export interface JobRecord {
  name: string;
  namespace: string;
  dueAt: string;
  ranAt: string;
}
