import type { Feature } from '../catalog/types.ts';
import type { MeterQueryParams, MeterQueryResult } from '../metering/types.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';

/** Features as the catalog finds them (FeatureService implements this). */
export interface FeatureDirectory {
  getFeature(tx: UnitOfWork, input: { idOrKey: string }): Feature;
}

/** A meter's usage (MeteringService implements this). */
export interface UsageQuery {
  queryMeter(tx: UnitOfWork, meterIdOrSlug: string, params: MeterQueryParams): MeterQueryResult;
}
