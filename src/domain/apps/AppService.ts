import type { CustomerService } from '../customers/CustomerService.ts';
import type { Customer } from '../customers/types.ts';
import type { Clock } from '../shared/clock.ts';
import { DomainError, ErrorKind, IssueCollector, conflict, notFound, validationError } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import { EffectType } from '../shared/effects.ts';
import { paginate } from '../shared/paging.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { AppErrorCode as E } from './errors.ts';
import { MARKETPLACE_LISTINGS, PROVISIONED_SANDBOX_APP, listingOf } from './listings.ts';
import {
  AppCollections as Col,
  AppStatus,
  AppType,
  InstallMethod,
  type App,
  type BillingBootstrap,
  type CustomerAppData,
  type CustomerAppDataItemInput,
  type InstallAppInput,
  type InstallStripeAppInput,
  type MarketplaceListing,
  type Page,
  type PageInput,
  type StripeAppSecrets,
  type UpdateAppInput,
} from './types.ts';

/** The real rule (client/stripe.go IsAPIKeyLiveMode): only `sk_test`/`rk_test` keys are test keys. */
export const isLiveStripeKey = (key: string): boolean => !(key.startsWith('sk_test') || key.startsWith('rk_test'));

/** First 8 and last 3 characters around `***` (openmeter/app/stripe/service/app.go). */
export const maskApiKey = (key: string): string => `${key.slice(0, 8)}***${key.slice(-3)}`;

export class AppService {
  private readonly uninstallGuards: Array<(tx: UnitOfWork, app: App) => void> = [];

  constructor(private readonly deps: { clock: Clock; ids: IdGenerator; customers: CustomerService }) {}

  listMarketplaceListings(_tx: UnitOfWork, input: PageInput = {}): Page<MarketplaceListing> {
    return paginate([...MARKETPLACE_LISTINGS], input);
  }

  getMarketplaceListing(_tx: UnitOfWork, input: { type: string }): MarketplaceListing {
    const l = listingOf(input.type);
    if (!l) throw notFound(E.listingNotFound, `marketplace listing not found: ${input.type}`);
    return l;
  }

  /**
   * The sandbox app every new namespace gets (billing's namespace hook asks for it, with the
   * default profile). Provisioned once: an uninstalled sandbox app stays uninstalled.
   */
  ensureSandboxApp(tx: UnitOfWork): string {
    const boot = this.bootstrap(tx);
    if (boot.sandboxAppId !== undefined) return boot.sandboxAppId;
    const app = this.insert(tx, { type: AppType.sandbox, ...PROVISIONED_SANDBOX_APP });
    tx.collection<BillingBootstrap>(Col.bootstrap).put({ ...boot, sandboxAppId: app.id });
    return app.id;
  }

  /**
   * Another domain's veto on uninstalling an app (billing refuses while a profile uses it, as
   * the real service's billing/validators/appuninstall does). Registered in the wiring.
   */
  onUninstall(guard: (tx: UnitOfWork, app: App) => void): void {
    this.uninstallGuards.push(guard);
  }

  /** Install an app that needs no credentials (sandbox, custom invoicing). */
  installApp(tx: UnitOfWork, input: InstallAppInput): App {
    const listing = this.getMarketplaceListing(tx, { type: input.type });
    if (!listing.installMethods.includes(InstallMethod.noCredentials)) {
      throw validationError(E.installMethodNotSupported, `app type ${input.type} cannot be installed without credentials`);
    }
    return this.insert(tx, input);
  }

