import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One emulator per data dir: two processes appending to the same journals lose each other's
 * writes. `localmeter.lock` holds the owner's pid; a lock whose pid is gone (a crash, a killed
 * container) is stale and taken over.
 */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly url: string | undefined,
  ) {
    super(`the data dir ${dataDir} is in use by another localmeter (pid ${pid}${url ? `, serving ${url}` : ''}); stop it, or start this one with --data-dir <another dir> or --memory`);
  }
}

export interface DataDirLock {
  file: string;
  /** records where the owner serves, for the message another instance prints */
  describe(url: string): void;
  release(): void;
}

/** data dirs locked by this process (a pid check cannot tell two instances in one process apart) */
const heldHere = new Set<string>();

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export function acquireDataDirLock(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'localmeter.lock');
  const write = (url?: string, flag = 'w') => writeFileSync(file, JSON.stringify({ pid: process.pid, ...(url ? { url } : {}) }) + '\n', { flag });
  for (let attempt = 0; ; attempt++) {
    if (heldHere.has(file)) throw new DataDirInUseError(dataDir, process.pid, undefined);
    try {
      write(undefined, 'wx');
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
    }
    let owner: { pid?: unknown; url?: unknown } = {};
    try {
      owner = JSON.parse(readFileSync(file, 'utf8')) as typeof owner;
    } catch {
      // unreadable: half-written by a process that died while starting; stale
    }
    const pid = typeof owner.pid === 'number' ? owner.pid : undefined;
    // our own pid in a lock we do not hold: left by an earlier process that had the same pid
    // (pid 1 in a restarted container)
    if (pid !== undefined && pid !== process.pid && alive(pid)) throw new DataDirInUseError(dataDir, pid, typeof owner.url === 'string' ? owner.url : undefined);
    rmSync(file, { force: true });
  }
  heldHere.add(file);
  return {
    file,
    describe: (url) => write(url),
    release: () => {
      if (!heldHere.delete(file)) return;
      rmSync(file, { force: true });
    },
  };
}
