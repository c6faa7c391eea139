import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The emulated Stripe's state on disk (`<dataDir>/stripe.json`), so a restarted emulator's Stripe
 * still knows the customers and webhook endpoints its app records point at. Whole-file writes
 * (temp file + rename), coalesced: changes made while a write is in flight go in the next one.
 */
export class StripeStateFile {
  private readonly path: string | null;
  private dirty = false;
  private inFlight: Promise<void> | null = null;

  constructor(
    dataDir: string | null,
    private readonly content: () => unknown,
  ) {
    this.path = dataDir ? join(dataDir, 'stripe.json') : null;
    if (dataDir) mkdirSync(dataDir, { recursive: true });
  }

  load(): unknown {
    if (!this.path || !existsSync(this.path)) return undefined;
    return JSON.parse(readFileSync(this.path, 'utf8')) as unknown;
  }

  /** a change happened; it is written soon (and before `flush` resolves) */
  changed(): void {
    if (!this.path) return;
    this.dirty = true;
    this.inFlight ??= this.drain();
  }

  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const tmp = `${this.path!}.tmp`;
        await writeFile(tmp, JSON.stringify(this.content()));
        await rename(tmp, this.path!);
      }
    } finally {
      this.inFlight = null;
    }
  }
}
