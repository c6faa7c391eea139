import type { Clock } from '../shared/clock.ts';
import { validationError } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { PlatformErrorCode as E } from './errors.ts';
import type { AuditContext, AuditLogEntry } from './types.ts';

const AUDIT = 'zuplo_audit_logs';
const DAY_MS = 86_400_000;
/** Zuplo answers at most 30 days per query (docs: audit-logs). */
export const MAX_RANGE_DAYS = 30;

export interface AuditQuery {
  limit?: number;
  offset?: number;
  action?: string;
  actor?: string;
  success?: boolean;
  startDate?: string;
  endDate?: string;
}

/** Every mutation of the Developer API leaves an entry, newest first when queried. */
export class AuditLogService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator }) {}

  record(tx: UnitOfWork, accountName: string, input: { action: string; resources: { type: string; id: string }[]; metadata?: Record<string, unknown> | null; success: boolean; error?: string | null; context: AuditContext }): AuditLogEntry {
    const e: AuditLogEntry = {
      id: this.deps.ids.next(),
      accountName,
      action: input.action,
      resources: input.resources,
      metadata: input.metadata ?? null,
      success: input.success,
      error: input.error ?? null,
      context: input.context,
      timestamp: this.deps.clock.now().toISOString(),
    };
    tx.collection<AuditLogEntry>(AUDIT).put(e);
    return e;
  }

  query(tx: UnitOfWork, accountName: string, q: AuditQuery = {}): { items: AuditLogEntry[]; limit: number; offset: number; total: number; hasMore: boolean } {
    const end = q.endDate ? Date.parse(q.endDate) : this.deps.clock.now().getTime();
    const start = q.startDate ? Date.parse(q.startDate) : end - MAX_RANGE_DAYS * DAY_MS;
    if (start > end) throw validationError(E.invalidDateRange, 'startDate must not be after endDate');
    if (end - start > MAX_RANGE_DAYS * DAY_MS) throw validationError(E.invalidDateRange, `the date range must not exceed ${MAX_RANGE_DAYS} days`);
    const limit = Math.min(Math.max(q.limit ?? 20, 1), 100);
    const offset = Math.max(q.offset ?? 0, 0);
    const all = tx
      .collection<AuditLogEntry>(AUDIT)
      .find((e) => {
        const t = Date.parse(e.timestamp);
        return (
          e.accountName === accountName &&
          t >= start &&
          t <= end &&
          (q.action === undefined || e.action === q.action) &&
          (q.actor === undefined || e.context.actorSub === q.actor || e.context.actorEmail === q.actor) &&
          (q.success === undefined || e.success === q.success)
        );
      })
      .reverse();
    return { items: all.slice(offset, offset + limit), limit, offset, total: all.length, hasMore: offset + limit < all.length };
  }
}
