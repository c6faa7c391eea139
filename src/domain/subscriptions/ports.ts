/**
 * What subscriptions need from other domains. The wiring passes the owning services, which
 * satisfy these shapes; subscriptions never open another domain's collections.
 */
import type { Addon, Feature, Plan, PlanAddon, PlanPhase, PlanRecord } from '../catalog/types.ts';
import type { Customer } from '../customers/types.ts';
import type { CreateEntitlementInput, EntitlementView } from '../entitlements/types.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import type { CustomPlanInput } from './types.ts';

export interface CustomerLookup {
  /** by id (deleted included) or by key among live customers; 404 when unknown */
  getCustomer(tx: UnitOfWork, input: { idOrKey: string }): Customer;
}

export interface PlanLookup {
  /** by id, or by key: the active version, the latest (includeLatest) or a given version */
  getPlan(tx: UnitOfWork, input: { idOrKey: string; includeLatest?: boolean; version?: number }): Plan;
  /** every version of a key (for migrate) */
  listPlans(tx: UnitOfWork, input: { key?: string[]; includeDeleted?: boolean; pageSize?: number }): { items: Plan[] };
  /** validates a custom plan as a publishable plan would be and returns its normalised phases */
  validateCustomPlan(tx: UnitOfWork, input: CustomPlanInput): Pick<PlanRecord, 'currency' | 'billingCadence' | 'proRatingConfig' | 'phases'> & { phases: PlanPhase[] };
}

export interface PlanAddonLookup {
  /** the add-ons a plan sells (assignments with their add-on) */
  listPlanAddons(tx: UnitOfWork, input: { planIdOrKey: string; pageSize?: number }): { items: PlanAddon[] };
}

export interface AddonLookup {
  getAddon(tx: UnitOfWork, input: { idOrKey: string }): Addon;
}

export interface FeatureLookup {
  getFeature(tx: UnitOfWork, input: { idOrKey: string }): Feature;
}

/** The managed-entitlement side of the entitlements domain. */
export interface ManagedEntitlements {
  /**
   * Creates an entitlement owned by a subscription, effective at the current instant. Manual
   * deletes of it are refused while the subscription owns it.
   */
  createManagedEntitlement(tx: UnitOfWork, input: CreateEntitlementInput & { subscriptionId: string; usageBySubscription?: boolean }): { id: string };
  /** ends a managed entitlement now (no-op when it is already gone) */
  deleteManagedEntitlement(tx: UnitOfWork, input: { entitlementId: string }): void;
  /** an entitlement as the entitlements domain shows it (v1 item `included.entitlement`) */
  getEntitlementById(tx: UnitOfWork, id: string): EntitlementView;
}
