/**
 * Which subscriptions need an entitlement sync when: a min-heap of (instant, subscription id)
 * per namespace, so the clock's drain finds the next due instant without scanning every
 * subscription after every job (which made 12 months of 4,000 subscriptions quadratic).
 *
 * It is a hint, never the truth: entries are pushed when a command stores a `nextSyncAt` (even
 * if that command is later rolled back) and each one is checked against the stored record
 * before use, so stale entries are simply dropped. A namespace's heap is built from a scan the
 * first time it is needed and forgotten when the namespace is reset or a snapshot is imported.
 */
export interface SyncEntry {
  at: string;
  id: string;
}

export class SyncHeap {
  private readonly items: SyncEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): SyncEntry | undefined {
    return this.items[0];
  }

  push(e: SyncEntry): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.at <= a[i]!.at) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }

  pop(): SyncEntry | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.at < a[m]!.at) m = l;
        if (r < a.length && a[r]!.at < a[m]!.at) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }

  /** every entry, unordered (the pending-jobs listing) */
  entries(): readonly SyncEntry[] {
    return this.items;
  }
}
