import type { Clock } from '../domain/shared/clock.ts';
import { validationError } from '../domain/shared/errors.ts';

/** The instants the clock may hold: four-digit years, so every instant has a plain RFC 3339 form. */
const MIN_MS = new Date('0001-01-01T00:00:00.000Z').getTime();
const MAX_MS = new Date('9999-12-31T23:59:59.999Z').getTime();

/**
 * Throws a 400 for an instant the clock cannot hold (Invalid Date, or outside years 1–9999):
 * once stored, every `now().toISOString()` would throw, in handlers and in listeners alike.
 */
export const isClockInstant = (instant: Date): boolean => {
  const ms = instant instanceof Date ? instant.getTime() : NaN;
  return Number.isFinite(ms) && ms >= MIN_MS && ms <= MAX_MS;
};

export function assertClockInstant(instant: Date, what = 'instant'): Date {
  const ms = instant instanceof Date ? instant.getTime() : NaN;
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) {
    throw validationError('invalid_instant', `${what} is not an instant between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z`);
  }
  return instant;
}

/**
 * The emulator's clock. Running: wall time shifted by an offset, so `set` moves "now" without
 * stopping time. Frozen: a fixed instant until set or advanced. This file is the only place in
 * src/ allowed to read the wall clock.
 */
/**
 * What survives a restart: a frozen clock its instant; a running one its offset from wall time,
 * so emulated time keeps running while the process is down, as a deployed service's would.
 */
export interface ClockState {
  now: string;
  frozen: boolean;
  offsetMs: number;
}

export class ControllableClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | null = null;
  /** called after every change (set, freeze, unfreeze); the runtime persists the state */
  onChange: (() => void) | null = null;

  constructor(opts: { start?: Date; frozen?: boolean; restore?: ClockState } = {}) {
    if (opts.start) assertClockInstant(opts.start, 'the start instant');
    // a kept clock that no longer holds a usable instant (an edited file) is not restored
    if (opts.restore && !opts.start && isClockInstant(new Date(opts.restore.now)) && isClockInstant(new Date(Date.now() + opts.restore.offsetMs))) {
      if (opts.restore.frozen) this.frozenAt = new Date(opts.restore.now).getTime();
      else this.offsetMs = opts.restore.offsetMs;
    }
    if (opts.start) this.offsetMs = opts.start.getTime() - Date.now();
    if (opts.frozen && this.frozenAt === null) this.frozenAt = (opts.start ?? this.now()).getTime();
  }

  state(): ClockState {
    return { now: this.now().toISOString(), frozen: this.frozen, offsetMs: this.frozenAt === null ? this.offsetMs : this.frozenAt - Date.now() };
  }

  now(): Date {
    return new Date(this.frozenAt ?? Date.now() + this.offsetMs);
  }

  get frozen(): boolean {
    return this.frozenAt !== null;
  }

  set(instant: Date): void {
    assertClockInstant(instant);
    if (this.frozenAt !== null) this.frozenAt = instant.getTime();
    else this.offsetMs = instant.getTime() - Date.now();
    this.onChange?.();
  }

  freeze(): void {
    if (this.frozenAt === null) this.frozenAt = this.now().getTime();
    this.onChange?.();
  }

  unfreeze(): void {
    if (this.frozenAt === null) return;
    this.offsetMs = this.frozenAt - Date.now();
    this.frozenAt = null;
    this.onChange?.();
  }

  /** real elapsed milliseconds, for request timing in the journal (never for domain time) */
  static elapsedMs(sinceHr: bigint): number {
    return Number(process.hrtime.bigint() - sinceHr) / 1e6;
  }
}
