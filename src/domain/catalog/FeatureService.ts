import type { Clock } from '../shared/clock.ts';
import type { IdGenerator } from '../shared/ids.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { IssueCollector, conflict, notFound, validationError } from '../shared/errors.ts';
import { isDecimalString } from '../shared/money.ts';
import { CatalogErrorCode as E } from './errors.ts';
import { planStatusAt } from './lifecycle.ts';
import { paginate, sortBy } from '../shared/paging.ts';
import type { MeterDirectory } from './ports.ts';
import {
  CatalogCollections as Col,
  type Feature,
  type FeatureUnitCost,
  type FilterString,
  type Metadata,
  type MeterRef,
  type Page,
  type PageInput,
  type PlanRecord,
} from './types.ts';
import { validateKey, validateName } from './validation.ts';

export interface CreateFeatureInput {
  key: string;
  name: string;
  /** v1: the meter key */
  meterSlug?: string;
  /** v3: the meter id (either reference works; both must name the same meter) */
  meterId?: string;
  meterGroupByFilters?: Record<string, string>;
  advancedMeterGroupByFilters?: Record<string, FilterString>;
  unitCost?: FeatureUnitCost;
  metadata?: Metadata;
  description?: string;
}

export const FeatureOrderBy = { id: 'id', key: 'key', name: 'name', createdAt: 'createdAt', updatedAt: 'updatedAt' } as const;
export type FeatureOrderBy = (typeof FeatureOrderBy)[keyof typeof FeatureOrderBy];

export interface ListFeaturesInput extends PageInput {
  meterSlug?: string[];
  includeArchived?: boolean;
  orderBy?: FeatureOrderBy;
}

/** Meters with these aggregations can back a feature (v1 createFeature description). */
const FEATURE_AGGREGATIONS = new Set(['SUM', 'COUNT', 'UNIQUE_COUNT', 'LATEST']);

const isSimpleFilter = (f: FilterString): f is { $eq: string } =>
  typeof f.$eq === 'string' && Object.entries(f).every(([k, v]) => k === '$eq' || v === undefined || v === null);

/** `{k: 'v'}` ≡ `{k: {$eq: 'v'}}` */
export const toAdvancedFilters = (simple: Record<string, string>): Record<string, FilterString> =>
  Object.fromEntries(Object.entries(simple).map(([k, v]) => [k, { $eq: v }]));

/** The simple form exists only when every advanced filter is a plain equality. */
export function toSimpleFilters(adv: Record<string, FilterString>): Record<string, string> | undefined {
  const entries = Object.entries(adv);
  if (!entries.every(([, f]) => isSimpleFilter(f))) return undefined;
  return Object.fromEntries(entries.map(([k, f]) => [k, f.$eq as string]));
}

/** Every string filter key a FilterString uses, recursively ($and/$or). */
function filterIsWellFormed(f: FilterString): boolean {
  if (typeof f !== 'object' || f === null) return false;
  const ops = Object.entries(f).filter(([, v]) => v !== undefined && v !== null);
  if (ops.length === 0) return false;
  return ops.every(([op, v]) => {
    if (op === '$and' || op === '$or') return Array.isArray(v) && v.every((x) => filterIsWellFormed(x as FilterString));
    if (op === '$in' || op === '$nin') return Array.isArray(v) && v.every((x) => typeof x === 'string');
    return ['$eq', '$ne', '$like', '$nlike', '$ilike', '$nilike', '$gt', '$gte', '$lt', '$lte'].includes(op) && typeof v === 'string';
  });
}

