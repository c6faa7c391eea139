import { appendFileSync, cpSync, mkdirSync, readFileSync, existsSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { validationError } from '../domain/shared/errors.ts';
import { DataFile } from 'lowdb/node';
import { Low } from 'lowdb';
import type { Effect } from '../domain/shared/effects.ts';
import type { Collection, Entity, UnitOfWork } from '../domain/shared/unitOfWork.ts';
import { mapCollection } from './memoryUnitOfWork.ts';
import { JournalWriter, syncDir, writeDurably } from './journalWriter.ts';

type Records = Map<string, Entity>;
interface SnapshotFile {
  collections: Record<string, Record<string, Entity>>;
}
/** one journal line: the records a committed command wrote (`v: null` = deleted) */
interface JournalEntry {
  c: Array<{ n: string; k: string; v: Entity | null }>;
}

export interface NamespaceOptions {
  durability?: 'buffered' | 'fsync';
  /** where failures that no caller waits for (compaction, rollback) are reported */
  onError?: (message: string, err: unknown) => void;
}

/** When the journal grows past this many bytes beyond the snapshot, fold it into a new snapshot. */
const COMPACT_MIN_BYTES = 4 * 1024 * 1024;

/**
 * State of one namespace (a Zuplo bucket, the default OpenMeter organisation, ...).
 * At rest: `db.json` (a lowdb snapshot, written atomically by temp file + rename) plus
 * `journal.jsonl` (one line per committed command). A write appends one journal line, so its cost
 * does not depend on how much is stored; the snapshot is rewritten only when the journal has
 * grown as large as the snapshot, off the request path.
 */
export class NamespaceState {
  readonly collections = new Map<string, Records>();
  private journal: JournalWriter | null = null;
  private journalBytes = 0;
  private snapshotBytes = 0;
  private compacting: Promise<void> | null = null;
  /** journal lines committed since the running compaction took its snapshot */
  private tail: string[] | null = null;

  constructor(
    readonly name: string,
    readonly dir: string | null,
    private readonly options: NamespaceOptions = {},
  ) {}

  load(): void {
    if (!this.dir) return;
    mkdirSync(this.dir, { recursive: true });
    this.readDisk();
    this.journal = new JournalWriter(join(this.dir, 'journal.jsonl'), {
      durability: this.options.durability,
      onFailure: (err) => this.restoreFromDisk(err),
    });
  }

  /** memory := what the snapshot and the journal on disk hold */
  private readDisk(): void {
    const dir = this.dir!;
    this.collections.clear();
    this.journalBytes = 0;
    this.snapshotBytes = 0;
    const dbPath = join(dir, 'db.json');
    if (existsSync(dbPath)) {
      const text = readFileSync(dbPath, 'utf8');
      this.snapshotBytes = text.length;
      const snap = JSON.parse(text) as SnapshotFile;
      for (const [name, recs] of Object.entries(snap.collections ?? {})) {
        this.collections.set(name, new Map(Object.entries(recs)));
      }
    }
    const jPath = join(dir, 'journal.jsonl');
    if (!existsSync(jPath)) return;
    const buf = readFileSync(jPath);
    // Everything up to the last newline was written whole. What follows it is a torn append (a
    // crash or a full disk mid-write): never acknowledged, and cut off here so that the next append
    // starts on a clean line instead of being glued to the fragment and lost at the next load.
    const end = buf.lastIndexOf(0x0a) + 1;
    let text: string;
    if (end < buf.length && !parseEntry(buf.subarray(end).toString('utf8'))) {
      truncateSync(jPath, end);
      text = buf.subarray(0, end).toString('utf8');
    } else {
      // a complete entry whose newline never made it: keep it, and end its line
      if (end < buf.length) appendFileSync(jPath, '\n');
      text = buf.toString('utf8');
    }
    this.journalBytes = text.length;
    for (const line of text.split('\n')) {
      if (!line) continue;
      const entry = parseEntry(line) ?? salvageGluedEntry(line);
      if (entry) this.apply(entry);
    }
  }

  /**
   * A journal append failed (every line not on disk has been rejected to its caller): drop from
   * memory whatever those commits had applied, so nothing unacknowledged is ever visible.
   */
  private restoreFromDisk(err: unknown): void {
    this.tail = null;
    try {
      this.readDisk();
    } catch (e) {
      this.options.onError?.(`[localmeter] namespace ${this.name}: could not reload after a failed write`, e);
    }
    this.options.onError?.(`[localmeter] namespace ${this.name}: a journal write failed, its commits were rolled back:`, err);
  }

  records(name: string): Records {
    let m = this.collections.get(name);
    if (!m) this.collections.set(name, (m = new Map()));
    return m;
  }

  apply(entry: JournalEntry): void {
    for (const ch of entry.c) {
      if (ch.v === null) this.records(ch.n).delete(ch.k);
      else this.records(ch.n).set(ch.k, ch.v);
    }
  }

  /** apply in memory now; the promise resolves when the change is durable */
  commit(entry: JournalEntry): Promise<void> {
    this.apply(entry);
    if (!this.journal) return Promise.resolve();
    const line = JSON.stringify(entry);
    this.journalBytes += line.length + 1;
    this.tail?.push(line);
    const written = this.journal.append(line);
    if (!this.compacting && this.journalBytes > Math.max(COMPACT_MIN_BYTES, this.snapshotBytes)) {
      // A compaction that fails (a full disk) leaves the journal as it was: logged, tried again later.
      this.compacting = written
        .then(() => this.compact())
        .catch((err: unknown) => this.options.onError?.(`[localmeter] namespace ${this.name}: compaction failed, will retry:`, err))
        .finally(() => (this.compacting = null));
    }
    return written;
  }

  toJSON(): SnapshotFile {
    const collections: SnapshotFile['collections'] = {};
    for (const [name, recs] of this.collections) collections[name] = Object.fromEntries(recs);
    return { collections };
  }

  /** Folds the journal into a fresh snapshot, then cuts the journal down to the lines committed
   * after the snapshot was taken (commits keep flowing meanwhile). Replaying a journal over a
   * newer snapshot is harmless (every entry is a whole-record put or delete, and the journal ends
   * with the newest ones), so a crash between writing the snapshot and replacing the journal
   * loses nothing. */
  async compact(): Promise<void> {
    if (!this.dir || !this.journal) return;
    await this.journal.idle();
    if (this.journalBytes === 0) return;
    // Taken synchronously right after the tail starts: the snapshot holds exactly what was
    // committed before the first tail line.
    const tail: string[] = [];
    this.tail = tail;
    try {
      const data = this.toJSON();
      const dbPath = join(this.dir, 'db.json');
      if (this.options.durability === 'fsync') {
        await writeDurably(`${dbPath}.tmp`, JSON.stringify(data), 'w', true);
        await rename(`${dbPath}.tmp`, dbPath);
        await syncDir(dbPath);
      } else {
        const db = new Low<SnapshotFile>(new DataFile(dbPath, { parse: JSON.parse, stringify: (d) => JSON.stringify(d) }), data);
        await db.write();
      }
      this.snapshotBytes = statSync(dbPath).size;
      await this.journal.rewrite((queued) => {
        // a failed append since the snapshot rolled memory back: those tail lines must not be kept
        if (this.tail !== tail) throw new Error('a journal write failed during compaction; compaction abandoned');
        this.tail = null;
        // the last `queued` tail lines are still waiting in the writer and get appended after this
        const written = tail.slice(0, tail.length - queued);
        const text = written.length ? written.join('\n') + '\n' : '';
        let queuedBytes = 0;
        for (let i = written.length; i < tail.length; i++) queuedBytes += tail[i]!.length + 1;
        this.journalBytes = text.length + queuedBytes;
        return text;
      });
    } catch (err) {
      // a half-written temp file would keep the disk full for the next attempt
      for (const f of ['.db.json.tmp', 'db.json.tmp', 'journal.jsonl.tmp']) rmSync(join(this.dir, f), { force: true });
      throw err;
    } finally {
      if (this.tail === tail) this.tail = null;
    }
  }

  async flush(): Promise<void> {
    if (this.compacting) await this.compacting;
    if (this.journal) await this.journal.idle();
  }

  clear(): void {
    this.collections.clear();
    if (this.dir) {
      // Only the files this class writes: whatever else sits in the directory is not ours to delete.
      for (const f of OWNED_FILES) rmSync(join(this.dir, f), { force: true });
      try {
        rmdirSync(this.dir);
      } catch {
        // not empty: someone else's files stay, and so does the directory
      }
      this.load();
    }
  }
}

const OWNED_FILES = ['db.json', 'db.json.tmp', '.db.json.tmp', 'journal.jsonl', 'journal.jsonl.tmp', 'events.jsonl'];

function parseEntry(line: string): JournalEntry | undefined {
  try {
    const e = JSON.parse(line) as JournalEntry;
    return e && Array.isArray(e.c) ? e : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Before torn tails were cut on load, an acknowledged line could be appended right after a
 * fragment and end up glued to it on one line: the entry at the end of the line is recovered.
 */
function salvageGluedEntry(line: string): JournalEntry | undefined {
  const at = line.lastIndexOf('{"c":[');
  return at > 0 ? parseEntry(line.slice(at)) : undefined;
}

/**
 * A command's private view: reads fall through to committed state, writes stay in the draft
 * until `commit`. Throwing away the draft is all it takes to roll back.
 */
export class Work implements UnitOfWork {
  private readonly draft = new Map<string, Map<string, Entity | null>>();
  private effects: Effect[] = [];
  constructor(
    readonly namespace: string,
    private readonly state: NamespaceState,
  ) {}

  /** one handle per collection and unit of work: commands ask for the same collection many times */
  private readonly handles = new Map<string, WorkCollection<Entity>>();

  collection<T extends Entity>(name: string): Collection<T> {
    let h = this.handles.get(name);
    if (!h) this.handles.set(name, (h = new WorkCollection(name, this.state, this.draft)));
    return h as unknown as Collection<T>;
  }

  get dirty(): boolean {
    for (const m of this.draft.values()) if (m.size > 0) return true;
    return false;
  }

  afterCommit(effect: Effect): void {
    this.effects.push(effect);
  }

  /** the effects queued by the command, handed over once (after its commit) */
  takeEffects(): Effect[] {
    const out = this.effects;
    this.effects = [];
    return out;
  }

  commit(): Promise<void> {
    if (!this.dirty) return Promise.resolve();
    const entry: JournalEntry = { c: [] };
    for (const [n, m] of this.draft) for (const [k, v] of m) entry.c.push({ n, k, v });
    this.draft.clear();
    return this.state.commit(entry);
  }
}

/**
 * A collection as one command sees it: the committed records with the command's draft laid over
 * them. Reads look both maps up at each call (nothing is captured that a commit or a rollback
 * could make stale); the scans are plain loops, as they run over every invoice at each clock job.
 */
class WorkCollection<T extends Entity> implements Collection<T> {
  constructor(
    private readonly name: string,
    private readonly state: NamespaceState,
    private readonly drafts: Map<string, Map<string, Entity | null>>,
  ) {}

  private base(): Map<string, T> {
    return this.state.records(this.name) as Map<string, T>;
  }

  private draft(): Map<string, T | null> | undefined {
    return this.drafts.get(this.name) as Map<string, T | null> | undefined;
  }

  private writable(): Map<string, T | null> {
    let d = this.draft();
    if (!d) this.drafts.set(this.name, (d = new Map()));
    return d;
  }

  get(id: string): T | undefined {
    const dm = this.draft();
    if (dm && dm.has(id)) return dm.get(id) ?? undefined;
    return this.base().get(id);
  }

  put(v: T): void {
    this.writable().set(v.id, v);
  }

  delete(id: string): void {
    this.writable().set(id, null);
  }

  /** every record in order (committed ones first, then new ones) until `visit` answers true */
  private scan(visit: (v: T) => boolean | void): void {
    const base = this.base();
    const dm = this.draft();
    if (!dm || dm.size === 0) {
      for (const v of base.values()) if (visit(v) === true) return;
      return;
    }
    for (const [k, v] of base) {
      if (dm.has(k)) {
        const dv = dm.get(k);
        if (dv && visit(dv) === true) return;
      } else if (visit(v) === true) return;
    }
    for (const [k, v] of dm) if (v && !base.has(k) && visit(v) === true) return;
  }

  list(): T[] {
    const out: T[] = [];
    this.scan((v) => void out.push(v));
    return out;
  }

  find(p: (value: T) => boolean): T[] {
    const out: T[] = [];
    this.scan((v) => void (p(v) && out.push(v)));
    return out;
  }

  findOne(p: (value: T) => boolean): T | undefined {
    let found: T | undefined;
    this.scan((v) => (p(v) ? ((found = v), true) : false));
    return found;
  }

  count(): number {
    const dm = this.draft();
    if (!dm || dm.size === 0) return this.base().size;
    let n = 0;
    this.scan(() => void n++);
    return n;
  }
}

export interface StoreOptions {
  /** directory for JSON files; null keeps everything in memory (tests) */
  dataDir: string | null;
  /** `fsync`: acknowledge a write only once the disk has it (survives power loss; slower) */
  durability?: 'buffered' | 'fsync';
  onError?: (message: string, err: unknown) => void;
}

/** Longest namespace directory name: file systems allow 255 bytes, and temp-file suffixes need room. */
const MAX_DIR_NAME = 200;

/** The directory name of a namespace: percent-encoded, so it is one path segment that is never `.` or `..`. */
export function namespaceDirName(ns: string): string {
  return encodeURIComponent(ns).replace(/^\.{1,2}$/, (dots) => dots.replace(/\./g, '%2E'));
}

/**
 * A namespace name that can be stored: not empty, no control characters, and short enough to be
 * a directory name. Anything else is a 400, before anything is created.
 */
export function checkNamespaceName(ns: string): void {
  if (typeof ns !== 'string' || ns.length === 0) throw validationError('invalid_namespace', 'a namespace name must not be empty');
  if (/[\u0000-\u001f\u007f]/.test(ns)) throw validationError('invalid_namespace', 'a namespace name must not contain control characters');
  if (namespaceDirName(ns).length > MAX_DIR_NAME) throw validationError('invalid_namespace', `namespace name too long (at most ${MAX_DIR_NAME} bytes once percent-encoded): ${ns.slice(0, 40)}…`);
}

/**
 * A snapshot import is written whole beside `namespaces/` (STAGING), marked complete (IMPORTED),
 * and only then swapped in by two renames; the replaced tree waits in PREVIOUS until the swap is
 * done. A bad document never gets this far, and a crash at any point leaves either the old state
 * or the new one in full: `recoverImport` finishes or forgets a swap at the next start.
 */
const STAGING = 'namespaces.importing';
const PREVIOUS = 'namespaces.previous';
const IMPORTED = 'namespaces.importing.complete';

/** Finishes a swap the process died in (the import was complete), else drops the staged import. */
export function recoverImport(dataDir: string): void {
  const root = join(dataDir, 'namespaces');
  const staging = join(dataDir, STAGING);
  const previous = join(dataDir, PREVIOUS);
  if (existsSync(join(dataDir, IMPORTED)) && existsSync(staging)) {
    if (existsSync(root)) renameSync(root, previous);
    renameSync(staging, root);
  } else if (!existsSync(root) && existsSync(previous)) {
    renameSync(previous, root);
  }
  rmSync(join(dataDir, IMPORTED), { force: true });
  rmSync(staging, { recursive: true, force: true });
  rmSync(previous, { recursive: true, force: true });
}

/**
 * Files under `namespaces/` that this store did not write (a user's notes in a namespace
 * directory, anything beside them) are copied into the staged tree: an import replaces the
 * state, not someone else's files.
 */
function carryForeignFiles(root: string, staging: string): void {
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const from = join(root, entry.name);
    let ours = false;
    try {
      const ns = decodeURIComponent(entry.name);
      checkNamespaceName(ns);
      ours = entry.isDirectory() && namespaceDirName(ns) === entry.name;
    } catch {
      ours = false;
    }
    if (!ours) {
      cpSync(from, join(staging, entry.name), { recursive: true, force: false });
      continue;
    }
    for (const f of readdirSync(from)) {
      if (OWNED_FILES.includes(f)) continue;
      mkdirSync(join(staging, entry.name), { recursive: true });
      cpSync(join(from, f), join(staging, entry.name, f), { recursive: true, force: false });
    }
  }
}

/** What an import writes into one staged namespace directory besides its records (its event log). */
export type ImportExtraFiles = (ns: string) => Record<string, string>;

/** Every namespace's records. The only code that touches the disk for records. */
export class Store {
  private readonly namespaces = new Map<string, NamespaceState>();
  constructor(readonly options: StoreOptions) {
    if (options.dataDir) {
      recoverImport(options.dataDir);
      this.openAll();
    }
  }

  /** every namespace directory under `namespaces/` */
  private openAll(): void {
    const root = join(this.options.dataDir!, 'namespaces');
    mkdirSync(root, { recursive: true });
    for (const dirName of readdirSync(root)) {
      let ns: string;
      try {
        ns = decodeURIComponent(dirName);
        checkNamespaceName(ns);
      } catch {
        continue; // not a directory this store made
      }
      if (namespaceDirName(ns) === dirName) this.namespace(ns);
    }
  }

  namespaceDir(ns: string): string | null {
    if (!this.options.dataDir) return null;
    checkNamespaceName(ns);
    const root = resolve(this.options.dataDir, 'namespaces');
    const dir = resolve(root, namespaceDirName(ns));
    // one segment below namespaces/, whatever the name: no reset or import can reach outside it
    if (dirname(dir) !== root) throw validationError('invalid_namespace', `namespace name not usable as a directory: ${ns.slice(0, 40)}`);
    return dir;
  }

  namespace(ns: string): NamespaceState {
    let s = this.namespaces.get(ns);
    if (!s) {
      checkNamespaceName(ns);
      s = new NamespaceState(ns, this.namespaceDir(ns), { durability: this.options.durability, onError: this.options.onError ?? ((m, e) => console.error(m, e)) });
      s.load();
      this.namespaces.set(ns, s);
    }
    return s;
  }

  namespaceNames(): string[] {
    return [...this.namespaces.keys()];
  }

  begin(ns: string): Work {
    return new Work(ns, this.namespace(ns));
  }

  has(ns: string): boolean {
    return this.namespaces.has(ns);
  }

  /** A read of a namespace that does not exist: empty, and nothing is created on disk or in memory. */
  beginDetached(ns: string): Work {
    return new Work(ns, new NamespaceState(ns, null));
  }

  /** Snapshot of ALL namespaces (records only). */
  exportAll(): Record<string, SnapshotFile> {
    const out: Record<string, SnapshotFile> = {};
    for (const [n, s] of this.namespaces) out[n] = s.toJSON();
    return out;
  }

  /**
   * Replaces every namespace with `data` (already validated: see runtime/snapshotDocument.ts).
   * On disk the new state is written whole first and swapped in at once (see STAGING); `extra`
   * adds files to each staged namespace (`extraNamespaces` are those with files but no records).
   * Answers whether it swapped on disk (false: memory only, `extra` was not called).
   */
  async importAll(data: Record<string, SnapshotFile>, extra?: { files: ImportExtraFiles; namespaces: readonly string[] }): Promise<boolean> {
    const names = [...new Set([...Object.keys(data), ...(extra?.namespaces ?? [])])];
    for (const ns of names) this.namespaceDir(ns); // a name that cannot be stored fails before anything is cleared
    if (this.options.dataDir) {
      await this.swapIn(this.options.dataDir, names, data, extra?.files);
      return true;
    }
    for (const s of this.namespaces.values()) s.clear();
    for (const [ns, snap] of Object.entries(data)) {
      const state = this.namespace(ns);
      const entry: JournalEntry = { c: [] };
      for (const [n, recs] of Object.entries(snap.collections ?? {}))
        for (const [k, v] of Object.entries(recs)) entry.c.push({ n, k, v });
      await state.commit(entry);
    }
    return false;
  }

  private async swapIn(dataDir: string, names: readonly string[], data: Record<string, SnapshotFile>, extra: ImportExtraFiles | undefined): Promise<void> {
    const fsync = this.options.durability === 'fsync';
    const staging = join(dataDir, STAGING);
    const marker = join(dataDir, IMPORTED);
    rmSync(marker, { force: true });
    rmSync(staging, { recursive: true, force: true });
    try {
      mkdirSync(staging, { recursive: true });
      for (const ns of names) {
        const dir = join(staging, namespaceDirName(ns));
        mkdirSync(dir, { recursive: true });
        const files: Record<string, string> = { ...(extra?.(ns) ?? {}), 'db.json': JSON.stringify({ collections: data[ns]?.collections ?? {} }) };
        for (const [name, text] of Object.entries(files)) {
          if (fsync) await writeDurably(join(dir, name), text, 'w', true);
          else writeFileSync(join(dir, name), text);
        }
      }
      carryForeignFiles(join(dataDir, 'namespaces'), staging);
      if (fsync) await syncDir(join(staging, 'x'));
      // everything the import holds is on disk: from here a crash finishes the swap
      if (fsync) await writeDurably(marker, '', 'w', true);
      else writeFileSync(marker, '');
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    await this.flush();
    this.namespaces.clear();
    recoverImport(dataDir);
    if (fsync) await syncDir(join(dataDir, 'namespaces'));
    this.openAll();
  }

  reset(ns?: string): void {
    if (ns) this.namespaces.get(ns)?.clear();
    else for (const s of this.namespaces.values()) s.clear();
  }

  async flush(): Promise<void> {
    await Promise.all([...this.namespaces.values()].map((s) => s.flush()));
  }

  async close(): Promise<void> {
    await this.flush();
    // a compaction that fails at shutdown (a full disk) leaves the journal, which loads just as well
    const report = this.options.onError ?? ((m, e) => console.error(m, e));
    await Promise.all([...this.namespaces.values()].map((s) => s.compact().catch((err: unknown) => report(`[localmeter] namespace ${s.name}: compaction at shutdown failed:`, err))));
  }
}

export { mapCollection };
