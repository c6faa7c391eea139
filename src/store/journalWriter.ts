import { appendFile, rename, writeFile } from 'node:fs/promises';

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Appends lines to one file, coalescing everything queued while a write is in flight into the
 * next single write. A caller's promise resolves once its own line is on disk, so a response is
 * only acknowledged after the data is durable, and a burst of N commits costs ~2 writes, not N.
 */
export class JournalWriter {
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private rewriteRequest: (Waiter & { content: (queued: number) => string }) | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(private readonly filePath: string) {}

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

  /** resolves when everything appended so far has been written */
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
          await writeFile(tmp, rw.content(this.pending.length));
          await rename(tmp, this.filePath);
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
        await appendFile(this.filePath, chunk);
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.inFlight = null;
  }
}
