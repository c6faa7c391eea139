import { describe, expect, it } from 'vitest';
import { DomainError } from '../shared/errors.ts';
import { AddonService } from './AddonService.ts';
import { FeatureService } from './FeatureService.ts';
import { PlanAddonService } from './PlanAddonService.ts';
import { PlanService } from './PlanService.ts';
import { T0, flatFee, phase, planInput, setup, usage } from './testFixtures.ts';

const at = (iso: string) => new Date(iso);
const err = (fn: () => unknown): DomainError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
};

function world() {
  const s = setup();
  return {
    ...s,
    features: new FeatureService(s.deps),
    plans: new PlanService(s.deps),
    addons: new AddonService(s.deps),
    planAddons: new PlanAddonService(s.deps),
  };
}

describe('FeatureService', () => {
  it('creates a metered feature and keeps simple/advanced filters consistent', () => {
    const w = world();
    const f = w.features.createFeature(w.tx, { key: 'gpt4', name: 'GPT-4', meterSlug: 'tokens', meterGroupByFilters: { model: 'gpt-4' } });
    expect(f).toMatchObject({ meterSlug: 'tokens', meterId: '01J00000000000000000000M01', advancedMeterGroupByFilters: { model: { $eq: 'gpt-4' } }, meterGroupByFilters: { model: 'gpt-4' } });
    const g = w.features.createFeature(w.tx, { key: 'gpt', name: 'GPT', meterSlug: 'tokens', advancedMeterGroupByFilters: { model: { $in: ['a', 'b'] }, type: { $eq: 'input' } } });
    expect(g.meterGroupByFilters).toBeUndefined();
    const h = w.features.createFeature(w.tx, { key: 'inp', name: 'in', meterSlug: 'tokens', advancedMeterGroupByFilters: { type: { $eq: 'input' } } });
    expect(h.meterGroupByFilters).toEqual({ type: 'input' });
  });

  it.each([
    [{ key: 'a', name: 'a', meterSlug: 'missing' }, 'meter_not_found', 'notFound'],
    [{ key: 'a', name: 'a', meterSlug: 'latency' }, 'feature_meter_aggregation_not_supported', 'validation'],
    [{ key: 'a', name: 'a', meterSlug: 'tokens', meterGroupByFilters: { region: 'eu' } }, 'feature_invalid_group_by_filter', 'validation'],
    [{ key: 'a', name: 'a', meterGroupByFilters: { model: 'x' } }, 'feature_invalid_group_by_filter', 'validation'],
    [{ key: 'a', name: 'a', meterSlug: 'tokens', meterGroupByFilters: { model: 'x' }, advancedMeterGroupByFilters: { model: { $eq: 'y' } } }, 'feature_invalid_group_by_filter', 'validation'],
    [{ key: 'Bad Key', name: 'a' }, 'resource_key_invalid', 'validation'],
  ])('rejects %j with %s', (input, code, kind) => {
    const w = world();
    const e = err(() => w.features.createFeature(w.tx, input));
    expect([e.code, e.kind]).toEqual([code, kind]);
  });

  it('key is unique among live features; archiving frees it', () => {
    const w = world();
    const f = w.features.createFeature(w.tx, { key: 'seats', name: 'Seats' });
    const e = err(() => w.features.createFeature(w.tx, { key: 'seats', name: 'Seats' }));
    // a plain conflict, no extensions (productcatalog/driver/errors.go)
    expect([e.kind, e.extensions]).toEqual(['conflict', {}]);
    w.clock.set(at('2025-01-02T00:00:00Z'));
    const archived = w.features.archiveFeature(w.tx, { idOrKey: 'seats' });
    expect(archived.archivedAt).toBe('2025-01-02T00:00:00.000Z');
    // the real lookup skips archived features: archiving again is not found (feature/connector.go)
    expect(err(() => w.features.archiveFeature(w.tx, { idOrKey: f.id })).kind).toBe('notFound');
    const again = w.features.createFeature(w.tx, { key: 'seats', name: 'Seats 2' });
    expect(w.features.getFeature(w.tx, { idOrKey: 'seats' }).id).toBe(again.id);
    expect(w.features.getFeature(w.tx, { idOrKey: f.id }).archivedAt).toBeDefined();
    expect(w.features.listFeatures(w.tx).items.map((x) => x.id)).toEqual([again.id]);
    expect(w.features.listFeatures(w.tx, { includeArchived: true }).totalCount).toBe(2);
  });

  it('lists with meterSlug filter, ordering and both paging styles', () => {
    const w = world();
    for (const k of ['c', 'a', 'b']) w.features.createFeature(w.tx, { key: k, name: k, meterSlug: 'tokens' });
    w.features.createFeature(w.tx, { key: 'static', name: 'static' });
    expect(w.features.listFeatures(w.tx, { meterSlug: ['tokens'], orderBy: 'key', order: 'DESC' }).items.map((f) => f.key)).toEqual(['c', 'b', 'a']);
    // default order: key ASC (productcatalog/driver/feature.go)
    expect(w.features.listFeatures(w.tx, { page: 2, pageSize: 3 })).toMatchObject({ totalCount: 4, page: 2, pageSize: 3, items: [{ key: 'static' }] });
    expect(w.features.listFeatures(w.tx, { limit: 2, offset: 1 }).items.map((f) => f.key)).toEqual(['b', 'c']);
    expect(w.features.listFeatures(w.tx, { orderBy: 'createdAt' }).items.map((f) => f.key)).toEqual(['c', 'a', 'b', 'static']);
    expect(err(() => w.features.listFeatures(w.tx, { pageSize: 1001 })).code).toBe('invalid_pagination');
  });

  it('cannot archive a feature sold by an active plan', () => {
    const w = world();
    w.features.createFeature(w.tx, { key: 'tokens', name: 'Tokens', meterSlug: 'tokens' });
    const p = w.plans.createPlan(w.tx, planInput({ phases: [phase({ rateCards: [usage()] })] }));
    w.plans.publishPlan(w.tx, { id: p.id });
    expect(err(() => w.features.archiveFeature(w.tx, { idOrKey: 'tokens' })).code).toBe('feature_used_by_active_plan');
  });
});

