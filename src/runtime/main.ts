import type { Server } from 'node:http';
import { createApp } from './app.ts';
import { Emulator, type EmulatorOptions } from './Emulator.ts';

export interface StartOptions extends EmulatorOptions {
  port: number;
  host: string;
}

export interface RunningEmulator {
  emulator: Emulator;
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/** Starts the HTTP server. Binds to 127.0.0.1 unless told otherwise: this is a dev tool. */
export async function startEmulator(opts: StartOptions): Promise<RunningEmulator> {
  const emulator = new Emulator(opts);
  const { app } = createApp(emulator, { validateResponses: opts.validateResponses });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, () => resolve(s));
    s.on('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const url = `http://${opts.host}:${port}`;
  return {
    emulator,
    server,
    url,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await emulator.close();
    },
  };
}
