import { join } from 'node:path';
import type { EventStore } from '../domain/metering/ports.ts';
import type { StoredEvent } from '../domain/metering/types.ts';
import { dedupeKey } from '../domain/metering/eventIndex.ts';
import { createEventStore, type DurableEventStore } from './eventLog.ts';
import type { Store } from './Store.ts';

/**
 * Every namespace's usage-event log (`events.jsonl` beside the namespace's records): opened on
 * first use, flushed with the commands that appended to it, cleared with the namespace,
 * exported and imported with snapshots.
 */
export class EventStores {
  private readonly stores = new Map<string, DurableEventStore>();

  constructor(
    private readonly store: Store,
    private readonly options: { durability?: 'buffered' | 'fsync' } = {},
  ) {
    // Namespaces with events on disk must be known before the first query after a restart.
    for (const ns of store.namespaceNames()) this.of(ns);
  }

  of = (ns: string): EventStore => {
    let s = this.stores.get(ns);
    if (!s) this.stores.set(ns, (s = createEventStore(this.fileOf(ns), this.options)));
    return s;
  };

  private fileOf(ns: string): string | null {
    const dir = this.store.namespaceDir(ns);
    if (!dir) return null;
    this.store.namespace(ns); // makes sure the directory exists
    return join(dir, 'events.jsonl');
  }

  /** resolves when everything appended in `ns` is durable */
  async flush(ns: string): Promise<void> {
    await this.stores.get(ns)?.flush();
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.stores.values()].map((s) => s.flush()));
  }

  /** forget the logs (the record store removes the namespace directory, and the file with it) */
  reset(ns?: string): void {
    if (ns) this.stores.delete(ns);
    else this.stores.clear();
  }

  exportAll(): Record<string, unknown[]> {
    const out: Record<string, unknown[]> = {};
    for (const [ns, s] of this.stores) out[ns] = [...s.index.events()];
    return out;
  }

  /**
   * The event log files an import writes, one per namespace (the log's own format), with
   * duplicates by (source, id) dropped as an append would.
   */
  static importFiles(events: Record<string, readonly StoredEvent[]>): (ns: string) => Record<string, string> {
    return (ns): Record<string, string> => {
      const list = events[ns];
      if (!list?.length) return {};
      const seen = new Set<string>();
      const lines: string[] = [];
      for (const e of list) {
        const k = dedupeKey(e.source, e.id);
        if (seen.has(k)) continue;
        seen.add(k);
        lines.push(JSON.stringify(e) + '\n');
      }
      return { 'events.jsonl': lines.join('') };
    };
  }

  /** after an import swapped the files: every namespace's log is opened again from disk */
  reopen(): void {
    this.stores.clear();
    for (const ns of this.store.namespaceNames()) this.of(ns);
  }

  async importAll(events: Record<string, readonly StoredEvent[]>): Promise<void> {
    for (const [ns, list] of Object.entries(events)) this.of(ns).append([...list]);
    await this.flushAll();
  }
}
