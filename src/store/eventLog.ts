import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventIndex } from '../domain/metering/eventIndex.ts';
import type { EventStore } from '../domain/metering/ports.ts';
import type { StoredEvent } from '../domain/metering/types.ts';

/**
 * Durable, append-only storage of one namespace's usage events as JSON lines. Appends are
 * queued in memory and written by `flush()` in one write call however many appends came
 * before it, so ingestion cost does not grow with the size of the log. A crash can at worst
 * tear the last line; `load()` drops it (and trims it from the file so later appends start
 * on a clean line).
 */
export class EventLog {
  private queue: string[] = [];
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly filePath: string | null) {}

  /** `null` keeps events in memory only (tests, ephemeral runs) */
  static open(filePath: string | null): EventLog {
    if (filePath) fs.mkdirSync(path.dirname(filePath), { recursive: true });
    return new EventLog(filePath);
  }

  /** replays the file; a torn (unterminated, unparsable) last line is ignored and trimmed */
  load(): StoredEvent[] {
    if (!this.filePath || !fs.existsSync(this.filePath)) return [];
    const text = fs.readFileSync(this.filePath, 'utf8');
    const lines = text.split('\n');
    const out: StoredEvent[] = [];
    let validBytes = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const terminated = i < lines.length - 1;
      if (line.trim() === '') {
        if (terminated) validBytes += Buffer.byteLength(line) + 1;
        continue;
      }
      try {
        out.push(JSON.parse(line) as StoredEvent);
        if (terminated) validBytes += Buffer.byteLength(line) + 1;
        else {
          // complete JSON without its newline: keep it and terminate the line
          fs.appendFileSync(this.filePath, '\n');
          validBytes += Buffer.byteLength(line) + 1;
        }
      } catch (err) {
        if (terminated) throw new Error(`event log ${this.filePath} is corrupt at line ${i + 1}: ${(err as Error).message}`);
        fs.truncateSync(this.filePath, validBytes);
      }
    }
    return out;
  }

  append(events: readonly StoredEvent[]): void {
    if (!this.filePath || events.length === 0) return;
    for (const e of events) this.queue.push(JSON.stringify(e) + '\n');
  }

  /** resolves when everything appended so far is on disk */
  flush(): Promise<void> {
    if (!this.filePath) return Promise.resolve();
    const file = this.filePath;
    const run = this.writing
      .catch(() => undefined)
      .then(async () => {
        if (this.queue.length === 0) return;
        const batch = this.queue;
        this.queue = [];
        try {
          await fs.promises.appendFile(file, batch.join(''), 'utf8');
        } catch (err) {
          // keep the batch for the next flush so nothing acknowledged later is silently lost
          this.queue = batch.concat(this.queue);
          throw err;
        }
      });
    this.writing = run;
    return run;
  }

  /** synchronous flush for shutdown paths */
  flushSync(): void {
    if (!this.filePath || this.queue.length === 0) return;
    const chunk = this.queue.join('');
    this.queue = [];
    fs.appendFileSync(this.filePath, chunk, 'utf8');
  }

  get pending(): number {
    return this.queue.length;
  }
}

export interface DurableEventStore extends EventStore {
  flush(): Promise<void>;
  readonly log: EventLog;
}

/** The metering EventStore of one namespace: an EventIndex for queries over an EventLog for durability. */
export function createEventStore(filePath: string | null): DurableEventStore {
  const log = EventLog.open(filePath);
  const index = new EventIndex();
  index.append(log.load());
  return {
    index,
    log,
    has: (source, id) => index.has(source, id),
    append(events) {
      const added = index.append(events);
      log.append(added);
    },
    flush: () => log.flush(),
  };
}
