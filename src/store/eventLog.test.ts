import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventLog, createEventStore } from './eventLog.ts';
import type { StoredEvent } from '../domain/metering/types.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-'));
  dirs.push(d);
  return path.join(d, 'ns', 'events.jsonl');
};
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const ev = (n: number, over: Partial<StoredEvent> = {}): StoredEvent => ({
  id: `e${n}`,
  source: 's',
  specversion: '1.0',
  type: 't',
  subject: 'alice',
  time: new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString(),
  data: { tokens: n },
  ingestedAt: '2025-01-02T00:00:00.000Z',
  storedAt: '2025-01-02T00:00:00.000Z',
  seq: n,
  ...over,
});

describe('EventLog', () => {
  it('persists appended events and replays them', async () => {
    const file = tmp();
    const log = EventLog.open(file);
    log.append([ev(1), ev(2)]);
    log.append([ev(3)]);
    await log.flush();
    expect(EventLog.open(file).load()).toEqual([ev(1), ev(2), ev(3)]);
  });

  it('batches many appends into one write', async () => {
    const file = tmp();
    const log = EventLog.open(file);
    const spy = vi.spyOn(fs.promises, 'appendFile');
    for (let i = 0; i < 50; i++) log.append([ev(i)]);
    await Promise.all([log.flush(), log.flush()]);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(EventLog.open(file).load()).toHaveLength(50);
  });

  it('ignores and trims a torn last line', async () => {
    const file = tmp();
    const log = EventLog.open(file);
    log.append([ev(1), ev(2)]);
    await log.flush();
    fs.appendFileSync(file, '{"id":"e3","sou');
    const reopened = EventLog.open(file);
    expect(reopened.load().map((e) => e.id)).toEqual(['e1', 'e2']);
    reopened.append([ev(4)]);
    await reopened.flush();
    expect(EventLog.open(file).load().map((e) => e.id)).toEqual(['e1', 'e2', 'e4']);
  });

  it('memory-only log keeps nothing on disk', async () => {
    const log = EventLog.open(null);
    log.append([ev(1)]);
    await log.flush();
    expect(log.load()).toEqual([]);
  });
});

describe('createEventStore', () => {
  it('indexes, dedupes and survives a restart', async () => {
    const file = tmp();
    const store = createEventStore(file);
    store.append([ev(1), ev(2)]);
    store.append([ev(2), ev(3, { time: '2024-12-31T00:00:00.000Z' })]);
    expect(store.has('s', 'e2')).toBe(true);
    expect(store.index.size).toBe(3);
    await store.flush();
    const again = createEventStore(file);
    expect(again.index.size).toBe(3);
    expect(again.has('s', 'e3')).toBe(true);
    expect(again.index.nextSeq()).toBe(4);
    const b = again.index.bucket('t')!;
    expect(b.sortedOrd.map((o) => b.events[o]!.id)).toEqual(['e3', 'e1', 'e2']);
  });
});

describe('EventLog replay in steps', () => {
  it('reads lines longer than one step, cuts a torn tail, and a store replays in the background', async () => {
    const file = tmp();
    const log = EventLog.open(file);
    const big = ev(1, { data: { blob: 'x'.repeat(3 * 1024 * 1024) } });
    log.append([ev(0), big, ...Array.from({ length: 20_000 }, (_, i) => ev(i + 2))]);
    await log.flush();
    fs.appendFileSync(file, '{"id":"torn","sour');
    const replayed = EventLog.open(file).load();
    expect(replayed).toHaveLength(20_002);
    expect((replayed[1]!.data as { blob: string }).blob).toHaveLength(3 * 1024 * 1024);
    expect(fs.readFileSync(file, 'utf8').endsWith('}\n')).toBe(true);
    // a store answers its first question with everything, even before the background replay is done
    const store = createEventStore(file);
    expect(store.has('s', 'e20001')).toBe(true);
    expect(store.index.size).toBe(20_002);
  });
});
