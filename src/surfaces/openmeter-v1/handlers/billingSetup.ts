/**
 * OpenMeter v1 apps, marketplace, billing profiles, customer overrides and customer app data.
 * The sandbox app and default profile exist from the namespace's creation (billing's namespace
 * hook), so reads are plain reads.
 */
import { toApiPage } from '../convert/paging.ts';
import type { App, AppType } from '../../../domain/apps/types.ts';
import type { UnitOfWork } from '../../../domain/shared/unitOfWork.ts';
import { sentQueryKeys } from '../../http/sentQueryKeys.ts';
import { noContent, ok, type HandlerContext, type Reply } from '../../http/types.ts';
import type { components } from '../api.gen.ts';
import {
  expands,
  fromApiAppUpdate,
  fromApiCustomerAppDataItem,
  fromApiListOverridesQuery,
  fromApiListProfilesQuery,
  fromApiProfileCreate,
  fromApiProfileUpdate,
  toApiApp,
  toApiCustomerAppData,
  toApiListing,
  toApiOverrideDetails,
  toApiProfile,
} from '../convert/billingSetup.ts';

type S = components['schemas'];

const pageQuery = (q: Record<string, unknown>) => ({
  ...(typeof q.page === 'number' ? { page: q.page } : {}),
  ...(typeof q.pageSize === 'number' ? { pageSize: q.pageSize } : {}),
});

/** every live app by id, for `expand=apps` */
const appIndex = (c: HandlerContext, tx: UnitOfWork): Map<string, App> => new Map(c.services.apps.liveApps(tx).map((a) => [a.id, a]));

// ------------------------------------------------------------------------------------------ apps

export const listApps = async (c: HandlerContext): Promise<Reply> => {
  const page = c.read((tx) => c.services.apps.listApps(tx, pageQuery(c.query)));
  return ok(toApiPage(page, toApiApp));
};

export const getApp = (c: HandlerContext): Reply => ok(toApiApp(c.read((tx) => c.services.apps.getApp(tx, { id: c.params.id! }))));

export const updateApp = async (c: HandlerContext): Promise<Reply> =>
  ok(toApiApp(await c.stripeApp.updateApp(c.namespace, fromApiAppUpdate(c.params.id!, c.body as S['AppReplaceUpdate']))));

export const uninstallApp = async (c: HandlerContext): Promise<Reply> => {
  await c.run((tx) => c.services.apps.uninstallApp(tx, { id: c.params.id! }));
  return noContent();
};

export const listMarketplaceListings = (c: HandlerContext): Reply => {
  const page = c.read((tx) => c.services.apps.listMarketplaceListings(tx, pageQuery(c.query)));
  return ok(toApiPage(page, toApiListing));
};

export const getMarketplaceListing = (c: HandlerContext): Reply =>
  ok(toApiListing(c.read((tx) => c.services.apps.getMarketplaceListing(tx, { type: c.params.type! }))));

export const marketplaceAppInstall = async (c: HandlerContext): Promise<Reply> => {
  const b = (c.body ?? {}) as S['MarketplaceInstallRequestPayload'];
  const r = await c.run((tx) =>
    c.services.billingProfiles.installApp(tx, {
      app: { method: 'noCredentials', type: c.params.type as AppType, ...(b.name !== undefined ? { name: b.name } : {}) },
      createBillingProfile: b.createBillingProfile !== false,
    }),
  );
  return ok({ app: toApiApp(r.app), defaultForCapabilityTypes: r.defaultForCapabilityTypes });
};

export const marketplaceAppAPIKeyInstall = async (c: HandlerContext): Promise<Reply> => {
  const b = c.body as { name?: string; createBillingProfile?: boolean; apiKey: string };
  const r = await c.stripeApp.installApp(c.namespace, {
    type: c.params.type!,
    apiKey: b.apiKey,
    ...(b.name !== undefined ? { name: b.name } : {}),
    createBillingProfile: b.createBillingProfile !== false,
  });
  return ok({ app: toApiApp(r.app), defaultForCapabilityTypes: r.defaultForCapabilityTypes });
};

// ------------------------------------------------------------------------------------- profiles

export const listBillingProfiles = (c: HandlerContext): Reply => {
  const { page, apps } = c.read((tx) => ({
    page: c.services.billingProfiles.listProfiles(tx, fromApiListProfilesQuery(c.query, sentQueryKeys(c))),
    apps: expands(c.query, 'apps') ? appIndex(c, tx) : undefined,
  }));
  return ok(toApiPage(page, (p) => toApiProfile(p, apps)));
};

