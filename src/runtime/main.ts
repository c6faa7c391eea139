import { createServer, type Server } from 'node:http';
import { createApp } from './app.ts';
import { apiKeysFrom } from './accessGuard.ts';
import { acquireDataDirLock, type DataDirLock } from './dataDirLock.ts';
import { Emulator, type EmulatorOptions } from './Emulator.ts';
import { startStripeServer } from '../stripe/server.ts';

export { DataDirInUseError } from './dataDirLock.ts';

export interface StartOptions extends EmulatorOptions {
  port: number;
  host: string;
  /** the emulated Stripe's port (0 = any free one); absent = not served over HTTP */
  stripePort?: number;
  /** the port is only a default: when it is taken, take any free one (two emulators side by side) */
  stripePortIsDefault?: boolean;
}

export interface RunningEmulator {
  emulator: Emulator;
  server: Server;
  url: string;
  /** the emulated Stripe's base URL, when served */
  stripeUrl?: string;
  stop(): Promise<void>;
}

/** The port is taken (or not ours to bind): starting must fail, not print "listening". */
export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly code: string,
  ) {
    super(
      code === 'EADDRINUSE'
        ? `port ${port} on ${host} is already in use (another localmeter?); choose another with --port, e.g. --port ${port + 1}, or --port 0 for any free port`
        : `cannot listen on ${host}:${port} (${code})`,
    );
  }
}

/**
 * Starts the HTTP server. Binds to 127.0.0.1 unless told otherwise: this is a dev tool. A data
 * dir is locked for the life of the server (one writer per directory).
 */
export async function startEmulator(opts: StartOptions): Promise<RunningEmulator> {
  const lock: DataDirLock | undefined = opts.dataDir ? acquireDataDirLock(opts.dataDir) : undefined;
  let emulator: Emulator | undefined;
  try {
    const apiKeys = apiKeysFrom(opts.apiKeys, process.env.LOCALMETER_API_KEYS);
    emulator = new Emulator({ ...opts, apiKeys });
    const { app } = createApp(emulator, { validateResponses: opts.validateResponses, host: opts.host, auth: opts.auth ?? 'open', apiKeys });
    emulator.log.info(
      opts.auth === 'strict'
        ? `localmeter auth: strict — every request needs one of ${apiKeys.length} API key(s) as a bearer token`
        : 'localmeter auth: open — any token, or none, is accepted (use --auth strict --api-key KEY to check keys)',
    );
    // Not `app.listen`: Express 5 hands a listen error to the callback, which reads as success.
    const server = createServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(err.code ? new PortInUseError(opts.host, opts.port, err.code) : err));
      server.listen(opts.port, opts.host, () => resolve());
    });
    server.keepAliveTimeout = 65_000;
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.port;
    const url = `http://${opts.host}:${port}`;
    lock?.describe(url);
    emulator.publicUrl = url;
    // the emulated Stripe always binds to loopback: it accepts any key
    const stripePort = opts.stripePort;
    const stripe =
      stripePort !== undefined
        ? await startStripeServer(emulator.stripe, stripePort, '127.0.0.1')
            .catch((err: unknown) => {
              if (!opts.stripePortIsDefault || (err as { code?: string }).code !== 'EADDRINUSE') throw err;
              emulator!.log.info(`[localmeter] port ${stripePort} is taken: the emulated Stripe listens on a free port instead (see /_emulator/health)`);
              return startStripeServer(emulator!.stripe, 0, '127.0.0.1');
            })
            .catch(async (err: unknown) => {
              await new Promise<void>((resolve) => server.close(() => resolve()));
              throw err;
            })
        : undefined;
    if (stripe) emulator.stripeUrl = stripe.url;
    const running = emulator;
    return {
      emulator: running,
      server,
      url,
      ...(stripe ? { stripeUrl: stripe.url } : {}),
      stop: async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections?.();
        await stripe?.stop();
        await running.close();
        lock?.release();
      },
    };
  } catch (err) {
    await emulator?.close().catch(() => undefined);
    lock?.release();
    throw err;
  }
}
