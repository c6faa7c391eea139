import type { Clock } from '../shared/clock.ts';
import type { IdGenerator } from '../shared/ids.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { notFound, validationError, type ValidationIssue } from '../shared/errors.ts';
import { catalogContext } from './catalogContext.ts';
import { CatalogErrorCode as E, CatalogIssueCode as C } from './errors.ts';
import { addonStatusAt, matchesVersionedFilter } from './lifecycle.ts';
import { paginate, sortBy } from '../shared/paging.ts';
import { stripUndefined, throwIssues } from './PlanService.ts';
import {
  CatalogCollections as Col,
  type Addon,
  type AddonInstanceType,
  type AddonRecord,
  type AddonStatus,
  type Feature,
  type Metadata,
  type Page,
  type PageInput,
  type PlanAddonRecord,
  type RateCard,
} from './types.ts';
import { criticalOnly, normalizeRateCard, resolveAddonFeatures, validateAddon, validateAddonPublishable } from './validation.ts';

export interface CreateAddonInput {
  key: string;
  name: string;
  description?: string;
  instanceType: AddonInstanceType;
  currency?: string;
  rateCards: RateCard[];
  metadata?: Metadata;
}

export interface UpdateAddonInput {
  id: string;
  name: string;
  description?: string;
  instanceType: AddonInstanceType;
  rateCards: RateCard[];
  metadata?: Metadata;
}

export interface ListAddonsInput extends PageInput {
  id?: string[];
  key?: string[];
  keyVersion?: Record<string, number[]>;
  status?: AddonStatus[];
  currency?: string[];
  includeDeleted?: boolean;
  orderBy?: 'id' | 'key' | 'version' | 'created_at' | 'updated_at' | 'createdAt' | 'updatedAt';
  /** leave out add-ons with a v3 `unitConfig` (v1 cannot show them) */
  excludeUnitConfig?: boolean;
}

const orderField = (o: ListAddonsInput['orderBy']): ((a: AddonRecord) => string | number) => {
  switch (o ?? 'id') {
    case 'id':
      return (a) => a.id;
    case 'key':
      return (a) => a.key;
    case 'version':
      return (a) => a.version;
    case 'updated_at':
    case 'updatedAt':
      return (a) => a.updatedAt;
    case 'created_at':
    case 'createdAt':
      return (a) => a.createdAt;
    default:
      throw validationError(E.invalidPagination, `invalid orderBy ${String(o)}`);
  }
};

