import { listingOf } from '../../../domain/apps/listings.ts';
import type { App, AppType, CustomerAppData, CustomerAppDataItemInput, MarketplaceListing, UpdateAppInput } from '../../../domain/apps/types.ts';
import type {
  BillingParty,
  BillingProfile,
  BillingProfileApps,
  BillingWorkflow,
  BillingWorkflowInput,
  CreateBillingProfileInput,
  CustomerBillingDetails,
  ListBillingProfilesInput,
  ListCustomerOverridesInput,
} from '../../../domain/billing/profiles/types.ts';
import type { Customer } from '../../../domain/customers/types.ts';
import type { components } from '../api.gen.ts';
import { toApiCustomer } from './customers.ts';

type S = components['schemas'];

// ------------------------------------------------------------------------------------------ apps

export const toApiListing = (l: MarketplaceListing): S['MarketplaceListing'] => ({
  type: l.type,
  name: l.name,
  description: l.description,
  capabilities: l.capabilities.map((c) => ({ ...c })),
  installMethods: [...l.installMethods],
});

export function toApiApp(a: App): S['App'] {
  const base = {
    id: a.id,
    name: a.name,
    ...(a.description !== undefined ? { description: a.description } : {}),
    ...(a.metadata ? { metadata: { ...a.metadata } } : {}),
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    ...(a.deletedAt ? { deletedAt: a.deletedAt } : {}),
    listing: toApiListing(listingOf(a.type)!),
    status: a.status,
  };
  switch (a.type) {
    case 'stripe':
      return { ...base, type: 'stripe', stripeAccountId: a.stripeAccountId ?? '', livemode: a.livemode ?? false, maskedAPIKey: a.maskedApiKey ?? '' };
    case 'custom_invoicing':
      return { ...base, type: 'custom_invoicing', enableDraftSyncHook: a.enableDraftSyncHook ?? false, enableIssuingSyncHook: a.enableIssuingSyncHook ?? false };
    default:
      return { ...base, type: 'sandbox' };
  }
}

export function fromApiAppUpdate(id: string, b: S['AppReplaceUpdate']): UpdateAppInput {
  return {
    id,
    type: b.type,
    name: b.name,
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.metadata ? { metadata: b.metadata } : {}),
    ...(b.type === 'custom_invoicing' ? { enableDraftSyncHook: b.enableDraftSyncHook, enableIssuingSyncHook: b.enableIssuingSyncHook } : {}),
    ...(b.type === 'stripe' && b.secretAPIKey !== undefined ? { secretApiKey: b.secretAPIKey } : {}),
  };
}

export function toApiCustomerAppData(d: CustomerAppData & { app: App }): S['CustomerAppData'] {
  const app = toApiApp(d.app);
  switch (d.type) {
    case 'stripe':
      return {
        id: d.appId,
        type: 'stripe',
        stripeCustomerId: d.stripeCustomerId ?? '',
        ...(d.stripeDefaultPaymentMethodId !== undefined ? { stripeDefaultPaymentMethodId: d.stripeDefaultPaymentMethodId } : {}),
        app: app as S['StripeApp'],
      };
    case 'custom_invoicing':
      return { id: d.appId, type: 'custom_invoicing', ...(d.metadata ? { metadata: { ...d.metadata } } : {}), app: app as S['CustomInvoicingApp'] };
    default:
      return { id: d.appId, type: 'sandbox', app: app as S['SandboxApp'] };
  }
}

export function fromApiCustomerAppDataItem(b: S['CustomerAppDataCreateOrUpdateItem']): CustomerAppDataItemInput {
  return {
    type: b.type as AppType,
    ...(b.id !== undefined ? { appId: b.id } : {}),
    ...(b.type === 'stripe' ? { stripeCustomerId: b.stripeCustomerId } : {}),
    ...(b.type === 'stripe' && b.stripeDefaultPaymentMethodId !== undefined ? { stripeDefaultPaymentMethodId: b.stripeDefaultPaymentMethodId } : {}),
    ...(b.type === 'custom_invoicing' && b.metadata ? { metadata: b.metadata } : {}),
  };
}

