import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { UnitOfWork } from '../src/domain/shared/unitOfWork.ts';
import { createTestEmulator } from '../src/harness/testEmulator.ts';
import type { JobSource } from '../src/domain/shared/jobs.ts';

interface Reminder {
  id: string;
  dueAt: string;
  done?: boolean;
}

/** A job source like the billing engine's: records due at instants, done once run. */
function reminders(): JobSource & { ran: Array<{ id: string; at: string }> } {
  const ran: Array<{ id: string; at: string }> = [];
  return {
    name: 'sendReminderJob',
    ran,
    dueJobs(tx: UnitOfWork, until: Date) {
      return tx
        .collection<Reminder>('reminders')
        .find((r) => !r.done && Date.parse(r.dueAt) <= until.getTime())
        .map((r) => ({
          name: 'sendReminderJob',
          namespace: tx.namespace,
          dueAt: new Date(r.dueAt),
          run: (work: UnitOfWork) => {
            ran.push({ id: r.id, at: work.namespace });
            work.collection<Reminder>('reminders').put({ ...r, done: true });
            // a job may schedule another one: the advance must pick it up in the same drain
            if (r.id === 'b') work.collection<Reminder>('reminders').put({ id: 'c', dueAt: '2026-01-20T00:00:00.000Z' });
          },
        }));
    },
  };
}

describe('advance drains due jobs in time order', () => {
  it('runs every job due on the way, each at its own instant, including jobs scheduled by jobs', async () => {
    const { app, emulator } = createTestEmulator({ start: new Date('2026-01-01T00:00:00Z') });
    const src = reminders();
    const seenAt: string[] = [];
    emulator.jobSources.push({
      ...src,
      dueJobs: (tx, until) =>
        src.dueJobs(tx, until).map((j) => ({
          ...j,
          run: (w: UnitOfWork) => {
            seenAt.push(emulator.clock.now().toISOString());
            j.run(w);
          },
        })),
    });
    await emulator.run('default', (tx) => {
      tx.collection<Reminder>('reminders').put({ id: 'b', dueAt: '2026-01-10T00:00:00.000Z' });
      tx.collection<Reminder>('reminders').put({ id: 'a', dueAt: '2026-01-05T00:00:00.000Z' });
      tx.collection<Reminder>('reminders').put({ id: 'late', dueAt: '2026-03-01T00:00:00.000Z' });
    });
    await emulator.run('zuplo-bucket:b1', (tx) => tx.collection<Reminder>('reminders').put({ id: 'other-ns', dueAt: '2026-01-07T00:00:00.000Z' }));

    const pending = await request(app).get('/_emulator/jobs').expect(200);
    expect(pending.body.data.map((j: { dueAt: string }) => j.dueAt)).toEqual([
      '2026-01-05T00:00:00.000Z',
      '2026-01-07T00:00:00.000Z',
      '2026-01-10T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);

    const res = await request(app).post('/_emulator/clock/advance').send({ by: 'P1M' }).expect(200);
    expect(res.body.now).toBe('2026-02-01T00:00:00.000Z');
    expect(res.body.jobsRun.map((j: { dueAt: string; namespace: string }) => `${j.dueAt.slice(0, 10)}@${j.namespace}`)).toEqual([
      '2026-01-05@default',
      '2026-01-07@zuplo-bucket:b1',
      '2026-01-10@default',
      '2026-01-20@default',
    ]);
    // each job saw the clock at its own due instant, not at the target
    expect(seenAt).toEqual(['2026-01-05T00:00:00.000Z', '2026-01-07T00:00:00.000Z', '2026-01-10T00:00:00.000Z', '2026-01-20T00:00:00.000Z']);
    expect(src.ran.map((r) => r.id)).toEqual(['a', 'other-ns', 'b', 'c']);
    // the March job is not due yet
    expect((await request(app).get('/_emulator/jobs').expect(200)).body.data).toHaveLength(1);
  });
});
