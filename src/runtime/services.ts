import type { Emulator } from './Emulator.ts';

/** The domain services of one emulator instance, wired to its clock, ids and store. */
export interface Services {
  /** resolves when everything a command in `ns` appended outside the record store is durable */
  flush(ns: string): Promise<void>;
  flushAll(): Promise<void>;
  reset(ns?: string): void;
  exportEvents(): Record<string, unknown[]>;
  importEvents(events: Record<string, unknown[]>): Promise<void>;
}

export function createServices(_emulator: Emulator): Services {
  return {
    flush: async () => undefined,
    flushAll: async () => undefined,
    reset: () => undefined,
    exportEvents: () => ({}),
    importEvents: async () => undefined,
  };
}
