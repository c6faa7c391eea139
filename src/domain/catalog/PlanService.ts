import type { Clock } from '../shared/clock.ts';
import type { IdGenerator } from '../shared/ids.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { conflict, notFound, validationError, type ValidationIssue } from '../shared/errors.ts';
import { catalogContext } from './catalogContext.ts';
import { CATALOG_MESSAGES, CatalogErrorCode as E, CatalogIssueCode as C } from './errors.ts';
import { addonStatusAt, planStatusAt, matchesVersionedFilter } from './lifecycle.ts';
import { paginate, sortBy } from '../shared/paging.ts';
import { validatePlanAddonCompatibility } from './planAddonRules.ts';
import {
  CatalogCollections as Col,
  type AddonRecord,
  type Alignment,
  type Feature,
  type Metadata,
  type Page,
  type PageInput,
  type Plan,
  type PlanAddonRecord,
  type PlanPhase,
  type PlanRecord,
  type PlanStatus,
  type ProRatingConfig,
  type SettlementMode,
} from './types.ts';
import { criticalOnly, normalizeRateCard, resolvePlanFeatures, validatePlan, validatePlanFeatures } from './validation.ts';

export interface CreatePlanInput {
  key: string;
  name: string;
  description?: string;
  currency?: string;
  billingCadence: string;
  proRatingConfig?: ProRatingConfig;
  alignment?: Alignment;
  settlementMode?: SettlementMode;
  phases: PlanPhase[];
  metadata?: Metadata;
}

export interface UpdatePlanInput extends Omit<CreatePlanInput, 'key' | 'currency'> {
  id: string;
}

export const PlanOrderBy = { id: 'id', key: 'key', version: 'version', createdAt: 'created_at', updatedAt: 'updated_at' } as const;
export type PlanOrderBy = (typeof PlanOrderBy)[keyof typeof PlanOrderBy];

export interface ListPlansInput extends PageInput {
  id?: string[];
  key?: string[];
  /** key → versions */
  keyVersion?: Record<string, number[]>;
  status?: PlanStatus[];
  currency?: string[];
  includeDeleted?: boolean;
  /** wire spelling (`created_at`) or camelCase */
  orderBy?: PlanOrderBy | 'createdAt' | 'updatedAt';
  /** leave out plans with a v3 `unitConfig` (v1 cannot show them) */
  excludeUnitConfig?: boolean;
}

export interface GetPlanInput {
  /** a plan id, or a key (the active version unless includeLatest/version say otherwise) */
  idOrKey: string;
  includeLatest?: boolean;
  version?: number;
}

const DEFAULT_PRO_RATING: ProRatingConfig = { enabled: true, mode: 'prorate_prices' };

const orderField = (o: ListPlansInput['orderBy']): ((p: PlanRecord) => string | number) => {
  switch (o ?? 'id') {
    case 'id':
      return (p) => p.id;
    case 'key':
      return (p) => p.key;
    case 'version':
      return (p) => p.version;
    case 'updated_at':
    case 'updatedAt':
      return (p) => p.updatedAt;
    case 'created_at':
    case 'createdAt':
      return (p) => p.createdAt;
    default:
      throw validationError(E.invalidPagination, `invalid orderBy ${String(o)}`);
  }
};

