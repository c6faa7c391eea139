import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobRecord } from '../domain/shared/jobs.ts';
import { addDuration, parseDuration } from '../domain/shared/recurrence.ts';
import type { Emulator } from '../runtime/Emulator.ts';
import type { JournalFilter, JournalItem } from '../runtime/RequestJournal.ts';
import { documentedOperations } from '../surfaces/coverage.ts';
import { subsetMismatch } from './scenario.ts';
import { startTestEmulator } from './testEmulator.ts';

/**
 * The contract-test kit: an emulator in this process on a free port, for a test suite that
 * drives its own client code against it and then asks what the client called.
 */
export interface KitOptions {
  /** seed for reproducible ids (default 42) */
  seed?: number;
  /** the clock's first instant (default 2026-01-01T00:00:00Z) */
  start?: Date | string;
  /** frozen clock (default true: time moves only when the test moves it) */
  frozen?: boolean;
  /** answer 500 when a response breaks the vendor's spec (default true) */
  validateResponses?: boolean;
  /** directory for the operations report (default: $LOCALMETER_REPORT_DIR; none when unset) */
  report?: string;
  /** default 127.0.0.1 */
  host?: string;
  /** default 0: any free port */
  port?: number;
}

export type RequestRecord = JournalItem;

export interface KitClock {
  now(): Date;
  readonly frozen: boolean;
  /** back: just sets; forward: an advance (jobs due on the way run) */
  set(instant: Date | string): Promise<Date>;
  /** by an ISO 8601 duration (`P1M`, `PT1H`) or to an instant; returns the jobs that ran */
  advance(by: string | { to: Date | string }): Promise<JobRecord[]>;
  freeze(): void;
  unfreeze(): void;
}

export interface CallExpectation {
  /** exact number of calls */
  times?: number;
  /** a subset the body of at least one call must match (as scenario `expect.body`) */
  body?: unknown;
}

export interface KitEmulator {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** base URLs per surface, as each client wants them */
  urls: {
    /** @openmeter/sdk `baseUrl` (the SDK adds /api/v1) */
    openmeter: string;
    /** the v1 API root, for plain HTTP clients */
    openmeterApi: string;
    /** Konnect v3 base (paths continue /openmeter/...) */
    konnect: string;
    /** ZUPLO_DEVELOPER_API_ENDPOINT */
    zuplo: string;
    /** the emulator's control plane */
    control: string;
  };
  clock: KitClock;
  /** drops all state (or one namespace's) and empties the request journal */
  reset(namespace?: string): Promise<void>;
  /** stops the server; writes this instance's part of the operations report */
  stop(): Promise<void>;
  /** requests served so far (oldest first; the last 1000-2000 are kept) */
  requests(filter?: JournalFilter): RequestRecord[];
  /** requests that reached `operationId` (the vendor spec's operationId, e.g. `ingestEvents`) */
  calls(operationId: string): RequestRecord[];
  called(operationId: string): boolean;
  /** throws an Error describing what was called instead when the expectation is not met */
  expectCalled(operationId: string, expectation?: CallExpectation): RequestRecord[];
  expectNotCalled(operationId: string): void;
  /** `surface operationId` of every documented operation this instance served */
  exercised(): string[];
  /** the engine itself, for what the kit does not cover */
  emulator: Emulator;
}

const TEST_START = '2026-01-01T00:00:00Z';

