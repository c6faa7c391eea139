import { describe, expect, it } from 'vitest';
import type { Feature, Price, RateCard } from './types.ts';
import { sortTiers, normalizeRateCard, validateAddonForCreate, validateAddonForPublish, validatePlanForCreate, validatePlanForPublish, type CatalogContext, type PlanShape } from './validation.ts';
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
const P = 'phases[0].rateCards[0]';

type Row = [name: string, input: PlanShape, code: string, field: string | undefined, stage: 'create' | 'publish'];
const rows: Row[] = [
  ['no phases', plan({ phases: [] }), 'plan_with_no_phases', 'phases', 'publish'],
  ['duplicated phase key', plan({ phases: [phase({ duration: 'P1M' }), phase()] }), 'plan_phase_duplicated_key', 'phases[1].key', 'create'],
  ['non-last phase without duration', plan({ phases: [phase({ key: 'trial' }), phase()] }), 'plan_has_non_last_phase_with_no_duration', 'phases[0].duration', 'publish'],
  ['last phase with duration', plan({ phases: [phase({ duration: 'P1M' })] }), 'plan_has_last_phase_with_duration', 'phases[0].duration', 'publish'],
  ['phase without rate cards', plan({ phases: [phase({ rateCards: [] })] }), 'plan_phase_has_no_rate_cards', 'phases[0].rateCards', 'publish'],
  ['invalid phase duration', plan({ phases: [phase({ key: 'trial', duration: 'one month' }), phase()] }), 'plan_phase_duration_invalid', 'phases[0].duration', 'create'],
  ['duplicated rate card key', withCards(flatFee(), flatFee()), 'rate_card_duplicated_key', 'phases[0].rateCards[1].key', 'create'],
  ['rate card key ≠ feature key', withCards(usage({ key: 'tok' })), 'rate_card_key_feature_key_mismatch', `${P}.featureKey`, 'create'],
  ['unknown feature', withCards(usage({ key: 'nope', featureKey: 'nope' })), 'rate_card_feature_not_found', `${P}.featureKey`, 'create'],
  ['archived feature', withCards(usage({ key: 'old', featureKey: 'old' })), 'rate_card_feature_archived', `${P}.featureKey`, 'publish'],
  ['unaligned cadence', withCards(flatFee({ billingCadence: 'P1W' })), 'rate_card_billing_cadence_unaligned', `${P}.billingCadence`, 'create'],
  ['cadence not a duration', withCards(flatFee({ billingCadence: 'monthly' })), 'billing_cadence_invalid_value', `${P}.billingCadence`, 'create'],
  ['cadence under an hour', withCards(flatFee({ billingCadence: 'PT30M' })), 'billing_cadence_invalid_value', `${P}.billingCadence`, 'create'],
  ['usage-based without cadence', withCards(usage({ billingCadence: null as never })), 'rate_card_billing_cadence_missing', `${P}.billingCadence`, 'create'],
  ['plan cadence not allowed', plan({ billingCadence: 'P1D', phases: [phase({ rateCards: [flatFee({ billingCadence: 'P1D' })] })] }), 'plan_billing_cadence_invalid', 'billingCadence', 'create'],
  ['plan cadence not a duration', plan({ billingCadence: 'x' }), 'plan_billing_cadence_invalid', 'billingCadence', 'create'],
  ['usage price without feature', withCards(usage({ key: 'api', featureKey: undefined })), 'usage_based_price_with_no_feature', `${P}.featureKey`, 'publish'],
  ['usage price on static feature', withCards(usage({ key: 'seats', featureKey: 'seats' })), 'usage_based_price_with_feature_and_no_meter', `${P}.featureKey`, 'create'],
  ['percentage > 100', withCards(flatFee({ discounts: { percentage: { percentage: 101 } } })), 'percentage_discount_invalid_value', `${P}.discounts.percentage.percentage`, 'create'],
  ['percentage < 0', withCards(flatFee({ discounts: { percentage: { percentage: -1 } } })), 'percentage_discount_invalid_value', `${P}.discounts.percentage.percentage`, 'create'],
  ['usage discount negative', withCards(usage({ discounts: { usage: { quantity: '-1' } } })), 'usage_discount_negative_quantity', `${P}.discounts.usage.quantity`, 'create'],
  ['usage discount on flat price', withCards(flatFee({ discounts: { usage: { quantity: '5' } } })), 'usage_discount_with_flat_price', `${P}.discounts.usage`, 'create'],
  ['discounts without price', withCards(flatFee({ price: null, discounts: { percentage: { percentage: 10 } } })), 'rate_card_discounts_with_no_price', `${P}.discounts`, 'create'],
  ['usage period < 1h', withCards(usage({ entitlementTemplate: { type: 'metered', usagePeriod: 'PT30M' } })), 'entitlement_template_usage_period_less_then_an_hour', `${P}.entitlementTemplate.usagePeriod`, 'create'],
  ['usage period invalid', withCards(usage({ entitlementTemplate: { type: 'metered', usagePeriod: 'soon' } })), 'entitlement_template_usage_period_invalid', `${P}.entitlementTemplate.usagePeriod`, 'create'],
  ['template without feature', withCards(flatFee({ entitlementTemplate: { type: 'boolean' } })), 'entitlement_template_with_no_feature', `${P}.entitlementTemplate`, 'create'],
  ['metered template on static feature', withCards(flatFee({ key: 'seats', featureKey: 'seats', entitlementTemplate: { type: 'metered' } })), 'entitlement_template_metered_feature_with_no_meter', `${P}.entitlementTemplate`, 'create'],
  ['priority without issueAfterReset', withCards(usage({ entitlementTemplate: { type: 'metered', issueAfterResetPriority: 3 } })), 'entitlement_template_invalid_issue_after_reset_with_priority', `${P}.entitlementTemplate.issueAfterResetPriority`, 'create'],
  ['issueAfterReset negative', withCards(usage({ entitlementTemplate: { type: 'metered', issueAfterReset: -1 } })), 'entitlement_template_issue_after_reset_negative', `${P}.entitlementTemplate.issueAfterReset`, 'create'],
  ['static config not an object', withCards(flatFee({ key: 'seats', featureKey: 'seats', entitlementTemplate: { type: 'static', config: '[1]' } })), 'entitlement_template_invalid_json_config', `${P}.entitlementTemplate.config`, 'create'],
  ['bad stripe tax code', withCards(flatFee({ taxConfig: { stripe: { code: 'abc' } } })), 'tax_config_invalid', `${P}.taxConfig.stripe.code`, 'create'],
  ['flat fee with unit price', withCards(flatFee({ price: { type: 'unit', amount: '1' } as never })), 'flat_fee_rate_card_with_non_flat_price', `${P}.price.type`, 'create'],
  ['negative flat amount', withCards(flatFee({ price: { type: 'flat', amount: '-1' } })), 'price_amount_negative', `${P}.price.amount`, 'create'],
  ['amount not decimal', withCards(flatFee({ price: { type: 'flat', amount: 'ten' } })), 'price_amount_invalid', `${P}.price.amount`, 'create'],
  ['bad payment term', withCards(flatFee({ price: { type: 'flat', amount: '1', paymentTerm: 'later' as never } })), 'price_payment_term_invalid', `${P}.price.paymentTerm`, 'create'],
  ['negative unit amount', withPrice({ type: 'unit', amount: '-0.1' }), 'price_amount_negative', `${P}.price.amount`, 'create'],
  ['negative commitment', withPrice({ type: 'unit', amount: '1', minimumAmount: '-5' }), 'price_commitment_negative', `${P}.price.minimumAmount`, 'create'],
  ['min > max', withPrice({ type: 'unit', amount: '1', minimumAmount: '50', maximumAmount: '10' }), 'price_minimum_amount_greater_than_maximum', `${P}.price.minimumAmount`, 'create'],
  ['no tiers', withPrice(tiered([])), 'tiered_price_with_no_tiers', `${P}.price.tiers`, 'create'],
  ['no open tier', withPrice(tiered([{ upToAmount: '10', unitPrice: { type: 'unit', amount: '1' } }])), 'tiered_price_missing_open_ended_tier', `${P}.price.tiers`, 'create'],
  ['two open tiers', withPrice(tiered([{ unitPrice: { type: 'unit', amount: '1' } }, { flatPrice: { type: 'flat', amount: '1' } }])), 'tiered_price_multiple_open_ended_tiers', `${P}.price.tiers`, 'create'],
  ['duplicated upToAmount', withPrice(tiered([{ upToAmount: '10', unitPrice: { type: 'unit', amount: '1' } }, { upToAmount: '10.0', unitPrice: { type: 'unit', amount: '1' } }, { unitPrice: { type: 'unit', amount: '0' } }])), 'tiered_price_duplicated_up_to_amount', `${P}.price.tiers[1].upToAmount`, 'create'],
  ['tier with no price', withPrice(tiered([{ upToAmount: '10' }, { unitPrice: { type: 'unit', amount: '1' } }])), 'tiered_price_tier_with_no_price', `${P}.price.tiers[0]`, 'create'],
  ['negative tier price', withPrice(tiered([{ unitPrice: { type: 'unit', amount: '-1' } }])), 'price_amount_negative', `${P}.price.tiers[0].unitPrice.amount`, 'create'],
  ['bad tier mode', withPrice({ type: 'tiered', mode: 'stairs' as never, tiers: [{ unitPrice: { type: 'unit', amount: '1' } }] }), 'tiered_price_mode_invalid', `${P}.price.mode`, 'create'],
  ['package quantity 0', withPrice({ type: 'package', amount: '5', quantityPerPackage: '0' }), 'package_price_invalid_quantity_per_package', `${P}.price.quantityPerPackage`, 'create'],
  ['dynamic negative multiplier', withPrice({ type: 'dynamic', multiplier: '-0.5' }), 'dynamic_price_negative_multiplier', `${P}.price.multiplier`, 'create'],
  ['unknown price type', withPrice({ type: 'magic' } as never), 'price_type_invalid', `${P}.price.type`, 'create'],
  ['bad currency', plan({ currency: 'usd' }), 'currency_invalid', 'currency', 'create'],
  ['bad key', plan({ key: 'Pro Plan' }), 'resource_key_invalid', 'key', 'create'],
];

