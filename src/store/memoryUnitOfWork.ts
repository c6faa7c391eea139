import type { Effect } from '../domain/shared/effects.ts';
import type { Collection, Entity, UnitOfWork } from '../domain/shared/unitOfWork.ts';

/**
 * A throw-away UnitOfWork over plain maps, for unit tests of domain services. Queued effects
 * are kept in `effects` for the test to inspect; nothing performs them.
 */
export function createMemoryUnitOfWork(namespace = 'default'): UnitOfWork & { effects: Effect[] } {
  const collections = new Map<string, Map<string, Entity>>();
  const effects: Effect[] = [];
  return {
    namespace,
    effects,
    afterCommit: (e) => void effects.push(e),
    collection<T extends Entity>(name: string): Collection<T> {
      let m = collections.get(name);
      if (!m) collections.set(name, (m = new Map()));
      return mapCollection(m as Map<string, T>);
    },
  };
}

export function mapCollection<T extends Entity>(m: Map<string, T>): Collection<T> {
  return {
    get: (id) => m.get(id),
    put: (v) => void m.set(v.id, v),
    delete: (id) => void m.delete(id),
    list: () => [...m.values()],
    find: (p) => [...m.values()].filter(p),
    findOne: (p) => {
      for (const v of m.values()) if (p(v)) return v;
      return undefined;
    },
    count: () => m.size,
  };
}
