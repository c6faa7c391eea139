/**
 * OpenMeter v1 product catalog: features, plans, add-ons and plan add-ons. Zuplo's
 * `/v3/metering/{bucketId}/features|plans` operations reuse these handlers as they are (same
 * bodies; the bucket is the namespace).
 */
import { toApiPage } from '../convert/paging.ts';
import type { components } from '../api.gen.ts';
import { noContent, ok, type HandlerContext, type Reply } from '../../http/types.ts';
import {
  assertV1Representable,
  fromApiAddonCreate,
  fromApiAddonUpdate,
  fromApiFeatureCreate,
  fromApiListAddonsQuery,
  fromApiListFeaturesQuery,
  fromApiListPlanAddonsQuery,
  fromApiListPlansQuery,
  fromApiPlanAddonCreate,
  fromApiPlanAddonUpdate,
  fromApiPlanCreate,
  fromApiPlanUpdate,
  toApiAddon,
  toApiFeature,
  toApiPlan,
  toApiPlanAddon,
  wantsFeaturePage,
} from '../convert/catalog.ts';
import { sentQueryKeys } from '../../http/sentQueryKeys.ts';

type S = components['schemas'];

const svc = (c: HandlerContext) => c.services;

// ---------------------------------------------------------------------------------------------
// Features

export function listFeatures(c: HandlerContext): Reply {
  const sent = sentQueryKeys(c);
  const page = c.read((tx) => svc(c).features.listFeatures(tx, fromApiListFeaturesQuery(c.query, sent)));
  return ok(wantsFeaturePage(sent) ? toApiPage(page, toApiFeature) : page.items.map(toApiFeature));
}

export async function createFeature(c: HandlerContext): Promise<Reply> {
  const input = fromApiFeatureCreate(c.body as S['FeatureCreateInputs']);
  const f = await c.run((tx) => svc(c).features.createFeature(tx, input));
  return ok(toApiFeature(f), 201);
}

export function getFeature(c: HandlerContext): Reply {
  const f = c.read((tx) => svc(c).features.getFeature(tx, { idOrKey: c.params.featureId! }));
  return ok(toApiFeature(f));
}

/** v1 DELETE archives the feature (it stays readable by id). */
export async function deleteFeature(c: HandlerContext): Promise<Reply> {
  await c.run((tx) => svc(c).features.archiveFeature(tx, { idOrKey: c.params.featureId! }));
  return noContent();
}

// ---------------------------------------------------------------------------------------------
// Plans

export function listPlans(c: HandlerContext): Reply {
  const page = c.read((tx) => svc(c).plans.listPlans(tx, fromApiListPlansQuery(c.query, sentQueryKeys(c))));
  return ok(toApiPage(page, toApiPlan));
}

export async function createPlan(c: HandlerContext): Promise<Reply> {
  const input = fromApiPlanCreate(c.body as S['PlanCreate']);
  const p = await c.run((tx) => svc(c).plans.createPlan(tx, input));
  return ok(toApiPlan(p), 201);
}

export function getPlan(c: HandlerContext): Reply {
  const includeLatest = c.query.includeLatest === true || c.query.includeLatest === 'true';
  const p = c.read((tx) => svc(c).plans.getPlan(tx, { idOrKey: c.params.planId!, includeLatest }));
  return ok(toApiPlan(assertV1Representable(p)));
}

export async function updatePlan(c: HandlerContext): Promise<Reply> {
  const input = fromApiPlanUpdate(c.params.planId!, c.body as S['PlanReplaceUpdate']);
  const p = await c.run((tx) => {
    assertV1Representable(svc(c).plans.getPlan(tx, { idOrKey: input.id }));
    return svc(c).plans.updatePlan(tx, input);
  });
  return ok(toApiPlan(p));
}

export async function deletePlan(c: HandlerContext): Promise<Reply> {
  await c.run((tx) => svc(c).plans.deletePlan(tx, { id: c.params.planId! }));
  return noContent();
}

export async function publishPlan(c: HandlerContext): Promise<Reply> {
  const p = await c.run((tx) => {
    assertV1Representable(svc(c).plans.getPlan(tx, { idOrKey: c.params.planId! }));
    return svc(c).plans.publishPlan(tx, { id: c.params.planId! });
  });
  return ok(toApiPlan(p));
}

export async function archivePlan(c: HandlerContext): Promise<Reply> {
  const p = await c.run((tx) => {
    assertV1Representable(svc(c).plans.getPlan(tx, { idOrKey: c.params.planId! }));
    return svc(c).plans.archivePlan(tx, { id: c.params.planId! });
  });
  return ok(toApiPlan(p));
}

