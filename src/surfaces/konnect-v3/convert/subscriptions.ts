import type {
  ChangeSubscriptionInput,
  CreateSubscriptionInput,
  PlanRef,
  Subscription,
  SubscriptionAddonView,
  SubscriptionItemView,
  SubscriptionPhaseView,
  SubscriptionView,
} from '../../../domain/subscriptions/types.ts';
import type { components } from '../api.gen.ts';
import { toApiRateCard } from './catalog.ts';

type S = components['schemas'];

const nonEmpty = (m: Record<string, string> | undefined) => (m && Object.keys(m).length > 0 ? m : undefined);
const dropUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * Neither id nor key: the handler's own Konnect 400 naming both members with rule `required`
 * (api/v3/handlers/subscriptions/create.go); shaped like a schema error so the v3 renderer lists
 * them in `invalid_parameters`.
 */
class MissingSelector extends Error {
  readonly status = 400;
  readonly errors: Array<{ path: string; message: string; errorCode: string; location: string }>;
  constructor(name: 'customer' | 'plan') {
    const reason = `one of ${name}.id or ${name}.key is required`;
    super(reason);
    this.errors = ['id', 'key'].map((f) => ({ path: `.body.${name}.${f}`, message: reason, errorCode: 'required', location: 'body' }));
  }
}

function requireRef(ref: { id?: string; key?: string } | undefined, name: 'customer' | 'plan'): void {
  if (!(ref?.id || ref?.key)) throw new MissingSelector(name);
}

function planRef(p: { id?: string; key?: string; version?: number }): PlanRef {
  return dropUndefined({ id: p.id, key: p.key, version: p.version });
}

export function fromApiSubscriptionCreate(b: S['BillingSubscriptionCreate']): CreateSubscriptionInput {
  requireRef(b.customer, 'customer');
  requireRef(b.plan, 'plan');
  return dropUndefined({
    customer: dropUndefined({ id: b.customer.id, key: b.customer.key }),
    plan: planRef(b.plan),
    // v3 takes the highest version of a key whatever its status, then insists it is active
    planKeyLatest: true,
    nameAsPlanVersion: true,
    billingAnchor: b.billing_anchor,
    metadata: nonEmpty(b.labels),
    settlementMode: b.settlement_mode,
    costBasisMode: b.cost_basis_mode,
  });
}

export function fromApiSubscriptionChange(id: string, b: S['BillingSubscriptionChange']): ChangeSubscriptionInput {
  requireRef(b.plan, 'plan');
  return dropUndefined({
    id,
    timing: b.timing as string,
    plan: planRef(b.plan),
    planKeyLatest: true,
    billingAnchor: b.billing_anchor,
    metadata: b.labels,
    settlementMode: b.settlement_mode,
    costBasisMode: b.cost_basis_mode,
    inheritName: true,
  });
}

function toApiItem(i: SubscriptionItemView): S['BillingSubscriptionItem'] {
  return dropUndefined({ id: i.id, active_from: i.activeFrom, active_to: i.activeTo, rate_card: toApiRateCard(i.rateCard, false) });
}

/** one item per key, sorted by key: the version active now (current phase), the first (future), the last (past) */
function toApiPhase(p: SubscriptionPhaseView, now: number): S['BillingSubscriptionPhase'] {
  const from = Date.parse(p.activeFrom);
  const to = p.activeTo ? Date.parse(p.activeTo) : Infinity;
  const when = from > now ? 'future' : to > now ? 'current' : 'past';
  const byKey = new Map<string, SubscriptionItemView[]>();
  for (const i of p.items) byKey.set(i.key, [...(byKey.get(i.key) ?? []), i]);
  const items: S['BillingSubscriptionItem'][] = [];
  for (const key of [...byKey.keys()].sort()) {
    const versions = byKey.get(key)!;
    const pick =
      when === 'current'
        ? versions.find((v) => Date.parse(v.activeFrom) <= now && (!v.activeTo || Date.parse(v.activeTo) > now))
        : when === 'future'
          ? versions[0]
          : versions[versions.length - 1];
    if (pick) items.push(toApiItem(pick));
  }
  return dropUndefined({
    id: p.id,
    name: p.name,
    labels: nonEmpty(p.metadata),
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    key: p.key,
    active_from: p.activeFrom,
    active_to: p.activeTo,
    items,
  }) as S['BillingSubscriptionPhase'];
}

export function toApiSubscription(s: SubscriptionView | Subscription): S['BillingSubscription'] {
  const view = s as Partial<SubscriptionView>;
  return dropUndefined({
    id: s.id,
    labels: nonEmpty(s.metadata),
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    deleted_at: s.deletedAt,
    name: s.name,
    active_from: s.activeFrom,
    active_to: s.activeTo,
    customer_id: s.customerId,
    plan_id: s.plan?.id,
    plan: s.plan ? { id: s.plan.id, key: s.plan.key, version: s.plan.version } : undefined,
    invoice_currency: s.currency,
    cost_basis_mode: s.costBasisMode,
    cost_basis_pins: [],
    billing_cadence: s.billingCadence,
    pro_rating_config: { enabled: s.proRatingConfig.enabled, mode: s.proRatingConfig.mode },
    billing_anchor: s.billingAnchor,
    status: s.status,
    settlement_mode: s.settlementMode,
    current_period: view.currentPeriod ? { from: view.currentPeriod.from, to: view.currentPeriod.to } : undefined,
    phases: (view.phaseViews ?? []).map((p) => toApiPhase(p, Date.parse(view.asOf!))),
  }) as S['BillingSubscription'];
}

/**
 * `quantity` is the quantity now. The real service answers 0 for an add-on that starts later
 * although the schema says minimum 1; this emulator answers the first scheduled quantity there,
 * so responses stay valid against the document (decision 0011).
 */
export function toApiSubscriptionAddon(a: SubscriptionAddonView): S['SubscriptionAddon'] {
  const quantity = a.quantity > 0 ? a.quantity : (a.timeline[0]?.quantity ?? 1);
  return dropUndefined({
    id: a.id,
    labels: nonEmpty(a.metadata),
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    deleted_at: a.deletedAt,
    name: a.name,
    addon: { id: a.addon.id },
    quantity,
    quantity_at: a.quantityAt,
    active_from: a.activeFrom,
    active_to: a.activeTo,
    timeline: a.timeline.map((t) => dropUndefined({ active_from: t.activeFrom, active_to: t.activeTo, quantity: t.quantity })),
    rate_cards: a.rateCards.map((rc) => ({ rate_card: toApiRateCard(rc, true), affected_subscription_item_ids: a.affectedItemIds[rc.key] ?? [] })),
  }) as S['SubscriptionAddon'];
}
