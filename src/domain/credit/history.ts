import type { Decimal } from 'decimal.js';
import { validationError } from '../shared/errors.ts';
import { D } from '../shared/money.ts';
import { ceilToMinute, floorToMinute } from '../shared/period.ts';
import { assertTimeZone, windowFor } from '../metering/timeWindows.ts';
import { replay, type ReplayInput } from './balance.ts';
import { CreditErrorCode } from './reset.ts';
import type { BurnSegment } from './types.ts';

export const HistoryWindowSize = { HOUR: 'HOUR', DAY: 'DAY' } as const;
export type HistoryWindowSize = (typeof HistoryWindowSize)[keyof typeof HistoryWindowSize];

export interface HistoryInput extends Omit<ReplayInput, 'until'> {
  /** default: the start of the usage period containing `to` (the last reset) */
  from?: Date;
  /** exclusive end; the caller passes its clock's now when the request has none */
  to: Date;
  windowSize: HistoryWindowSize;
  windowTimeZone?: string;
}

export interface HistoryWindow {
  from: Date;
  to: Date;
  usage: Decimal;
  balanceAtStart: Decimal;
  overageAtStart: Decimal;
}

export interface BalanceHistory {
  from: Date;
  to: Date;
  windows: HistoryWindow[];
  /**
   * burn-down segments of [from, to): the first starts at `from` (the engine is re-run from the
   * state at `from`, as GetBalanceForPeriod does), a reset inside adds its zero-length rollover
   * segment
   */
  segments: BurnSegment[];
}

/**
 * Windowed history (`metered/balance.go GetEntitlementBalanceHistory`). Windows sit on the
 * wall-clock grid of `windowTimeZone`, clipped to [from, to), and are zero-filled. A window's
 * starting state is its segment's start state advanced by the usage between the segment start
 * and the window start, so a grant that takes effect inside a window only appears at the next
 * window (or segment) start, and the phase split of the engine is not changed by the windows.
 */
export function balanceHistory(input: HistoryInput): BalanceHistory {
  const tz = input.windowTimeZone ?? 'UTC';
  assertTimeZone(tz);
  if (input.windowSize !== 'HOUR' && input.windowSize !== 'DAY') {
    throw validationError('invalid_window_size', `windowSize must be HOUR or DAY, got ${String(input.windowSize)}`);
  }
  const measureFrom = floorToMinute(input.entitlement.measureUsageFrom);
  const to = ceilToMinute(input.to);
  if (input.from && floorToMinute(input.from).getTime() < measureFrom.getTime()) {
    throw validationError(CreditErrorCode.historyFromBeforeMeasureUsageFrom, `from must not be before measureUsageFrom ${measureFrom.toISOString()}`);
  }
  if (to.getTime() < measureFrom.getTime()) {
    throw validationError(CreditErrorCode.historyRangeInvalid, `to must not be before measureUsageFrom ${measureFrom.toISOString()}`);
  }
  const from = input.from ? floorToMinute(input.from) : replay({ ...input, until: to }).periodStart;
  if (from.getTime() >= to.getTime()) throw validationError(CreditErrorCode.historyRangeInvalid, 'from must be before to');
  if (input.startingSnapshot && input.startingSnapshot.at.getTime() > from.getTime()) {
    throw new RangeError('balanceHistory: the starting snapshot is after `from`');
  }
  // `credit/balance.go GetBalanceForPeriod`: the balance at `from` (a reset at `from` applied)
  // becomes a synthetic starting snapshot, so the history is cut at `from` rather than starting
  // at the segment (or the entitlement start) that contains it
  const atFrom = replay({ ...input, until: from });
  const r = replay({ ...input, startingSnapshot: atFrom.snapshot, until: to });

  const windows: HistoryWindow[] = [];
  let si = 0;
  for (let t = from.getTime(); t < to.getTime(); ) {
    const [, gridEnd] = windowFor(t, input.windowSize, tz);
    const wEnd = Math.min(gridEnd, to.getTime());
    while (r.segments[si]!.to.getTime() <= t) si++;
    const seg = r.segments[si]!;
    const ws = new Date(t);
    const before = t > seg.from.getTime() ? input.usage(seg.from, ws) : new D(0);
    // Same arithmetic as burnThrough, on totals: what is owed burns the balance, the rest is overage.
    const owed = D.max(0, seg.overageAtStart.plus(before));
    const burnt = D.min(seg.balanceAtStart, owed);
    windows.push({
      from: ws,
      to: new Date(wEnd),
      usage: input.usage(ws, new Date(wEnd)),
      balanceAtStart: seg.balanceAtStart.minus(burnt),
      overageAtStart: owed.minus(burnt),
    });
    t = wEnd;
  }
  return { from, to, windows, segments: r.segments };
}