/** `POST /api/v1/plans/{planIdOrKey}/next`: a new draft copied from the latest published version. */
export async function nextPlan(c: HandlerContext): Promise<Reply> {
  // a new version of a plan v1 cannot show is refused (the unit of work is discarded)
  const p = await c.run((tx) => assertV1Representable(svc(c).plans.nextPlanVersion(tx, { idOrKey: c.params.planIdOrKey! })));
  return ok(toApiPlan(p), 201);
}

// ---------------------------------------------------------------------------------------------
// Add-ons

export function listAddons(c: HandlerContext): Reply {
  const page = c.read((tx) => svc(c).addons.listAddons(tx, fromApiListAddonsQuery(c.query, sentQueryKeys(c))));
  return ok(toApiPage(page, toApiAddon));
}

export async function createAddon(c: HandlerContext): Promise<Reply> {
  const input = fromApiAddonCreate(c.body as S['AddonCreate']);
  const a = await c.run((tx) => svc(c).addons.createAddon(tx, input));
  return ok(toApiAddon(a), 201);
}

export function getAddon(c: HandlerContext): Reply {
  const includeLatest = c.query.includeLatest === true || c.query.includeLatest === 'true';
  const a = c.read((tx) => svc(c).addons.getAddon(tx, { idOrKey: c.params.addonId!, includeLatest }));
  return ok(toApiAddon(assertV1Representable(a)));
}

export async function updateAddon(c: HandlerContext): Promise<Reply> {
  const input = fromApiAddonUpdate(c.params.addonId!, c.body as S['AddonReplaceUpdate']);
  const a = await c.run((tx) => {
    assertV1Representable(svc(c).addons.getAddon(tx, { idOrKey: input.id }));
    return svc(c).addons.updateAddon(tx, input);
  });
  return ok(toApiAddon(a));
}

export async function deleteAddon(c: HandlerContext): Promise<Reply> {
  await c.run((tx) => svc(c).addons.deleteAddon(tx, { id: c.params.addonId! }));
  return noContent();
}

export async function publishAddon(c: HandlerContext): Promise<Reply> {
  const a = await c.run((tx) => {
    assertV1Representable(svc(c).addons.getAddon(tx, { idOrKey: c.params.addonId! }));
    return svc(c).addons.publishAddon(tx, { id: c.params.addonId! });
  });
  return ok(toApiAddon(a));
}

export async function archiveAddon(c: HandlerContext): Promise<Reply> {
  const a = await c.run((tx) => {
    assertV1Representable(svc(c).addons.getAddon(tx, { idOrKey: c.params.addonId! }));
    return svc(c).addons.archiveAddon(tx, { id: c.params.addonId! });
  });
  return ok(toApiAddon(a));
}

// ---------------------------------------------------------------------------------------------
// Plan add-ons

export function listPlanAddons(c: HandlerContext): Reply {
  const input = fromApiListPlanAddonsQuery(c.params.planId!, c.query, sentQueryKeys(c));
  const page = c.read((tx) => svc(c).planAddons.listPlanAddons(tx, input));
  return ok(toApiPage(page, toApiPlanAddon));
}

export async function createPlanAddon(c: HandlerContext): Promise<Reply> {
  const input = fromApiPlanAddonCreate(c.params.planId!, c.body as S['PlanAddonCreate']);
  const pa = await c.run((tx) => svc(c).planAddons.createPlanAddon(tx, input));
  return ok(toApiPlanAddon(pa), 201);
}

export function getPlanAddon(c: HandlerContext): Reply {
  const pa = c.read((tx) =>
    svc(c).planAddons.getPlanAddon(tx, { planIdOrKey: c.params.planId!, planAddonIdOrAddonKey: c.params.planAddonId! }),
  );
  return ok(toApiPlanAddon(pa));
}

export async function updatePlanAddon(c: HandlerContext): Promise<Reply> {
  const input = fromApiPlanAddonUpdate(c.params.planId!, c.params.planAddonId!, c.body as S['PlanAddonReplaceUpdate']);
  const pa = await c.run((tx) => svc(c).planAddons.updatePlanAddon(tx, input));
  return ok(toApiPlanAddon(pa));
}

export async function deletePlanAddon(c: HandlerContext): Promise<Reply> {
  await c.run((tx) => svc(c).planAddons.deletePlanAddon(tx, { planId: c.params.planId!, planAddonId: c.params.planAddonId! }));
  return noContent();
}
