import { describe, expect, it } from 'vitest';
import type { Feature, Price, RateCard } from './types.ts';
import {
  criticalOnly,
  normalizeRateCard,
  resolveAddonFeatures,
  resolvePlanFeatures,
  sortTiers,
  validateAddon,
  validateAddonPublishable,
  validatePlan,
  validatePlanFeatures,
  type CatalogContext,
  type PlanShape,
} from './validation.ts';
import { flatFee, phase, usage } from './testFixtures.ts';

const feature = (key: string, over: Partial<Feature> = {}): Feature => ({
  id: `01J0000000000000000000F${key.length.toString().padStart(3, '0')}`,
  key,
  name: key,
  createdAt: '2025-01-01T00:00:00Z',
  updatedAt: '2025-01-01T00:00:00Z',
  ...over,
});
const features: Record<string, Feature> = {
  tokens: feature('tokens', { meterSlug: 'tokens' }),
  seats: feature('seats'),
  old: feature('old', { meterSlug: 'tokens', archivedAt: '2025-01-02T00:00:00Z' }),
};
const ctx: CatalogContext = { features: (k) => features[k] };

const plan = (over: Partial<PlanShape> = {}): PlanShape => ({ key: 'pro', name: 'Pro', currency: 'USD', billingCadence: 'P1M', phases: [phase()], ...over });
const withCards = (...rateCards: RateCard[]): PlanShape => plan({ phases: [phase({ rateCards })] });
const withPrice = (price: Price): PlanShape => withCards(usage({ price }));
const tiered = (tiers: unknown[]): Price => ({ type: 'tiered', mode: 'graduated', tiers } as Price);
/**
 * Fields are the real service's JSONPaths (pkg/models/fielddescriptor.go): per-rate-card rules
 * under `ratecards[?(@.key=…)]` (productcatalog/ratecard.go ValidateRateCards), the alignment and
 * feature rules under `rateCards[?(@.key=…)]` (plan.go, ratecard.go ValidateRateCardsWithFeatures).
 */
const PH = "$.phases[?(@.key=='default')]";
const rc = (key: string) => `${PH}.ratecards[?(@.key=='${key}')]`;
const RC = (key: string) => `${PH}.rateCards[?(@.key=='${key}')]`;
const B = rc('base');
const T = rc('tokens');

