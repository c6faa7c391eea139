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

  /** replays the whole file at once; a torn (unterminated, unparsable) last line is trimmed */
  load(): StoredEvent[] {
    const reader = this.reader();
    if (!reader) return [];
    const out: StoredEvent[] = [];
    for (let chunk = reader.next(); chunk; chunk = reader.next()) for (const e of chunk) out.push(e);
    return out;
  }

  /**
   * Opens the file for replay in bounded steps: each `next()` parses about 2 MB of lines (tens of
   * milliseconds), so a million stored events can be replayed between requests instead of before
   * the first one. A torn tail is cut right here, before anything can be appended after it.
   */
  reader(onCorrupt: (message: string) => void = (m) => console.error(m)): { next(): StoredEvent[] | null } | null {
    if (!this.filePath || !fs.existsSync(this.filePath)) return null;
    const file = this.filePath;
    const length = fs.statSync(file).size;
    // Only the end of the file is read now (to find its last newline); the rest is read step by
    // step, so opening a 250 MB log costs neither the time nor the memory of reading it whole.
    let end = lastNewlineEnd(file, length);
    let last: StoredEvent | undefined;
    if (end < length) {
      const fd = fs.openSync(file, 'r');
      const rest = Buffer.alloc(length - end);
      try {
        fs.readSync(fd, rest, 0, rest.length, end);
      } finally {
        fs.closeSync(fd);
      }
      try {
        last = JSON.parse(rest.toString('utf8')) as StoredEvent;
      } catch {
        last = undefined;
      }
      // a complete event whose newline never made it is kept; anything else was never acknowledged
      if (last) fs.appendFileSync(file, '\n');
      else fs.truncateSync(file, end);
    }
    this.size = last ? length + 1 : end;
    const STEP = 2 * 1024 * 1024;
    let fd: number | null = end > 0 ? fs.openSync(file, 'r') : null;
    let pos = 0;
    let carry: Buffer = Buffer.alloc(0);
    let lineNo = 0;
    const parse = (text: string, out: StoredEvent[]) => {
      for (const line of text.split('\n')) {
        lineNo++;
        if (line.trim() === '') continue;
        try {
          out.push(JSON.parse(line) as StoredEvent);
        } catch (err) {
          onCorrupt(`[localmeter] event log ${file}: line ${lineNo} is not JSON and was skipped (${(err as Error).message})`);
        }
      }
    };
    return {
      next: () => {
        if (pos >= end) {
          if (fd !== null) fs.closeSync(fd);
          fd = null;
          if (!last) return null;
          const tail = [last];
          last = undefined;
          return tail;
        }
        const out: StoredEvent[] = [];
        // read at least one whole line: a line longer than a step takes several reads
        for (;;) {
          const chunk = Buffer.alloc(Math.min(STEP, end - pos));
          const n = fs.readSync(fd!, chunk, 0, chunk.length, pos);
          if (n <= 0) {
            end = pos; // the file shrank under us: stop at what was read
            break;
          }
          pos += n;
          const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
          const cut = pos >= end ? data.length : data.lastIndexOf(0x0a) + 1;
          if (cut === 0) {
            carry = data;
            continue;
          }
          carry = Buffer.from(data.subarray(cut));
          parse(data.toString('utf8', 0, cut), out);
          break;
        }
        return out;
      },
    };
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

/** the offset just past the last newline of the file (0 if it has none) */
function lastNewlineEnd(file: string, length: number): number {
  const fd = fs.openSync(file, 'r');
  try {
    const block = Buffer.alloc(64 * 1024);
    for (let stop = length; stop > 0; ) {
      const start = Math.max(0, stop - block.length);
      const n = fs.readSync(fd, block, 0, stop - start, start);
      const i = block.subarray(0, n).lastIndexOf(0x0a);
      if (i >= 0) return start + i + 1;
      stop = start;
    }
    return 0;
  } finally {
    fs.closeSync(fd);
  }
}

export interface DurableEventStore extends EventStore {
  flush(): Promise<void>;
  readonly log: EventLog;
}

/**
 * The metering EventStore of one namespace: an EventIndex for queries over an EventLog for
 * durability. A stored log is replayed in the background, a bounded step per event-loop turn, so
 * a restart over a million events answers at once; the first use of the events (a query, an
 * ingest, a dedupe check) finishes the replay on the spot if it is still running.
 */
export function createEventStore(filePath: string | null, options: { durability?: 'buffered' | 'fsync' } = {}): DurableEventStore {
  const log = EventLog.open(filePath, options);
  const index = new EventIndex();
  const reader = log.reader();
  let loaded = reader === null;
  const finish = () => {
    if (loaded) return;
    loaded = true;
    for (let chunk = reader!.next(); chunk; chunk = reader!.next()) index.append(chunk);
  };
  const step = () => {
    if (loaded) return;
    const chunk = reader!.next();
    if (chunk === null) loaded = true;
    else {
      index.append(chunk);
      setImmediate(step);
    }
  };
  if (!loaded) setImmediate(step);
  return {
    get index() {
      finish();
      return index;
    },
    log,
    has: (source, id) => {
      finish();
      return index.has(source, id);
    },
    append(events) {
      finish();
      const added = index.append(events);
      log.append(added);
    },
    appendClaimed(events, times) {
      finish();
      index.appendClaimed(events, times);
      log.append(events);
    },
    flush: () => log.flush(),
  };
}
