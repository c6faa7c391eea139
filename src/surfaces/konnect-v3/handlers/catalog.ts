import type { Feature, Plan } from '../../../domain/catalog/types.ts';
import { DomainError, ErrorKind, validationError } from '../../../domain/shared/errors.ts';
import type { UnitOfWork } from '../../../domain/shared/unitOfWork.ts';
import { noContent, ok, type Handler, type HandlerContext, type Reply } from '../../http/types.ts';
import { applyFilters, pageOf, parseFilters, parsePage, parseSort, sortItems } from '../aip.ts';
import {
  fromApiAddonCreate,
  fromApiAddonUpdate,
  fromApiFeatureCreate,
  fromApiPlanAddonCreate,
  fromApiPlanAddonUpdate,
  fromApiPlanCreate,
  fromApiPlanUpdate,
  fromApiUnitCost,
  toApiAddon,
  toApiFeature,
  toApiPlan,
  toApiPlanAddon,
  type FeatureKeyOf,
} from '../convert/catalog.ts';
import { dimensionsOf, fromApiMeterQuery, type ApiMeterQueryRequest } from '../convert/metering.ts';
import type { components } from '../api.gen.ts';
import { allItems } from './metering.ts';

type S = components['schemas'];

/** v3 rate cards name features by id; the domain by key. An unknown id is a rule violation. */
function featureKeys(c: HandlerContext, tx: UnitOfWork): FeatureKeyOf {
  return (id, field) => {
    try {
      return c.services.features.getFeature(tx, { idOrKey: id }).key;
    } catch (e) {
      if (e instanceof DomainError && e.kind === ErrorKind.notFound) {
        const message = `feature ${id} not found`;
        throw validationError('rate_card_feature_not_found', message, [{ code: 'rate_card_feature_not_found', message, field, severity: 'critical' }]);
      }
      throw e;
    }
  };
}

const COMMON_SORT = ['id', 'key', 'name', 'created_at', 'updated_at'] as const;
const DEFAULT_SORT = [{ field: 'created_at', desc: false }];

// ---------------------------------------------------------------------------------- features

const featureField = (f: Feature, k: string): string | undefined =>
  ({ id: f.id, key: f.key, name: f.name, meter_id: f.meterId, created_at: f.createdAt, updated_at: f.updatedAt })[k];

export const listFeatures: Handler = (c) => {
  const filters = parseFilters(c.query.filter, { meter_id: { kind: 'string', ops: ['eq', 'oeq', 'neq'] }, key: { kind: 'string' }, name: { kind: 'string' } });
  const sort = parseSort(c.query.sort, COMMON_SORT, DEFAULT_SORT);
  const page = parsePage(c.query.page);
  const all = c.read((tx) => allItems((n) => c.services.features.listFeatures(tx, { page: n, pageSize: 1000 })));
  return ok(pageOf(sortItems(applyFilters(all, filters, featureField), sort, featureField, (f) => f.id), page, toApiFeature));
};

export const createFeature: Handler = async (c) =>
  ok(toApiFeature(await c.run((tx) => c.services.features.createFeature(tx, fromApiFeatureCreate(c.body as S['CreateFeatureRequest'])))), 201);

export const getFeature: Handler = (c) => ok(toApiFeature(c.read((tx) => c.services.features.getFeature(tx, { idOrKey: c.params.featureId! }))));

export const updateFeature: Handler = async (c) => {
  const b = (c.body ?? {}) as S['UpdateFeatureRequest'];
  const unitCost = b.unit_cost === undefined ? undefined : b.unit_cost === null ? null : fromApiUnitCost(b.unit_cost as S['BillingFeatureUnitCost']);
  return ok(toApiFeature(await c.run((tx) => c.services.features.updateFeature(tx, { idOrKey: c.params.featureId!, ...(unitCost !== undefined ? { unitCost } : {}) }))));
};

/** v3 DELETE = v1 archive: the key is free again, the record stays readable with deleted_at */
export const deleteFeature: Handler = async (c) => {
  await c.run((tx) => c.services.features.archiveFeature(tx, { idOrKey: c.params.featureId! }));
  return noContent();
};

/** usage of the feature's meter (with the feature's filters) × its manual unit cost */
export const queryFeatureCost: Handler = (c) => {
  const body = (c.body ?? {}) as ApiMeterQueryRequest;
  const r = c.read((tx) =>
    c.services.featureCosts.queryFeatureCost(tx, { featureIdOrKey: c.params.featureId!, query: (own) => fromApiMeterQuery(body, own) }),
  );
  return ok({
    ...(r.from ? { from: r.from } : {}),
    ...(r.to ? { to: r.to } : {}),
    data: r.rows.map(({ row, usage, currency, cost, detail }) => ({
      usage,
      currency,
      from: row.windowStart,
      to: row.windowEnd,
      dimensions: dimensionsOf(row),
      cost,
      ...(detail !== undefined ? { detail } : {}),
    })),
  });
};

// ---------------------------------------------------------------------------------- plans

/** Plans and add-ons are both versioned catalog items: filtered, sorted and paged alike. */
type Versioned = Pick<Plan, 'id' | 'key' | 'name' | 'version' | 'status' | 'currency' | 'createdAt' | 'updatedAt'>;

const versionedField = (p: Versioned, k: string): string | number | undefined =>
  ({ id: p.id, key: p.key, name: p.name, version: p.version, status: p.status, currency: p.currency, created_at: p.createdAt, updated_at: p.updatedAt })[k];