/** Add-ons follow the plan lifecycle (draft → active → archived, versioned by key). */
export class AddonService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator }) {}

  createAddon(tx: UnitOfWork, input: CreateAddonInput): Addon {
    const addons = tx.collection<AddonRecord>(Col.addons);
    const now = this.deps.clock.now();
    const versions = addons.find((a) => a.key === input.key);
    // the real service's answer to a second draft of a key: a plain 400 (addon/service/addon.go)
    if (versions.some((a) => !a.deletedAt && !a.effectiveFrom)) {
      throw validationError(E.addonDraftAlreadyExists, 'only a single draft version is allowed for add-on');
    }
    const shape = this.shape(input, input.key, input.currency ?? 'USD');
    this.rejectInvalid(tx, shape);
    const iso = now.toISOString();
    const record: AddonRecord = stripUndefined({
      ...shape,
      id: this.deps.ids.next(),
      version: versions.reduce((m, a) => Math.max(m, a.version), 0) + 1,
      createdAt: iso,
      updatedAt: iso,
    });
    addons.put(record);
    return this.view(tx, record);
  }

  updateAddon(tx: UnitOfWork, input: UpdateAddonInput): Addon {
    const cur = this.byId(tx, input.id);
    this.requireStatus(cur, ['draft'], 'updated');
    const shape = this.shape(input, cur.key, cur.currency);
    this.rejectInvalid(tx, shape);
    const next: AddonRecord = stripUndefined({ ...shape, id: cur.id, version: cur.version, createdAt: cur.createdAt, updatedAt: this.deps.clock.now().toISOString() });
    tx.collection<AddonRecord>(Col.addons).put(next);
    return this.view(tx, next);
  }

  getAddon(tx: UnitOfWork, input: { idOrKey: string; includeLatest?: boolean; version?: number }): Addon {
    const addons = tx.collection<AddonRecord>(Col.addons);
    const byId = addons.get(input.idOrKey);
    if (byId) return this.view(tx, byId);
    const now = this.deps.clock.now();
    const live = addons.find((a) => a.key === input.idOrKey && !a.deletedAt);
    let found: AddonRecord | undefined;
    if (input.version !== undefined) found = live.find((a) => a.version === input.version);
    else if (input.includeLatest) found = live.sort((a, b) => b.version - a.version)[0];
    else found = live.find((a) => addonStatusAt(a, now) === 'active');
    if (!found) throw notFound(E.addonNotFound, `add-on ${input.idOrKey} not found`);
    return this.view(tx, found);
  }

  listAddons(tx: UnitOfWork, input: ListAddonsInput = {}): Page<Addon> {
    const now = this.deps.clock.now();
    const items = tx
      .collection<AddonRecord>(Col.addons)
      .find((a) => matchesVersionedFilter(a, addonStatusAt(a, now), input) && !(input.excludeUnitConfig && a.rateCards.some((rc) => rc.unitConfig)));
    // the real v1 default is id DESC, i.e. newest first (addon/httpdriver/addon.go)
    const page = paginate(sortBy(items, orderField(input.orderBy), input.order ?? 'DESC'), input);
    return { ...page, items: page.items.map((a) => this.view(tx, a)) };
  }

  /** Soft delete; an active add-on must be archived first. Its plan assignments go with it. */
  deleteAddon(tx: UnitOfWork, input: { id: string }): void {
    const cur = this.byId(tx, input.id);
    this.requireStatus(cur, ['draft', 'archived'], 'deleted');
    const iso = this.deps.clock.now().toISOString();
    tx.collection<AddonRecord>(Col.addons).put({ ...cur, deletedAt: iso, updatedAt: iso });
    const pas = tx.collection<PlanAddonRecord>(Col.planAddons);
    for (const pa of pas.find((x) => x.addonId === cur.id && !x.deletedAt)) pas.put({ ...pa, deletedAt: iso, updatedAt: iso });
  }

  /** Publishes now (add-ons have no scheduled state); the previous active version ends at the same instant. */
  publishAddon(tx: UnitOfWork, input: { id: string; effectiveTo?: string }): Addon {
    const now = this.deps.clock.now();
    const cur = this.byId(tx, input.id);
    this.requireStatus(cur, ['draft'], 'published');
    // Addon.Publishable plus the feature checks; warnings block too (addon/service/addon.go)
    const issues: ValidationIssue[] = [...validateAddon(cur), ...validateAddonPublishable(cur, catalogContext(tx))];
    const to = input.effectiveTo ? new Date(input.effectiveTo) : undefined;
    if (to && !(to.getTime() > now.getTime())) {
      issues.push({ code: C.effectivePeriodFromAfterTo, message: 'effectiveFrom must be before effectiveTo', field: 'effectiveTo', severity: 'critical' });
    }
    if (issues.length > 0) throwIssues(`add-on ${cur.key}@v${cur.version} cannot be published`, issues);
    const addons = tx.collection<AddonRecord>(Col.addons);
    const iso = now.toISOString();
    for (const other of addons.find((a) => a.key === cur.key && a.id !== cur.id && !a.deletedAt && addonStatusAt(a, now) === 'active')) {
      addons.put({ ...other, effectiveTo: iso, updatedAt: iso });
    }
    const next: AddonRecord = stripUndefined({ ...cur, effectiveFrom: iso, effectiveTo: to?.toISOString(), updatedAt: iso });
    addons.put(next);
    return this.view(tx, next);
  }

  archiveAddon(tx: UnitOfWork, input: { id: string }): Addon {
    const now = this.deps.clock.now();
    const cur = this.byId(tx, input.id);
    this.requireStatus(cur, ['active'], 'archived');
    const next: AddonRecord = { ...cur, effectiveTo: now.toISOString(), updatedAt: now.toISOString() };
    tx.collection<AddonRecord>(Col.addons).put(next);
    return this.view(tx, next);
  }

  // -------------------------------------------------------------------------------------------

  /** `validationErrors` is Addon.Validate on every read (addon/httpdriver/mapping.go). */
  view(_tx: UnitOfWork, a: AddonRecord): Addon {
    return { ...a, status: addonStatusAt(a, this.deps.clock.now()), validationErrors: validateAddon(a) };
  }

  private byId(tx: UnitOfWork, id: string): AddonRecord {
    const a = tx.collection<AddonRecord>(Col.addons).get(id);
    if (!a || a.deletedAt) throw notFound(E.addonNotFound, `add-on ${id} not found`);
    return a;
  }

  private requireStatus(a: AddonRecord, allowed: AddonStatus[], verb: string): void {
    const status = addonStatusAt(a, this.deps.clock.now());
    if (!allowed.includes(status)) {
      throw validationError(E.addonInvalidStatus, `only add-ons in [${allowed.join(', ')}] can be ${verb}, but add-on ${a.key}@v${a.version} is ${status}`);
    }
  }

  private shape(input: Omit<CreateAddonInput, 'key' | 'currency'>, key: string, currency: string) {
    return stripUndefined({
      key,
      name: input.name,
      description: input.description,
      instanceType: input.instanceType,
      currency,
      metadata: input.metadata,
      rateCards: (input.rateCards ?? []).map(normalizeRateCard),
    });
  }

  private rejectInvalid(tx: UnitOfWork, shape: ReturnType<AddonService['shape']>): void {
    const ctx = catalogContext(tx);
    // only critical issues reject a create/update (IgnoreNonCriticalIssues in the real handlers)
    const issues = [...criticalOnly(validateAddon(shape)), ...resolveAddonFeatures(shape, ctx)];
    if (issues.length > 0) throwIssues('invalid add-on', issues);
    for (const rc of shape.rateCards) if (rc.featureKey) rc.featureId = (ctx.features(rc.featureKey) as Feature).id;
  }
}