export class PlanService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator }) {}

  /** A new key starts at version 1; an existing key gets the next version, unless a draft of it exists. */
  createPlan(tx: UnitOfWork, input: CreatePlanInput): Plan {
    const plans = tx.collection<PlanRecord>(Col.plans);
    const now = this.deps.clock.now();
    const versions = plans.find((p) => p.key === input.key);
    if (versions.some((p) => !p.deletedAt && planStatusAt(p, now) === 'draft')) throw singleDraft();
    const shape = this.shape(input, input.key, input.currency ?? 'USD');
    this.rejectInvalid(tx, shape);
    const iso = now.toISOString();
    const record: PlanRecord = stripUndefined({
      ...shape,
      id: this.deps.ids.next(),
      // deleted versions keep their number: a version is never reused
      version: versions.reduce((m, p) => Math.max(m, p.version), 0) + 1,
      createdAt: iso,
      updatedAt: iso,
    });
    plans.put(record);
    return this.view(tx, record);
  }

  /** Replaces a draft (or a not-yet-effective scheduled) plan; key and currency stay. */
  updatePlan(tx: UnitOfWork, input: UpdatePlanInput): Plan {
    const cur = this.byId(tx, input.id);
    this.requireStatus(cur, ['draft', 'scheduled'], 'updated');
    const shape = this.shape(input, cur.key, cur.currency);
    // a scheduled plan is held to the same draft-time rules: the real update only rejects critical issues
    this.rejectInvalid(tx, shape);
    const next: PlanRecord = stripUndefined({
      ...shape,
      id: cur.id,
      version: cur.version,
      effectiveFrom: cur.effectiveFrom,
      effectiveTo: cur.effectiveTo,
      createdAt: cur.createdAt,
      updatedAt: this.deps.clock.now().toISOString(),
    });
    tx.collection<PlanRecord>(Col.plans).put(next);
    return this.view(tx, next);
  }

  getPlan(tx: UnitOfWork, input: GetPlanInput): Plan {
    return this.view(tx, this.resolve(tx, input));
  }

  listPlans(tx: UnitOfWork, input: ListPlansInput = {}): Page<Plan> {
    const now = this.deps.clock.now();
    const items = tx
      .collection<PlanRecord>(Col.plans)
      .find((p) => matchesVersionedFilter(p, planStatusAt(p, now), input) && !(input.excludeUnitConfig && p.phases.some((ph) => ph.rateCards.some((rc) => rc.unitConfig))));
    // the real v1 default is id DESC, i.e. newest first (plan/httpdriver/plan.go)
    const page = paginate(sortBy(items, orderField(input.orderBy), input.order ?? 'DESC'), input);
    return { ...page, items: page.items.map((p) => this.view(tx, p)) };
  }

  /** Soft delete; an active plan must be archived first. Its add-on assignments go with it. */
  deletePlan(tx: UnitOfWork, input: { id: string }): void {
    const cur = this.byId(tx, input.id);
    this.requireStatus(cur, ['draft', 'scheduled', 'archived'], 'deleted');
    const iso = this.deps.clock.now().toISOString();
    tx.collection<PlanRecord>(Col.plans).put({ ...cur, deletedAt: iso, updatedAt: iso });
    const pas = tx.collection<PlanAddonRecord>(Col.planAddons);
    for (const pa of pas.find((x) => x.planId === cur.id && !x.deletedAt)) pas.put({ ...pa, deletedAt: iso, updatedAt: iso });
  }

  /**
   * Makes a draft (or re-times a scheduled) version effective from `effectiveFrom` (default now).
   * The version of the same key in force at that instant ends at exactly that instant, so at
   * every moment at most one version of a key is active.
   */
  publishPlan(tx: UnitOfWork, input: { id: string; effectiveFrom?: string; effectiveTo?: string }): Plan {
    const now = this.deps.clock.now();
    const cur = this.byId(tx, input.id);
    this.requireStatus(cur, ['draft', 'scheduled'], 'published');
    const from = input.effectiveFrom ? new Date(input.effectiveFrom) : now;
    const to = input.effectiveTo ? new Date(input.effectiveTo) : undefined;
    const period: ValidationIssue[] = [];
    if (Number.isNaN(from.getTime()) || from.getTime() < now.getTime()) {
      period.push({ code: C.effectivePeriodFromInPast, message: 'effectiveFrom must not be in the past', field: 'effectiveFrom', severity: 'critical' });
    }
    if (to && !(to.getTime() > from.getTime())) {
      period.push({ code: C.effectivePeriodFromAfterTo, message: 'effectiveFrom must be before effectiveTo', field: 'effectiveTo', severity: 'critical' });
    }
    const issues = [...period, ...this.publishIssues(tx, cur)];
    if (issues.length > 0) throwIssues(`plan ${cur.key}@v${cur.version} cannot be published`, issues);

    const plans = tx.collection<PlanRecord>(Col.plans);
    const fromIso = from.toISOString();
    for (const other of plans.find((p) => p.key === cur.key && p.id !== cur.id && !p.deletedAt && !!p.effectiveFrom)) {
      const oFrom = Date.parse(other.effectiveFrom!);
      const oTo = other.effectiveTo ? Date.parse(other.effectiveTo) : Infinity;
      if (oTo <= from.getTime()) continue;
      if (oFrom > now.getTime() && oFrom >= from.getTime()) {
        throw conflict(E.planScheduledVersionOverlap, `plan ${other.key}@v${other.version} is scheduled from ${other.effectiveFrom}; archive or delete it first`);
      }
      plans.put({ ...other, effectiveTo: fromIso, updatedAt: now.toISOString() });
    }
    const next: PlanRecord = stripUndefined({ ...cur, effectiveFrom: fromIso, effectiveTo: to?.toISOString(), updatedAt: now.toISOString() });
    plans.put(next);
    return this.view(tx, next);
  }

  /** Ends an active version at `effectiveTo` (default now). */
  archivePlan(tx: UnitOfWork, input: { id: string; effectiveTo?: string }): Plan {
    const now = this.deps.clock.now();
    const cur = this.byId(tx, input.id);
    this.requireStatus(cur, ['active'], 'archived');
    const to = input.effectiveTo ? new Date(input.effectiveTo) : now;
    if (Number.isNaN(to.getTime()) || to.getTime() < now.getTime()) {
      throwIssues('effectiveTo must not be in the past', [
        { code: C.effectivePeriodFromInPast, message: 'effectiveTo must not be in the past', field: 'effectiveTo', severity: 'critical' },
      ]);
    }
    const next: PlanRecord = { ...cur, effectiveTo: to.toISOString(), updatedAt: now.toISOString() };
    tx.collection<PlanRecord>(Col.plans).put(next);
    return this.view(tx, next);
  }

  /**
   * v1 `POST /plans/{planIdOrKey}/next`: copies the latest published version into a new draft
   * (version n+1). Fails if a draft exists or the source is not the latest published version.
   */
  nextPlanVersion(tx: UnitOfWork, input: { idOrKey: string }): Plan {
    const plans = tx.collection<PlanRecord>(Col.plans);
    const now = this.deps.clock.now();
    const byId = plans.get(input.idOrKey);
    const key = byId && !byId.deletedAt ? byId.key : input.idOrKey;
    const live = plans.find((p) => p.key === key && !p.deletedAt);
    if (live.length === 0) throw notFound(E.planNotFound, `plan ${input.idOrKey} not found`);
    if (live.some((p) => planStatusAt(p, now) === 'draft')) throw singleDraft();
    const latest = live.filter((p) => p.effectiveFrom).sort((a, b) => b.version - a.version)[0];
    if (!latest) throw notFound(E.planNotFound, `plan ${key} has no published version`);
    if (byId && byId.id !== latest.id) {
      throw validationError(E.planNotLatestVersion, `plan ${key}@v${byId.version} is not the latest published version (v${latest.version})`);
    }
    const iso = now.toISOString();
    const { effectiveFrom: _f, effectiveTo: _t, deletedAt: _d, ...body } = latest;
    const record: PlanRecord = {
      ...structuredClone(body),
      id: this.deps.ids.next(),
      version: plans.find((p) => p.key === key).reduce((m, p) => Math.max(m, p.version), 0) + 1,
      createdAt: iso,
      updatedAt: iso,
    };
    plans.put(record);
    // the add-on assignments travel with the plan content
    const pas = tx.collection<PlanAddonRecord>(Col.planAddons);
    for (const pa of pas.find((x) => x.planId === latest.id && !x.deletedAt)) {
      pas.put({ ...structuredClone(pa), id: this.deps.ids.next(), planId: record.id, createdAt: iso, updatedAt: iso });
    }
    return this.view(tx, record);
  }

  /**
   * A subscription's custom plan: checked as a plan to publish would be (productcatalog/
   * subscription/service/plan.go validates it in full), then returned normalised; nothing is stored.
   */
  validateCustomPlan(
    tx: UnitOfWork,
    input: Omit<CreatePlanInput, 'key'>,
  ): Pick<PlanRecord, 'currency' | 'billingCadence' | 'proRatingConfig' | 'phases'> {
    const shape = this.shape(input, 'custom', input.currency ?? 'USD');
    this.rejectInvalid(tx, shape);
    const issues = validatePlan(shape);
    if (issues.length > 0) throwIssues('invalid plan', issues);
    return { currency: shape.currency, billingCadence: shape.billingCadence, proRatingConfig: shape.proRatingConfig, phases: shape.phases };
  }

  /**
   * Publish blockers (plan/service/plan.go PublishPlan): every structural issue, warnings
   * included, the feature checks, and one `plan_has_incompatible_addon` per assignment that is
   * not compatible with the plan.
   */
  publishIssues(tx: UnitOfWork, plan: PlanRecord): ValidationIssue[] {
    const issues = [...validatePlan(plan), ...validatePlanFeatures(plan, catalogContext(tx))];
    const now = this.deps.clock.now();
    const addons = tx.collection<AddonRecord>(Col.addons);
    const planStatus = planStatusAt(plan, now);
    for (const pa of tx.collection<PlanAddonRecord>(Col.planAddons).find((x) => x.planId === plan.id && !x.deletedAt)) {
      const addon = addons.get(pa.addonId);
      const incompatible = !addon || addon.deletedAt || validatePlanAddonCompatibility(plan, planStatus, addon, addonStatusAt(addon, now), pa).length > 0;
      if (incompatible) issues.push({ code: C.planHasIncompatibleAddon, message: CATALOG_MESSAGES[C.planHasIncompatibleAddon]!, severity: 'warning' });
    }
    return issues;
  }

  // -------------------------------------------------------------------------------------------

  /** `validationErrors` is Plan.Validate on every read, whatever the status (plan/httpdriver/mapping.go FromPlan). */
  private view(_tx: UnitOfWork, p: PlanRecord): Plan {
    const status = planStatusAt(p, this.deps.clock.now());
    return { ...p, status, validationErrors: validatePlan(p) };
  }

  private byId(tx: UnitOfWork, id: string): PlanRecord {
    const p = tx.collection<PlanRecord>(Col.plans).get(id);
    if (!p || p.deletedAt) throw notFound(E.planNotFound, `plan ${id} not found`);
    return p;
  }

  private resolve(tx: UnitOfWork, input: GetPlanInput): PlanRecord {
    const plans = tx.collection<PlanRecord>(Col.plans);
    const byId = plans.get(input.idOrKey);
    if (byId) return byId;
    const now = this.deps.clock.now();
    const live = plans.find((p) => p.key === input.idOrKey && !p.deletedAt);
    let found: PlanRecord | undefined;
    if (input.version !== undefined) found = live.find((p) => p.version === input.version);
    else if (input.includeLatest) found = live.sort((a, b) => b.version - a.version)[0];
    else found = live.find((p) => planStatusAt(p, now) === 'active');
    if (!found) throw notFound(E.planNotFound, `plan ${input.idOrKey} not found`);
    return found;
  }

  private requireStatus(p: PlanRecord, allowed: PlanStatus[], verb: string): PlanStatus {
    const status = planStatusAt(p, this.deps.clock.now());
    if (!allowed.includes(status)) {
      throw validationError(E.planInvalidStatus, `only plans in [${allowed.join(', ')}] can be ${verb}, but plan ${p.key}@v${p.version} is ${status}`);
    }
    return status;
  }

  private shape(input: Omit<CreatePlanInput, 'key' | 'currency'>, key: string, currency: string) {
    return stripUndefined({
      key,
      name: input.name,
      description: input.description,
      currency,
      billingCadence: input.billingCadence,
      proRatingConfig: input.proRatingConfig ?? DEFAULT_PRO_RATING,
      // deprecated and always true in the engine (OpenMeter productcatalog/alignment.go): store what is enforced
      alignment: { billablesMustAlign: true },
      settlementMode: input.settlementMode,
      metadata: input.metadata,
      phases: (input.phases ?? []).map((ph) =>
        stripUndefined({ ...ph, duration: ph.duration ?? null, rateCards: (ph.rateCards ?? []).map(normalizeRateCard) }),
      ),
    });
  }

  /** Create and update reject only critical issues (the real handlers set IgnoreNonCriticalIssues). */
  private rejectInvalid(tx: UnitOfWork, shape: ReturnType<PlanService['shape']>): void {
    const ctx = catalogContext(tx);
    const issues = [...criticalOnly(validatePlan(shape)), ...resolvePlanFeatures(shape, ctx)];
    if (issues.length > 0) throwIssues('invalid plan', issues);
    // v3 references features by id: keep the id of the feature each rate card resolved to
    for (const ph of shape.phases) for (const rc of ph.rateCards) if (rc.featureKey) rc.featureId = (ctx.features(rc.featureKey) as Feature).id;
  }
}

/** The real service's answer to a second draft of a key: a plain 400 (plan/service/plan.go). */
const singleDraft = () => validationError(E.planDraftAlreadyExists, 'only a single draft version is allowed for Plan');

export function throwIssues(message: string, issues: ValidationIssue[]): never {
  throw validationError(issues.length === 1 ? issues[0]!.code : E.catalogValidation, `${message}: ${issues.map((i) => i.message).join('; ')}`, issues);
}

export function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
