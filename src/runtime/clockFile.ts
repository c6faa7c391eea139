import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClockState, ControllableClock } from './ControllableClock.ts';

/** `clock.json` in the data dir: the clock's instant and frozen state, kept across restarts. */
export const clockFilePath = (dataDir: string): string => join(dataDir, 'clock.json');

export function readClockState(dataDir: string): ClockState | undefined {
  const file = clockFilePath(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<ClockState>;
    if (typeof s.now !== 'string' || Number.isNaN(new Date(s.now).getTime()) || typeof s.frozen !== 'boolean' || typeof s.offsetMs !== 'number') return undefined;
    return s as ClockState;
  } catch {
    // a torn or hand-edited file: start from the options rather than refuse to start
    return undefined;
  }
}

/**
 * Writes the clock's state after each change. Writes are coalesced to one per tick: an advance
 * over a year of daily jobs sets the clock thousands of times.
 */
export function persistClock(clock: ControllableClock, dataDir: string): { flush(): void } {
  const file = clockFilePath(dataDir);
  let pending = false;
  const write = () => {
    pending = false;
    // called from an immediate: a throw (a full disk) would end the process. The clock lives on in
    // memory and the next change tries again.
    try {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify(clock.state(), null, 2) + '\n');
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      console.error('[localmeter] could not keep the clock in clock.json:', err);
    }
  };
  clock.onChange = () => {
    if (pending) return;
    pending = true;
    setImmediate(() => {
      if (pending) write();
    });
  };
  write();
  return { flush: write };
}
