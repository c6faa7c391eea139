import type { Clock } from '../domain/shared/clock.ts';

/**
 * The emulator's clock. Running: wall time shifted by an offset, so `set` moves "now" without
 * stopping time. Frozen: a fixed instant until set or advanced. This file is the only place in
 * src/ allowed to read the wall clock.
 */
export class ControllableClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | null = null;

  constructor(opts: { start?: Date; frozen?: boolean } = {}) {
    if (opts.start) this.offsetMs = opts.start.getTime() - Date.now();
    if (opts.frozen) this.frozenAt = (opts.start ?? new Date(Date.now())).getTime();
  }

  now(): Date {
    return new Date(this.frozenAt ?? Date.now() + this.offsetMs);
  }

  get frozen(): boolean {
    return this.frozenAt !== null;
  }

  set(instant: Date): void {
    if (this.frozenAt !== null) this.frozenAt = instant.getTime();
    else this.offsetMs = instant.getTime() - Date.now();
  }

  freeze(): void {
    if (this.frozenAt === null) this.frozenAt = this.now().getTime();
  }

  unfreeze(): void {
    if (this.frozenAt === null) return;
    this.offsetMs = this.frozenAt - Date.now();
    this.frozenAt = null;
  }

  /** real elapsed milliseconds, for request timing in the journal (never for domain time) */
  static elapsedMs(sinceHr: bigint): number {
    return Number(process.hrtime.bigint() - sinceHr) / 1e6;
  }
}