  /**
   * Install Stripe with an API key, once the runtime has asked Stripe for the account and
   * registered the webhook endpoint (`StripeInstallFacts`): the real service does the same
   * before it stores the app (openmeter/app/stripe/service/factory.go). One app per Stripe
   * account and mode in a namespace (409, found after the endpoint was registered, as there).
   */
  installStripeApp(tx: UnitOfWork, input: InstallStripeAppInput & { type?: string }): App {
    const type = input.type ?? AppType.stripe;
    const listing = this.getMarketplaceListing(tx, { type });
    if (!listing.installMethods.includes(InstallMethod.apiKey)) {
      throw validationError(E.installMethodNotSupported, `app type ${type} cannot be installed with an API key`);
    }
    this.assertStripeKey(input.apiKey, 'apiKey');
    const facts = input.stripe;
    if (!facts) throw validationError(E.invalidStripeApiKey, 'a Stripe app is installed through the Stripe runtime (the account was not verified)');
    const livemode = isLiveStripeKey(input.apiKey);
    const dup = tx.collection<App>(Col.apps).findOne((a) => a.type === AppType.stripe && !a.deletedAt && a.stripeAccountId === facts.accountId && a.livemode === livemode);
    if (dup) throw conflict(E.stripeAppExists, `stripe app already exists with stripe account id: ${facts.accountId} in namespace ${tx.namespace}`);
    const app = this.insert(tx, {
      type: AppType.stripe,
      ...(input.name !== undefined ? { name: input.name } : {}),
      description: `Stripe account ${facts.accountId}`,
      id: facts.appId,
      stripeAccountId: facts.accountId,
      livemode,
      maskedApiKey: maskApiKey(input.apiKey),
    });
    tx.collection<StripeAppSecrets>(Col.secrets).put({ id: app.id, apiKey: input.apiKey, webhookId: facts.webhookId, webhookSecret: facts.webhookSecret });
    return app;
  }

  listApps(tx: UnitOfWork, input: PageInput = {}): Page<App> {
    return paginate(this.liveApps(tx), input);
  }

  /** live apps in install order */
  liveApps(tx: UnitOfWork): App[] {
    return tx
      .collection<App>(Col.apps)
      .find((a) => !a.deletedAt)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  }

  getApp(tx: UnitOfWork, input: { id: string }): App {
    const app = tx.collection<App>(Col.apps).get(input.id);
    if (!app || app.deletedAt) throw notFound(E.notFound, `app not found: ${input.id}`);
    return app;
  }

