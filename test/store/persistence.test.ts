import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';
import { Store } from '../../src/store/Store.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'localmeter-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('JSON store', () => {
  it('keeps every acknowledged write across a restart (records and events)', async () => {
    const dataDir = tempDir();
    const first = createTestEmulator({ dataDir });
    await request(first.app).post('/api/v1/meters').send({ slug: 'm', eventType: 'e', aggregation: 'COUNT' }).expect(200);
    await request(first.app)
      .post('/api/v1/events')
      .send([{ specversion: '1.0', id: '1', source: 's', type: 'e', subject: 'x', time: '2025-12-31T00:00:00Z', data: {} }])
      .expect(204);
    // no close(): a crash right after the answer must lose nothing
    const second = createTestEmulator({ dataDir });
    const meters = await request(second.app).get('/api/v1/meters').expect(200);
    expect(meters.body.map((m: { slug: string }) => m.slug)).toEqual(['m']);
    const q = await request(second.app).get('/api/v1/meters/m/query').expect(200);
    expect(q.body.data[0].value).toBe(1);
  });

  it('ignores a torn last journal line (a write that was never acknowledged)', async () => {
    const dataDir = tempDir();
    const store = new Store({ dataDir });
    const w = store.begin('default');
    w.collection('things').put({ id: 'a' });
    await w.commit();
    appendFileSync(join(dataDir, 'namespaces', 'default', 'journal.jsonl'), '{"c":[{"n":"things","k":"b","v":{"id":"b"');
    const reopened = new Store({ dataDir });
    expect(reopened.begin('default').collection('things').list()).toEqual([{ id: 'a' }]);
  });

  it('discards a failed command entirely', async () => {
    const { app, emulator } = createTestEmulator();
    await expect(
      emulator.run('default', (tx) => {
        tx.collection('things').put({ id: 'half' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(emulator.read('default', (tx) => tx.collection('things').list())).toEqual([]);
    await request(app).get('/api/v1/meters').expect(200);
  });

  it('compacts the journal into a lowdb snapshot that reloads identically', async () => {
    const dataDir = tempDir();
    const store = new Store({ dataDir });
    for (let i = 0; i < 50; i++) {
      const w = store.begin('ns');
      w.collection<{ id: string; n: number }>('things').put({ id: `t${i}`, n: i });
      await w.commit();
    }
    await store.close();
    const files = readdirSync(join(dataDir, 'namespaces', 'ns'));
    expect(files).toContain('db.json');
    expect(readFileSync(join(dataDir, 'namespaces', 'ns', 'journal.jsonl'), 'utf8')).toBe('');
    const again = new Store({ dataDir });
    expect(again.begin('ns').collection('things').count()).toBe(50);
  });

  it('lands every one of many concurrent commits, in order', async () => {
    const dataDir = tempDir();
    const store = new Store({ dataDir });
    const commits = Array.from({ length: 200 }, (_, i) => {
      const w = store.begin('ns');
      w.collection('things').put({ id: `t${i}` });
      return w.commit();
    });
    await Promise.all(commits);
    const lines = readFileSync(join(dataDir, 'namespaces', 'ns', 'journal.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(200);
    expect(new Store({ dataDir }).begin('ns').collection('things').count()).toBe(200);
  });
});
