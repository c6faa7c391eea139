import { AppService } from '../../apps/AppService.ts';
import { paginate } from '../../shared/paging.ts';
import { hasCapability } from '../../apps/listings.ts';
import { AppType, CapabilityType, type App, type CapabilityType as Cap, type InstallAppInput, type InstallStripeAppInput, type Page, type StripeInstallFacts } from '../../apps/types.ts';
import type { CustomerService } from '../../customers/CustomerService.ts';
import type { Customer } from '../../customers/types.ts';
import type { Clock } from '../../shared/clock.ts';
import { DomainError, ErrorKind, IssueCollector, conflict, notFound, validationError } from '../../shared/errors.ts';
import type { NamespaceHook } from '../../shared/namespaces.ts';
import { AppErrorCode } from '../../apps/errors.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { UnitOfWork } from '../../shared/unitOfWork.ts';
import { BILLING_ISSUE_MESSAGES, BillingProfileErrorCode as E, billingIssueText } from './errors.ts';
import {
  BillingProfileCollections as Col,
  BillingProfileOrderBy,
  OverrideOrderBy,
  type BillingCustomerOverride,
  type BillingParty,
  type BillingProfile,
  type BillingProfileApps,
  type CreateBillingProfileInput,
  type CustomerBillingDetails,
  type ListBillingProfilesInput,
  type ListCustomerOverridesInput,
  type UpdateBillingProfileInput,
} from './types.ts';
import { DEFAULT_PROFILE, defaultWorkflow, fillWorkflow, validateSupplier, validateWorkflow } from './workflow.ts';

/** billing's record that a namespace was provisioned (its default profile) */
interface ProvisioningMarker {
  id: string;
  defaultProfileId: string;
}
const PROVISIONING_MARKER = 'namespace';

const APP_CAPABILITY: Record<keyof BillingProfileApps, Cap> = {
  tax: CapabilityType.calculateTax,
  invoicing: CapabilityType.invoiceCustomers,
  payment: CapabilityType.collectPayments,
};

export interface InstallWithProfileInput {
  /** `stripe` installs with `apiKey`; the others need no credentials */
  app: ({ method: 'noCredentials' } & InstallAppInput) | ({ method: 'apiKey'; type: string } & InstallStripeAppInput);
  /** vendor default true: a profile using the new app for every capability */
  createBillingProfile?: boolean;
}

/**
 * A Stripe profile's supplier comes from the Stripe account (adapter/stripe.go
 * GetSupplierContact): test mode is `Stripe Test Account` in the US; a live account without a
 * business name or country cannot supply one (412).
 */
function stripeSupplier(app: App, facts: StripeInstallFacts | undefined): BillingParty {
  if (!app.livemode) return { name: 'Stripe Test Account', addresses: [{ country: 'US' }] };
  if (!facts?.businessName) throw new DomainError(ErrorKind.preconditionFailed, 'stripe_account_incomplete', 'stripe account business profile name is required');
  if (!facts.country) throw new DomainError(ErrorKind.preconditionFailed, 'stripe_account_incomplete', 'stripe account country is required');
  return { name: facts.businessName, addresses: [{ country: facts.country }] };
}

const cmp = (a: string | number | undefined, b: string | number | undefined): number => (a === b ? 0 : a === undefined ? -1 : b === undefined ? 1 : a < b ? -1 : 1);
const containsCi = (value: string | undefined, needle: string | undefined): boolean =>
  needle === undefined || needle === '' || (value !== undefined && value.toLowerCase().includes(needle.toLowerCase()));

