import type { NextFunction, Request, Response } from 'express';

/**
 * A large JSON body parsed in one `JSON.parse` holds the process for as long as the parse takes
 * (a 200,000-event batch is ~26 MB: about half a second on a quiet machine, seconds on a busy
 * one), and every other client waits (audit D18). A large top-level array is parsed in steps
 * instead: its elements are found by a scan that yields to the event loop every SCAN_STEP
 * characters, then parsed a group of about PARSE_STEP characters at a time. The result is exactly
 * what `JSON.parse` of the whole text gives; anything the scan does not find well-formed is handed
 * to `JSON.parse` whole, so a malformed body fails with the same error as before.
 */
export const STEPPED_MIN_BYTES = 1024 * 1024;
const SCAN_STEP = 1 << 20;
const PARSE_STEP = 1 << 20;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** `JSON.parse(text)`, a top-level array in bounded steps. */
export async function parseJsonInSteps(text: string): Promise<unknown> {
  const open = skipSpace(text, 0);
  if (text.charCodeAt(open) !== 0x5b) return JSON.parse(text);
  // depth-1 commas separate the elements; strings are skipped (a `\` escapes the next character)
  const commas: number[] = [];
  let depth = 0;
  let inString = false;
  let close = -1;
  let budget = SCAN_STEP;
  for (let p = open; p < text.length; p++) {
    const c = text.charCodeAt(p);
    if (inString) {
      if (c === 0x5c) p++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) {
      if (--depth === 0) {
        close = p;
        break;
      }
    } else if (c === 0x2c && depth === 1) commas.push(p);
    if (--budget === 0) {
      budget = SCAN_STEP;
      await turn();
    }
  }
  if (close < 0 || text.charCodeAt(close) !== 0x5d || skipSpace(text, close + 1) !== text.length) return JSON.parse(text);
  const out: unknown[] = [];
  const ends = [...commas, close];
  let start = open + 1;
  for (let k = 0; k < ends.length; k++) {
    const end = ends[k]!;
    if (end - start < PARSE_STEP && k < ends.length - 1) continue;
    const part = text.slice(start, end);
    // an empty element at a group's edge (`[1,,2]`, `[1,]`) is malformed: JSON.parse says how
    if (ends.length > 1 && skipSpace(part, 0) === part.length) return JSON.parse(text);
    let items: unknown[];
    try {
      items = JSON.parse(`[${part}]`) as unknown[];
    } catch {
      return JSON.parse(text);
    }
    for (const item of items) out.push(item);
    start = end + 1;
    if (k < ends.length - 1) await turn();
  }
  return out;
}

/** the error body-parser raises for a body that is not JSON (the surfaces render it as a 400) */
function parseFailed(err: unknown, body: string): Error {
  const e = (err instanceof Error ? err : new SyntaxError(String(err))) as Error & Record<string, unknown>;
  e.status = 400;
  e.statusCode = 400;
  e.expose = true;
  e.type = 'entity.parse.failed';
  e.body = body;
  return e;
}

const readFailed = (message: string, type: string): Error => Object.assign(new Error(message), { status: 400, statusCode: 400, expose: true, type });

/**
 * Takes over from the JSON body parser for a large, plain (not compressed, UTF-8) JSON body
 * within `limit`: reads it, keeps the bytes as `rawBody` (as the parser's `verify` does) and
 * parses it in steps. Anything else goes to the regular parsers untouched.
 */
export function steppedJsonBody(opts: { types: string[]; limit: number }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const length = Number(req.headers['content-length']);
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    const charset = /;\s*charset=([^;\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase().replace(/^"|"$/g, '');
    if (
      !Number.isFinite(length) ||
      length < STEPPED_MIN_BYTES ||
      length > opts.limit ||
      encoding !== 'identity' ||
      (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') ||
      !req.is(opts.types)
    ) {
      return next();
    }
    void (async () => {
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of req) {
          const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
          chunks.push(b);
          size += b.length;
        }
      } catch {
        return next(readFailed('request aborted', 'request.aborted'));
      }
      if (size !== length) return next(readFailed('request size did not match content length', 'request.size.invalid'));
      const raw = Buffer.concat(chunks, size);
      (req as { rawBody?: Buffer }).rawBody = raw;
      let text = raw.toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      let body: unknown;
      try {
        body = await parseJsonInSteps(text);
      } catch (err) {
        return next(parseFailed(err, text));
      }
      (req as { body?: unknown }).body = body;
      next();
    })();
  };
}
