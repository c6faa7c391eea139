import { appendFile } from 'node:fs/promises';

/**
 * Appends lines to one file, coalescing everything queued while a write is in flight into the
 * next single write. A caller's promise resolves once its own line is on disk, so a response is
 * only acknowledged after the data is durable, and a burst of N commits costs ~2 writes, not N.
 */
export class JournalWriter {
  private pending: string[] = [];
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private inFlight: Promise<void> | null = null;

  constructor(private readonly filePath: string) {}

  append(line: string): Promise<void> {
    this.pending.push(line.endsWith('\n') ? line : line + '\n');
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.inFlight) this.inFlight = this.drain();
    return p;
  }

  /** resolves when everything appended so far has been written */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
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