export class BillingProfileService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator; apps: AppService; customers: CustomerService }) {}

  createProfile(tx: UnitOfWork, input: CreateBillingProfileInput): BillingProfile {
    const workflow = fillWorkflow(input.workflow);
    const ic = new IssueCollector();
    this.validateCommon(input, ic);
    validateWorkflow(workflow, ic);
    this.validateApps(tx, input.apps, ic);
    ic.throwIfAny(E.invalid);
    const now = this.now();
    const profile: BillingProfile = {
      id: this.deps.ids.next(),
      ...this.commonFields(input),
      workflow,
      apps: { tax: input.apps.tax, invoicing: input.apps.invoicing, payment: input.apps.payment },
      default: input.default === true,
      createdAt: now,
      updatedAt: now,
    };
    if (profile.default) this.unsetDefault(tx, profile.id, now);
    tx.collection<BillingProfile>(Col.profiles).put(profile);
    return profile;
  }

  /** By id, deleted profiles included (with `deletedAt`). */
  getProfile(tx: UnitOfWork, input: { id: string }): BillingProfile {
    const p = tx.collection<BillingProfile>(Col.profiles).get(input.id);
    if (!p) throw notFound(E.notFound, billingIssueText(E.notFound, `[id=${input.id}]`));
    return p;
  }

  /** By id; a deleted profile is as unknown as a missing one. */
  getLiveProfile(tx: UnitOfWork, input: { id: string }): BillingProfile {
    const p = this.getProfile(tx, input);
    if (p.deletedAt) throw notFound(E.notFound, billingIssueText(E.notFound, `[id=${input.id}]`));
    return p;
  }

  listProfiles(tx: UnitOfWork, input: ListBillingProfilesInput = {}): Page<BillingProfile> {
    const orderBy = input.orderBy ?? BillingProfileOrderBy.createdAt;
    if (!Object.values(BillingProfileOrderBy).includes(orderBy)) throw validationError(E.invalidPagination, `invalid orderBy ${orderBy}`);
    const dir = input.order === 'DESC' ? -1 : 1;
    const rows = tx
      .collection<BillingProfile>(Col.profiles)
      .find((p) => input.includeArchived === true || !p.deletedAt)
      .sort((a, b) => {
        const key = (p: BillingProfile) => (orderBy === 'default' ? (p.default ? 1 : 0) : p[orderBy]);
        return dir * (cmp(key(a), key(b)) || cmp(a.id, b.id));
      });
    return paginate(rows, input);
  }

  /**
   * What a new namespace gets, as a new organisation does in the real service: the sandbox app
   * and a default profile using it for every capability. Idempotent over stored state; a
   * profile made default later (or replaced) is not provisioned again.
   */
  readonly namespaceHook: NamespaceHook = {
    name: 'provisionDefaultBillingProfile',
    onNamespaceCreated: (tx) => this.ensureDefaultProfile(tx),
  };

  ensureDefaultProfile(tx: UnitOfWork): void {
    const markers = tx.collection<ProvisioningMarker>(Col.provisioning);
    if (markers.get(PROVISIONING_MARKER)) return;
    const appId = this.deps.apps.ensureSandboxApp(tx);
    const profiles = tx.collection<BillingProfile>(Col.profiles);
    let profile = profiles.findOne((p) => p.default && !p.deletedAt);
    if (!profile) {
      const now = this.now();
      profile = {
        id: this.deps.ids.next(),
        name: DEFAULT_PROFILE.name,
        description: DEFAULT_PROFILE.description,
        supplier: structuredClone(DEFAULT_PROFILE.supplier) as BillingProfile['supplier'],
        workflow: defaultWorkflow(),
        apps: { tax: appId, invoicing: appId, payment: appId },
        default: true,
        createdAt: now,
        updatedAt: now,
      };
      profiles.put(profile);
    }
    markers.put({ id: PROVISIONING_MARKER, defaultProfileId: profile.id });
  }

  /** The uninstall veto: an app a live profile uses for any capability stays installed. */
  readonly appUninstallGuard = (tx: UnitOfWork, app: App): void => {
    const users = tx
      .collection<BillingProfile>(Col.profiles)
      .find((p) => !p.deletedAt && (p.apps.tax === app.id || p.apps.invoicing === app.id || p.apps.payment === app.id));
    if (users.length > 0) {
      throw conflict(AppErrorCode.inUse, `app ${app.id} is used by billing profile(s) ${users.map((p) => p.id).join(', ')}; delete or change them first`, {
        billingProfileIds: users.map((p) => p.id),
      });
    }
  };

  /** The namespace's default profile (provisioned when the namespace was created). */
  getDefaultProfile(tx: UnitOfWork): BillingProfile {
    const p = tx.collection<BillingProfile>(Col.profiles).findOne((x) => x.default && !x.deletedAt);
    if (!p) throw notFound(E.defaultNotFound, BILLING_ISSUE_MESSAGES[E.defaultNotFound]!);
    return p;
  }

  /** PUT: name, description, metadata, supplier, workflow and default; the apps stay. */
  updateProfile(tx: UnitOfWork, input: UpdateBillingProfileInput): BillingProfile {
    const current = this.getProfile(tx, { id: input.id });
    if (current.deletedAt) throw validationError(E.deleted, billingIssueText(E.deleted, `[id=${current.id}]`));
    // there is always exactly one default: it moves by making another profile the default
    if (current.default && input.default !== true) throw validationError(E.defaultCannotBeUnset, billingIssueText(E.defaultCannotBeUnset, `[id=${current.id}]`));
    const workflow = fillWorkflow(input.workflow);
    const ic = new IssueCollector();
    this.validateCommon(input, ic);
    validateWorkflow(workflow, ic);
    ic.throwIfAny(E.invalid);
    const now = this.now();
    const next: BillingProfile = {
      id: current.id,
      ...this.commonFields(input),
      workflow,
      apps: current.apps,
      default: input.default === true,
      createdAt: current.createdAt,
      updatedAt: now,
    };
    if (next.default && !current.default) this.unsetDefault(tx, next.id, now);
    tx.collection<BillingProfile>(Col.profiles).put(next);
    return next;
  }

  /** Vendor: only profiles that are not the default and not pinned to any customer can be deleted. */
  deleteProfile(tx: UnitOfWork, input: { id: string }): BillingProfile {
    const current = this.getProfile(tx, { id: input.id });
    if (current.deletedAt) throw notFound(E.notFound, billingIssueText(E.notFound, `[id=${input.id}]`));
    if (current.default) throw validationError(E.defaultCannotBeDeleted, billingIssueText(E.defaultCannotBeDeleted, `[id=${current.id}]`));
    const pinned = tx.collection<BillingCustomerOverride>(Col.overrides).find((o) => o.billingProfileId === current.id);
    if (pinned.length > 0) {
      const customerIds = pinned.map((o) => o.customerId).join(' ');
      throw validationError(E.referencedByOverrides, billingIssueText(E.referencedByOverrides, `[profile_id=${current.id}, customer_ids=[${customerIds}]]`));
    }
    const now = this.now();
    const next: BillingProfile = { ...current, deletedAt: now, updatedAt: now };
    tx.collection<BillingProfile>(Col.profiles).put(next);
    return next;
  }

  /**
   * Installs an app and (by default) a profile using it for every capability. That profile
   * becomes the default when the current default is the sandbox's (vendor doc of
   * `createBillingProfile`); `defaultForCapabilityTypes` lists what the new app is now default for.
   */
  installApp(tx: UnitOfWork, input: InstallWithProfileInput): { app: App; defaultForCapabilityTypes: Cap[] } {
    const app =
      input.app.method === 'apiKey' ? this.deps.apps.installStripeApp(tx, input.app) : this.deps.apps.installApp(tx, input.app);
    if (input.createBillingProfile === false) return { app, defaultForCapabilityTypes: [] };
    const current = tx.collection<BillingProfile>(Col.profiles).findOne((p) => p.default && !p.deletedAt);
    const currentIsSandbox = current === undefined || this.deps.apps.liveApps(tx).find((a) => a.id === current.apps.invoicing)?.type === AppType.sandbox;
    const makeDefault = currentIsSandbox && app.type !== AppType.sandbox;
    this.createProfile(tx, {
      name: `${app.name} Billing Profile`,
      supplier: input.app.method === 'apiKey' ? stripeSupplier(app, input.app.stripe) : structuredClone(current?.supplier ?? { name: app.name }),
      default: makeDefault || current === undefined,
      ...(current ? { workflow: current.workflow } : {}),
      apps: { tax: app.id, invoicing: app.id, payment: app.id },
    });
    return {
      app,
      defaultForCapabilityTypes: makeDefault || current === undefined ? [CapabilityType.calculateTax, CapabilityType.invoiceCustomers, CapabilityType.collectPayments] : [],
    };
  }

  /** The apps domain asks which app collects a customer's payments (its CustomerPaymentApps port). */
  readonly paymentApps = {
    paymentAppOf: (tx: UnitOfWork, customerId: string): string | undefined => this.detailsOf(tx, customerId).effective.apps.payment,
    defaultPaymentApp: (tx: UnitOfWork): string | undefined => tx.collection<BillingProfile>(Col.profiles).findOne((p) => p.default && !p.deletedAt)?.apps.payment,
  };

  // --------------------------------------------------------------------------- customer overrides

  /** The profile in force for a customer: its override's profile, else the default. */
  getCustomerBillingDetails(tx: UnitOfWork, input: { customerId: string }): CustomerBillingDetails {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerId });
    return this.detailsOf(tx, customer.id);
  }

  upsertCustomerOverride(tx: UnitOfWork, input: { customerId: string; billingProfileId?: string }): CustomerBillingDetails {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerId });
    if (customer.deletedAt) throw validationError('customer_deleted', `customer ${customer.id} is deleted`);
    if (input.billingProfileId !== undefined) {
      const p = tx.collection<BillingProfile>(Col.profiles).get(input.billingProfileId);
      if (!p || p.deletedAt) throw notFound(E.notFound, billingIssueText(E.notFound, `[id=${input.billingProfileId}]`));
    }
    const col = tx.collection<BillingCustomerOverride>(Col.overrides);
    const prev = col.get(customer.id);
    const now = this.now();
    col.put({
      id: customer.id,
      customerId: customer.id,
      ...(input.billingProfileId !== undefined ? { billingProfileId: input.billingProfileId } : {}),
      createdAt: prev?.createdAt ?? now,
      updatedAt: now,
    });
    return this.detailsOf(tx, customer.id);
  }

  deleteCustomerOverride(tx: UnitOfWork, input: { customerId: string }): void {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerId });
    const col = tx.collection<BillingCustomerOverride>(Col.overrides);
    if (!col.get(customer.id)) throw notFound(E.overrideNotFound, billingIssueText(E.overrideNotFound, `[BillingCustomerOverride/${customer.id}]`));
    col.delete(customer.id);
  }

  listCustomerOverrides(tx: UnitOfWork, input: ListCustomerOverridesInput = {}): Page<CustomerBillingDetails & { customer: Customer }> {
    const overrides = tx.collection<BillingCustomerOverride>(Col.overrides);
    const all = input.includeAllCustomers === true || input.customersWithoutPinnedProfile === true;
    const customers = this.deps.customers.liveCustomers(tx).filter((c) => all || overrides.get(c.id) !== undefined);
    const rows = customers
      .filter(
        (c) =>
          (input.customerIds === undefined || input.customerIds.length === 0 || input.customerIds.includes(c.id)) &&
          containsCi(c.name, input.customerName) &&
          containsCi(c.key, input.customerKey) &&
          containsCi(c.primaryEmail, input.customerPrimaryEmail) &&
          (input.customersWithoutPinnedProfile !== true || overrides.get(c.id)?.billingProfileId === undefined),
      )
      .map((c) => ({ ...this.detailsOf(tx, c.id), customer: c }))
      .filter((d) => input.billingProfileIds === undefined || input.billingProfileIds.length === 0 || input.billingProfileIds.includes(d.baseProfile.id));
    const orderBy = input.orderBy ?? OverrideOrderBy.customerId;
    const field = (c: Customer): string | undefined =>
      ({ customerId: c.id, customerName: c.name, customerKey: c.key, customerPrimaryEmail: c.primaryEmail, customerCreatedAt: c.createdAt })[orderBy];
    const dir = input.order === 'DESC' ? -1 : 1;
    rows.sort((a, b) => dir * (cmp(field(a.customer), field(b.customer)) || cmp(a.customer.id, b.customer.id)));
    return paginate(rows, input);
  }

  // -------------------------------------------------------------------------------------------

  private detailsOf(tx: UnitOfWork, customerId: string): CustomerBillingDetails {
    const override = tx.collection<BillingCustomerOverride>(Col.overrides).get(customerId);
    const pinned = override?.billingProfileId !== undefined ? tx.collection<BillingProfile>(Col.profiles).get(override.billingProfileId) : undefined;
    const baseProfile = pinned && !pinned.deletedAt ? pinned : this.getDefaultProfile(tx);
    return {
      customerId,
      ...(override ? { override } : {}),
      baseProfile,
      // overrides carry no workflow settings of their own yet: the merge is the base profile's
      effective: { supplier: baseProfile.supplier, workflow: fillWorkflow(undefined, baseProfile.workflow), apps: baseProfile.apps },
    };
  }

  private unsetDefault(tx: UnitOfWork, exceptId: string, now: string): void {
    const col = tx.collection<BillingProfile>(Col.profiles);
    for (const p of col.find((x) => x.default && x.id !== exceptId)) col.put({ ...p, default: false, updatedAt: now });
  }

  private validateCommon(input: Omit<CreateBillingProfileInput, 'apps'>, ic: IssueCollector): void {
    if (typeof input.name !== 'string' || input.name.length < 1 || input.name.length > 256) ic.add(E.invalid, 'name must be between 1 and 256 characters', 'name');
    if (input.description !== undefined && input.description.length > 1024) ic.add(E.invalid, 'description must be at most 1024 characters', 'description');
    validateSupplier(input.supplier, ic);
  }

  private validateApps(tx: UnitOfWork, apps: BillingProfileApps | undefined, ic: IssueCollector): void {
    for (const slot of ['tax', 'invoicing', 'payment'] as const) {
      const id = apps?.[slot];
      const app = typeof id === 'string' ? this.deps.apps.liveApps(tx).find((a) => a.id === id) : undefined;
      if (!app) ic.add(E.appNotFound, `${slot} app not found: ${String(id)}`, `apps.${slot}`);
      else if (!hasCapability(app.type, APP_CAPABILITY[slot])) {
        ic.add(E.appMissingCapability, `app ${app.id} (${app.type}) lacks the ${APP_CAPABILITY[slot]} capability`, `apps.${slot}`);
      }
    }
  }

  private commonFields(input: Omit<CreateBillingProfileInput, 'apps'>): Pick<BillingProfile, 'name' | 'description' | 'metadata' | 'supplier'> {
    return {
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.metadata ? { metadata: { ...input.metadata } } : {}),
      supplier: structuredClone(input.supplier),
    };
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
