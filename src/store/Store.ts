import { mkdirSync, readFileSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataFile } from 'lowdb/node';
import { Low } from 'lowdb';
import type { Effect } from '../domain/shared/effects.ts';
import type { Collection, Entity, UnitOfWork } from '../domain/shared/unitOfWork.ts';
import { mapCollection } from './memoryUnitOfWork.ts';
import { JournalWriter } from './journalWriter.ts';

type Records = Map<string, Entity>;
interface SnapshotFile {
  collections: Record<string, Record<string, Entity>>;
}
/** one journal line: the records a committed command wrote (`v: null` = deleted) */
interface JournalEntry {
  c: Array<{ n: string; k: string; v: Entity | null }>;
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
  ) {}

  load(): void {
    if (!this.dir) return;
    mkdirSync(this.dir, { recursive: true });
    const dbPath = join(this.dir, 'db.json');
    if (existsSync(dbPath)) {
      const text = readFileSync(dbPath, 'utf8');
      this.snapshotBytes = text.length;
      const snap = JSON.parse(text) as SnapshotFile;
      for (const [name, recs] of Object.entries(snap.collections ?? {})) {
        this.collections.set(name, new Map(Object.entries(recs)));
      }
    }
    const jPath = join(this.dir, 'journal.jsonl');
    if (existsSync(jPath)) {
      const text = readFileSync(jPath, 'utf8');
      this.journalBytes = text.length;
      for (const line of text.split('\n')) {
        if (!line) continue;
        let entry: JournalEntry;
        try {
          entry = JSON.parse(line) as JournalEntry;
        } catch {
          // A torn last line is a command that never got acknowledged: dropping it is correct.
          continue;
        }
        this.apply(entry);
      }
    }
    this.journal = new JournalWriter(jPath);
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
      this.compacting = written.then(() => this.compact()).finally(() => (this.compacting = null));
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
      const db = new Low<SnapshotFile>(new DataFile(dbPath, { parse: JSON.parse, stringify: (d) => JSON.stringify(d) }), data);
      await db.write();
      this.snapshotBytes = statSync(dbPath).size;
      await this.journal.rewrite((queued) => {
        this.tail = null;
        // the last `queued` tail lines are still waiting in the writer and get appended after this
        const written = tail.slice(0, tail.length - queued);
        const text = written.length ? written.join('\n') + '\n' : '';
        let queuedBytes = 0;
        for (let i = written.length; i < tail.length; i++) queuedBytes += tail[i]!.length + 1;
        this.journalBytes = text.length + queuedBytes;
        return text;
      });
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
      rmSync(this.dir, { recursive: true, force: true });
      this.journalBytes = 0;
      this.snapshotBytes = 0;
      this.load();
    }
  }
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

  collection<T extends Entity>(name: string): Collection<T> {
    const base = this.state.records(name) as Map<string, T>;
    let d = this.draft.get(name);
    const draft = () => {
      if (!d) this.draft.set(name, (d = new Map()));
      return d as Map<string, T | null>;
    };
    const self = this;
    const get = (id: string): T | undefined => {
      const dm = self.draft.get(name);
      if (dm && dm.has(id)) return (dm.get(id) as T | null) ?? undefined;
      return base.get(id);
    };
    const all = function* (): Generator<T> {
      const dm = self.draft.get(name) as Map<string, T | null> | undefined;
      for (const [k, v] of base) {
        if (dm && dm.has(k)) {
          const dv = dm.get(k);
          if (dv) yield dv;
        } else yield v;
      }
      if (dm) for (const [k, v] of dm) if (v && !base.has(k)) yield v;
    };
    return {
      get,
      put: (v) => void draft().set(v.id, v),
      delete: (id) => void draft().set(id, null),
      list: () => [...all()],
      find: (p) => {
        const out: T[] = [];
        for (const v of all()) if (p(v)) out.push(v);
        return out;
      },
      findOne: (p) => {
        for (const v of all()) if (p(v)) return v;
        return undefined;
      },
      count: () => {
        let n = 0;
        for (const _ of all()) n++;
        return n;
      },
    };
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

export interface StoreOptions {
  /** directory for JSON files; null keeps everything in memory (tests) */
  dataDir: string | null;
}

/** Every namespace's records. The only code that touches the disk for records. */
export class Store {
  private readonly namespaces = new Map<string, NamespaceState>();
  constructor(readonly options: StoreOptions) {
    if (options.dataDir) {
      const root = join(options.dataDir, 'namespaces');
      mkdirSync(root, { recursive: true });
      for (const dirName of readdirSync(root)) this.namespace(decodeURIComponent(dirName));
    }
  }

  namespaceDir(ns: string): string | null {
    return this.options.dataDir ? join(this.options.dataDir, 'namespaces', encodeURIComponent(ns)) : null;
  }

  namespace(ns: string): NamespaceState {
    let s = this.namespaces.get(ns);
    if (!s) {
      s = new NamespaceState(ns, this.namespaceDir(ns));
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

  async importAll(data: Record<string, SnapshotFile>): Promise<void> {
    for (const s of this.namespaces.values()) s.clear();
    for (const [ns, snap] of Object.entries(data)) {
      const state = this.namespace(ns);
      const entry: JournalEntry = { c: [] };
      for (const [n, recs] of Object.entries(snap.collections ?? {}))
        for (const [k, v] of Object.entries(recs)) entry.c.push({ n, k, v });
      await state.commit(entry);
    }
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
    await Promise.all([...this.namespaces.values()].map((s) => s.compact()));
  }
}

export { mapCollection };
