import type { UnitOfWork } from './unitOfWork.ts';

/**
 * Work a namespace needs once, when it is first used — as a new OpenMeter organisation gets
 * its sandbox app and default billing profile. Hooks run in the namespace's first unit of work
 * and must be idempotent (a restart runs them again over the stored state).
 */
export interface NamespaceHook {
  name: string;
  onNamespaceCreated(tx: UnitOfWork): void;
}
