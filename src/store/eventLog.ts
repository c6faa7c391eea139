import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventIndex } from '../domain/metering/eventIndex.ts';
import type { EventStore } from '../domain/metering/ports.ts';
import type { StoredEvent } from '../domain/metering/types.ts';
import { writeDurably } from './journalWriter.ts';

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

  /** bytes of whole lines in the file: a failed (short) write is cut back to it */
  private size = 0;

  private constructor(
    readonly filePath: string | null,
    private readonly fsync: boolean,
  ) {}

  /** `null` keeps events in memory only (tests, ephemeral runs) */
  static open(filePath: string | null, options: { durability?: 'buffered' | 'fsync' } = {}): EventLog {
    if (filePath) fs.mkdirSync(path.dirname(filePath), { recursive: true });
    return new EventLog(filePath, options.durability === 'fsync');
  }

  /** replays the file; a torn (unterminated, unparsable) last line is ignored and trimmed */
  load(): StoredEvent[] {
    if (!this.filePath || !fs.existsSync(this.filePath)) return [];
    const buf = fs.readFileSync(this.filePath);
    // Everything up to the last newline was written whole; what follows is a torn append, unless
    // it is a complete event whose newline never made it.
    let end = buf.lastIndexOf(0x0a) + 1;
    const out: StoredEvent[] = [];
    if (end < buf.length) {
      const rest = buf.subarray(end).toString('utf8');
      let last: StoredEvent | undefined;
      try {
        last = JSON.parse(rest) as StoredEvent;
      } catch {
        last = undefined;
      }
      if (last) {
        fs.appendFileSync(this.filePath, '\n');
        end = buf.length + 1;
      } else fs.truncateSync(this.filePath, end);
      this.size = end;
      this.parseLines(buf.subarray(0, Math.min(end, buf.length)), out);
      if (last) out.push(last);
      return out;
    }
    this.size = end;
    this.parseLines(buf, out);
    return out;
  }

  private parseLines(buf: Buffer, out: StoredEvent[]): void {
    // One JSON.parse per line costs most of a restart; lines are parsed in large slices as arrays.
    const SLICE = 8 * 1024 * 1024;
    let start = 0;
    while (start < buf.length) {
      let stop = Math.min(start + SLICE, buf.length);
      if (stop < buf.length) stop = buf.lastIndexOf(0x0a, stop - 1) + 1 || buf.indexOf(0x0a, stop) + 1 || buf.length;
      if (stop <= start) stop = buf.length;
      const text = buf.toString('utf8', start, stop);
      const body = text.replace(/\n(?=.)/g, ',').replace(/\n$/, '');
      try {
        if (body.trim() !== '') for (const e of JSON.parse(`[${body}]`) as StoredEvent[]) out.push(e);
      } catch {
        // find the bad line, for an honest error
        const lines = text.split('\n');
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i]!;
          if (line.trim() === '') continue;
          try {
            out.push(JSON.parse(line) as StoredEvent);
          } catch (err) {
            throw new Error(`event log ${this.filePath} is corrupt near byte ${start}: ${(err as Error).message}`);
          }
        }
      }
      start = stop;
    }
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
        const chunk = batch.join('');
        try {
          if (this.fsync) await writeDurably(file, chunk, 'a', true);
          else await fs.promises.appendFile(file, chunk, 'utf8');
          this.size += Buffer.byteLength(chunk);
        } catch (err) {
          // A short write (full disk) must not leave half a line for the retry to be glued to.
          try {
            if (fs.statSync(file).size !== this.size) fs.truncateSync(file, this.size);
          } catch {
            // load() cuts a torn tail in any case
          }
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
    this.size += Buffer.byteLength(chunk);
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
export function createEventStore(filePath: string | null, options: { durability?: 'buffered' | 'fsync' } = {}): DurableEventStore {
  const log = EventLog.open(filePath, options);
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
