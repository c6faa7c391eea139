import type { Feature } from '../catalog/types.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';

/** Features as the catalog finds them (FeatureService implements this). */
export interface FeatureDirectory {
  /** by id (archived included), else the live feature with that key */
  findFeature(tx: UnitOfWork, idOrKey: string): Feature | undefined;
}
