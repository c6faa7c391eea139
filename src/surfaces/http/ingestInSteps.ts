import type { CloudEventInput } from '../../domain/metering/types.ts';
import { IssueCollector } from '../../domain/shared/errors.ts';
import type { HandlerContext } from './types.ts';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Events per unit of work in a large batch: tens of milliseconds of work, then other requests get a turn. */
export const INGEST_STEP = 2000;

/**
 * Ingests a batch as the real endpoint does (all or nothing on validation: the whole batch is
 * checked first), but a large one in steps of `INGEST_STEP` events, each its own unit of work,
 * with a turn of the event loop between them. A crash between steps leaves a prefix of a batch
 * that was never acknowledged; the client's retry is deduplicated by (source, id).
 */
export async function ingestInSteps(c: HandlerContext, events: CloudEventInput[]): Promise<void> {
  if (events.length <= INGEST_STEP) {
    await c.run((tx) => c.services.metering.ingestEvents(tx, events));
    return;
  }
  // checked whole before anything is ingested, a step at a time
  const issues = new IssueCollector();
  for (let i = 0; i < events.length; i += INGEST_STEP) {
    c.services.metering.collectEventIssues(issues, events, i, Math.min(events.length, i + INGEST_STEP));
    await turn();
  }
  c.services.metering.throwEventIssues(issues);
  for (let i = 0; i < events.length; i += INGEST_STEP) {
    const step = events.slice(i, i + INGEST_STEP);
    await c.run((tx) => c.services.metering.ingestEvents(tx, step));
    await turn();
  }
}
