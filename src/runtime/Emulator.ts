import { join } from 'node:path';
import { validationError } from '../domain/shared/errors.ts';
import type { IdGenerator } from '../domain/shared/ids.ts';
import type { UnitOfWork } from '../domain/shared/unitOfWork.ts';
import { Store } from '../store/Store.ts';
import { ControllableClock } from './ControllableClock.ts';
import { createIdGenerator } from './seededIds.ts';
import type { DueJob, JobRecord, JobSource } from '../domain/shared/jobs.ts';
import { RequestJournal } from './RequestJournal.ts';
import { createServices, type Services } from './services.ts';

export interface EmulatorOptions {
  /** directory for the JSON files; null = memory only (tests) */
  dataDir: string | null;
  /** seed for reproducible ULIDs */
  seed?: number;
  /** initial instant of the clock (default: wall time) */
  start?: Date;
  frozen?: boolean;
  /** validate every response against the spec (on in development and tests) */
  validateResponses?: boolean;
  /** quiet = no request/500 logging to stderr */
  quiet?: boolean;
}

export interface Logger {
  info(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/**
 * The composition root: one clock, one id generator, one store and the domain services over
 * them. Everything a surface does goes through `run` / `read`.
 */
export class Emulator {
  readonly clock: ControllableClock;
  readonly ids: IdGenerator;
  readonly store: Store;
  readonly services: Services;
  readonly journal = new RequestJournal(1000);
  readonly jobSources: JobSource[] = [];
  readonly log: Logger;
  readonly startedAtHr = process.hrtime.bigint();

  constructor(readonly options: EmulatorOptions) {
    this.clock = new ControllableClock({ start: options.start, frozen: options.frozen });
    this.ids = createIdGenerator(this.clock, options.seed);
    this.store = new Store({ dataDir: options.dataDir });
    const quiet = options.quiet ?? false;
    this.log = {
      info: (...a) => (quiet ? undefined : console.log(...a)),
      error: (...a) => (quiet ? undefined : console.error(...a)),
    };
    this.services = createServices(this);
  }

  /** file for a namespace's append-only data (events), or null in memory mode */
  namespaceFile(ns: string, file: string): string | null {
    const dir = this.store.namespaceDir(ns);
    if (!dir) return null;
    this.store.namespace(ns); // makes sure the directory exists
    return join(dir, file);
  }

  /** Runs one command: commits once if `fn` returns, discards the draft if it throws. */
  async run<T>(ns: string, fn: (tx: UnitOfWork) => T): Promise<T> {
    const work = this.store.begin(ns);
    const result = fn(work);
    await Promise.all([work.commit(), this.services.flush(ns)]);
    return result;
  }

  read<T>(ns: string, fn: (tx: UnitOfWork) => T): T {
    return fn(this.store.begin(ns));
  }

  /** Moves the clock to `target`, running every job that falls due on the way, in time order. */
  async advanceTo(target: Date): Promise<JobRecord[]> {
    const ran: JobRecord[] = [];
    if (target.getTime() < this.clock.now().getTime()) {
      this.clock.set(target);
      return ran;
    }
    for (let guard = 0; guard < 1_000_000; guard++) {
      const next = this.nextDueJob(target);
      if (!next) break;
      if (next.dueAt.getTime() > this.clock.now().getTime()) this.clock.set(next.dueAt);
      await this.run(next.namespace, (tx) => next.run(tx));
      ran.push({ name: next.name, namespace: next.namespace, dueAt: next.dueAt.toISOString(), ranAt: this.clock.now().toISOString() });
    }
    this.clock.set(target);
    return ran;
  }

  pendingJobs(until: Date): DueJob[] {
    const all: DueJob[] = [];
    for (const ns of this.store.namespaceNames()) {
      const tx = this.store.begin(ns);
      for (const src of [...this.services.jobSources, ...this.jobSources]) all.push(...src.dueJobs(tx, until));
    }
    return all.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  }

  private nextDueJob(until: Date): DueJob | undefined {
    return this.pendingJobs(until)[0];
  }

  /** Everything, as one JSON document: records of every namespace, events, and the clock. */
  exportSnapshot(): Record<string, unknown> {
    return {
      format: 'localmeter-snapshot@1',
      clock: { now: this.clock.now().toISOString(), frozen: this.clock.frozen },
      namespaces: this.store.exportAll(),
      events: this.services.exportEvents(),
    };
  }

  async importSnapshot(snap: Record<string, unknown>): Promise<void> {
    if (snap.format !== 'localmeter-snapshot@1') {
      throw validationError('invalid_snapshot', 'not a localmeter snapshot (expected format "localmeter-snapshot@1")');
    }
    await this.flush();
    this.services.reset();
    await this.store.importAll((snap.namespaces ?? {}) as Parameters<Store['importAll']>[0]);
    await this.services.importEvents((snap.events ?? {}) as Record<string, unknown[]>);
    const clock = snap.clock as { now?: string; frozen?: boolean } | undefined;
    if (clock?.now) this.clock.set(new Date(clock.now));
    if (clock?.frozen === true) this.clock.freeze();
    if (clock?.frozen === false) this.clock.unfreeze();
  }

  async reset(ns?: string): Promise<void> {
    await this.flush();
    this.services.reset(ns);
    this.store.reset(ns);
  }

  async flush(): Promise<void> {
    await Promise.all([this.store.flush(), this.services.flushAll()]);
  }

  async close(): Promise<void> {
    await this.services.flushAll();
    await this.store.close();
  }
}