/** `validate`: Plan.Validate (a draft's validationErrors); `resolve`: create-time feature lookup; `features`: publish-time feature checks */
type Where = 'validate' | 'resolve' | 'features';
type Row = [name: string, input: PlanShape, code: string, field: string | undefined, severity: 'critical' | 'warning', where: Where];
const rows: Row[] = [
  ['no phases', plan({ phases: [] }), 'plan_with_no_phases', '$.phases', 'warning', 'validate'],
  ['duplicated phase key', plan({ phases: [phase({ duration: 'P1M' }), phase()] }), 'plan_phase_duplicated_key', `${PH}.key.key`, 'critical', 'validate'],
  ['non-last phase without duration', plan({ phases: [phase({ key: 'trial' }), phase()] }), 'plan_has_non_last_phase_with_no_duration', "$.phases[?(@.key=='trial')].duration", 'warning', 'validate'],
  ['last phase with duration', plan({ phases: [phase({ duration: 'P1M' })] }), 'plan_has_last_phase_with_duration', `${PH}.duration`, 'warning', 'validate'],
  ['phase without rate cards', plan({ phases: [phase({ rateCards: [] })] }), 'plan_phase_has_no_rate_cards', `${PH}.rateCards`, 'warning', 'validate'],
  ['invalid phase duration', plan({ phases: [phase({ key: 'trial', duration: 'one month' }), phase()] }), 'plan_phase_duration_invalid', "$.phases[?(@.key=='trial')].duration", 'critical', 'validate'],
  ['phase under an hour', plan({ phases: [phase({ key: 'trial', duration: 'PT30M' }), phase()] }), 'plan_phase_duration_less_then_an_hour', "$.phases[?(@.key=='trial')].duration", 'warning', 'validate'],
  ['duplicated rate card key', withCards(flatFee(), flatFee()), 'rate_card_duplicated_key', `${B}.key`, 'critical', 'validate'],
  ['rate card key ≠ feature key', withCards(usage({ key: 'tok' })), 'rate_card_key_feature_key_mismatch', `${rc('tok')}.key`, 'critical', 'validate'],
  ['unknown feature at create', withCards(usage({ key: 'nope', featureKey: 'nope' })), 'rate_card_feature_not_found', `${rc('nope')}.featureKey`, 'critical', 'resolve'],
  ['unknown feature at publish', withCards(usage({ key: 'nope', featureKey: 'nope' })), 'rate_card_feature_not_found', `${RC('nope')}.featureKey`, 'critical', 'features'],
  ['archived feature', withCards(usage({ key: 'old', featureKey: 'old' })), 'rate_card_feature_archived', `${RC('old')}.featureKey`, 'critical', 'features'],
  ['unaligned cadence', withCards(flatFee({ billingCadence: 'P1W' })), 'rate_card_billing_cadence_unaligned', `${RC('base')}.billingCadence`, 'warning', 'validate'],
  ['cadence not a duration', withCards(flatFee({ billingCadence: 'monthly' })), 'billing_cadence_invalid_value', `${B}.billingCadence`, 'critical', 'validate'],
  ['cadence under an hour', withCards(flatFee({ billingCadence: 'PT30M' })), 'billing_cadence_invalid_value', `${B}.billingCadence`, 'warning', 'validate'],
  ['usage-based without cadence', withCards(usage({ billingCadence: null as never })), 'rate_card_billing_cadence_missing', `${T}.billingCadence`, 'critical', 'validate'],
  ['plan cadence not allowed', plan({ billingCadence: 'P1D', phases: [phase({ rateCards: [flatFee({ billingCadence: 'P1D' })] })] }), 'plan_billing_cadence_invalid', '$.billingCadence', 'critical', 'validate'],
  ['plan cadence not a duration', plan({ billingCadence: 'x' }), 'plan_billing_cadence_invalid', '$.billingCadence', 'critical', 'validate'],
  ['usage price without feature', withCards(usage({ key: 'api', featureKey: undefined })), 'usage_based_price_with_no_feature', `${rc('api')}.featureKey`, 'warning', 'validate'],
  ['usage price on static feature', withCards(usage({ key: 'seats', featureKey: 'seats' })), 'usage_based_price_with_feature_and_no_meter', `${RC('seats')}.featureKey`, 'warning', 'features'],
  ['percentage > 100', withCards(flatFee({ discounts: { percentage: { percentage: 101 } } })), 'percentage_discount_invalid_value', `${B}.discounts.percentage.percentage`, 'critical', 'validate'],
  ['percentage < 0', withCards(flatFee({ discounts: { percentage: { percentage: -1 } } })), 'percentage_discount_invalid_value', `${B}.discounts.percentage.percentage`, 'critical', 'validate'],
  ['usage discount negative', withCards(usage({ discounts: { usage: { quantity: '-1' } } })), 'usage_discount_negative_quantity', `${T}.discounts.usage.quantity`, 'warning', 'validate'],
  // the real issue has no field (ErrUsageDiscountWithFlatPrice)
  ['usage discount on flat price', withCards(flatFee({ discounts: { usage: { quantity: '5' } } })), 'usage_discount_with_flat_price', undefined, 'warning', 'validate'],
  ['discounts without price', withCards(flatFee({ price: null, discounts: { percentage: { percentage: 10 } } })), 'rate_card_discounts_with_no_price', `${B}.discounts`, 'critical', 'validate'],
  ['usage period < 1h', withCards(usage({ entitlementTemplate: { type: 'metered', issueAfterReset: 1, usagePeriod: 'PT30M' } })), 'entitlement_template_usage_period_less_then_an_hour', `${T}.entitlementTemplate.usagePeriod`, 'warning', 'validate'],
  ['usage period zero', withCards(usage({ entitlementTemplate: { type: 'metered', issueAfterReset: 1, usagePeriod: 'PT0S' } })), 'entitlement_template_negative_usage_period', `${T}.entitlementTemplate.usagePeriod`, 'warning', 'validate'],
  ['usage period invalid', withCards(usage({ entitlementTemplate: { type: 'metered', usagePeriod: 'soon' } })), 'entitlement_template_usage_period_invalid', `${T}.entitlementTemplate.usagePeriod`, 'critical', 'validate'],
  ['template without feature', withCards(flatFee({ entitlementTemplate: { type: 'boolean' } })), 'entitlement_template_with_no_feature', `${B}.featureKey`, 'warning', 'validate'],
  ['metered template without issueAfterReset', withCards(usage({ entitlementTemplate: { type: 'metered' } })), 'entitlement_template_issue_after_reset_required', `${T}.entitlementTemplate.issueAfterReset`, 'warning', 'validate'],
  ['priority without issueAfterReset', withCards(usage({ entitlementTemplate: { type: 'metered', issueAfterResetPriority: 3 } })), 'entitlement_template_invalid_issue_after_reset_with_priority', `${T}.entitlementTemplate.issueAfterReset`, 'warning', 'validate'],
  ['issueAfterReset negative', withCards(usage({ entitlementTemplate: { type: 'metered', issueAfterReset: -1 } })), 'entitlement_template_issue_after_reset_negative', `${T}.entitlementTemplate.issueAfterReset`, 'critical', 'validate'],
  ['static config not an object', withCards(flatFee({ key: 'seats', featureKey: 'seats', entitlementTemplate: { type: 'static', config: '[1]' } })), 'entitlement_template_invalid_json_config', `${rc('seats')}.entitlementTemplate.config`, 'critical', 'validate'],
  ['bad stripe tax code', withCards(flatFee({ taxConfig: { stripe: { code: 'abc' } } })), 'tax_config_invalid', `${B}.taxConfig.stripe.code`, 'critical', 'validate'],
  ['flat fee with unit price', withCards(flatFee({ price: { type: 'unit', amount: '1' } as never })), 'flat_fee_rate_card_with_non_flat_price', `${B}.price.type`, 'critical', 'validate'],
  ['negative flat amount', withCards(flatFee({ price: { type: 'flat', amount: '-1' } })), 'price_amount_negative', `${B}.price.amount`, 'critical', 'validate'],
  ['amount not decimal', withCards(flatFee({ price: { type: 'flat', amount: 'ten' } })), 'price_amount_invalid', `${B}.price.amount`, 'critical', 'validate'],
  ['bad payment term', withCards(flatFee({ price: { type: 'flat', amount: '1', paymentTerm: 'later' as never } })), 'price_payment_term_invalid', `${B}.price.paymentTerm`, 'critical', 'validate'],
  ['negative unit amount', withPrice({ type: 'unit', amount: '-0.1' }), 'price_amount_negative', `${T}.price.amount`, 'critical', 'validate'],
  ['negative commitment', withPrice({ type: 'unit', amount: '1', minimumAmount: '-5' }), 'price_commitment_negative', `${T}.price.minimumAmount`, 'critical', 'validate'],
  ['min > max', withPrice({ type: 'unit', amount: '1', minimumAmount: '50', maximumAmount: '10' }), 'price_minimum_amount_greater_than_maximum', `${T}.price.minimumAmount`, 'critical', 'validate'],
  ['no tiers', withPrice(tiered([])), 'tiered_price_with_no_tiers', `${T}.price.tiers`, 'critical', 'validate'],
  ['no open tier', withPrice(tiered([{ upToAmount: '10', unitPrice: { type: 'unit', amount: '1' } }])), 'tiered_price_missing_open_ended_tier', `${T}.price.tiers`, 'critical', 'validate'],
  ['two open tiers', withPrice(tiered([{ unitPrice: { type: 'unit', amount: '1' } }, { flatPrice: { type: 'flat', amount: '1' } }])), 'tiered_price_multiple_open_ended_tiers', `${T}.price.tiers`, 'critical', 'validate'],
  ['duplicated upToAmount', withPrice(tiered([{ upToAmount: '10', unitPrice: { type: 'unit', amount: '1' } }, { upToAmount: '10.0', unitPrice: { type: 'unit', amount: '1' } }, { unitPrice: { type: 'unit', amount: '0' } }])), 'tiered_price_duplicated_up_to_amount', `${T}.price.tiers[1].upToAmount`, 'critical', 'validate'],
  ['tier with no price', withPrice(tiered([{ upToAmount: '10' }, { unitPrice: { type: 'unit', amount: '1' } }])), 'tiered_price_tier_with_no_price', `${T}.price.tiers[0]`, 'critical', 'validate'],
  ['negative tier price', withPrice(tiered([{ unitPrice: { type: 'unit', amount: '-1' } }])), 'price_amount_negative', `${T}.price.tiers[0].unitPrice.amount`, 'critical', 'validate'],
  ['bad tier mode', withPrice({ type: 'tiered', mode: 'stairs' as never, tiers: [{ unitPrice: { type: 'unit', amount: '1' } }] }), 'tiered_price_mode_invalid', `${T}.price.mode`, 'critical', 'validate'],
  ['package quantity 0', withPrice({ type: 'package', amount: '5', quantityPerPackage: '0' }), 'package_price_invalid_quantity_per_package', `${T}.price.quantityPerPackage`, 'critical', 'validate'],
  ['dynamic negative multiplier', withPrice({ type: 'dynamic', multiplier: '-0.5' }), 'dynamic_price_negative_multiplier', `${T}.price.multiplier`, 'critical', 'validate'],
  ['unknown price type', withPrice({ type: 'magic' } as never), 'price_type_invalid', `${T}.price.type`, 'critical', 'validate'],
  ['bad currency', plan({ currency: 'usd' }), 'currency_invalid', '$.currency', 'critical', 'validate'],
  ['bad key', plan({ key: 'Pro Plan' }), 'resource_key_invalid', '$.key', 'critical', 'validate'],
];

