import type { Collection, Entity, UnitOfWork } from '../../shared/unitOfWork.ts';

/**
 * Per namespace, when each stored record next needs a worker (one instant per kind of work), so
 * the drain's look for the next due job and a job's look for its due records read only the
 * records written since the last look, not every invoice of years of billing at every job.
 *
 * The index holds committed state only. Every write marks its id (`touched`); a look re-reads the
 * marked ids from a unit of work that wrote none of them, which sees exactly what was committed
 * (a rolled-back write is read back as the record it did not replace). A look from inside a unit
 * of work that wrote records answers from a full scan of what it sees and leaves the index alone.
 * Stored records are replaced, never edited, so an entry is current while the stored object is the
 * one it was computed from; the earliest entry is checked against the store before it is trusted.
 */
export class DueIndex<T extends Entity> {
  private readonly spaces = new Map<string, Space<T>>();
  private readonly writers = new WeakSet<UnitOfWork>();

  constructor(
    private readonly kinds: number,
    /** the instant each kind of work is due for the record (undefined: none) */
    private readonly dueOf: (value: T) => ReadonlyArray<number | undefined>,
  ) {}

  touched(tx: UnitOfWork, id: string): void {
    this.writers.add(tx);
    this.spaces.get(tx.namespace)?.dirty.add(id);
  }

  /** whether `tx` wrote records: what it sees is not (yet) committed */
  wrote(tx: UnitOfWork): boolean {
    return this.writers.has(tx);
  }

  /** the earliest instant a record is due for `kind`, undefined when none is */
  earliest(tx: UnitOfWork, col: Collection<T>, kind: number): number | undefined {
    if (this.writers.has(tx)) return this.scan(col, kind).at;
    const space = this.refresh(tx, col);
    const heap = space.heaps[kind]!;
    for (;;) {
      const top = heap.peek();
      if (!top) return undefined;
      const entry = space.entries.get(top.id);
      if (!entry || entry.value !== top.value || entry.at[kind] !== top.at) {
        heap.pop();
        continue;
      }
      // a record replaced behind the index's back (a store reloaded after a failed write)
      if (col.get(top.id) !== top.value) {
        this.reread(space, col, top.id);
        continue;
      }
      return top.at;
    }
  }

  /** the records due for `kind` at or before `until`, in the collection's order */
  due(tx: UnitOfWork, col: Collection<T>, kind: number, until: number): T[] {
    if (this.writers.has(tx)) return this.scan(col, kind, until).due;
    const space = this.refresh(tx, col);
    const heap = space.heaps[kind]!;
    const out: Array<Entry<T>> = [];
    const seen = new Set<string>();
    // the heap's entries up to `until`, current ones only; taken out and put back
    const taken: Array<HeapItem<T>> = [];
    for (let top = heap.peek(); top && top.at <= until; top = heap.peek()) {
      heap.pop();
      const entry = space.entries.get(top.id);
      if (!entry || entry.value !== top.value || entry.at[kind] !== top.at || seen.has(top.id)) continue;
      taken.push(top);
      seen.add(top.id);
      if (col.get(top.id) !== top.value) {
        // replaced behind the index's back: the slow, certain answer
        for (const t of taken) heap.push(t);
        this.forget(tx.namespace);
        return this.scan(col, kind, until).due;
      }
      out.push(entry);
    }
    for (const t of taken) heap.push(t);
    return out.sort((a, b) => a.seq - b.seq).map((e) => e.value);
  }

  forget(namespace?: string): void {
    if (namespace === undefined) this.spaces.clear();
    else this.spaces.delete(namespace);
  }

  private scan(col: Collection<T>, kind: number, until = Infinity): { at: number | undefined; due: T[] } {
    let at: number | undefined;
    const due: T[] = [];
    for (const value of col.list()) {
      const t = this.dueOf(value)[kind];
      if (t === undefined || t > until) continue;
      due.push(value);
      if (at === undefined || t < at) at = t;
    }
    return { at, due };
  }

  private refresh(tx: UnitOfWork, col: Collection<T>): Space<T> {
    let space = this.spaces.get(tx.namespace);
    if (!space) {
      space = { entries: new Map(), heaps: Array.from({ length: this.kinds }, () => new MinHeap<T>()), dirty: new Set(), seq: 0 };
      this.spaces.set(tx.namespace, space);
      for (const value of col.list()) this.put(space, value);
      return space;
    }
    if (space.dirty.size) {
      const ids = [...space.dirty];
      space.dirty.clear();
      for (const id of ids) this.reread(space, col, id);
    }
    // replaced records leave their old entries behind until they surface: past a bound, start over
    if (space.heaps.some((h) => h.size > 4 * space.entries.size + 1024)) {
      space.heaps = space.heaps.map(() => new MinHeap<T>());
      for (const entry of space.entries.values()) this.pushEntry(space, entry);
    }
    return space;
  }

  private reread(space: Space<T>, col: Collection<T>, id: string): void {
    const value = col.get(id);
    if (value) this.put(space, value);
    else space.entries.delete(id);
  }

  private put(space: Space<T>, value: T): void {
    const kept = space.entries.get(value.id);
    if (kept?.value === value) return;
    const at = this.dueOf(value);
    // a new record goes after every record stored before it, as the collection lists them
    const entry: Entry<T> = { value, at, seq: kept?.seq ?? space.seq++ };
    space.entries.set(value.id, entry);
    this.pushEntry(space, entry);
  }

  private pushEntry(space: Space<T>, entry: Entry<T>): void {
    for (let k = 0; k < this.kinds; k++) {
      const t = entry.at[k];
      if (t !== undefined) space.heaps[k]!.push({ at: t, id: entry.value.id, value: entry.value });
    }
  }
}

interface Entry<T> {
  value: T;
  at: ReadonlyArray<number | undefined>;
  seq: number;
}

interface Space<T> {
  entries: Map<string, Entry<T>>;
  heaps: Array<MinHeap<T>>;
  dirty: Set<string>;
  seq: number;
}

interface HeapItem<T> {
  at: number;
  id: string;
  value: T;
}

/** Entries are never removed from the middle: a replaced record's old entry is dropped when it surfaces. */
class MinHeap<T> {
  private readonly items: Array<HeapItem<T>> = [];

  get size(): number {
    return this.items.length;
  }

  peek(): HeapItem<T> | undefined {
    return this.items[0];
  }

  push(item: HeapItem<T>): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.at <= item.at) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = item;
  }

  pop(): HeapItem<T> | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (!a.length || !last) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && a[r]!.at < a[l]!.at ? r : l;
      if (a[c]!.at >= last.at) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