  /** PUT: name, description and metadata are replaced; type-specific settings per type. */
  updateApp(tx: UnitOfWork, input: UpdateAppInput): App {
    const current = this.getApp(tx, { id: input.id });
    if (input.type !== current.type) {
      throw validationError(E.typeMismatch, `app ${current.id} is of type ${current.type}, not ${input.type}`, [
        { code: E.typeMismatch, message: `type must be ${current.type}`, field: 'type', severity: 'critical' },
      ]);
    }
    this.validateCommon(input);
    const ic = new IssueCollector();
    if (current.type === AppType.customInvoicing) {
      if (typeof input.enableDraftSyncHook !== 'boolean') ic.add(E.invalid, 'enableDraftSyncHook is required', 'enableDraftSyncHook');
      if (typeof input.enableIssuingSyncHook !== 'boolean') ic.add(E.invalid, 'enableIssuingSyncHook is required', 'enableIssuingSyncHook');
    }
    ic.throwIfAny(E.invalid);
    const key = current.type === AppType.stripe && input.secretApiKey !== undefined ? this.checkNewStripeKey(current, input.secretApiKey, input.stripeAccountId) : undefined;
    const next: App = {
      id: current.id,
      type: current.type,
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.metadata ? { metadata: { ...input.metadata } } : {}),
      status: key ? AppStatus.ready : current.status,
      createdAt: current.createdAt,
      updatedAt: this.now(),
      ...(current.type === AppType.customInvoicing
        ? { enableDraftSyncHook: input.enableDraftSyncHook === true, enableIssuingSyncHook: input.enableIssuingSyncHook === true }
        : {}),
      ...(current.type === AppType.stripe
        ? {
            stripeAccountId: current.stripeAccountId!,
            livemode: current.livemode ?? false,
            maskedApiKey: key ? maskApiKey(key) : current.maskedApiKey!,
          }
        : {}),
    };
    tx.collection<App>(Col.apps).put(next);
    if (key) this.storeStripeKey(tx, current.id, key);
    return next;
  }

  /**
   * `PUT /apps/{id}/stripe/api-key`: the new key must be of the app's mode and belong to its
   * Stripe account (the runtime asked Stripe with it); the app is `ready` again
   * (openmeter/app/stripe/adapter/stripe.go UpdateAPIKey).
   */
  updateStripeApiKey(tx: UnitOfWork, input: { id: string; apiKey: string; stripeAccountId: string }): App {
    const current = this.getApp(tx, { id: input.id });
    if (current.type !== AppType.stripe) throw validationError(E.typeMismatch, `app ${current.id} is of type ${current.type}, not stripe`);
    const key = this.checkNewStripeKey(current, input.apiKey, input.stripeAccountId);
    const next: App = { ...current, status: AppStatus.ready, maskedApiKey: maskApiKey(key), updatedAt: this.now() };
    tx.collection<App>(Col.apps).put(next);
    this.storeStripeKey(tx, current.id, key);
    return next;
  }

  /** Stripe answered 401 to this app's key: the app reads `unauthorized` until its key is replaced. */
  markStripeUnauthorized(tx: UnitOfWork, input: { id: string }): void {
    const app = tx.collection<App>(Col.apps).get(input.id);
    if (!app || app.type !== AppType.stripe || app.status === AppStatus.unauthorized) return;
    tx.collection<App>(Col.apps).put({ ...app, status: AppStatus.unauthorized, updatedAt: this.now() });
  }

  /** The key and webhook secret of a live Stripe app (the runtime's calls need them); never on the wire. */
  stripeSecrets(tx: UnitOfWork, input: { id: string }): { app: App; secrets: StripeAppSecrets } | undefined {
    const app = tx.collection<App>(Col.apps).get(input.id);
    const secrets = tx.collection<StripeAppSecrets>(Col.secrets).get(input.id);
    if (!app || app.deletedAt || app.type !== AppType.stripe || !secrets) return undefined;
    return { app, secrets };
  }

  private checkNewStripeKey(current: App, key: string, accountId: string | undefined): string {
    this.assertStripeKey(key, 'secretAPIKey');
    const live = isLiveStripeKey(key);
    if (live !== (current.livemode ?? false)) {
      throw validationError(E.invalidStripeApiKey, live ? 'new stripe api key is in live mode but the app is in test mode' : 'new stripe api key is in test mode but the app is in live mode');
    }
    if (accountId === undefined) throw validationError(E.invalidStripeApiKey, 'the new key was not verified with Stripe');
    if (accountId !== current.stripeAccountId) throw validationError(E.invalidStripeApiKey, `stripe account id mismatch: ${current.stripeAccountId} != ${accountId}`);
    return key;
  }

  private storeStripeKey(tx: UnitOfWork, appId: string, apiKey: string): void {
    const col = tx.collection<StripeAppSecrets>(Col.secrets);
    const prev = col.get(appId);
    col.put({ ...(prev ?? { id: appId }), apiKey });
  }

  /** Soft delete, unless another domain vetoes it (a billing profile still uses the app). */
  uninstallApp(tx: UnitOfWork, input: { id: string }): App {
    const current = this.getApp(tx, { id: input.id });
    for (const guard of this.uninstallGuards) guard(tx, current);
    const now = this.now();
    const next: App = { ...current, deletedAt: now, updatedAt: now };
    tx.collection<App>(Col.apps).put(next);
    const secrets = tx.collection<StripeAppSecrets>(Col.secrets).get(current.id);
    if (secrets) {
      tx.collection<StripeAppSecrets>(Col.secrets).delete(current.id);
      // the endpoint goes after the app is gone; a 404 or 401 from Stripe is ignored, as there
      if (secrets.webhookId) tx.afterCommit({ type: EffectType.deleteStripeWebhookEndpoint, appId: current.id, apiKey: secrets.apiKey, webhookId: secrets.webhookId });
    }
    for (const d of tx.collection<CustomerAppData>(Col.customerAppData).find((x) => x.appId === current.id)) {
      tx.collection<CustomerAppData>(Col.customerAppData).delete(d.id);
    }
    return next;
  }

  // ------------------------------------------------------------------------- customer app data

  listCustomerAppData(tx: UnitOfWork, input: PageInput & { customerIdOrKey: string; type?: string }): Page<CustomerAppData & { app: App }> {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerIdOrKey });
    const rows = tx
      .collection<CustomerAppData>(Col.customerAppData)
      .find((d) => d.customerId === customer.id && (input.type === undefined || d.type === input.type))
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1))
      .flatMap((d) => {
        const app = tx.collection<App>(Col.apps).get(d.appId);
        return app && !app.deletedAt ? [{ ...d, app }] : [];
      });
    return paginate(rows, input);
  }

  /** Upserts each item (one record per customer and app); returns the stored items with their apps. */
  upsertCustomerAppData(tx: UnitOfWork, input: { customerIdOrKey: string; items: CustomerAppDataItemInput[] }): Array<CustomerAppData & { app: App }> {
    const { customer, resolved } = this.resolveCustomerAppData(tx, input);
    const col = tx.collection<CustomerAppData>(Col.customerAppData);
    const now = this.now();
    return resolved.map(({ item, app }) => {
      const id = `${customer.id}/${app.id}`;
      // adapter/customer.go: a Stripe customer belongs to one customer of the app
      if (app.type === AppType.stripe && col.findOne((d) => d.appId === app.id && d.stripeCustomerId === item.stripeCustomerId && d.customerId !== customer.id)) {
        throw new DomainError(ErrorKind.preconditionFailed, 'stripe_customer_already_mapped', 'unique stripe customer id');
      }
      const prev = col.get(id);
      const rec: CustomerAppData = {
        id,
        customerId: customer.id,
        appId: app.id,
        type: app.type,
        ...(item.stripeCustomerId !== undefined ? { stripeCustomerId: item.stripeCustomerId } : {}),
        ...(item.stripeDefaultPaymentMethodId !== undefined ? { stripeDefaultPaymentMethodId: item.stripeDefaultPaymentMethodId } : {}),
        ...(item.metadata ? { metadata: { ...item.metadata } } : {}),
        createdAt: prev?.createdAt ?? now,
        updatedAt: now,
      };
      col.put(rec);
      return { ...rec, app };
    });
  }

  /**
   * The app each item goes to, the items checked (the runtime asks Stripe about the Stripe
   * items between this read and the upsert, as adapter/customer.go does).
   */
  resolveCustomerAppData(tx: UnitOfWork, input: { customerIdOrKey: string; items: CustomerAppDataItemInput[] }): { customer: Customer; resolved: Array<{ item: CustomerAppDataItemInput; app: App }> } {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerIdOrKey });
    if (customer.deletedAt) throw new DomainError(ErrorKind.preconditionFailed, 'customer_deleted', `customer is deleted [namespace=${tx.namespace} customer.id=${customer.id}]`);
    const ic = new IssueCollector();
    const resolved = input.items.map((item, i) => {
      const app = item.appId !== undefined ? tx.collection<App>(Col.apps).get(item.appId) : this.liveApps(tx).find((a) => a.type === item.type);
      if (!app || app.deletedAt) {
        ic.add(E.customerAppDataInvalid, item.appId ? `app not found: ${item.appId}` : `no installed app of type ${item.type}`, `[${i}].id`);
        return undefined;
      }
      if (app.type !== item.type) ic.add(E.customerAppDataInvalid, `app ${app.id} is of type ${app.type}, not ${item.type}`, `[${i}].type`);
      if (item.type === AppType.stripe && (typeof item.stripeCustomerId !== 'string' || item.stripeCustomerId === '')) {
        ic.add(E.customerAppDataInvalid, 'stripeCustomerId is required', `[${i}].stripeCustomerId`);
      }
      if (item.type === AppType.stripe && item.stripeDefaultPaymentMethodId !== undefined && !item.stripeDefaultPaymentMethodId.startsWith('pm_')) {
        ic.add(E.customerAppDataInvalid, 'stripe default payment method id must start with pm_', `[${i}].stripeDefaultPaymentMethodId`);
      }
      return { item, app };
    });
    ic.throwIfAny(E.customerAppDataInvalid);
    return { customer, resolved: resolved.map((r) => r!) };
  }

  /** The data a customer has with one app (v3 customer billing reads the payment app's). */
  findCustomerAppData(tx: UnitOfWork, input: { customerId: string; appId: string }): CustomerAppData | undefined {
    return tx.collection<CustomerAppData>(Col.customerAppData).get(`${input.customerId}/${input.appId}`);
  }

  /**
   * Replaces a customer's data with one app, the record v1 `/customers/{id}/apps` shows too. The
   * caller (v3 customer billing) has already decided the app and validated the fields.
   */
  putCustomerAppData(
    tx: UnitOfWork,
    input: { customerId: string; appId: string; stripeCustomerId?: string; stripeDefaultPaymentMethodId?: string; metadata?: Record<string, string> },
  ): CustomerAppData {
    const app = this.getApp(tx, { id: input.appId });
    const col = tx.collection<CustomerAppData>(Col.customerAppData);
    const id = `${input.customerId}/${app.id}`;
    if (app.type === AppType.stripe && col.findOne((d) => d.appId === app.id && d.stripeCustomerId === input.stripeCustomerId && d.customerId !== input.customerId)) {
      throw new DomainError(ErrorKind.preconditionFailed, 'stripe_customer_already_mapped', 'unique stripe customer id');
    }
    const prev = col.get(id);
    const now = this.now();
    const rec: CustomerAppData = {
      id,
      customerId: input.customerId,
      appId: app.id,
      type: app.type,
      ...(input.stripeCustomerId !== undefined ? { stripeCustomerId: input.stripeCustomerId } : {}),
      ...(input.stripeDefaultPaymentMethodId !== undefined ? { stripeDefaultPaymentMethodId: input.stripeDefaultPaymentMethodId } : {}),
      ...(input.metadata ? { metadata: { ...input.metadata } } : {}),
      createdAt: prev?.createdAt ?? now,
      updatedAt: now,
    };
    col.put(rec);
    return rec;
  }

  deleteCustomerAppData(tx: UnitOfWork, input: { customerIdOrKey: string; appId: string }): void {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerIdOrKey });
    const col = tx.collection<CustomerAppData>(Col.customerAppData);
    const id = `${customer.id}/${input.appId}`;
    if (!col.get(id)) throw notFound(E.customerAppDataNotFound, `customer ${customer.id} has no data for app ${input.appId}`);
    col.delete(id);
  }

  // -------------------------------------------------------------------------------------------

  private bootstrap(tx: UnitOfWork): BillingBootstrap {
    return tx.collection<BillingBootstrap>(Col.bootstrap).get('bootstrap') ?? { id: 'bootstrap' };
  }

  private insert(tx: UnitOfWork, input: InstallAppInput & { id?: string; stripeAccountId?: string; livemode?: boolean; maskedApiKey?: string }): App {
    const listing = listingOf(input.type)!;
    const withName = { ...input, name: input.name ?? listing.name };
    this.validateCommon(withName);
    const now = this.now();
    const app: App = {
      id: input.id ?? this.deps.ids.next(),
      type: input.type,
      name: withName.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.metadata ? { metadata: { ...input.metadata } } : {}),
      status: AppStatus.ready,
      createdAt: now,
      updatedAt: now,
      ...(input.type === AppType.customInvoicing
        ? { enableDraftSyncHook: input.enableDraftSyncHook ?? false, enableIssuingSyncHook: input.enableIssuingSyncHook ?? false }
        : {}),
      ...(input.type === AppType.stripe ? { stripeAccountId: input.stripeAccountId!, livemode: input.livemode ?? false, maskedApiKey: input.maskedApiKey! } : {}),
    };
    tx.collection<App>(Col.apps).put(app);
    return app;
  }

  private validateCommon(input: { name: string; description?: string; metadata?: Record<string, string> | null }): void {
    const ic = new IssueCollector();
    if (typeof input.name !== 'string' || input.name.length < 1 || input.name.length > 256) ic.add(E.invalid, 'name must be between 1 and 256 characters', 'name');
    if (input.description !== undefined && input.description.length > 1024) ic.add(E.invalid, 'description must be at most 1024 characters', 'description');
    ic.throwIfAny(E.invalid);
  }

  /** The real service crashes (500) on keys shorter than 8 characters; we refuse them plainly. */
  private assertStripeKey(key: string, field: string): void {
    if (typeof key !== 'string' || key.length < 11) {
      throw validationError(E.invalidStripeApiKey, 'invalid stripe api key', [{ code: E.invalidStripeApiKey, message: 'the key is too short', field, severity: 'critical' }]);
    }
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