const run = (where: Where, p: PlanShape) => (where === 'validate' ? validatePlan(p) : where === 'resolve' ? resolvePlanFeatures(p, ctx) : validatePlanFeatures(p, ctx));

describe('plan rules', () => {
  it.each(rows)('%s → %s', (_name, input, code, field, severity, where) => {
    const issues = run(where, input);
    expect(issues.map((i) => [i.code, i.field, i.severity])).toContainEqual([code, field, severity]);
    // only critical issues reject a create or update; warnings are stored on the draft
    expect(criticalOnly(issues).some((i) => i.code === code && i.field === field)).toBe(severity === 'critical');
  });

  it('uses the real messages', () => {
    const [i] = validatePlan(withCards(flatFee({ billingCadence: 'P1W' })));
    expect(i!.message).toBe('ratecards with prices must have compatible billing cadence');
    // a free rate card is no billable: its cadence need not align (ValidatePlanHasAlignedBillingCadences uses Billables)
    expect(validatePlan(withCards(flatFee({ billingCadence: 'P1W', price: null })))).toEqual([]);
  });

  it('a valid plan has no issues at any stage', () => {
    const p = plan({
      phases: [
        phase({ key: 'trial', duration: 'P14D', rateCards: [flatFee({ price: null })] }),
        phase({
          rateCards: [
            flatFee({ billingCadence: 'P1Y', discounts: { percentage: { percentage: 100 } } }),
            flatFee({ key: 'setup', billingCadence: null, price: { type: 'flat', amount: '0', paymentTerm: 'in_arrears' } }),
            usage({ discounts: { usage: { quantity: '0' } }, entitlementTemplate: { type: 'metered', issueAfterReset: 100, issueAfterResetPriority: 1 } }),
            usage({ key: 'api', featureKey: undefined, price: { type: 'flat', amount: '1' }, billingCadence: 'P3M' }),
            flatFee({ key: 'seats', featureKey: 'seats', entitlementTemplate: { type: 'static', config: '{"a":1}' } }),
          ],
        }),
      ],
    });
    expect(validatePlan(p)).toEqual([]);
    expect(resolvePlanFeatures(p, ctx)).toEqual([]);
    expect(validatePlanFeatures(p, ctx)).toEqual([]);
  });

  it('a metered template on a feature without a meter is no issue (the real catalog has no such rule)', () => {
    const p = withCards(flatFee({ key: 'seats', featureKey: 'seats', entitlementTemplate: { type: 'metered', issueAfterReset: 1 } }));
    expect([...validatePlan(p), ...validatePlanFeatures(p, ctx)]).toEqual([]);
  });

  it('min/max commitments are only compared when both are non-zero', () => {
    expect(validatePlan(withPrice({ type: 'unit', amount: '1', minimumAmount: '50', maximumAmount: '0' }))).toEqual([]);
  });

  it('collects every problem at once', () => {
    const issues = validatePlan(plan({ currency: 'x', phases: [phase({ key: 'a' }), phase({ key: 'a', rateCards: [] })] }));
    expect(new Set(issues.map((i) => i.code))).toEqual(
      new Set(['currency_invalid', 'plan_phase_duplicated_key', 'plan_has_non_last_phase_with_no_duration', 'plan_phase_has_no_rate_cards']),
    );
  });
});

