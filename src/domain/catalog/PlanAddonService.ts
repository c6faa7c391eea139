import type { Clock } from '../shared/clock.ts';
import type { IdGenerator } from '../shared/ids.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { conflict, notFound, validationError } from '../shared/errors.ts';
import { AddonService } from './AddonService.ts';
import { CatalogErrorCode as E, CatalogIssueCode as C } from './errors.ts';
import { addonStatusAt, planStatusAt } from './lifecycle.ts';
import { paginate, sortBy } from '../shared/paging.ts';
import { validatePlanAddonCompatibility, validatePlanAddonCurrencies } from './planAddonRules.ts';
import { stripUndefined, throwIssues } from './PlanService.ts';
import {
  CatalogCollections as Col,
  type AddonRecord,
  type Metadata,
  type Page,
  type PageInput,
  type PlanAddon,
  type PlanAddonRecord,
  type PlanRecord,
} from './types.ts';

export interface CreatePlanAddonInput {
  planId: string;
  addonId: string;
  fromPlanPhase: string;
  maxQuantity?: number;
  name?: string;
  description?: string;
  metadata?: Metadata;
}

export interface UpdatePlanAddonInput {
  planId: string;
  planAddonId: string;
  fromPlanPhase: string;
  maxQuantity?: number;
  name?: string;
  description?: string;
  metadata?: Metadata;
}

export interface ListPlanAddonsInput extends PageInput {
  /** plan id or key (key = the active version, as getPlan) */
  planIdOrKey: string;
  /** filters on the add-on */
  id?: string[];
  key?: string[];
  keyVersion?: Record<string, number[]>;
  includeDeleted?: boolean;
  orderBy?: 'id' | 'key' | 'version' | 'created_at' | 'updated_at' | 'createdAt' | 'updatedAt';
}

/**
 * Which add-ons a plan sells. Assignments of a plan can only change while the plan is not yet
 * in force (draft or scheduled); the add-on must be active and compatible with the plan.
 */
export class PlanAddonService {
  private readonly addonViews: AddonService;

  constructor(private readonly deps: { clock: Clock; ids: IdGenerator }) {
    this.addonViews = new AddonService(deps);
  }

  createPlanAddon(tx: UnitOfWork, input: CreatePlanAddonInput): PlanAddon {
    const plan = this.plan(tx, input.planId);
    const addon = tx.collection<AddonRecord>(Col.addons).get(input.addonId);
    if (!addon || addon.deletedAt) throw notFound(E.addonNotFound, `add-on ${input.addonId} not found`);
    const pas = tx.collection<PlanAddonRecord>(Col.planAddons);
    const addons = tx.collection<AddonRecord>(Col.addons);
    const dup = pas.findOne((x) => x.planId === plan.id && !x.deletedAt && (x.addonId === addon.id || addons.get(x.addonId)?.key === addon.key));
    if (dup) throw conflict(E.planAddonAlreadyExists, `plan add-on assignment already exists [plan.id=${plan.id} addon.id=${addon.id}]`);
    // Create checks statuses and currencies only (planaddon/service/planaddon.go); the rest of the
    // compatibility rules are reported on read and block the plan's publish.
    const now = this.deps.clock.now();
    const planStatus = planStatusAt(plan, now);
    if (planStatus !== 'draft' && planStatus !== 'scheduled') {
      throw validationError(C.planAddonIncompatibleStatus, `invalid plan [plan.id=${plan.id}]: invalid ${planStatus} status, allowed statuses: [draft scheduled]`);
    }
    const addonStatus = addonStatusAt(addon, now);
    if (addonStatus !== 'active') {
      throw validationError(C.planAddonIncompatibleStatus, `invalid add-on [addon.id=${addon.id}]: invalid ${addonStatus} status, allowed statuses: [active]`);
    }
    const currencyIssues = validatePlanAddonCurrencies(plan, addon, input.fromPlanPhase);
    if (currencyIssues.length > 0) throwIssues('invalid plan add-on assignment currencies', currencyIssues);
    const iso = this.deps.clock.now().toISOString();
    const record: PlanAddonRecord = stripUndefined({
      id: this.deps.ids.next(),
      planId: plan.id,
      addonId: addon.id,
      fromPlanPhase: input.fromPlanPhase,
      maxQuantity: input.maxQuantity,
      name: input.name,
      description: input.description,
      metadata: input.metadata,
      createdAt: iso,
      updatedAt: iso,
    });
    pas.put(record);
    return this.view(tx, record);
  }

  updatePlanAddon(tx: UnitOfWork, input: UpdatePlanAddonInput): PlanAddon {
    const plan = this.editablePlan(tx, input.planId);
    const cur = this.find(tx, plan.id, input.planAddonId);
    const addon = tx.collection<AddonRecord>(Col.addons).get(cur.addonId);
    if (!addon || addon.deletedAt) throw notFound(E.addonNotFound, `add-on ${cur.addonId} not found`);
    // an update re-checks the whole compatibility, warnings included
    const now = this.deps.clock.now();
    const issues = validatePlanAddonCompatibility(plan, planStatusAt(plan, now), addon, addonStatusAt(addon, now), input);
    if (issues.length > 0) throwIssues(`invalid plan add-on assignment`, issues);
    const next: PlanAddonRecord = stripUndefined({
      ...cur,
      fromPlanPhase: input.fromPlanPhase,
      maxQuantity: input.maxQuantity,
      name: input.name ?? cur.name,
      description: input.description,
      metadata: input.metadata,
      updatedAt: this.deps.clock.now().toISOString(),
    });
    tx.collection<PlanAddonRecord>(Col.planAddons).put(next);
    return this.view(tx, next);
  }

