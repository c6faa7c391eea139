import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { CatalogCollections, type Feature } from './types.ts';
import type { CatalogContext } from './validation.ts';

/** Feature lookups for validation: the live feature with a key, else its latest archived one. */
export function catalogContext(tx: UnitOfWork): CatalogContext {
  const features = tx.collection<Feature>(CatalogCollections.features);
  return {
    features: (key) => {
      const all = features.find((f) => f.key === key);
      const live = all.find((f) => !f.archivedAt);
      if (live) return live;
      return all.sort((a, b) => (a.archivedAt! < b.archivedAt! ? 1 : -1))[0];
    },
  };
}