describe('add-on rules (productcatalog/addon.go)', () => {
  const addon = (rateCards: RateCard[], instanceType = 'single') => ({ key: 'extra', name: 'Extra', currency: 'USD', instanceType, rateCards });
  it('an add-on without rate cards is a warning: stored, listed, not publishable', () => {
    expect(validateAddon(addon([])).map((i) => [i.code, i.field, i.severity])).toEqual([['addon_has_no_rate_cards', '$.rateCards', 'warning']]);
  });
  it('multiple-instance add-ons may grant boolean entitlements but sell only free or flat prices (at publish)', () => {
    const bool = addon([flatFee({ key: 'seats', featureKey: 'seats', entitlementTemplate: { type: 'boolean' } })], 'multiple');
    expect(validateAddon(bool)).toEqual([]);
    expect(validateAddonPublishable(bool, ctx)).toEqual([]);
    const unit = addon([usage()], 'multiple');
    expect(validateAddon(unit)).toEqual([]);
    expect(validateAddonPublishable(unit, ctx).map((i) => [i.code, i.field, i.severity])).toEqual([
      ['addon_invalid_ratecard_price_for_multi_instance', "$.ratecards[?(@.key=='tokens')].price", 'warning'],
    ]);
  });
  it('billable rate cards of an add-on share one cadence (at publish)', () => {
    const mixed = addon([flatFee(), flatFee({ key: 'yearly', billingCadence: 'P1Y' }), flatFee({ key: 'free', billingCadence: 'P1W', price: null })]);
    expect(validateAddon(mixed)).toEqual([]);
    expect(validateAddonPublishable(mixed, ctx).map((i) => [i.code, i.field])).toEqual([['rate_card_multiple_billing_cadence', '$.ratecards[*].billingCadence']]);
    expect(validateAddonPublishable(addon([flatFee(), flatFee({ key: 'again', billingCadence: 'P1M' })]), ctx)).toEqual([]);
  });
  it('rejects an unknown instance type and checks rate cards with add-on paths', () => {
    const issues = validateAddon(addon([flatFee({ price: { type: 'flat', amount: '-1' } })], 'many'));
    expect(issues.map((i) => [i.code, i.field])).toEqual([
      ['addon_instance_type_invalid', '$.instanceType'],
      ['price_amount_negative', "$.ratecards[?(@.key=='base')].price.amount"],
    ]);
    expect(resolveAddonFeatures(addon([usage({ key: 'nope', featureKey: 'nope' })]), ctx).map((i) => i.code)).toEqual(['rate_card_feature_not_found']);
  });
});

