import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from './Store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'localmeter-store-test-'));
  dirs.push(d);
  return d;
};
const big = (i: number) => ({ id: `r${i}`, n: i, pad: 'x'.repeat(2000) });

describe('Store compaction while commits keep arriving', () => {
  it('keeps every acknowledged write across a reload and cuts the journal back to the tail', async () => {
    const dir = tempDir();
    const store = new Store({ dataDir: dir });
    // ~6 MB in unawaited 100-record commits: compactions start while later commits are queued
    const acks: Promise<void>[] = [];
    for (let i = 0; i < 3000; i += 100) {
      const w = store.begin('ns');
      const c = w.collection('c');
      for (let j = i; j < i + 100; j++) c.put(big(j));
      acks.push(w.commit());
    }
    const w = store.begin('ns');
    const c = w.collection<ReturnType<typeof big>>('c');
    c.delete('r7');
    c.put({ ...big(8), n: -8 });
    acks.push(w.commit());
    await Promise.all(acks);
    await store.flush();

    const journal = statSync(join(dir, 'namespaces', 'ns', 'journal.jsonl')).size;
    const snapshot = statSync(join(dir, 'namespaces', 'ns', 'db.json')).size;
    expect(snapshot).toBeGreaterThan(0);
    // the journal no longer holds the lines already folded into the snapshot
    expect(journal).toBeLessThan(3000 * 2000);

    const reloaded = new Store({ dataDir: dir }).begin('ns').collection<{ id: string; n: number }>('c');
    expect(reloaded.count()).toBe(2999);
    expect(reloaded.get('r7')).toBeUndefined();
    expect(reloaded.get('r8')?.n).toBe(-8);
    expect(reloaded.get('r2999')?.n).toBe(2999);
  });

  it('a flush leaves no compaction owed to the next write', async () => {
    const dir = tempDir();
    const store = new Store({ dataDir: dir });
    for (let i = 0; i < 3000; i += 100) {
      const w = store.begin('ns');
      for (let j = i; j < i + 100; j++) w.collection('c').put(big(j));
      await w.commit();
    }
    await store.flush();
    const before = statSync(join(dir, 'namespaces', 'ns', 'db.json')).mtimeMs;
    const w = store.begin('ns');
    w.collection('c').put(big(99999));
    await w.commit();
    await store.flush();
    expect(statSync(join(dir, 'namespaces', 'ns', 'db.json')).mtimeMs).toBe(before);
  });
});