describe('PlanService lifecycle', () => {
  it('creates drafts with defaults, exposes publish blockers as validationErrors', () => {
    const w = world();
    const p = w.plans.createPlan(w.tx, planInput({ phases: [phase({ rateCards: [] })] }));
    expect(p).toMatchObject({ version: 1, status: 'draft', proRatingConfig: { enabled: true, mode: 'prorate_prices' }, createdAt: T0.toISOString() });
    // billablesMustAlign is deprecated and always enforced (OpenMeter productcatalog/alignment.go): false is not kept
    expect(p.alignment).toEqual({ billablesMustAlign: true });
    const other = w.plans.createPlan(w.tx, planInput({ key: 'other', alignment: { billablesMustAlign: false } }));
    expect(other.alignment).toEqual({ billablesMustAlign: true });
    expect(p.validationErrors.map((i) => i.code)).toEqual(['plan_phase_has_no_rate_cards']);
    const e = err(() => w.plans.publishPlan(w.tx, { id: p.id }));
    expect([e.kind, e.code]).toEqual(['validation', 'plan_phase_has_no_rate_cards']);
    const fixed = w.plans.updatePlan(w.tx, { id: p.id, name: 'Pro', billingCadence: 'P1M', phases: [phase()] });
    expect(fixed.validationErrors).toEqual([]);
    expect(fixed.phases[0]!.rateCards[0]!.price).toEqual({ type: 'flat', amount: '10', paymentTerm: 'in_advance' });
  });

  it('rejects structural problems at create with every issue', () => {
    const w = world();
    const e = err(() => w.plans.createPlan(w.tx, planInput({ phases: [phase({ rateCards: [flatFee(), flatFee({ price: { type: 'flat', amount: '-1' } })] })] })));
    expect(e.code).toBe('validation_error');
    expect(e.issues.map((i) => [i.code, i.field])).toEqual([
      ['rate_card_duplicated_key', "$.phases[?(@.key=='default')].ratecards[?(@.key=='base')].key"],
      ['price_amount_negative', "$.phases[?(@.key=='default')].ratecards[?(@.key=='base')].price.amount"],
    ]);
    // warnings do not reject: an unaligned cadence is stored and listed
    const stored = w.plans.createPlan(w.tx, planInput({ phases: [phase({ rateCards: [flatFee({ billingCadence: 'P3W' })] })] }));
    expect(stored.validationErrors.map((i) => [i.code, i.severity])).toEqual([['rate_card_billing_cadence_unaligned', 'warning']]);
  });

  it('versions by key: one draft at a time, publish archives the previous version at the same instant', () => {
    const w = world();
    const v1 = w.plans.createPlan(w.tx, planInput());
    // a second draft of a key: a plain validation error (plan/service/plan.go CreatePlan)
    const second = err(() => w.plans.createPlan(w.tx, planInput()));
    expect([second.kind, second.message]).toEqual(['validation', 'only a single draft version is allowed for Plan']);
    w.plans.publishPlan(w.tx, { id: v1.id });
    const v2 = w.plans.createPlan(w.tx, planInput({ name: 'Pro 2' }));
    expect(v2.version).toBe(2);
    w.clock.set(at('2025-02-01T00:00:00Z'));
    const pub = w.plans.publishPlan(w.tx, { id: v2.id });
    const old = w.plans.getPlan(w.tx, { idOrKey: v1.id });
    expect(pub.effectiveFrom).toBe('2025-02-01T00:00:00.000Z');
    expect(old.effectiveTo).toBe(pub.effectiveFrom);
    expect([old.status, pub.status]).toEqual(['archived', 'active']);
    expect(w.plans.getPlan(w.tx, { idOrKey: 'pro' }).version).toBe(2);
    expect(w.plans.getPlan(w.tx, { idOrKey: 'pro', version: 1 }).id).toBe(v1.id);
  });

  it('a future publish is scheduled; the current version stays active until then', () => {
    const w = world();
    const v1 = w.plans.createPlan(w.tx, planInput());
    w.plans.publishPlan(w.tx, { id: v1.id });
    const v2 = w.plans.createPlan(w.tx, planInput());
    const s = w.plans.publishPlan(w.tx, { id: v2.id, effectiveFrom: '2025-03-01T00:00:00Z' });
    expect(s.status).toBe('scheduled');
    expect(w.plans.getPlan(w.tx, { idOrKey: 'pro' }).id).toBe(v1.id);
    expect(w.plans.listPlans(w.tx, { status: ['scheduled'] }).items.map((p) => p.id)).toEqual([v2.id]);
    w.clock.set(at('2025-03-01T00:00:00Z'));
    expect(w.plans.getPlan(w.tx, { idOrKey: v1.id }).status).toBe('archived');
    expect(w.plans.getPlan(w.tx, { idOrKey: 'pro' }).id).toBe(v2.id);
  });

  it('rejects a publish in the past or with to ≤ from', () => {
    const w = world();
    const p = w.plans.createPlan(w.tx, planInput());
    expect(err(() => w.plans.publishPlan(w.tx, { id: p.id, effectiveFrom: '2024-12-31T00:00:00Z' })).code).toBe('effective_period_from_in_past');
    expect(err(() => w.plans.publishPlan(w.tx, { id: p.id, effectiveTo: T0.toISOString() })).code).toBe('effective_period_from_after_to');
  });

  it('only drafts (and scheduled versions) are editable; active must be archived before delete', () => {
    const w = world();
    const p = w.plans.createPlan(w.tx, planInput());
    w.plans.publishPlan(w.tx, { id: p.id });
    const upd = { id: p.id, name: 'x', billingCadence: 'P1M', phases: [phase()] };
    expect(err(() => w.plans.updatePlan(w.tx, upd)).code).toBe('plan_invalid_status');
    expect(err(() => w.plans.deletePlan(w.tx, { id: p.id })).code).toBe('plan_invalid_status');
    w.clock.set(at('2025-01-10T00:00:00Z'));
    const a = w.plans.archivePlan(w.tx, { id: p.id });
    expect([a.status, a.effectiveTo]).toEqual(['archived', '2025-01-10T00:00:00.000Z']);
    expect(err(() => w.plans.archivePlan(w.tx, { id: p.id })).code).toBe('plan_invalid_status');
    w.plans.deletePlan(w.tx, { id: p.id });
    expect(w.plans.listPlans(w.tx).totalCount).toBe(0);
    expect(w.plans.listPlans(w.tx, { includeDeleted: true }).items[0]!.deletedAt).toBe('2025-01-10T00:00:00.000Z');
    expect(err(() => w.plans.updatePlan(w.tx, upd)).kind).toBe('notFound');
  });

  it('nextPlanVersion copies the latest published version into a new draft', () => {
    const w = world();
    const v1 = w.plans.createPlan(w.tx, planInput({ description: 'd' }));
    expect(err(() => w.plans.nextPlanVersion(w.tx, { idOrKey: v1.id })).code).toBe('plan_draft_already_exists');
    w.plans.publishPlan(w.tx, { id: v1.id });
    const v2 = w.plans.nextPlanVersion(w.tx, { idOrKey: 'pro' });
    expect(v2).toMatchObject({ version: 2, status: 'draft', description: 'd', phases: v1.phases });
    expect(v2.effectiveFrom).toBeUndefined();
    w.plans.publishPlan(w.tx, { id: v2.id });
    expect(err(() => w.plans.nextPlanVersion(w.tx, { idOrKey: v1.id })).code).toBe('plan_not_latest_version');
  });

  it('lists with filters (key, keyVersion, currency, status) and ordering', () => {
    const w = world();
    const a = w.plans.createPlan(w.tx, planInput({ key: 'a' }));
    w.plans.publishPlan(w.tx, { id: a.id });
    const a2 = w.plans.createPlan(w.tx, planInput({ key: 'a' }));
    w.plans.createPlan(w.tx, planInput({ key: 'b', currency: 'EUR' }));
    expect(w.plans.listPlans(w.tx, { keyVersion: { a: [2] } }).items.map((p) => p.id)).toEqual([a2.id]);
    expect(w.plans.listPlans(w.tx, { currency: ['EUR'] }).items.map((p) => p.key)).toEqual(['b']);
    expect(w.plans.listPlans(w.tx, { status: ['draft'], orderBy: 'key', order: 'DESC' }).items.map((p) => p.key)).toEqual(['b', 'a']);
    expect(w.plans.getPlan(w.tx, { idOrKey: 'a', includeLatest: true }).id).toBe(a2.id);
    expect(err(() => w.plans.getPlan(w.tx, { idOrKey: 'b' })).kind).toBe('notFound');
  });
});