function listVersioned<T extends Versioned>(c: HandlerContext, all: T[], filterById: boolean, toApi: (x: T) => unknown): Reply {
  const filters = parseFilters(c.query.filter, {
    ...(filterById ? { id: { kind: 'string', ops: ['eq', 'oeq', 'neq'] } } : {}),
    key: { kind: 'string' },
    name: { kind: 'string' },
    status: { kind: 'string', ops: ['eq', 'oeq', 'neq'] },
    currency: { kind: 'string', ops: ['eq', 'oeq', 'neq'] },
  });
  const sort = parseSort(c.query.sort, [...COMMON_SORT, 'version'], DEFAULT_SORT);
  const page = parsePage(c.query.page);
  const str = (x: T, k: string) => versionedField(x, k)?.toString();
  return ok(pageOf(sortItems(applyFilters(all, filters, str), sort, versionedField, (x) => x.id), page, toApi));
}

export const listPlans: Handler = (c) =>
  listVersioned(c, c.read((tx) => allItems((n) => c.services.plans.listPlans(tx, { page: n, pageSize: 1000 }))), false, toApiPlan);

export const createPlan: Handler = async (c) =>
  ok(toApiPlan(await c.run((tx) => c.services.plans.createPlan(tx, fromApiPlanCreate(c.body as S['CreatePlanRequest'], featureKeys(c, tx))))), 201);

export const getPlan: Handler = (c) => ok(toApiPlan(c.read((tx) => c.services.plans.getPlan(tx, { idOrKey: c.params.planId! }))));

export const updatePlan: Handler = async (c) => {
  const id = c.params.planId!;
  return ok(
    toApiPlan(
      await c.run((tx) => {
        const cur = c.services.plans.getPlan(tx, { idOrKey: id });
        return c.services.plans.updatePlan(tx, fromApiPlanUpdate(cur.id, c.body as S['UpsertPlanRequest'], cur, featureKeys(c, tx)));
      }),
    ),
  );
};

export const deletePlan: Handler = async (c) => {
  await c.run((tx) => c.services.plans.deletePlan(tx, { id: c.params.planId! }));
  return noContent();
};

export const publishPlan: Handler = async (c) => ok(toApiPlan(await c.run((tx) => c.services.plans.publishPlan(tx, { id: c.params.planId! }))));

export const archivePlan: Handler = async (c) => ok(toApiPlan(await c.run((tx) => c.services.plans.archivePlan(tx, { id: c.params.planId! }))));

// ---------------------------------------------------------------------------------- add-ons

export const listAddons: Handler = (c) =>
  listVersioned(c, c.read((tx) => allItems((n) => c.services.addons.listAddons(tx, { page: n, pageSize: 1000 }))), true, toApiAddon);

export const createAddon: Handler = async (c) =>
  ok(toApiAddon(await c.run((tx) => c.services.addons.createAddon(tx, fromApiAddonCreate(c.body as S['CreateAddonRequest'], featureKeys(c, tx))))), 201);

export const getAddon: Handler = (c) => ok(toApiAddon(c.read((tx) => c.services.addons.getAddon(tx, { idOrKey: c.params.addonId! }))));

export const updateAddon: Handler = async (c) => {
  const id = c.params.addonId!;
  return ok(
    toApiAddon(
      await c.run((tx) => {
        const cur = c.services.addons.getAddon(tx, { idOrKey: id });
        return c.services.addons.updateAddon(tx, fromApiAddonUpdate(cur.id, c.body as S['UpsertAddonRequest'], cur, featureKeys(c, tx)));
      }),
    ),
  );
};

export const deleteAddon: Handler = async (c) => {
  await c.run((tx) => c.services.addons.deleteAddon(tx, { id: c.params.addonId! }));
  return noContent();
};

export const publishAddon: Handler = async (c) => ok(toApiAddon(await c.run((tx) => c.services.addons.publishAddon(tx, { id: c.params.addonId! }))));

export const archiveAddon: Handler = async (c) => ok(toApiAddon(await c.run((tx) => c.services.addons.archiveAddon(tx, { id: c.params.addonId! }))));

// ---------------------------------------------------------------------------------- plan add-ons

export const listPlanAddons: Handler = (c) => {
  const page = parsePage(c.query.page);
  const res = c.read((tx) => c.services.planAddons.listPlanAddons(tx, { planIdOrKey: c.params.planId!, page: page.number, pageSize: page.size, orderBy: 'created_at', order: 'ASC' }));
  return ok({ data: res.items.map(toApiPlanAddon), meta: { page: { number: page.number, size: page.size, total: res.totalCount } } });
};

export const createPlanAddon: Handler = async (c) =>
  ok(toApiPlanAddon(await c.run((tx) => c.services.planAddons.createPlanAddon(tx, fromApiPlanAddonCreate(c.params.planId!, c.body as S['CreatePlanAddonRequest'])))), 201);

export const getPlanAddon: Handler = (c) =>
  ok(toApiPlanAddon(c.read((tx) => c.services.planAddons.getPlanAddon(tx, { planIdOrKey: c.params.planId!, planAddonIdOrAddonKey: c.params.planAddonId! }))));

export const updatePlanAddon: Handler = async (c) =>
  ok(
    toApiPlanAddon(
      await c.run((tx) => c.services.planAddons.updatePlanAddon(tx, fromApiPlanAddonUpdate(c.params.planId!, c.params.planAddonId!, c.body as S['UpsertPlanAddonRequest']))),
    ),
  );

export const deletePlanAddon: Handler = async (c) => {
  await c.run((tx) => c.services.planAddons.deletePlanAddon(tx, { planId: c.params.planId!, planAddonId: c.params.planAddonId! }));
  return noContent();
};
