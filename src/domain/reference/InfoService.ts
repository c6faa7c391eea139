import type { MeteringService } from '../metering/MeteringService.ts';
import type { Clock } from '../shared/clock.ts';
import { IssueCollector, notFound } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { ReferenceErrorCode as C } from './errors.ts';
import type { EventCount, Progress } from './types.ts';

const PROGRESS = 'progress';
const DAY_MS = 86_400_000;

/**
 * Operational information of the v1 `info` and `debug` routes: progress records of long
 * operations (none of our operations is long yet, so nothing records one unless an engine calls
 * `recordProgress`) and the daily event counters behind `/debug/metrics`.
 */
export class InfoService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator; metering: MeteringService }) {}

  getProgress(tx: UnitOfWork, id: string): Progress {
    const p = tx.collection<Progress>(PROGRESS).get(id);
    if (!p) throw notFound(C.progressNotFound, `progress ${id} not found`);
    return p;
  }

  /** for engines running long operations: create (no id) or update a progress record */
  recordProgress(tx: UnitOfWork, input: { id?: string; success: number; failed: number; total: number }): Progress {
    const issues = new IssueCollector();
    for (const f of ['success', 'failed', 'total'] as const) {
      if (!Number.isInteger(input[f]) || input[f] < 0) issues.add(C.progressInvalid, `${f} must be a non-negative integer`, f);
    }
    if (issues.empty && input.success + input.failed > input.total) issues.add(C.progressInvalid, 'success + failed exceeds total', 'total');
    issues.throwIfAny();
    const p: Progress = {
      id: input.id ?? this.deps.ids.next(),
      success: input.success,
      failed: input.failed,
      total: input.total,
      updatedAt: this.deps.clock.now().toISOString(),
    };
    tx.collection<Progress>(PROGRESS).put(p);
    return p;
  }

  /**
   * Events ingested since midnight UTC (the real counters reset then), per subject, valid and
   * invalid counted apart; ordered by subject, valid first.
   */
  countEventsToday(tx: UnitOfWork): { since: string; counts: EventCount[] } {
    const now = this.deps.clock.now().getTime();
    const since = new Date(now - (((now % DAY_MS) + DAY_MS) % DAY_MS)).toISOString();
    const counts = new Map<string, EventCount>();
    let cursor: string | undefined;
    do {
      const page = this.deps.metering.listEventsCursor(tx, { limit: 1000, filter: { ingestedAt: { $gte: since } }, ...(cursor ? { cursor } : {}) });
      for (const item of page.items) {
        const invalid = (item.validationErrors?.length ?? 0) > 0;
        const k = `${invalid ? 1 : 0}\u0000${item.event.subject}`;
        const c = counts.get(k);
        if (c) c.count += 1;
        else counts.set(k, { subject: item.event.subject, invalid, count: 1 });
      }
      cursor = page.nextCursor;
    } while (cursor);
    const list = [...counts.values()].sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : Number(a.invalid) - Number(b.invalid)));
    return { since, counts: list };
  }
}