describe('AddonService and PlanAddonService', () => {
  function withAddon(instanceType: 'single' | 'multiple' = 'multiple', over: Record<string, unknown> = {}) {
    const w = world();
    const addon = w.addons.createAddon(w.tx, { key: 'extra', name: 'Extra', instanceType, currency: 'USD', rateCards: [flatFee({ key: 'extra_fee' })], ...over });
    const plan = w.plans.createPlan(w.tx, planInput());
    return { ...w, addon, plan };
  }

  it('add-ons version and publish like plans', () => {
    const w = withAddon();
    expect(w.addon).toMatchObject({ version: 1, status: 'draft', validationErrors: [] });
    expect(err(() => w.addons.createAddon(w.tx, { key: 'extra', name: 'again', instanceType: 'single', rateCards: [flatFee()] })).kind).toBe('validation');
    expect(w.addons.publishAddon(w.tx, { id: w.addon.id }).status).toBe('active');
    const v2 = w.addons.createAddon(w.tx, { key: 'extra', name: 'Extra 2', instanceType: 'single', rateCards: [flatFee()] });
    expect(v2.version).toBe(2);
    w.clock.set(at('2025-01-05T00:00:00Z'));
    w.addons.publishAddon(w.tx, { id: v2.id });
    expect(w.addons.getAddon(w.tx, { idOrKey: w.addon.id })).toMatchObject({ status: 'archived', effectiveTo: '2025-01-05T00:00:00.000Z' });
    expect(w.addons.getAddon(w.tx, { idOrKey: 'extra' }).id).toBe(v2.id);
    expect(err(() => w.addons.deleteAddon(w.tx, { id: v2.id })).code).toBe('addon_invalid_status');
  });

  it('assigns an active compatible add-on to a draft plan; duplicates conflict', () => {
    const w = withAddon();
    // a draft add-on: a plain validation error, no issue list (planaddon/service/planaddon.go)
    const draftAddon = err(() => w.planAddons.createPlanAddon(w.tx, { planId: w.plan.id, addonId: w.addon.id, fromPlanPhase: 'default' }));
    expect([draftAddon.kind, draftAddon.issues]).toEqual(['validation', []]);
    w.addons.publishAddon(w.tx, { id: w.addon.id });
    const pa = w.planAddons.createPlanAddon(w.tx, { planId: w.plan.id, addonId: w.addon.id, fromPlanPhase: 'default', maxQuantity: 3 });
    expect(pa).toMatchObject({ planId: w.plan.id, maxQuantity: 3, addon: { id: w.addon.id, status: 'active' }, validationErrors: [] });
    expect(err(() => w.planAddons.createPlanAddon(w.tx, { planId: w.plan.id, addonId: w.addon.id, fromPlanPhase: 'default' })).kind).toBe('conflict');
    expect(w.planAddons.getPlanAddon(w.tx, { planIdOrKey: w.plan.id, planAddonIdOrAddonKey: 'extra' }).id).toBe(pa.id);
    expect(w.planAddons.listPlanAddons(w.tx, { planIdOrKey: w.plan.id }).totalCount).toBe(1);
    // the v1 wire PlanAddon has no id: the add-on's id addresses the assignment too
    expect(w.planAddons.getPlanAddon(w.tx, { planIdOrKey: w.plan.id, planAddonIdOrAddonKey: w.addon.id }).id).toBe(pa.id);
    const upd = w.planAddons.updatePlanAddon(w.tx, { planId: w.plan.id, planAddonId: pa.id, fromPlanPhase: 'default', maxQuantity: 5 });
    expect(upd.maxQuantity).toBe(5);
    w.planAddons.deletePlanAddon(w.tx, { planId: w.plan.id, planAddonId: pa.id });
    expect(w.planAddons.listPlanAddons(w.tx, { planIdOrKey: w.plan.id }).totalCount).toBe(0);
  });

  it('currencies are checked when assigning', () => {
    const w = withAddon('multiple', { currency: 'EUR' });
    w.addons.publishAddon(w.tx, { id: w.addon.id });
    const e = err(() => w.planAddons.createPlanAddon(w.tx, { planId: w.plan.id, addonId: w.addon.id, fromPlanPhase: 'default' }));
    expect(e.issues.map((i) => [i.code, i.field])).toContainEqual(['plan_multiple_fiat_currencies', '$.addon.currency']);
  });

  // planaddon.go PlanAddon.Validate: stored at create, reported on read, blocking the plan's publish
  it.each([
    ['unknown phase', {}, { fromPlanPhase: 'nope' }, 'plan_addon_unknown_plan_phase_key', '$.fromPlanPhase'],
    ['maxQuantity on single, even 1', { instanceType: 'single' }, { fromPlanPhase: 'default', maxQuantity: 1 }, 'plan_addon_max_quantity_must_not_be_set', '$.maxQuantity'],
    ['maxQuantity 0', {}, { fromPlanPhase: 'default', maxQuantity: 0 }, 'plan_addon_max_quantity_must_be_set', '$.maxQuantity'],
    ['unaligned cadence', { rateCards: [flatFee({ key: 'w', billingCadence: 'P1W' })] }, { fromPlanPhase: 'default' }, 'rate_card_billing_cadence_unaligned', '$.billingCadence'],
    [
      'same key, other cadence',
      { rateCards: [flatFee({ billingCadence: 'P1Y' })] },
      { fromPlanPhase: 'default' },
      'rate_card_billing_cadence_mismatch',
      "$.addon.ratecards[?(@.key=='base')].billingCadence",
    ],
  ])('incompatible: %s', (_n, addonOver, pa, code, field) => {
    const w = withAddon(((addonOver as { instanceType?: 'single' }).instanceType ?? 'multiple'), addonOver);
    w.addons.publishAddon(w.tx, { id: w.addon.id });
    const created = w.planAddons.createPlanAddon(w.tx, { planId: w.plan.id, addonId: w.addon.id, ...pa });
    expect(created.validationErrors.map((i) => [i.code, i.field, i.severity])).toEqual([[code, field, 'warning']]);
    expect(created.maxQuantity).toBe((pa as { maxQuantity?: number }).maxQuantity);
    const pub = err(() => w.plans.publishPlan(w.tx, { id: w.plan.id }));
    expect(pub.issues.map((i) => i.code)).toEqual(['plan_has_incompatible_addon']);
    // an update re-checks everything
    expect(err(() => w.planAddons.updatePlanAddon(w.tx, { planId: w.plan.id, planAddonId: created.id, ...pa })).issues.map((i) => i.code)).toEqual([code]);
  });

  it('an active plan cannot change its add-ons; publish re-checks assigned add-ons', () => {
    const w = withAddon();
    w.addons.publishAddon(w.tx, { id: w.addon.id });
    w.planAddons.createPlanAddon(w.tx, { planId: w.plan.id, addonId: w.addon.id, fromPlanPhase: 'default' });
    w.addons.archiveAddon(w.tx, { id: w.addon.id });
    // the plan's own validationErrors do not include its assignments; the assignment reports the add-on status
    const draft = w.plans.getPlan(w.tx, { idOrKey: w.plan.id });
    expect(draft.validationErrors).toEqual([]);
    expect(w.planAddons.getPlanAddon(w.tx, { planIdOrKey: w.plan.id, planAddonIdOrAddonKey: 'extra' }).validationErrors.map((i) => [i.code, i.field])).toEqual([
      ['plan_addon_incompatible_status', '$.addon.status'],
    ]);
    expect(err(() => w.plans.publishPlan(w.tx, { id: w.plan.id })).code).toBe('plan_has_incompatible_addon');

    const w2 = withAddon();
    w2.addons.publishAddon(w2.tx, { id: w2.addon.id });
    w2.plans.publishPlan(w2.tx, { id: w2.plan.id });
    const e = err(() => w2.planAddons.createPlanAddon(w2.tx, { planId: w2.plan.id, addonId: w2.addon.id, fromPlanPhase: 'default' }));
    expect([e.kind, e.code]).toEqual(['validation', 'plan_addon_incompatible_status']);
  });
});