/** In memory, seeded, frozen at 2026-01-01 unless told otherwise, responses checked against the specs. */
export async function startEmulator(opts: KitOptions = {}): Promise<KitEmulator> {
  const start = new Date(opts.start ?? TEST_START);
  if (Number.isNaN(start.getTime())) throw new TypeError(`start: not an instant: ${String(opts.start)} (e.g. '2026-01-01T00:00:00Z')`);
  const running = await startTestEmulator({
    start,
    seed: opts.seed ?? 42,
    frozen: opts.frozen ?? true,
    validateResponses: opts.validateResponses ?? true,
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
  });
  const { emulator, url } = running;
  const reportDir = opts.report ?? process.env.LOCALMETER_REPORT_DIR;
  // Kept apart from the journal, which is trimmed and cleared: the report is about the whole run.
  const exercised = new Map<string, { surface: string; operationId: string; calls: number; statuses: Record<string, number> }>();
  emulator.journal.onRecord((item) => {
    if (!item.operationId) return;
    const key = `${item.surface} ${item.operationId}`;
    const e = exercised.get(key) ?? { surface: item.surface, operationId: item.operationId, calls: 0, statuses: {} };
    e.calls++;
    e.statuses[item.status] = (e.statuses[item.status] ?? 0) + 1;
    exercised.set(key, e);
  });

  const requests = (filter: JournalFilter = {}) => emulator.journal.list({ limit: Number.MAX_SAFE_INTEGER, ...filter }).reverse();
  const calls = (operationId: string) => requests({ operationId });
  const describeCalls = () => {
    const all = requests();
    return all.length === 0 ? 'no requests at all' : `requests served: ${all.map((r) => `${r.method} ${r.path} → ${r.status}${r.operationId ? ` (${r.operationId})` : ''}`).join('; ')}`;
  };
  const toDate = (v: Date | string) => {
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new TypeError(`not an instant: ${String(v)} (e.g. '2026-02-01T00:00:00Z')`);
    return d;
  };

  const clock: KitClock = {
    now: () => emulator.clock.now(),
    get frozen() {
      return emulator.clock.frozen;
    },
    set: async (instant) => {
      const target = toDate(instant);
      if (target.getTime() > emulator.clock.now().getTime()) await emulator.advanceTo(target);
      else emulator.clock.set(target);
      return emulator.clock.now();
    },
    advance: async (by) => {
      let target: Date;
      if (typeof by === 'string') {
        const d = parseDuration(by);
        if (!d) throw new TypeError(`advance: not an ISO 8601 duration: ${by} (e.g. 'P1M', 'P1D', 'PT1H')`);
        target = addDuration(emulator.clock.now(), d);
      } else target = toDate(by.to);
      if (target.getTime() < emulator.clock.now().getTime()) throw new RangeError(`advance: ${target.toISOString()} is before now (${emulator.clock.now().toISOString()}); use clock.set to go back`);
      return emulator.advanceTo(target);
    },
    freeze: () => emulator.clock.freeze(),
    unfreeze: () => emulator.clock.unfreeze(),
  };

  let stopped = false;
  return {
    url,
    urls: { openmeter: url, openmeterApi: `${url}/api/v1`, konnect: `${url}/v3`, zuplo: url, control: `${url}/_emulator` },
    clock,
    emulator,
    reset: async (namespace) => {
      await emulator.reset(namespace);
      emulator.journal.clear();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await running.stop();
      if (reportDir && exercised.size > 0) {
        mkdirSync(reportDir, { recursive: true });
        writeFileSync(join(reportDir, `${FRAGMENT_PREFIX}${process.pid}-${randomUUID()}.json`), JSON.stringify([...exercised.values()]));
      }
    },
    requests,
    calls,
    called: (operationId) => calls(operationId).length > 0,
    expectCalled: (operationId, expectation = {}) => {
      const made = calls(operationId);
      if (expectation.times === undefined && made.length === 0) throw new Error(`expected ${operationId} to be called; ${describeCalls()}`);
      if (expectation.times !== undefined && made.length !== expectation.times) {
        throw new Error(`expected ${operationId} to be called ${expectation.times} time(s), it was called ${made.length} time(s); ${describeCalls()}`);
      }
      if (expectation.body !== undefined) {
        const mismatches = made.map((r) => subsetMismatch(r.body, expectation.body));
        if (!mismatches.includes(null)) {
          throw new Error(`no call of ${operationId} had a body matching ${JSON.stringify(expectation.body)}: ${mismatches.map((m, i) => `call ${i + 1}: ${m}`).join('; ')}`);
        }
      }
      return made;
    },
    expectNotCalled: (operationId) => {
      const made = calls(operationId);
      if (made.length > 0) throw new Error(`expected ${operationId} not to be called; it was called ${made.length} time(s): ${made.map((r) => `${r.method} ${r.path}`).join('; ')}`);
    },
    exercised: () => [...exercised.keys()].sort(),
  };
}

