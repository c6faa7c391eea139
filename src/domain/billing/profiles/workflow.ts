import { IssueCollector } from '../../shared/errors.ts';
import { parseDuration } from '../../shared/recurrence.ts';
import { BillingProfileErrorCode as E } from './errors.ts';
import { CollectionMethod, ProrationMode, type BillingParty, type BillingWorkflow, type BillingWorkflowInput } from './types.ts';

/** OpenMeter's `DefaultWorkflowConfig` (OpenMeter billing/defaults.go, billing/service/invoicecalc). */
export function defaultWorkflow(): BillingWorkflow {
  return {
    collection: { alignment: { type: 'subscription' }, interval: 'PT1H' },
    invoicing: { autoAdvance: true, draftPeriod: 'P0D', dueAfter: 'P30D', progressiveBilling: true, subscriptionEndProrationMode: ProrationMode.billActualPeriod },
    payment: { collectionMethod: CollectionMethod.chargeAutomatically },
    tax: { enabled: true, enforced: false },
  };
}

const pick = <T>(v: T | undefined, fallback: T): T => (v === undefined || v === null ? fallback : v);

/** Fills every missing setting from `base` (the defaults, or the profile a customer override merges onto). */
export function fillWorkflow(input: BillingWorkflowInput | undefined, base: BillingWorkflow = defaultWorkflow()): BillingWorkflow {
  const i = input ?? {};
  const dtc = i.invoicing?.defaultTaxConfig ?? base.invoicing.defaultTaxConfig;
  return {
    collection: {
      alignment: pick(i.collection?.alignment, base.collection.alignment),
      interval: pick(i.collection?.interval, base.collection.interval),
    },
    invoicing: {
      autoAdvance: pick(i.invoicing?.autoAdvance, base.invoicing.autoAdvance),
      draftPeriod: pick(i.invoicing?.draftPeriod, base.invoicing.draftPeriod),
      dueAfter: pick(i.invoicing?.dueAfter, base.invoicing.dueAfter),
      progressiveBilling: pick(i.invoicing?.progressiveBilling, base.invoicing.progressiveBilling),
      subscriptionEndProrationMode: pick(i.invoicing?.subscriptionEndProrationMode, base.invoicing.subscriptionEndProrationMode),
      ...(dtc ? { defaultTaxConfig: dtc } : {}),
    },
    payment: { collectionMethod: pick(i.payment?.collectionMethod, base.payment.collectionMethod) },
    tax: { enabled: pick(i.tax?.enabled, base.tax.enabled), enforced: pick(i.tax?.enforced, base.tax.enforced) },
  };
}

/** Adds the violations of a complete workflow to `ic` (fields under `workflow.`). */
export function validateWorkflow(w: BillingWorkflow, ic: IssueCollector): void {
  const duration = (v: string, field: string) => {
    if (typeof v !== 'string' || parseDuration(v) === undefined) ic.add(E.invalid, `${field} must be a non-negative ISO-8601 duration`, `workflow.${field}`);
  };
  duration(w.collection.interval, 'collection.interval');
  duration(w.invoicing.draftPeriod, 'invoicing.draftPeriod');
  duration(w.invoicing.dueAfter, 'invoicing.dueAfter');
  const a = w.collection.alignment;
  if (a.type === 'anchored') {
    if (!a.recurringPeriod || typeof a.recurringPeriod.anchor !== 'string' || Number.isNaN(Date.parse(a.recurringPeriod.anchor))) {
      ic.add(E.invalid, 'anchored alignment needs a recurringPeriod with an anchor', 'workflow.collection.alignment.recurringPeriod');
    }
  } else if (a.type !== 'subscription') {
    ic.add(E.invalid, `unknown collection alignment ${(a as { type: string }).type}`, 'workflow.collection.alignment.type');
  }
  if (!Object.values(ProrationMode).includes(w.invoicing.subscriptionEndProrationMode)) {
    ic.add(E.invalid, 'invalid subscriptionEndProrationMode', 'workflow.invoicing.subscriptionEndProrationMode');
  }
  if (!Object.values(CollectionMethod).includes(w.payment.collectionMethod)) ic.add(E.invalid, 'invalid collectionMethod', 'workflow.payment.collectionMethod');
}

export function validateSupplier(s: BillingParty | undefined, ic: IssueCollector): void {
  if (!s || typeof s !== 'object') {
    ic.add(E.invalid, 'supplier is required', 'supplier');
    return;
  }
  if (typeof s.name !== 'string' || s.name.trim() === '') ic.add(E.invalid, 'supplier name is required', 'supplier.name');
  (s.addresses ?? []).forEach((a, i) => {
    if (a.country !== undefined && !/^[A-Z]{2}$/.test(a.country)) ic.add(E.invalid, `invalid country code: ${a.country}`, `supplier.addresses[${i}].country`);
  });
}

/**
 * The profile the real service provisions for a new organisation, using its sandbox app
 * (openmeter/billing/service/profile.go): clients find it by this name.
 */
export const DEFAULT_PROFILE = {
  name: 'openmeter-sandbox',
  description: 'Default profile for OpenMeter sandbox',
  supplier: { name: 'OpenMeter', addresses: [{ country: 'US' }] } satisfies BillingParty,
} as const;
