import { listingOf } from '../../../domain/apps/listings.ts';
import { AppType, type App, type Capability, type CapabilityType, type MarketplaceListing, type UpdateAppInput } from '../../../domain/apps/types.ts';
import type { BillingParty, BillingProfile, BillingWorkflow, BillingWorkflowInput, CreateBillingProfileInput } from '../../../domain/billing/profiles/types.ts';
import type { components } from '../api.gen.ts';

import { fromApiAddress, toApiAddress } from './address.ts';

type S = components['schemas'];

/** v3 names the custom invoicing app `external_invoicing` */
export const toApiAppType = (t: AppType): S['BillingAppType'] => (t === AppType.customInvoicing ? 'external_invoicing' : t);
export const fromApiAppType = (t: string): AppType => (t === 'external_invoicing' ? AppType.customInvoicing : (t as AppType));

const SNAKE: Record<CapabilityType, S['BillingAppCapabilityType']> = {
  reportUsage: 'report_usage',
  reportEvents: 'report_events',
  calculateTax: 'calculate_tax',
  invoiceCustomers: 'invoice_customers',
  collectPayments: 'collect_payments',
};
export const toApiCapabilityType = (t: CapabilityType): S['BillingAppCapabilityType'] => SNAKE[t];

const LABEL_VALUE = /^[a-z0-9A-Z]{1}([a-z0-9A-Z-._]*[a-z0-9A-Z]+)?$/;
/** metadata values outside the v3 label rule are not shown as labels */
function toLabels(m: Record<string, string> | undefined): { labels?: Record<string, string> } {
  const entries = Object.entries(m ?? {}).filter(([, v]) => typeof v === 'string' && v.length <= 63 && LABEL_VALUE.test(v));
  return entries.length > 0 ? { labels: Object.fromEntries(entries) } : {};
}

const toApiCapability = (c: Capability): S['BillingAppCapability'] => ({ type: toApiCapabilityType(c.type), key: c.key, name: c.name, description: c.description });

export const toApiCatalogItem = (l: MarketplaceListing): S['BillingAppCatalogItem'] => ({
  type: toApiAppType(l.type),
  name: l.name,
  description: l.description,
  capabilities: l.capabilities.map(toApiCapability),
  install_methods: [...l.installMethods],
});

export function toApiApp(a: App): S['BillingApp'] {
  const base = {
    id: a.id,
    name: a.name,
    ...(a.description !== undefined ? { description: a.description } : {}),
    ...toLabels(a.metadata),
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    ...(a.deletedAt ? { deleted_at: a.deletedAt } : {}),
    definition: toApiCatalogItem(listingOf(a.type)!),
    status: a.status,
  };
  switch (a.type) {
    case 'stripe':
      return { ...base, type: 'stripe', account_id: a.stripeAccountId ?? '', livemode: a.livemode ?? false, masked_api_key: a.maskedApiKey ?? '' };
    case 'custom_invoicing':
      return { ...base, type: 'external_invoicing', enable_draft_sync_hook: a.enableDraftSyncHook ?? false, enable_issuing_sync_hook: a.enableIssuingSyncHook ?? false };
    default:
      return { ...base, type: 'sandbox' };
  }
}

export function fromApiAppUpdate(id: string, b: S['BillingUpdateAppRequest']): UpdateAppInput {
  return {
    id,
    type: fromApiAppType(b.type),
    name: b.name,
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.labels ? { metadata: { ...b.labels } } : {}),
    ...(b.type === 'external_invoicing' ? { enableDraftSyncHook: b.enable_draft_sync_hook, enableIssuingSyncHook: b.enable_issuing_sync_hook } : {}),
    ...(b.type === 'stripe' && b.secret_api_key !== undefined ? { secretApiKey: b.secret_api_key } : {}),
  };
}

// ------------------------------------------------------------------------------------- profiles

export function fromApiParty(p: S['BillingParty']): BillingParty {
  return {
    ...(p.key !== undefined ? { key: p.key } : {}),
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.tax_id !== undefined ? { taxId: { ...(p.tax_id.code !== undefined ? { code: p.tax_id.code } : {}) } } : {}),
    ...(p.addresses?.billing_address ? { addresses: [fromApiAddress(p.addresses.billing_address)] } : {}),
  };
}

/** v3 shows one (billing) address: the first */
export function toApiParty(p: BillingParty): S['BillingParty'] {
  const first = p.addresses?.[0];
  return {
    ...(p.key !== undefined ? { key: p.key } : {}),
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.taxId !== undefined ? { tax_id: { ...(p.taxId.code !== undefined ? { code: p.taxId.code } : {}) } } : {}),
    ...(first ? { addresses: { billing_address: toApiAddress(first) } } : {}),
  };
}

