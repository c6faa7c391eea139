import { memoryEventStores } from '../domain/metering/testSupport.ts';
import { FixedClock } from '../domain/shared/clock.ts';
import { SequentialIds } from '../domain/shared/ids.ts';
import { createMemoryUnitOfWork } from '../store/memoryUnitOfWork.ts';
import { createServices } from './services.ts';

/**
 * The wired services over a memory unit of work, a fixed clock and sequential ids, with the
 * namespace's creation hooks already run: the world service tests start from (test support —
 * production code never imports it).
 */
export function createServiceWorld(opts: { start?: Date; namespace?: string } = {}) {
  const clock = new FixedClock(opts.start ?? new Date('2026-01-01T00:00:00Z'));
  const ids = new SequentialIds();
  const services = createServices({ clock, ids, events: memoryEventStores(), zuploAccount: 'test' });
  const tx = createMemoryUnitOfWork(opts.namespace);
  for (const hook of services.namespaceHooks) hook.onNamespaceCreated(tx);
  return { clock, ids, services, tx };
}