  getPlanAddon(tx: UnitOfWork, input: { planIdOrKey: string; planAddonIdOrAddonKey: string }): PlanAddon {
    const plan = this.plan(tx, input.planIdOrKey);
    return this.view(tx, this.find(tx, plan.id, input.planAddonIdOrAddonKey));
  }

  listPlanAddons(tx: UnitOfWork, input: ListPlanAddonsInput): Page<PlanAddon> {
    const plan = this.plan(tx, input.planIdOrKey);
    const addons = tx.collection<AddonRecord>(Col.addons);
    const has = <T>(list: T[] | undefined, v: T) => !list || list.length === 0 || list.includes(v);
    const kv = input.keyVersion && Object.keys(input.keyVersion).length > 0 ? input.keyVersion : undefined;
    const rows = tx
      .collection<PlanAddonRecord>(Col.planAddons)
      .find((x) => x.planId === plan.id && (input.includeDeleted || !x.deletedAt))
      .map((x) => ({ pa: x, addon: addons.get(x.addonId) }))
      .filter(
        (r): r is { pa: PlanAddonRecord; addon: AddonRecord } =>
          !!r.addon && has(input.id, r.addon.id) && has(input.key, r.addon.key) && (!kv || (kv[r.addon.key] ?? []).includes(r.addon.version)),
      );
    const field = (r: { pa: PlanAddonRecord; addon: AddonRecord }): string | number => {
      switch (input.orderBy ?? 'id') {
        case 'id':
          return r.pa.id;
        case 'key':
          return r.addon.key;
        case 'version':
          return r.addon.version;
        case 'updated_at':
        case 'updatedAt':
          return r.pa.updatedAt;
        case 'created_at':
        case 'createdAt':
          return r.pa.createdAt;
        default:
          throw validationError(E.invalidPagination, `invalid orderBy ${String(input.orderBy)}`);
      }
    };
    // the real v1 default is id DESC (planaddon/httpdriver/planaddon.go)
    const sorted = sortBy(rows.map((r) => ({ ...r, id: r.pa.id })), field, input.order ?? 'DESC');
    const page = paginate(sorted, input);
    return { ...page, items: page.items.map((r) => this.view(tx, r.pa)) };
  }

  deletePlanAddon(tx: UnitOfWork, input: { planId: string; planAddonId: string }): void {
    const plan = this.editablePlan(tx, input.planId);
    const cur = this.find(tx, plan.id, input.planAddonId);
    const iso = this.deps.clock.now().toISOString();
    tx.collection<PlanAddonRecord>(Col.planAddons).put({ ...cur, deletedAt: iso, updatedAt: iso });
  }

  // -------------------------------------------------------------------------------------------

  /** `validationErrors` is the compatibility check, run on every read (planaddon/httpdriver/mapping.go). */
  private view(tx: UnitOfWork, pa: PlanAddonRecord): PlanAddon {
    const now = this.deps.clock.now();
    const addon = tx.collection<AddonRecord>(Col.addons).get(pa.addonId)!;
    const plan = tx.collection<PlanRecord>(Col.plans).get(pa.planId)!;
    const validationErrors = validatePlanAddonCompatibility(plan, planStatusAt(plan, now), addon, addonStatusAt(addon, now), pa);
    return { ...pa, addon: this.addonViews.view(tx, addon), validationErrors };
  }

  private plan(tx: UnitOfWork, idOrKey: string): PlanRecord {
    const plans = tx.collection<PlanRecord>(Col.plans);
    const now = this.deps.clock.now();
    const p =
      plans.get(idOrKey) ??
      plans.findOne((x) => x.key === idOrKey && !x.deletedAt && planStatusAt(x, now) === 'active') ??
      plans.find((x) => x.key === idOrKey && !x.deletedAt).sort((a, b) => b.version - a.version)[0];
    if (!p || p.deletedAt) throw notFound(E.planNotFound, `plan ${idOrKey} not found`);
    return p;
  }

  /** Update and delete of an assignment of a plan no longer in draft/scheduled: a 404 in the real service. */
  private editablePlan(tx: UnitOfWork, planId: string): PlanRecord {
    const plan = this.plan(tx, planId);
    const status = planStatusAt(plan, this.deps.clock.now());
    if (status !== 'draft' && status !== 'scheduled') {
      throw notFound(E.planAddonNotFound, `plan add-on assignment of plan ${plan.key}@v${plan.version} cannot change: invalid ${status} status, allowed statuses: [draft scheduled]`);
    }
    return plan;
  }

  private find(tx: UnitOfWork, planId: string, idOrAddonKey: string): PlanAddonRecord {
    const pas = tx.collection<PlanAddonRecord>(Col.planAddons);
    const addons = tx.collection<AddonRecord>(Col.addons);
    // v1 `PlanAddon` has no id of its own on the wire: clients address it by the add-on's id or key
    const pa =
      pas.findOne((x) => x.id === idOrAddonKey && x.planId === planId && !x.deletedAt) ??
      pas.findOne((x) => x.addonId === idOrAddonKey && x.planId === planId && !x.deletedAt) ??
      pas.findOne((x) => x.planId === planId && !x.deletedAt && addons.get(x.addonId)?.key === idOrAddonKey);
    if (!pa) throw notFound(E.planAddonNotFound, `add-on assignment ${idOrAddonKey} not found on plan ${planId}`);
    return pa;
  }
}
