/** The only source of "now" for domain code. The runtime supplies a controllable implementation. */
export interface Clock {
  now(): Date;
}

/** A clock that never moves: tests and pure engine code use it. */
export class FixedClock implements Clock {
  constructor(private instant: Date) {}
  now(): Date {
    return new Date(this.instant.getTime());
  }
  set(instant: Date): void {
    this.instant = new Date(instant.getTime());
  }
}
