/**
 * Konnect v3 apps, app catalog and billing profiles. The sandbox app and default profile exist
 * from the namespace's creation (billing's namespace hook), so reads are plain reads.
 */
import { noContent, ok, type Handler } from '../../http/types.ts';
import { pageOf, parsePage } from '../aip.ts';
import type { components } from '../api.gen.ts';
import {
  fromApiAppType,
  fromApiAppUpdate,
  fromApiProfileCreate,
  fromApiProfileUpdate,
  toApiApp,
  toApiCapabilityType,
  toApiCatalogItem,
  toApiProfile,
} from '../convert/billingSetup.ts';

type S = components['schemas'];

const ALL = { page: 1, pageSize: 1000 };

export const listAppCatalog: Handler = (c) => {
  const page = parsePage(c.query.page);
  const items = c.read((tx) => c.services.apps.listMarketplaceListings(tx, ALL)).items;
  return ok(pageOf(items, page, toApiCatalogItem));
};

export const getAppCatalogItem: Handler = (c) =>
  ok(toApiCatalogItem(c.read((tx) => c.services.apps.getMarketplaceListing(tx, { type: fromApiAppType(c.params.appType!) }))));

export const installApp: Handler = async (c) => {
  const b = c.body as S['BillingInstallAppRequest'];
  const r =
    b.type === 'stripe'
      ? await c.stripeApp.installApp(c.namespace, { type: 'stripe', apiKey: b.api_key, name: b.name, createBillingProfile: b.create_billing_profile !== false })
      : await c.run((tx) =>
          c.services.billingProfiles.installApp(tx, {
            app: { method: 'noCredentials', type: fromApiAppType(b.type), name: b.name },
            createBillingProfile: b.create_billing_profile !== false,
          }),
        );
  return ok({ app: toApiApp(r.app), default_for_capability_types: r.defaultForCapabilityTypes.map(toApiCapabilityType) }, 201);
};

export const listApps: Handler = async (c) => {
  const page = parsePage(c.query.page);
  const items = c.read((tx) => c.services.apps.listApps(tx, ALL).items);
  return ok(pageOf(items, page, toApiApp));
};

export const getApp: Handler = (c) => ok(toApiApp(c.read((tx) => c.services.apps.getApp(tx, { id: c.params.appId! }))));

export const updateApp: Handler = async (c) =>
  ok(toApiApp(await c.stripeApp.updateApp(c.namespace, fromApiAppUpdate(c.params.appId!, c.body as S['BillingUpdateAppRequest']))));

export const uninstallApp: Handler = async (c) => {
  await c.run((tx) => c.services.apps.uninstallApp(tx, { id: c.params.appId! }));
  return noContent();
};

// ------------------------------------------------------------------------------------- profiles

export const listBillingProfiles: Handler = async (c) => {
  const page = parsePage(c.query.page);
  const items = c.read((tx) => c.services.billingProfiles.listProfiles(tx, ALL).items);
  return ok(pageOf(items, page, toApiProfile));
};

export const createBillingProfile: Handler = async (c) =>
  ok(toApiProfile(await c.run((tx) => c.services.billingProfiles.createProfile(tx, fromApiProfileCreate(c.body as S['CreateBillingProfileRequest'])))), 201);

export const getBillingProfile: Handler = async (c) =>
  ok(toApiProfile(c.read((tx) => c.services.billingProfiles.getProfile(tx, { id: c.params.id! }))));

export const updateBillingProfile: Handler = async (c) =>
  ok(
    toApiProfile(
      await c.run((tx) => c.services.billingProfiles.updateProfile(tx, { ...fromApiProfileUpdate(c.body as S['UpsertBillingProfileRequest']), id: c.params.id! })),
    ),
  );

export const deleteBillingProfile: Handler = async (c) => {
  await c.run((tx) => c.services.billingProfiles.deleteProfile(tx, { id: c.params.id! }));
  return noContent();
};