describe('normalizeRateCard', () => {
  it('fills the engine defaults and canonicalises decimals', () => {
    expect(normalizeRateCard(flatFee({ price: { type: 'flat', amount: '10.50' } })).price).toEqual({ type: 'flat', amount: '10.5', paymentTerm: 'in_advance' });
    expect(normalizeRateCard(usage({ price: { type: 'dynamic' } })).price).toEqual({ type: 'dynamic', multiplier: '1' });
    expect(normalizeRateCard(usage({ entitlementTemplate: { type: 'metered' } })).entitlementTemplate).toEqual({
      type: 'metered',
      isSoftLimit: false,
      preserveOverageAtReset: false,
      usagePeriod: 'P1M',
    });
    const oneTime = normalizeRateCard({ type: 'flat_fee', key: 'x', name: 'x', price: null } as never);
    expect(oneTime.billingCadence).toBeNull();
  });
  it('fills the metered template defaults (OpenMeter entitlement/metered/connector.go) without overriding given values', () => {
    // a default grant gets priority 1; without issueAfterReset there is no grant, so no priority
    expect(normalizeRateCard(usage({ entitlementTemplate: { type: 'metered', issueAfterReset: 10 } })).entitlementTemplate).toMatchObject({
      issueAfterReset: 10,
      issueAfterResetPriority: 1,
    });
    const given = normalizeRateCard(
      usage({ entitlementTemplate: { type: 'metered', isSoftLimit: true, preserveOverageAtReset: true, issueAfterReset: 1, issueAfterResetPriority: 7, usagePeriod: 'P1D' } }),
    ).entitlementTemplate;
    expect(given).toEqual({ type: 'metered', isSoftLimit: true, preserveOverageAtReset: true, issueAfterReset: 1, issueAfterResetPriority: 7, usagePeriod: 'P1D' });
  });
  it('sorts tiers ascending with the open tier last', () => {
    const sorted = sortTiers([{ unitPrice: { type: 'unit', amount: '1' } }, { upToAmount: '100' }, { upToAmount: '5' }]);
    expect(sorted.map((t) => t.upToAmount ?? null)).toEqual(['5', '100', null]);
  });
});