describe('plan rules', () => {
  it.each(rows)('%s → %s', (_name, input, code, field, stage) => {
    const onPublish = validatePlanForPublish(input, ctx);
    expect(onPublish.map((i) => [i.code, i.field])).toContainEqual([code, field]);
    const onCreate = validatePlanForCreate(input, ctx);
    if (stage === 'create') expect(onCreate.map((i) => [i.code, i.field])).toContainEqual([code, field]);
    else expect(onCreate.map((i) => i.code)).not.toContain(code);
  });

  it('a valid plan has no issues at either stage', () => {
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
    expect(validatePlanForPublish(p, ctx)).toEqual([]);
    expect(validatePlanForCreate(p, ctx)).toEqual([]);
  });

  it('min/max commitments are only compared when both are non-zero', () => {
    expect(validatePlanForCreate(withPrice({ type: 'unit', amount: '1', minimumAmount: '50', maximumAmount: '0' }), ctx)).toEqual([]);
  });

  it('collects every problem at once', () => {
    const issues = validatePlanForPublish(plan({ currency: 'x', phases: [phase({ key: 'a' }), phase({ key: 'a', rateCards: [] })] }), ctx);
    expect(new Set(issues.map((i) => i.code))).toEqual(
      new Set(['currency_invalid', 'plan_phase_duplicated_key', 'plan_has_non_last_phase_with_no_duration', 'plan_phase_has_no_rate_cards']),
    );
  });
});