export const createBillingProfile = async (c: HandlerContext): Promise<Reply> =>
  ok(toApiProfile(await c.run((tx) => c.services.billingProfiles.createProfile(tx, fromApiProfileCreate(c.body as S['BillingProfileCreate'])))), 201);

export const getBillingProfile = (c: HandlerContext): Reply => {
  const { profile, apps } = c.read((tx) => ({
    profile: c.services.billingProfiles.getProfile(tx, { id: c.params.id! }),
    apps: expands(c.query, 'apps') ? appIndex(c, tx) : undefined,
  }));
  return ok(toApiProfile(profile, apps));
};

export const updateBillingProfile = async (c: HandlerContext): Promise<Reply> =>
  ok(
    toApiProfile(
      await c.run((tx) =>
        c.services.billingProfiles.updateProfile(tx, { ...fromApiProfileUpdate(c.body as S['BillingProfileReplaceUpdateWithWorkflow']), id: c.params.id! }),
      ),
    ),
  );

export const deleteBillingProfile = async (c: HandlerContext): Promise<Reply> => {
  await c.run((tx) => c.services.billingProfiles.deleteProfile(tx, { id: c.params.id! }));
  return noContent();
};

// --------------------------------------------------------------------------- customer overrides

export const listBillingProfileCustomerOverrides = async (c: HandlerContext): Promise<Reply> => {
  const { page, apps } = await c.run((tx) => ({
    page: c.services.billingProfiles.listCustomerOverrides(tx, fromApiListOverridesQuery(c.query)),
    apps: expands(c.query, 'apps') ? appIndex(c, tx) : undefined,
  }));
  const withCustomer = expands(c.query, 'customer');
  return ok(toApiPage(page, ({ customer, ...d }) => toApiOverrideDetails(d, { ...(apps ? { appsById: apps } : {}), ...(withCustomer ? { customer } : {}) })));
};

const overrideDetails = (c: HandlerContext, tx: UnitOfWork, d: Parameters<typeof toApiOverrideDetails>[0]) =>
  toApiOverrideDetails(d, {
    ...(expands(c.query, 'apps') ? { appsById: appIndex(c, tx) } : {}),
    ...(expands(c.query, 'customer') ? { customer: c.services.customers.getCustomer(tx, { idOrKey: d.customerId }) } : {}),
  });

const overrideReply = (c: HandlerContext, fn: (tx: UnitOfWork) => Parameters<typeof toApiOverrideDetails>[0]) => c.run((tx) => overrideDetails(c, tx, fn(tx)));

export const getBillingProfileCustomerOverride = (c: HandlerContext): Reply =>
  ok(c.read((tx) => overrideDetails(c, tx, c.services.billingProfiles.getCustomerBillingDetails(tx, { customerId: c.params.customerId! }))));

export const upsertBillingProfileCustomerOverride = async (c: HandlerContext): Promise<Reply> => {
  const b = (c.body ?? {}) as S['BillingProfileCustomerOverrideCreate'];
  return ok(
    await overrideReply(c, (tx) =>
      c.services.billingProfiles.upsertCustomerOverride(tx, {
        customerId: c.params.customerId!,
        ...(b.billingProfileId !== undefined ? { billingProfileId: b.billingProfileId } : {}),
      }),
    ),
  );
};

export const deleteBillingProfileCustomerOverride = async (c: HandlerContext): Promise<Reply> => {
  await c.run((tx) => c.services.billingProfiles.deleteCustomerOverride(tx, { customerId: c.params.customerId! }));
  return noContent();
};

// ---------------------------------------------------------------------------- customer app data

export const listCustomerAppData = (c: HandlerContext): Reply => {
  const page = c.read((tx) =>
    c.services.apps.listCustomerAppData(tx, {
      ...pageQuery(c.query),
      customerIdOrKey: c.params.customerIdOrKey!,
      ...(typeof c.query.type === 'string' ? { type: c.query.type } : {}),
    }),
  );
  return ok(toApiPage(page, toApiCustomerAppData));
};

export const upsertCustomerAppData = async (c: HandlerContext): Promise<Reply> => {
  const items = (c.body as S['CustomerAppDataCreateOrUpdateItem'][]).map(fromApiCustomerAppDataItem);
  const out = await c.stripeApp.upsertCustomerAppData(c.namespace, { customerIdOrKey: c.params.customerIdOrKey!, items });
  return ok(out.map(toApiCustomerAppData));
};

export const deleteCustomerAppData = async (c: HandlerContext): Promise<Reply> => {
  await c.run((tx) => c.services.apps.deleteCustomerAppData(tx, { customerIdOrKey: c.params.customerIdOrKey!, appId: c.params.appId! }));
  return noContent();
};
