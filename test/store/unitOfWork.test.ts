import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { EffectType } from '../../src/domain/shared/effects.ts';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

describe('one command, one unit of work, effects after the commit', () => {
  it('two handles on one collection, both taken before either writes, keep each other\'s writes', async () => {
    const { emulator } = createTestEmulator();
    await emulator.run('default', (tx) => {
      const a = tx.collection<{ id: string }>('things');
      const b = tx.collection<{ id: string }>('things');
      b.put({ id: 'one' });
      a.put({ id: 'two' });
    });
    expect(emulator.read('default', (tx) => tx.collection('things').list().map((t) => t.id))).toEqual(['one', 'two']);
  });

  it('refuses a command that returns a promise: it would commit before its writes', async () => {
    const { emulator } = createTestEmulator();
    const bad = (async () => undefined) as unknown as () => undefined;
    await expect(emulator.run('default', bad)).rejects.toThrow(/must be synchronous/);
  });

  it('a command that throws takes its queued effects with it', async () => {
    const { emulator } = createTestEmulator();
    // were this effect performed, delivering an unknown event would fail loudly
    await expect(
      emulator.run('default', (tx) => {
        tx.afterCommit({ type: EffectType.deliverNotification, eventId: '01JNOTANEVENT0000000000000' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });

  it('performs the queued effects after the commit, before the command answers', async () => {
    const { emulator } = createTestEmulator();
    await expect(
      emulator.run('default', (tx) => {
        tx.afterCommit({ type: EffectType.deliverNotification, eventId: '01JNOTANEVENT0000000000000' });
      }),
    ).rejects.toThrow(/notification event not found/);
  });
});

describe('namespaces', () => {
  it('a read never creates a namespace; the first write provisions it (sandbox app, default profile)', async () => {
    const { app, emulator } = createTestEmulator();
    await request(app).get('/v3/metering/bckt_neverwritten/meters').expect(200, []);
    expect(emulator.store.has('zuplo-bucket:bckt_neverwritten')).toBe(false);
    await request(app).post('/v3/metering/bckt_written/meters').send({ slug: 'calls', name: 'Calls', eventType: 'call', aggregation: 'COUNT' }).expect(201);
    const apps = emulator.read('zuplo-bucket:bckt_written', (tx) => emulator.services.apps.listApps(tx).items);
    expect(apps.map((a) => a.type)).toEqual(['sandbox']);
    const profile = emulator.read('zuplo-bucket:bckt_written', (tx) => emulator.services.billingProfiles.getDefaultProfile(tx));
    expect(profile.apps.invoicing).toBe(apps[0]!.id);
  });

  it('the OpenMeter organisation exists from the start; reads of it write nothing', async () => {
    const { app, emulator } = createTestEmulator();
    const first = await request(app).get('/api/v1/apps').expect(200);
    expect(first.body.items.map((a: { type: string }) => a.type)).toEqual(['sandbox']);
    const journalBefore = emulator.store.exportAll().default;
    await request(app).get('/api/v1/billing/profiles').expect(200);
    await request(app).get('/api/v1/apps').expect(200);
    expect(emulator.store.exportAll().default).toEqual(journalBefore);
  });
});