describe('add-on rules', () => {
  const addon = (rateCards: RateCard[], instanceType = 'single') => ({ key: 'extra', name: 'Extra', currency: 'USD', instanceType, rateCards });
  it('needs rate cards to publish, not to create', () => {
    expect(validateAddonForCreate(addon([]), ctx)).toEqual([]);
    expect(validateAddonForPublish(addon([]), ctx).map((i) => i.code)).toEqual(['addon_with_no_rate_cards']);
  });
  it('multiple-instance add-ons cannot grant boolean entitlements', () => {
    const issues = validateAddonForCreate(addon([flatFee({ key: 'seats', featureKey: 'seats', entitlementTemplate: { type: 'boolean' } })], 'multiple'), ctx);
    expect(issues.map((i) => [i.code, i.field])).toEqual([['addon_multiple_instance_with_boolean_entitlement', 'rateCards[0].entitlementTemplate']]);
  });
  it('rejects an unknown instance type and checks rate cards with add-on paths', () => {
    const issues = validateAddonForCreate(addon([flatFee({ price: { type: 'flat', amount: '-1' } })], 'many'), ctx);
    expect(issues.map((i) => [i.code, i.field])).toEqual([
      ['addon_instance_type_invalid', 'instanceType'],
      ['price_amount_negative', 'rateCards[0].price.amount'],
    ]);
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
  it('fills the metered template defaults (engine.md §4.2) without overriding given values', () => {
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