// ------------------------------------------------------------------------------------- profiles

export function fromApiParty(p: S['BillingParty']): BillingParty {
  return {
    ...(p.key !== undefined ? { key: p.key } : {}),
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.taxId !== undefined ? { taxId: { ...(p.taxId.code !== undefined ? { code: p.taxId.code } : {}) } } : {}),
    ...(p.addresses !== undefined ? { addresses: p.addresses.map((a) => ({ ...a })) } : {}),
  };
}

export const toApiParty = (p: BillingParty): S['BillingParty'] => fromApiParty(p as S['BillingParty']);

export function fromApiWorkflow(w: S['BillingWorkflowCreate'] | S['BillingWorkflow'] | undefined): BillingWorkflowInput | undefined {
  if (!w) return undefined;
  const align = w.collection?.alignment as S['BillingWorkflowCollectionAlignment'] | undefined;
  return {
    ...(w.collection
      ? {
          collection: {
            ...(w.collection.interval !== undefined ? { interval: w.collection.interval } : {}),
            ...(align
              ? {
                  alignment:
                    align.type === 'anchored'
                      ? { type: 'anchored' as const, recurringPeriod: { interval: String(align.recurringPeriod?.interval), anchor: align.recurringPeriod?.anchor } }
                      : { type: 'subscription' as const },
                }
              : {}),
          },
        }
      : {}),
    ...(w.invoicing ? { invoicing: { ...w.invoicing } as BillingWorkflowInput['invoicing'] } : {}),
    ...(w.payment ? { payment: { ...w.payment } } : {}),
    ...(w.tax ? { tax: { ...w.tax } } : {}),
  };
}

export function toApiWorkflow(w: BillingWorkflow): S['BillingWorkflow'] {
  const a = w.collection.alignment;
  return {
    collection: {
      alignment: (a.type === 'anchored' ? { type: 'anchored', recurringPeriod: { ...a.recurringPeriod } } : { type: 'subscription' }) as S['BillingWorkflowCollectionSettings']['alignment'],
      interval: w.collection.interval,
    },
    invoicing: {
      autoAdvance: w.invoicing.autoAdvance,
      draftPeriod: w.invoicing.draftPeriod,
      dueAfter: w.invoicing.dueAfter,
      progressiveBilling: w.invoicing.progressiveBilling,
      subscriptionEndProrationMode: w.invoicing.subscriptionEndProrationMode,
      ...(w.invoicing.defaultTaxConfig ? { defaultTaxConfig: w.invoicing.defaultTaxConfig as S['TaxConfig'] } : {}),
    },
    payment: { collectionMethod: w.payment.collectionMethod },
    tax: { enabled: w.tax.enabled, enforced: w.tax.enforced },
  };
}

/** `expand=apps` shows the apps themselves instead of references. */
export function toApiProfileApps(apps: BillingProfileApps, appsById?: Map<string, App>): S['BillingProfileAppsOrReference'] {
  if (appsById) {
    const full = (id: string) => toApiApp(appsById.get(id)!) as S['BillingProfileApps']['tax'];
    if ([apps.tax, apps.invoicing, apps.payment].every((id) => appsById.has(id))) return { tax: full(apps.tax), invoicing: full(apps.invoicing), payment: full(apps.payment) };
  }
  return { tax: { id: apps.tax }, invoicing: { id: apps.invoicing }, payment: { id: apps.payment } };
}

export function toApiProfile(p: BillingProfile, appsById?: Map<string, App>): S['BillingProfile'] {
  return {
    id: p.id,
    name: p.name,
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...(p.metadata ? { metadata: { ...p.metadata } } : {}),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    ...(p.deletedAt ? { deletedAt: p.deletedAt } : {}),
    supplier: toApiParty(p.supplier),
    workflow: toApiWorkflow(p.workflow),
    apps: toApiProfileApps(p.apps, appsById),
    default: p.default,
  };
}