const FRAGMENT_PREFIX = 'exercised-';

export interface OperationsReport {
  surfaces: Array<{ surface: string; documented: number; implemented: number; exercised: number; notExercised: string[] }>;
  operations: Array<{ surface: string; operationId: string; method: string; path: string; implemented: boolean; calls: number; statuses: Record<string, number> }>;
  /** one line per surface, for the end of a test run's output */
  summary: string;
}

/**
 * Merges what every kit instance of a run exercised (the files `stop()` left in `dir`) into
 * `dir/operations.json` and `dir/operations.md`, and removes those files. Call it once at the
 * end of a run: vitest `globalSetup` teardown, jest `globalTeardown`, node:test `after`.
 */
export function writeOperationsReport(dir: string): OperationsReport {
  mkdirSync(dir, { recursive: true });
  const fragments = readdirSync(dir).filter((f) => f.startsWith(FRAGMENT_PREFIX) && f.endsWith('.json'));
  const seen = new Map<string, { calls: number; statuses: Record<string, number> }>();
  for (const f of fragments) {
    for (const e of JSON.parse(readFileSync(join(dir, f), 'utf8')) as Array<{ surface: string; operationId: string; calls: number; statuses: Record<string, number> }>) {
      const key = `${e.surface} ${e.operationId}`;
      const acc = seen.get(key) ?? { calls: 0, statuses: {} };
      acc.calls += e.calls;
      for (const [s, n] of Object.entries(e.statuses)) acc.statuses[s] = (acc.statuses[s] ?? 0) + n;
      seen.set(key, acc);
    }
  }
  const operations = documentedOperations().map((o) => ({
    surface: o.surface,
    operationId: o.operationId,
    method: o.method.toUpperCase(),
    path: o.path,
    implemented: o.implemented,
    ...(seen.get(`${o.surface} ${o.operationId}`) ?? { calls: 0, statuses: {} }),
  }));
  const surfaces = [...new Set(operations.map((o) => o.surface))].map((surface) => {
    const ops = operations.filter((o) => o.surface === surface);
    return {
      surface,
      documented: ops.length,
      implemented: ops.filter((o) => o.implemented).length,
      exercised: ops.filter((o) => o.calls > 0).length,
      notExercised: ops.filter((o) => o.calls === 0 && o.implemented).map((o) => o.operationId),
    };
  });
  const used = surfaces.filter((s) => s.exercised > 0);
  const summary = (used.length === 0 ? ['localmeter: no documented operation was called'] : used.map((s) => `localmeter: ${s.surface}: ${s.exercised} of ${s.documented} documented operations exercised`)).join('\n');
  const md = [
    '# Operations exercised',
    '',
    '| surface | documented | implemented by localmeter | exercised |',
    '|---|---|---|---|',
    ...surfaces.map((s) => `| ${s.surface} | ${s.documented} | ${s.implemented} | ${s.exercised} |`),
    '',
    ...used.flatMap((s) => [
      `## ${s.surface}`,
      '',
      '| operation | method | path | calls | statuses |',
      '|---|---|---|---|---|',
      ...operations.filter((o) => o.surface === s.surface && o.calls > 0).map((o) => `| ${o.operationId} | ${o.method} | \`${o.path}\` | ${o.calls} | ${Object.entries(o.statuses).map(([k, n]) => `${k}×${n}`).join(' ')} |`),
      '',
      `Not exercised (implemented): ${s.notExercised.join(', ') || 'none'}`,
      '',
    ]),
  ].join('\n');
  const report: OperationsReport = { surfaces, operations, summary };
  writeFileSync(join(dir, 'operations.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(dir, 'operations.md'), md);
  for (const f of fragments) rmSync(join(dir, f), { force: true });
  return report;
}
