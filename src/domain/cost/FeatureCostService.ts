import type { FilterString } from '../catalog/types.ts';
import type { MeterQueryParams, MeterQueryResult, MeterQueryRow } from '../metering/types.ts';
import { validationError } from '../shared/errors.ts';
import { D, toDecimalString } from '../shared/money.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import type { FeatureDirectory, UsageQuery } from './ports.ts';

/**
 * Features carry no currency; a manual unit cost is in the organisation's currency, which is
 * USD for every organisation here.
 */
export const COST_CURRENCY = 'USD';

export interface FeatureCostRow {
  row: MeterQueryRow;
  usage: string;
  currency: string;
  /** usage × manual unit cost; null when it cannot be priced (`detail` says why) */
  cost: string | null;
  detail?: string;
}

export interface FeatureCostResult {
  from?: string;
  to?: string;
  rows: FeatureCostRow[];
}

/**
 * A feature's cost over time: the usage of its meter (narrowed by the feature's own group-by
 * filters) times its manual unit cost — OpenMeter's `cost` service behind the v3 feature-cost
 * query. LLM-priced features have no price source here.
 */
export class FeatureCostService {
  constructor(private readonly deps: { features: FeatureDirectory; usage: UsageQuery }) {}

  queryFeatureCost(
    tx: UnitOfWork,
    input: { featureIdOrKey: string; query: (featureFilters: Record<string, FilterString>) => MeterQueryParams },
  ): FeatureCostResult {
    const feature = this.deps.features.getFeature(tx, { idOrKey: input.featureIdOrKey });
    if (!feature.meterId) {
      const message = `feature ${feature.key} has no meter: its cost cannot be queried`;
      throw validationError('feature_has_no_meter', message, [{ code: 'feature_has_no_meter', message, field: 'meter', severity: 'critical' }]);
    }
    const result: MeterQueryResult = this.deps.usage.queryMeter(tx, feature.meterId, input.query(feature.advancedMeterGroupByFilters ?? {}));
    const uc = feature.unitCost;
    return {
      ...(result.from ? { from: result.from } : {}),
      ...(result.to ? { to: result.to } : {}),
      rows: result.data.map((row) => {
        const base = { row, usage: row.value, currency: COST_CURRENCY };
        if (uc?.type === 'manual') return { ...base, cost: toDecimalString(D(row.value).times(uc.amount)) };
        return { ...base, cost: null, detail: uc ? 'LLM pricing is not available in localmeter' : `feature ${feature.key} has no unit cost` };
      }),
    };
  }
}