export function fromApiProfileCreate(b: S['BillingProfileCreate']): CreateBillingProfileInput {
  const workflow = fromApiWorkflow(b.workflow);
  return {
    name: b.name,
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.metadata ? { metadata: b.metadata } : {}),
    supplier: fromApiParty(b.supplier),
    default: b.default,
    ...(workflow ? { workflow } : {}),
    apps: { tax: b.apps.tax, invoicing: b.apps.invoicing, payment: b.apps.payment },
  };
}

export function fromApiProfileUpdate(b: S['BillingProfileReplaceUpdateWithWorkflow']): Omit<CreateBillingProfileInput, 'apps'> {
  const { apps: _apps, ...rest } = fromApiProfileCreate({ ...b, apps: { tax: '', invoicing: '', payment: '' } } as S['BillingProfileCreate']);
  return rest;
}

const strings = (v: unknown): string[] | undefined => (v === undefined ? undefined : ([] as unknown[]).concat(v).map(String));
export const expands = (q: Record<string, unknown>, what: string): boolean => (strings(q.expand) ?? []).includes(what);

/**
 * Without an `order` v1 lists profiles newest first (openmeter/billing/httpdriver/profile.go
 * ListProfiles), although the document's default is ASC: the validator's filled-in default is ignored.
 */
export function fromApiListProfilesQuery(q: Record<string, unknown>, sent: Set<string>): ListBillingProfilesInput {
  return {
    ...(typeof q.page === 'number' ? { page: q.page } : {}),
    ...(typeof q.pageSize === 'number' ? { pageSize: q.pageSize } : {}),
    ...(q.includeArchived === true ? { includeArchived: true } : {}),
    order: sent.has('order') && q.order === 'ASC' ? 'ASC' : 'DESC',
    ...(typeof q.orderBy === 'string' ? { orderBy: q.orderBy as ListBillingProfilesInput['orderBy'] } : {}),
  };
}

export function fromApiListOverridesQuery(q: Record<string, unknown>): ListCustomerOverridesInput {
  const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
  const out: ListCustomerOverridesInput = {};
  if (typeof q.page === 'number') out.page = q.page;
  if (typeof q.pageSize === 'number') out.pageSize = q.pageSize;
  if (q.order === 'ASC' || q.order === 'DESC') out.order = q.order;
  if (typeof q.orderBy === 'string') out.orderBy = q.orderBy as ListCustomerOverridesInput['orderBy'];
  if (q.includeAllCustomers === true) out.includeAllCustomers = true;
  if (q.customersWithoutPinnedProfile === true) out.customersWithoutPinnedProfile = true;
  const profiles = strings(q.billingProfile);
  if (profiles) out.billingProfileIds = profiles;
  const ids = strings(q.customerId);
  if (ids) out.customerIds = ids;
  for (const [k, f] of [['customerName', 'customerName'], ['customerKey', 'customerKey'], ['customerPrimaryEmail', 'customerPrimaryEmail']] as const) {
    const v = str(k);
    if (v !== undefined) out[f] = v;
  }
  return out;
}

export function toApiOverrideDetails(
  d: CustomerBillingDetails & { customer?: Customer },
  opts: { appsById?: Map<string, App>; customer?: Customer } = {},
): S['BillingProfileCustomerOverrideWithDetails'] {
  const customer = opts.customer ?? d.customer;
  return {
    ...(d.override
      ? {
          customerOverride: {
            createdAt: d.override.createdAt,
            updatedAt: d.override.updatedAt,
            ...(d.override.billingProfileId !== undefined ? { billingProfileId: d.override.billingProfileId } : {}),
            customerId: d.override.customerId,
          },
        }
      : {}),
    baseBillingProfileId: d.baseProfile.id,
    customerProfile: {
      supplier: toApiParty(d.effective.supplier),
      workflow: toApiWorkflow(d.effective.workflow),
      apps: toApiProfileApps(d.effective.apps, opts.appsById),
    },
    ...(customer ? { customer: toApiCustomer(customer) } : {}),
  };
}