type V3Payment = { collection_method?: 'charge_automatically' } | { collection_method?: 'send_invoice'; due_after?: string };

/** v3 keeps `due_after` with the send_invoice payment setting; v1 keeps it under invoicing. */
export function fromApiWorkflow(w: S['BillingWorkflow'] | undefined): BillingWorkflowInput | undefined {
  if (!w) return undefined;
  const align = w.collection?.alignment as S['BillingWorkflowCollectionAlignment'] | undefined;
  const pay = w.payment as V3Payment | undefined;
  const dueAfter = pay?.collection_method === 'send_invoice' ? pay.due_after : undefined;
  const inv = w.invoicing;
  return {
    ...(w.collection
      ? {
          collection: {
            ...(w.collection.interval !== undefined ? { interval: w.collection.interval } : {}),
            ...(align
              ? {
                  alignment:
                    align.type === 'anchored'
                      ? { type: 'anchored' as const, recurringPeriod: { interval: align.recurring_period?.interval, anchor: align.recurring_period?.anchor } }
                      : { type: 'subscription' as const },
                }
              : {}),
          },
        }
      : {}),
    invoicing: {
      ...(inv?.auto_advance !== undefined ? { autoAdvance: inv.auto_advance } : {}),
      ...(inv?.draft_period !== undefined ? { draftPeriod: inv.draft_period } : {}),
      ...(inv?.progressive_billing !== undefined ? { progressiveBilling: inv.progressive_billing } : {}),
      ...(inv?.subscription_end_proration_mode !== undefined ? { subscriptionEndProrationMode: inv.subscription_end_proration_mode } : {}),
      ...(dueAfter !== undefined ? { dueAfter } : {}),
    },
    ...(pay?.collection_method ? { payment: { collectionMethod: pay.collection_method } } : {}),
    ...(w.tax ? { tax: { ...(w.tax.enabled !== undefined ? { enabled: w.tax.enabled } : {}), ...(w.tax.enforced !== undefined ? { enforced: w.tax.enforced } : {}) } } : {}),
  };
}

export function toApiWorkflow(w: BillingWorkflow): S['BillingWorkflow'] {
  const a = w.collection.alignment;
  const payment =
    w.payment.collectionMethod === 'send_invoice' ? { collection_method: 'send_invoice' as const, due_after: w.invoicing.dueAfter } : { collection_method: 'charge_automatically' as const };
  return {
    collection: {
      alignment: (a.type === 'anchored' ? { type: 'anchored', recurring_period: { ...a.recurringPeriod } } : { type: 'subscription' }) as S['BillingWorkflowCollectionSettings']['alignment'],
      interval: w.collection.interval,
    },
    invoicing: {
      auto_advance: w.invoicing.autoAdvance,
      draft_period: w.invoicing.draftPeriod,
      progressive_billing: w.invoicing.progressiveBilling,
      subscription_end_proration_mode: w.invoicing.subscriptionEndProrationMode,
    },
    payment: payment as S['BillingWorkflow']['payment'],
    tax: { enabled: w.tax.enabled, enforced: w.tax.enforced },
  };
}

export function toApiProfile(p: BillingProfile): S['BillingProfile'] {
  return {
    id: p.id,
    name: p.name,
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...toLabels(p.metadata),
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    ...(p.deletedAt ? { deleted_at: p.deletedAt } : {}),
    supplier: toApiParty(p.supplier),
    workflow: toApiWorkflow(p.workflow),
    apps: { tax: { id: p.apps.tax }, invoicing: { id: p.apps.invoicing }, payment: { id: p.apps.payment } },
    default: p.default,
  };
}

export function fromApiProfileCreate(b: S['CreateBillingProfileRequest']): CreateBillingProfileInput {
  const workflow = fromApiWorkflow(b.workflow);
  return {
    name: b.name,
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.labels ? { metadata: { ...b.labels } } : {}),
    supplier: fromApiParty(b.supplier),
    default: b.default,
    ...(workflow ? { workflow } : {}),
    apps: { tax: b.apps.tax.id, invoicing: b.apps.invoicing.id, payment: b.apps.payment.id },
  };
}

export function fromApiProfileUpdate(b: S['UpsertBillingProfileRequest']): Omit<CreateBillingProfileInput, 'apps'> {
  const workflow = fromApiWorkflow(b.workflow);
  return {
    name: b.name,
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.labels ? { metadata: { ...b.labels } } : {}),
    supplier: fromApiParty(b.supplier),
    default: b.default,
    ...(workflow ? { workflow } : {}),
  };
}
