import { describe, expect, it } from 'vitest';
import { createMemoryUnitOfWork } from '../../store/memoryUnitOfWork.ts';
import { FeatureService } from '../catalog/FeatureService.ts';
import { CustomerService } from '../customers/CustomerService.ts';
import { MeteringService } from '../metering/MeteringService.ts';
import { memoryEventStores } from '../metering/testSupport.ts';
import { FixedClock } from '../shared/clock.ts';
import { DomainError, ErrorKind } from '../shared/errors.ts';
import { SequentialIds } from '../shared/ids.ts';
import { CreditErrorCode } from '../credit/reset.ts';
import { EntitlementService } from './EntitlementService.ts';
import { EntitlementErrorCode as E } from './errors.ts';

const T0 = new Date('2026-01-01T00:00:00Z');

function setup(start = T0) {
  const clock = new FixedClock(start);
  const ids = new SequentialIds();
  const deps = { clock, ids };
  const customers = new CustomerService(deps);
  const metering = new MeteringService({ ...deps, events: memoryEventStores(), customers });
  const features = new FeatureService({ ...deps, meters: metering });
  const svc = new EntitlementService({ ...deps, metering, customers, features });
  const tx = createMemoryUnitOfWork();
  metering.createMeter(tx, { key: 'tokens_total', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.tokens', groupBy: { model: '$.model' } });
  features.createFeature(tx, { key: 'tokens', name: 'Tokens', meterSlug: 'tokens_total' });
  features.createFeature(tx, { key: 'gpt_tokens', name: 'GPT tokens', meterSlug: 'tokens_total', meterGroupByFilters: { model: 'gpt' } });
  features.createFeature(tx, { key: 'sso', name: 'SSO' });
  const customer = customers.createCustomer(tx, { name: 'Acme', key: 'acme', usageAttribution: { subjectKeys: ['acme_prod', 'acme_dev'] } });
  let n = 0;
  const use = (time: string, tokens: number, subject = 'acme_prod', model = 'gpt') =>
    metering.ingestEvents(tx, [{ specversion: '1.0', id: `e${++n}`, source: 't', type: 'tokens', subject, time, data: { tokens, model } }]);
  return { clock, svc, tx, customer, use };
}

function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

const metered = { type: 'metered' as const, featureKey: 'tokens', usagePeriod: { interval: 'DAY' } };

describe('EntitlementService', () => {
  it('creates a metered entitlement with measureUsageFrom floored to the minute and one per feature', () => {
    const { svc, tx, clock } = setup();
    clock.set(new Date('2026-01-01T00:00:42Z'));
    const e = svc.createEntitlement(tx, { customer: 'acme', ...metered });
    expect(e).toMatchObject({ measureUsageFrom: '2026-01-01T00:00:00.000Z', usagePeriod: { interval: 'DAY', anchor: '2026-01-01T00:00:00.000Z' }, lastReset: '2026-01-01T00:00:00.000Z', subjectKey: 'acme_prod' });
    const dup = domainError(() => svc.createEntitlement(tx, { customer: { subject: 'acme_dev' }, type: 'boolean', featureKey: 'tokens' }));
    expect(dup.kind).toBe(ErrorKind.conflict);
    expect(dup.extensions.conflictingEntityId).toBe(e.id);
    // after a delete the feature is free again
    svc.deleteEntitlement(tx, { customer: 'acme', entitlement: 'tokens' });
    expect(svc.createEntitlement(tx, { customer: 'acme', type: 'boolean', featureKey: 'tokens' }).type).toBe('boolean');
  });

  it.each([
    ['a feature without a meter', { type: 'metered' as const, featureKey: 'sso', usagePeriod: { interval: 'DAY' } }, E.featureHasNoMeter],
    ['no usage period', { type: 'metered' as const, featureKey: 'tokens' }, E.usagePeriodRequired],
    ['a usage period under an hour', { type: 'metered' as const, featureKey: 'tokens', usagePeriod: { interval: 'PT59M' } }, E.usagePeriodTooShort],
    ['a static config that is not JSON', { type: 'static' as const, featureKey: 'sso', config: '{' }, E.staticConfigInvalid],
  ])('rejects %s', (_n, input, code) => {
    const { svc, tx } = setup();
    const err = domainError(() => svc.createEntitlement(tx, { customer: 'acme', ...input }));
    expect(err.kind).toBe(ErrorKind.validation);
    expect(err.code).toBe(code);
  });

  it('accepts a one-hour usage period', () => {
    const { svc, tx } = setup();
    expect(svc.createEntitlement(tx, { customer: 'acme', ...metered, usagePeriod: { interval: 'PT1H' } }).usagePeriod?.interval).toBe('PT1H');
  });

  it('resolves subjects to customers and 404s unknown ones', () => {
    const { svc, tx, customer } = setup();
    expect(svc.resolveSubject(tx, 'acme_dev').id).toBe(customer.id);
    expect(svc.resolveSubject(tx, 'acme').id).toBe(customer.id);
    expect(domainError(() => svc.resolveSubject(tx, 'nobody')).kind).toBe(ErrorKind.notFound);
  });

  it('counts usage of every subject of the customer, filtered by the feature group-by filters', () => {
    const { svc, tx, clock, use } = setup();
    svc.createEntitlement(tx, { customer: 'acme', ...metered, featureKey: 'gpt_tokens' });
    svc.createGrant(tx, { customer: 'acme', entitlement: 'gpt_tokens', apiVersion: 'v2', amount: '100', effectiveAt: T0 });
    use('2026-01-01T00:10:00Z', 10, 'acme_prod');
    use('2026-01-01T00:11:00Z', 5, 'acme_dev');
    use('2026-01-01T00:12:00Z', 40, 'acme_prod', 'claude'); // filtered out by model=gpt
    use('2026-01-01T00:13:00Z', 7, 'stranger'); // not this customer
    clock.set(new Date('2026-01-01T01:00:00Z'));
    // 10 + 5 = 15 → balance 100 − 15 = 85
    expect(svc.getEntitlementValue(tx, { customer: 'acme', entitlement: 'gpt_tokens' })).toMatchObject({ hasAccess: true, usage: '15', balance: '85', overage: '0' });
  });

  it('applies v1 vs v2 rollover defaults at the automatic reset', () => {
    const { svc, tx, clock, use } = setup();
    svc.createEntitlement(tx, { customer: 'acme', ...metered });
    const v1 = svc.createGrant(tx, { customer: 'acme', entitlement: 'tokens', apiVersion: 'v1', amount: '10', priority: 1, effectiveAt: T0 });
    const v2 = svc.createGrant(tx, { customer: 'acme', entitlement: 'tokens', apiVersion: 'v2', amount: '10', priority: 2, effectiveAt: T0 });
    expect([v1.maxRolloverAmount, v2.maxRolloverAmount]).toEqual(['0', '10']);
    use('2026-01-01T05:00:00Z', 3);
    clock.set(new Date('2026-01-02T00:00:30Z'));
    // at 01-02 00:00 the period resets: v1 had 7 → 0, v2 had 10 → min(10, 10) = 10
    const v = svc.getEntitlementValue(tx, { customer: 'acme', entitlement: 'tokens' });
    expect(v).toMatchObject({ usage: '0', balance: '10', overage: '0' });
    expect(v.grantBalances?.[v2.id]).toBe('10');
  });

  it('resets manually with retainAnchor and preserveOverage', () => {
    const { svc, tx, clock, use } = setup();
    const e = svc.createEntitlement(tx, { customer: 'acme', ...metered, usagePeriod: { interval: 'MONTH' } });
    svc.createGrant(tx, { customer: 'acme', entitlement: e.id, apiVersion: 'v2', amount: '10', effectiveAt: T0 });
    use('2026-01-01T01:00:00Z', 14);
    clock.set(new Date('2026-01-01T02:00:00Z'));
    expect(svc.getEntitlementValue(tx, { customer: 'acme', entitlement: e.id })).toMatchObject({ balance: '0', overage: '4', hasAccess: false });
    svc.resetEntitlementUsage(tx, { customer: 'acme', entitlement: e.id, retainAnchor: true, preserveOverage: true });
    // the grant rolls over min(10, max(0, 0)) = 0 and the overage 4 stays unpaid
    expect(svc.getEntitlementValue(tx, { customer: 'acme', entitlement: e.id })).toMatchObject({ usage: '0', balance: '0', overage: '4' });
    const after = svc.getEntitlement(tx, { customer: 'acme', entitlement: e.id });
    expect(after.usagePeriod?.anchor).toBe(T0.toISOString());
    expect(after.lastReset).toBe('2026-01-01T02:00:00.000Z');
    // a new grant in the new period pays the carried overage first: 20 − 4 = 16
    svc.createGrant(tx, { customer: 'acme', entitlement: e.id, apiVersion: 'v2', amount: '20', effectiveAt: new Date('2026-01-01T02:00:00Z') });
    clock.set(new Date('2026-01-01T03:00:00Z'));
    expect(svc.getEntitlementValue(tx, { customer: 'acme', entitlement: e.id })).toMatchObject({ balance: '16', overage: '0' });
    // the same minute twice is rejected
    clock.set(new Date('2026-01-01T02:00:30Z'));
    expect(domainError(() => svc.resetEntitlementUsage(tx, { customer: 'acme', entitlement: e.id })).code).toBe(CreditErrorCode.resetSameMinuteAsLastReset);
  });

  it('voids a grant from now on and rejects a second void', () => {
    const { svc, tx, clock, use } = setup();
    svc.createEntitlement(tx, { customer: 'acme', ...metered });
    const g = svc.createGrant(tx, { customer: 'acme', entitlement: 'tokens', apiVersion: 'v2', amount: '10', effectiveAt: T0 });
    use('2026-01-01T00:30:00Z', 4);
    clock.set(new Date('2026-01-01T01:00:00Z'));
    svc.voidGrant(tx, { grantId: g.id });
    expect(svc.getEntitlementValue(tx, { customer: 'acme', entitlement: 'tokens' })).toMatchObject({ balance: '0', usage: '4' });
    expect(domainError(() => svc.voidGrant(tx, { grantId: g.id })).code).toBe(CreditErrorCode.grantAlreadyVoided);
    expect(svc.listGrants(tx, { customers: ['acme'] }).items[0]?.voidedAt).toBe('2026-01-01T01:00:00.000Z');
  });

  it('creates the issueAfterReset default grant and history windows', () => {
    const { svc, tx, clock, use } = setup();
    svc.createEntitlement(tx, { customer: 'acme', ...metered, issueAfterReset: { amount: '5', priority: 3 } });
    const grants = svc.listGrants(tx).items;
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ amount: '5', priority: 3, maxRolloverAmount: '5', minRolloverAmount: '5' });
    use('2026-01-01T00:30:00Z', 2);
    use('2026-01-01T01:30:00Z', 1);
    clock.set(new Date('2026-01-01T02:00:00Z'));
    const h = svc.getEntitlementHistory(tx, { customer: 'acme', entitlement: 'tokens', windowSize: 'HOUR' });
    expect(h.windows.map((w) => [w.from, w.usage, w.balanceAtStart])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2', '5'],
      ['2026-01-01T01:00:00.000Z', '1', '3'],
    ]);
  });
});

describe('EntitlementService before measuring starts', () => {
  it('answers zero values instead of failing when the value time is before measureUsageFrom', () => {
    const { svc, tx } = setup();
    svc.createEntitlement(tx, { customer: 'acme', ...metered, measureUsageFrom: new Date('2026-02-01T00:00:00Z') });
    expect(svc.getEntitlementValue(tx, { customer: 'acme', entitlement: 'tokens' })).toMatchObject({ hasAccess: false, balance: '0', usage: '0' });
    expect(svc.getCustomerAccess(tx, { customer: 'acme' }).tokens?.hasAccess).toBe(false);
  });
});
