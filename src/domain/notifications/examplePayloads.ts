import type { FeatureRef, NotificationEventType, NotificationPayload, NotificationRule } from './types.ts';
import { NotificationEventType as T, ThresholdType } from './types.ts';

/**
 * The example payload `testNotificationRule` sends: shaped exactly like a real event of the
 * rule's type (so receivers can be developed against it), with placeholder entities. OpenMeter
 * does the same — a test event is not derived from real balances or invoices.
 */
export function examplePayload(
  rule: NotificationRule,
  ctx: { id: string; now: string; newId: () => string },
): NotificationPayload {
  const feature: FeatureRef = rule.features?.[0] ?? { id: ctx.newId(), key: 'example_feature' };
  const type: NotificationEventType = rule.type;
  switch (type) {
    case T.balanceThreshold:
    case T.entitlementReset: {
      const data: Record<string, unknown> = {
        entitlement: exampleEntitlement(feature, ctx),
        feature: { id: feature.id, key: feature.key, name: feature.key, createdAt: ctx.now, updatedAt: ctx.now },
        subject: { id: ctx.newId(), key: 'example_subject', createdAt: ctx.now, updatedAt: ctx.now },
        value: { hasAccess: true, balance: 25, usage: 75, overage: 0 },
      };
      if (type === T.balanceThreshold) data.threshold = rule.thresholds?.[0] ?? { value: 75, type: ThresholdType.usagePercentage };
      return { id: ctx.id, type, timestamp: ctx.now, data };
    }
    case T.invoiceCreated:
    case T.invoiceUpdated:
      return { id: ctx.id, type, timestamp: ctx.now, data: exampleInvoice(ctx) };
  }
}

function exampleEntitlement(feature: FeatureRef, ctx: { now: string; newId: () => string }): Record<string, unknown> {
  return {
    type: 'metered',
    id: ctx.newId(),
    subjectKey: 'example_subject',
    featureKey: feature.key,
    featureId: feature.id,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    activeFrom: ctx.now,
    lastReset: ctx.now,
    measureUsageFrom: ctx.now,
    currentUsagePeriod: { from: ctx.now, to: ctx.now },
    usagePeriod: { interval: 'MONTH', intervalISO: 'P1M', anchor: ctx.now },
    isSoftLimit: false,
    isUnlimited: false,
    issueAfterReset: 100,
    preserveOverageAtReset: false,
  };
}

function exampleInvoice(ctx: { now: string; newId: () => string }): Record<string, unknown> {
  const zero = '0';
  return {
    id: ctx.newId(),
    createdAt: ctx.now,
    updatedAt: ctx.now,
    type: 'standard',
    supplier: { name: 'Example Supplier' },
    customer: { name: 'Example Customer', usageAttribution: { subjectKeys: ['example_subject'] } },
    number: 'INV-EXAMPLE-1',
    currency: 'USD',
    totals: {
      amount: '100',
      chargesTotal: zero,
      discountsTotal: zero,
      creditsTotal: zero,
      taxesInclusiveTotal: zero,
      taxesExclusiveTotal: zero,
      taxesTotal: zero,
      total: '100',
    },
    status: 'draft',
    statusDetails: { immutable: false, failed: false, extendedStatus: 'draft.waiting_auto_approval', availableActions: {} },
    workflow: { sourceBillingProfileId: ctx.newId(), workflow: {} },
  };
}
