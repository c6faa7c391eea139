import { existsSync, statSync, truncateSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface WriterOptions {
  /** `fsync`: a write is acknowledged only once the disk has it (power-loss safe, slower) */
  durability?: 'buffered' | 'fsync';
  /**
   * Called, synchronously, when an append failed: every line not yet on disk (the failed chunk and
   * everything queued after it) has been rejected, and the file is cut back to what was written
   * before. The owner drops from memory what those lines had applied.
   */
  onFailure?: (err: unknown) => void;
}

/** Appends or writes `data` to `path` and, in fsync mode, waits for the disk to have it. */
export async function writeDurably(path: string, data: string, flags: 'a' | 'w', fsync: boolean): Promise<void> {
  const fh = await open(path, flags);
  try {
    // One write call may write less than asked (a disk filling up): only all of it counts.
    const buf = Buffer.from(data, 'utf8');
    for (let off = 0; off < buf.length; ) {
      const { bytesWritten } = await fh.write(buf, off, buf.length - off);
      if (bytesWritten <= 0) throw Object.assign(new Error(`short write to ${path}`), { code: 'EIO', syscall: 'write' });
      off += bytesWritten;
    }
    if (fsync) await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** After a rename, the directory entry itself must reach the disk for the rename to survive power loss. */
export async function syncDir(path: string): Promise<void> {
  const fh = await open(dirname(path), 'r');
  try {
    await fh.sync();
  } catch {
    // some file systems refuse fsync on a directory; the rename is then as durable as they make it
  } finally {
    await fh.close();
  }
}

/**
 * Appends lines to one file, coalescing everything queued while a write is in flight into the
 * next single write. A caller's promise resolves once its own line is on disk, so a response is
 * only acknowledged after the data is durable, and a burst of N commits costs ~2 writes, not N.
 * A failed write (a full disk) never leaves a torn line behind: the file is cut back to its size
 * before the write.
 */
export class JournalWriter {
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private rewriteRequest: (Waiter & { content: (queued: number) => string }) | null = null;
  private inFlight: Promise<void> | null = null;
  /** bytes known to be in the file (complete lines only) */
  private size: number;
  private readonly fsync: boolean;

  constructor(
    private readonly filePath: string,
    private readonly options: WriterOptions = {},
  ) {
    this.size = existsSync(filePath) ? statSync(filePath).size : 0;
    this.fsync = options.durability === 'fsync';
  }

  append(line: string): Promise<void> {
    this.pending.push(line.endsWith('\n') ? line : line + '\n');
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.inFlight ??= this.drain();
    return p;
  }

  /**
   * Replaces the whole file (temp file + rename) with `content(queued)`, called once no write is
   * in flight; `queued` is how many appended lines are not on disk yet — they are written after
   * the new content. Serialised with appends, so no acknowledged line can fall in between.
   */
  rewrite(content: (queued: number) => string): Promise<void> {
    if (this.rewriteRequest) return Promise.reject(new Error('a journal rewrite is already pending'));
    const p = new Promise<void>((resolve, reject) => (this.rewriteRequest = { content, resolve, reject }));
    this.inFlight ??= this.drain();
    return p;
  }

  /** resolves when everything appended so far has been written (or has failed) */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 || this.rewriteRequest) {
      const rw = this.rewriteRequest;
      if (rw) {
        this.rewriteRequest = null;
        try {
          const tmp = `${this.filePath}.tmp`;
          const text = rw.content(this.pending.length);
          await writeDurably(tmp, text, 'w', this.fsync);
          await rename(tmp, this.filePath);
          if (this.fsync) await syncDir(this.filePath);
          this.size = Buffer.byteLength(text);
          rw.resolve();
        } catch (e) {
          rw.reject(e);
        }
        continue;
      }
      const chunk = this.pending.join('');
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        await writeDurably(this.filePath, chunk, 'a', this.fsync);
        this.size += Buffer.byteLength(chunk);
        for (const w of waiters) w.resolve();
      } catch (e) {
        this.fail(waiters, e);
      }
    }
    this.inFlight = null;
  }

  /**
   * Lines queued after a failed one were committed in memory on top of it: they go too, so memory
   * can be brought back to exactly what the file holds.
   */
  private fail(waiters: Waiter[], err: unknown): void {
    const all = waiters.concat(this.waiters);
    this.pending = [];
    this.waiters = [];
    try {
      // a short write (ENOSPC halfway) leaves part of a line; cut it so the next append starts clean
      if (existsSync(this.filePath) && statSync(this.filePath).size !== this.size) truncateSync(this.filePath, this.size);
    } catch {
      // the next load cuts a torn tail in any case
    }
    try {
      this.options.onFailure?.(err);
    } finally {
      for (const w of all) w.reject(err);
    }
  }
}
