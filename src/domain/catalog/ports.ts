import type { UnitOfWork } from '../shared/unitOfWork.ts';
import type { MeterRef } from './types.ts';

/** What the catalog needs from metering: the live meter a feature names, by key and/or id. */
export interface MeterDirectory {
  findLiveMeter(tx: UnitOfWork, ref: { key?: string; id?: string }): MeterRef | undefined;
}
