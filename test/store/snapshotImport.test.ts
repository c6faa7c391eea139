import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';
import { Store } from '../../src/store/Store.ts';

/**
 * Issue 14: a snapshot import changes everything or nothing. The new state is written whole
 * beside `namespaces/` and swapped in by renames; whatever point a crash stops it at, the next
 * start finds the old state or the new one, never a mix.
 */
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'localmeter-import-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Thing = { id: string; v: string };

async function storeWith(dataDir: string, things: Record<string, string>): Promise<Store> {
  const store = new Store({ dataDir });
  const w = store.begin('ns');
  for (const [id, v] of Object.entries(things)) w.collection<Thing>('things').put({ id, v });
  await w.commit();
  await store.flush();
  return store;
}

const things = (store: Store, ns = 'ns') =>
  Object.fromEntries(
    store
      .begin(ns)
      .collection<Thing>('things')
      .list()
      .map((t) => [t.id, t.v]),
  );

/** the files an import stages, as the store writes them (a crash right after staging) */
function stage(dataDir: string, ns: string, recs: Record<string, string>, complete: boolean): void {
  const dir = join(dataDir, 'namespaces.importing', ns);
  mkdirSync(dir, { recursive: true });
  const collections = { things: Object.fromEntries(Object.entries(recs).map(([id, v]) => [id, { id, v }])) };
  writeFileSync(join(dir, 'db.json'), JSON.stringify({ collections }));
  if (complete) writeFileSync(join(dataDir, 'namespaces.importing.complete'), '');
}

describe('snapshot import on disk', () => {
  it('replaces the state at once, keeps files the store did not write, and reloads as imported', async () => {
    const dataDir = tempDir();
    const store = await storeWith(dataDir, { a: 'old', b: 'old' });
    writeFileSync(join(dataDir, 'namespaces', 'ns', 'notes.txt'), 'mine');
    const imported = { ns: { collections: { things: { c: { id: 'c', v: 'new' } as Thing } } }, other: { collections: {} } };
    const swapped = await store.importAll(imported);
    expect(swapped).toBe(true);
    expect(things(store)).toEqual({ c: 'new' });
    expect(store.namespaceNames().sort()).toEqual(['ns', 'other']);
    expect(readdirSync(dataDir).sort()).toEqual(['namespaces']);
    expect(existsSync(join(dataDir, 'namespaces', 'ns', 'notes.txt'))).toBe(true);
    await store.close();
    expect(things(new Store({ dataDir }))).toEqual({ c: 'new' });
  });

  it('a crash before the import was complete leaves the old state', async () => {
    const dataDir = tempDir();
    await (await storeWith(dataDir, { a: 'old' })).close();
    stage(dataDir, 'ns', { a: 'new', b: 'new' }, false);
    const again = new Store({ dataDir });
    expect(things(again)).toEqual({ a: 'old' });
    expect(existsSync(join(dataDir, 'namespaces.importing'))).toBe(false);
  });

  it('a crash after the import was complete gives the new state, wherever the swap stopped', async () => {
    // before the first rename
    const before = tempDir();
    await (await storeWith(before, { a: 'old' })).close();
    stage(before, 'ns', { a: 'new', b: 'new' }, true);
    expect(things(new Store({ dataDir: before }))).toEqual({ a: 'new', b: 'new' });

    // between the two renames: the old tree is aside, the new one not yet in place
    const between = tempDir();
    await (await storeWith(between, { a: 'old' })).close();
    stage(between, 'ns', { a: 'new' }, true);
    renameSync(join(between, 'namespaces'), join(between, 'namespaces.previous'));
    expect(things(new Store({ dataDir: between }))).toEqual({ a: 'new' });
    expect(readdirSync(between).sort()).toEqual(['namespaces']);
  });

  it('through the control plane: records and events come back from the imported snapshot after a restart', async () => {
    const dataDir = tempDir();
    const first = createTestEmulator({ dataDir, frozen: true, start: new Date('2026-01-10T00:00:00Z') });
    await request(first.app).post('/api/v1/meters').send({ slug: 'm', eventType: 'e', aggregation: 'COUNT' }).expect(200);
    const event = (id: string) => ({ specversion: '1.0', id, source: 's', type: 'e', subject: 'x', time: '2026-01-05T00:00:00Z', data: {} });
    await request(first.app).post('/api/v1/events').send([event('1'), event('2')]).expect(204);
    const snap = (await request(first.app).get('/_emulator/snapshot').expect(200)).body as Record<string, unknown>;
    await request(first.app).post('/api/v1/events').send([event('3')]).expect(204);
    await request(first.app).delete('/api/v1/meters/m').expect(204);
    await request(first.app).put('/_emulator/snapshot').send(snap).expect(204);
    const count = async (app: typeof first.app) => {
      const r = await request(app).get('/api/v1/meters/m/query?from=2026-01-01T00:00:00Z&to=2026-01-10T00:00:00Z').expect(200);
      return (r.body as { data: Array<{ value: number }> }).data.reduce((a, row) => a + row.value, 0);
    };
    expect(await count(first.app)).toBe(2);
    await first.emulator.close();
    const second = createTestEmulator({ dataDir });
    expect(await count(second.app)).toBe(2);
    await second.emulator.close();
  });
});
