/** A mistake on the command line: printed with the command's usage and an example, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** `--port`, `$PORT`: an integer 0-65535 */
export function parsePort(text: string, source: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`${source} expects a port number from 0 to 65535, e.g. ${source === '$PORT' ? 'PORT=8787' : '--port 8787'} (got ${JSON.stringify(text)})`, 'start');
  return Number(text);
}

/** A full ISO 8601 instant with a date and a time (`new Date` alone accepts "March 1"). */
export function parseInstant(text: string, source: string, command?: string): Date {
  const d = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) || Number.isNaN(d.getTime())) {
    throw new UsageError(`${source} expects an ISO 8601 instant, e.g. ${source.startsWith('--') ? `${source} ` : ''}2026-01-01T00:00:00Z (got ${JSON.stringify(text)})`, command);
  }
  return d;
}