export class FeatureService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator; meters: MeterDirectory }) {}

  createFeature(tx: UnitOfWork, input: CreateFeatureInput): Feature {
    const ic = new IssueCollector();
    validateKey(ic, input.key, 'key');
    validateName(ic, input.name, 'name');
    ic.throwIfAny();

    const features = tx.collection<Feature>(Col.features);
    const existing = features.findOne((f) => f.key === input.key && !f.archivedAt);
    if (existing) {
      // a plain conflict, no extensions (productcatalog/driver/errors.go)
      throw conflict(E.featureAlreadyExists, `feature with key ${input.key} already exists`);
    }

    const meter = this.resolveMeter(tx, input);
    const advanced = this.resolveFilters(input, meter);
    if (input.unitCost) this.validateUnitCost(input.unitCost, meter);

    const now = this.deps.clock.now().toISOString();
    const feature: Feature = {
      id: this.deps.ids.next(),
      key: input.key,
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(meter ? { meterSlug: meter.key, meterId: meter.id } : {}),
      ...(advanced ? { advancedMeterGroupByFilters: advanced } : {}),
      ...(advanced && toSimpleFilters(advanced) ? { meterGroupByFilters: toSimpleFilters(advanced) } : {}),
      ...(input.unitCost ? { unitCost: input.unitCost } : {}),
      ...(input.metadata ? { metadata: input.metadata } : {}),
      createdAt: now,
      updatedAt: now,
    };
    features.put(feature);
    return feature;
  }

  /** v3 PATCH: only the unit cost can change (null clears it, undefined leaves it). */
  updateFeature(tx: UnitOfWork, input: { idOrKey: string; unitCost?: FeatureUnitCost | null }): Feature {
    const f = this.getFeature(tx, { idOrKey: input.idOrKey });
    if (input.unitCost === undefined) return f;
    const meter = f.meterSlug ? this.findMeter(tx, { meterSlug: f.meterSlug }) : undefined;
    if (input.unitCost) this.validateUnitCost(input.unitCost, meter);
    const { unitCost: _old, ...rest } = f;
    const next: Feature = { ...rest, ...(input.unitCost ? { unitCost: input.unitCost } : {}), updatedAt: this.deps.clock.now().toISOString() };
    tx.collection<Feature>(Col.features).put(next);
    return next;
  }

  /** By id (archived included), else by key (the live feature with that key). */
  getFeature(tx: UnitOfWork, input: { idOrKey: string }): Feature {
    const f = this.findFeature(tx, input.idOrKey);
    if (!f) throw notFound(E.featureNotFound, `feature ${input.idOrKey} not found`);
    return f;
  }

  /** `getFeature` without the error, for other domains with their own not-found answer. */
  findFeature(tx: UnitOfWork, idOrKey: string): Feature | undefined {
    const features = tx.collection<Feature>(Col.features);
    return features.get(idOrKey) ?? features.findOne((x) => x.key === idOrKey && !x.archivedAt);
  }

  listFeatures(tx: UnitOfWork, input: ListFeaturesInput = {}): Page<Feature> {
    const slugs = input.meterSlug && input.meterSlug.length > 0 ? new Set(input.meterSlug) : undefined;
    const items = tx
      .collection<Feature>(Col.features)
      .find((f) => (input.includeArchived || !f.archivedAt) && (!slugs || (f.meterSlug !== undefined && slugs.has(f.meterSlug))));
    // the real default is key ASC (productcatalog/driver/feature.go)
    const orderBy = input.orderBy ?? 'key';
    if (!Object.values(FeatureOrderBy).includes(orderBy)) {
      throw validationError(E.invalidPagination, `invalid orderBy ${orderBy}`);
    }
    return paginate(sortBy(items, (f) => f[orderBy], input.order), input);
  }

  /**
   * v1 DELETE archives: the key becomes free for a new feature; existing entitlements stay.
   * A feature still sold by an active or scheduled plan cannot be archived.
   */
  archiveFeature(tx: UnitOfWork, input: { idOrKey: string }): Feature {
    const f = this.getFeature(tx, input);
    // the real lookup skips archived features, so archiving one again is a 404 (feature/connector.go)
    if (f.archivedAt) throw notFound(E.featureNotFound, `feature ${input.idOrKey} not found`);
    const now = this.deps.clock.now();
    const usedBy = tx
      .collection<PlanRecord>(Col.plans)
      .find(
        (p) =>
          !p.deletedAt &&
          ['active', 'scheduled'].includes(planStatusAt(p, now)) &&
          p.phases.some((ph) => ph.rateCards.some((rc) => rc.featureKey === f.key)),
      );
    if (usedBy.length > 0) {
      throw validationError(
        E.featureInUse,
        `feature ${f.key} is used by active plans: ${usedBy.map((p) => `${p.key}@v${p.version}`).join(', ')}`,
      );
    }
    const next: Feature = { ...f, archivedAt: now.toISOString(), updatedAt: now.toISOString() };
    tx.collection<Feature>(Col.features).put(next);
    return next;
  }

  // -------------------------------------------------------------------------------------------

  private findMeter(tx: UnitOfWork, ref: { meterSlug?: string; meterId?: string }): MeterRef | undefined {
    return this.deps.meters.findLiveMeter(tx, { ...(ref.meterSlug !== undefined ? { key: ref.meterSlug } : {}), ...(ref.meterId !== undefined ? { id: ref.meterId } : {}) });
  }

  private resolveMeter(tx: UnitOfWork, input: CreateFeatureInput): MeterRef | undefined {
    if (input.meterSlug === undefined && input.meterId === undefined) {
      if (input.meterGroupByFilters || input.advancedMeterGroupByFilters) {
        throw validationError(E.featureInvalidGroupByFilter, 'meter group-by filters need a meter', [
          { code: E.featureInvalidGroupByFilter, message: 'meter group-by filters need a meter', field: 'meterSlug', severity: 'critical' },
        ]);
      }
      return undefined;
    }
    const meter = this.findMeter(tx, input);
    if (!meter) throw notFound(E.meterNotFound, `meter ${input.meterSlug ?? input.meterId} not found`);
    if (!FEATURE_AGGREGATIONS.has(meter.aggregation)) {
      throw validationError(
        E.featureMeterAggregationNotSupported,
        `meter ${meter.key} has aggregation ${meter.aggregation}; features support SUM, COUNT, UNIQUE_COUNT and LATEST`,
      );
    }
    return meter;
  }

  /** Returns the advanced form (the stored truth) of the filters, checked against the meter's groupBy keys. */
  private resolveFilters(input: CreateFeatureInput, meter: MeterRef | undefined): Record<string, FilterString> | undefined {
    if (!meter) return undefined;
    const ic = new IssueCollector();
    const simple = input.meterGroupByFilters;
    const adv = input.advancedMeterGroupByFilters;
    let merged: Record<string, FilterString> | undefined;
    if (adv && Object.keys(adv).length > 0) {
      merged = { ...adv };
      // a simple filter given alongside must say the same thing
      for (const [k, v] of Object.entries(simple ?? {})) {
        const a = adv[k];
        if (!a) merged[k] = { $eq: v };
        else if (!(isSimpleFilter(a) && a.$eq === v)) {
          ic.add(E.featureInvalidGroupByFilter, `meterGroupByFilters.${k} contradicts advancedMeterGroupByFilters.${k}`, `meterGroupByFilters.${k}`);
        }
      }
    } else if (simple && Object.keys(simple).length > 0) {
      merged = toAdvancedFilters(simple);
    }
    if (!merged) {
      ic.throwIfAny(E.featureInvalidGroupByFilter);
      return undefined;
    }
    const groupBy = Object.keys(meter.groupBy ?? {});
    for (const [k, f] of Object.entries(merged)) {
      if (!groupBy.includes(k)) {
        ic.add(E.featureInvalidGroupByFilter, `meter ${meter.key} has no groupBy key ${k} (has: ${groupBy.join(', ') || 'none'})`, `advancedMeterGroupByFilters.${k}`);
      } else if (!filterIsWellFormed(f)) {
        ic.add(E.featureInvalidGroupByFilter, `invalid filter for ${k}`, `advancedMeterGroupByFilters.${k}`);
      }
    }
    ic.throwIfAny(E.featureInvalidGroupByFilter);
    return merged;
  }

  private validateUnitCost(uc: FeatureUnitCost, meter: MeterRef | undefined): void {
    const ic = new IssueCollector();
    if (uc.type === 'manual') {
      if (!isDecimalString(uc.amount) || uc.amount.startsWith('-')) ic.add(E.featureUnitCostInvalid, 'unitCost.amount must be a non-negative decimal', 'unitCost.amount');
    } else if (uc.type === 'llm') {
      const groupBy = Object.keys(meter?.groupBy ?? {});
      for (const [prop, fixed] of [
        ['providerProperty', 'provider'],
        ['modelProperty', 'model'],
        ['tokenTypeProperty', 'tokenType'],
      ] as const) {
        if (uc[prop] !== undefined && uc[fixed] !== undefined) {
          ic.add(E.featureUnitCostInvalid, `unitCost.${prop} and unitCost.${fixed} are mutually exclusive`, `unitCost.${prop}`);
        }
        const p = uc[prop];
        if (p !== undefined && !groupBy.includes(p)) ic.add(E.featureUnitCostInvalid, `unitCost.${prop} ${p} is not a groupBy key of the meter`, `unitCost.${prop}`);
      }
    } else {
      ic.add(E.featureUnitCostInvalid, 'unitCost.type must be manual or llm', 'unitCost.type');
    }
    ic.throwIfAny(E.featureUnitCostInvalid);
  }
}
