import type { Express } from 'express';
import { createApp } from '../runtime/app.ts';
import { Emulator, type EmulatorOptions } from '../runtime/Emulator.ts';
import { startEmulator, type RunningEmulator, type StartOptions } from '../runtime/main.ts';

/**
 * Test helpers exported to users: an in-memory emulator with response validation on (a response
 * that breaks the spec fails the test), a frozen clock and seeded ids.
 */
/** In memory, seeded, frozen at 2026-01-01, responses checked against the spec, silent. */
const TEST_DEFAULTS = {
  dataDir: null,
  seed: 42,
  frozen: true,
  validateResponses: true,
  quiet: true,
} as const;
const testStart = () => new Date('2026-01-01T00:00:00Z');

export function createTestEmulator(opts: Partial<EmulatorOptions> = {}): { emulator: Emulator; app: Express } {
  const emulator = new Emulator({
    ...TEST_DEFAULTS,
    start: testStart(),
    ...opts,
  });
  const { app } = createApp(emulator, { validateResponses: opts.validateResponses ?? true });
  return { emulator, app };
}

/**
 * The same on a real port, for clients that need a URL (@openmeter/sdk, the zuplo CLI, the
 * `stripe` SDK): the emulated Stripe listens on a free port too (`stripeUrl`).
 */
export function startTestEmulator(opts: Partial<StartOptions> = {}): Promise<RunningEmulator> {
  return startEmulator({
    port: 0,
    host: '127.0.0.1',
    stripePort: 0,
    ...TEST_DEFAULTS,
    start: testStart(),
    ...opts,
  });
}
