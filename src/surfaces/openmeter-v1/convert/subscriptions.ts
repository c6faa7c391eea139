import type { RateCard } from '../../../domain/catalog/types.ts';
import type {
  ChangeSubscriptionInput,
  CreateSubscriptionInput,
  SubscriptionPlanChoice,
  CustomPlanInput,
  EditOperation,
  ListSubscriptionsInput,
  Subscription,
  SubscriptionAddonView,
  SubscriptionItemView,
  SubscriptionPhaseView,
  SubscriptionStatus,
  SubscriptionView,
} from '../../../domain/subscriptions/types.ts';
import type { components } from '../api.gen.ts';
import { fromApiPlanCreate, fromApiRateCard, toApiFeature, toApiRateCard, type ApiRateCard } from './catalog.ts';
import { toApiEntitlement } from './entitlements.ts';

type S = components['schemas'];
type Obj = Record<string, unknown>;

const opt = <K extends string, V>(k: K, v: V | undefined | null): Partial<Record<K, V>> =>
  v === undefined || v === null ? {} : ({ [k]: v } as Record<K, V>);
const nonEmpty = (m: Record<string, string> | undefined) => (m && Object.keys(m).length > 0 ? m : undefined);

function fromApiCustomPlan(p: S['CustomPlanInput']): CustomPlanInput {
  const plan = fromApiPlanCreate({ ...(p as unknown as S['PlanCreate']), key: 'custom' });
  return {
    name: plan.name,
    ...opt('description', plan.description),
    ...opt('metadata', plan.metadata),
    ...opt('currency', plan.currency),
    billingCadence: plan.billingCadence,
    ...opt('proRatingConfig', plan.proRatingConfig),
    ...opt('settlementMode', plan.settlementMode),
    phases: plan.phases,
  };
}

/** `SubscriptionCreate`: a plan reference or a custom plan, by customerId or customerKey. */
export function fromApiSubscriptionCreate(b: S['SubscriptionCreate']): CreateSubscriptionInput {
  const w = b as Obj;
  const base: CreateSubscriptionInput = {
    customer: { ...opt('id', w.customerId as string), ...opt('key', w.customerKey as string) },
    ...opt('timing', w.timing as string),
    ...opt('billingAnchor', w.billingAnchor as string),
    ...opt('costBasisMode', w.costBasisMode as CreateSubscriptionInput['costBasisMode']),
  };
  return { ...base, ...fromApiPlanChoice(w) };
}

export function fromApiSubscriptionChange(id: string, b: S['SubscriptionChange']): ChangeSubscriptionInput {
  const w = b as Obj;
  const base: ChangeSubscriptionInput = {
    id,
    timing: w.timing as string,
    ...opt('billingAnchor', w.billingAnchor as string),
    ...opt('costBasisMode', w.costBasisMode as ChangeSubscriptionInput['costBasisMode']),
  };
  return { ...base, ...fromApiPlanChoice(w) };
}

/** What create and change share: a custom plan, or a plan reference with the subscription's own fields. */
function fromApiPlanChoice(w: Obj): SubscriptionPlanChoice {
  if (w.customPlan) return { customPlan: fromApiCustomPlan(w.customPlan as S['CustomPlanInput']) };
  const p = w as unknown as S['PlanSubscriptionCreate'] | S['PlanSubscriptionChange'];
  return {
    plan: { key: p.plan.key, ...opt('version', p.plan.version) },
    ...opt('name', p.name),
    ...opt('description', p.description),
    ...opt('metadata', nonEmpty(p.metadata as Record<string, string> | undefined)),
    ...opt('settlementMode', p.settlementMode),
    ...opt('startingPhase', p.startingPhase),
  };
}

export function fromApiEditOperation(o: S['SubscriptionEditOperation']): EditOperation {
  const w = o as Obj;
  switch (w.op) {
    case 'add_item':
      return { op: 'add_item', phaseKey: w.phaseKey as string, rateCard: fromApiRateCard(w.rateCard as ApiRateCard) };
    case 'remove_item':
      return { op: 'remove_item', phaseKey: w.phaseKey as string, itemKey: w.itemKey as string };
    case 'add_phase': {
      const p = w.phase as S['SubscriptionPhaseCreate'];
      return {
        op: 'add_phase',
        phase: { key: p.key, name: p.name, ...opt('description', p.description), startAfter: p.startAfter ?? null, ...opt('duration', p.duration) },
      };
    }
    case 'remove_phase':
      return { op: 'remove_phase', phaseKey: w.phaseKey as string, shift: w.shift as 'next' | 'prev' };
    case 'stretch_phase':
      return { op: 'stretch_phase', phaseKey: w.phaseKey as string, extendBy: w.extendBy as string };
    default:
      return { op: 'unschedule_edit' };
  }
}

export function fromApiListCustomerSubscriptionsQuery(customer: string, q: Record<string, unknown>, sent: ReadonlySet<string>): ListSubscriptionsInput {
  const status = q.status === undefined ? undefined : Array.isArray(q.status) ? q.status : [q.status];
  const paged = sent.has('page') || sent.has('pageSize');
  return {
    customer,
    ...(status ? { status: status as SubscriptionStatus[] } : {}),
    // OpenMeter orders customer subscriptions by activeFrom, newest first, unless told otherwise
    // (the spec's defaults are not what the server does: only what the client sent counts)
    order: sent.has('order') && q.order === 'ASC' ? 'ASC' : 'DESC',
    orderBy: sent.has('orderBy') && q.orderBy === 'activeTo' ? 'activeTo' : 'activeFrom',
    ...(paged ? { page: typeof q.page === 'number' ? q.page : 1, pageSize: typeof q.pageSize === 'number' ? q.pageSize : 100 } : { unpaged: true }),
  };
}

// ---------------------------------------------------------------------------------------------

export function toApiSubscription(s: Subscription): S['Subscription'] {
  return {
    id: s.id,
    name: s.name,
    ...opt('description', s.description),
    ...opt('metadata', nonEmpty(s.metadata)),
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    ...opt('deletedAt', s.deletedAt),
    activeFrom: s.activeFrom,
    ...opt('activeTo', s.activeTo),
    ...(s.annotations && Object.keys(s.annotations).length > 0 ? { annotations: s.annotations } : {}),
    alignment: { billablesMustAlign: true },
    status: s.status,
    customerId: s.customerId,
    ...(s.plan ? { plan: { id: s.plan.id, key: s.plan.key, version: s.plan.version } } : {}),
    currency: s.currency,
    costBasisMode: s.costBasisMode,
    costBasisPins: [],
    billingCadence: s.billingCadence,
    proRatingConfig: { enabled: s.proRatingConfig.enabled, mode: s.proRatingConfig.mode },
    billingAnchor: s.billingAnchor,
    settlementMode: s.settlementMode,
  } as S['Subscription'];
}

function toApiItem(i: SubscriptionItemView): S['SubscriptionItem'] {
  const rc = toApiRateCard(i.rateCard as RateCard) as unknown as Obj;
  return {
    id: i.id,
    name: i.name,
    ...opt('description', i.description),
    ...opt('metadata', nonEmpty(i.metadata)),
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    activeFrom: i.activeFrom,
    ...opt('activeTo', i.activeTo),
    key: i.key,
    ...opt('featureKey', i.rateCard.featureKey),
    billingCadence: i.rateCard.billingCadence ?? null,
    price: (rc.price ?? null) as S['SubscriptionItem']['price'],
    ...opt('discounts', rc.discounts as S['SubscriptionItem']['discounts']),
    ...opt('taxConfig', rc.taxConfig as S['SubscriptionItem']['taxConfig']),
    ...(i.feature ? { included: { feature: toApiFeature(i.feature), ...(i.entitlement ? { entitlement: toApiEntitlement(i.entitlement, 'v1') } : {}) } } : {}),
  } as S['SubscriptionItem'];
}

/**
 * `items` shows one version per key: the one active now in the current phase, the first one in
 * a future phase, the last one in a past phase (productcatalog/subscription/http/mapping.go);
 * `itemTimelines` lists every version.
 */
function toApiPhase(p: SubscriptionPhaseView, now: number): S['SubscriptionPhaseExpanded'] {
  const from = Date.parse(p.activeFrom);
  const to = p.activeTo ? Date.parse(p.activeTo) : Infinity;
  const when = from > now ? 'future' : to > now ? 'current' : 'past';
  const byKey = new Map<string, SubscriptionItemView[]>();
  for (const i of p.items) byKey.set(i.key, [...(byKey.get(i.key) ?? []), i]);
  const items: S['SubscriptionItem'][] = [];
  const itemTimelines: Record<string, S['SubscriptionItem'][]> = {};
  for (const [key, versions] of byKey) {
    itemTimelines[key] = versions.map(toApiItem);
    let pick: SubscriptionItemView | undefined;
    if (when === 'current') pick = versions.find((v) => Date.parse(v.activeFrom) <= now && (!v.activeTo || Date.parse(v.activeTo) > now));
    else if (when === 'future') pick = versions[0];
    else pick = versions[versions.length - 1];
    if (pick) items.push(toApiItem(pick));
  }
  return {
    id: p.id,
    name: p.name,
    ...opt('description', p.description),
    ...opt('metadata', nonEmpty(p.metadata)),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    key: p.key,
    activeFrom: p.activeFrom,
    ...opt('activeTo', p.activeTo),
    items,
    itemTimelines,
  } as S['SubscriptionPhaseExpanded'];
}

export function toApiSubscriptionExpanded(s: SubscriptionView): S['SubscriptionExpanded'] {
  const base = toApiSubscription(s) as Obj;
  return {
    ...base,
    alignment: { billablesMustAlign: true, ...(s.currentPeriod ? { currentAlignedBillingPeriod: { from: s.currentPeriod.from, to: s.currentPeriod.to } } : {}) },
    phases: s.phaseViews.map((p) => toApiPhase(p, Date.parse(s.asOf))),
  } as S['SubscriptionExpanded'];
}

export function toApiSubscriptionAddon(a: SubscriptionAddonView): S['SubscriptionAddon'] {
  return {
    id: a.id,
    name: a.name,
    ...opt('description', a.description),
    ...opt('metadata', nonEmpty(a.metadata)),
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    ...opt('deletedAt', a.deletedAt),
    activeFrom: a.activeFrom,
    ...opt('activeTo', a.activeTo),
    addon: { id: a.addon.id, key: a.addon.key, version: a.addon.version, instanceType: a.addon.instanceType },
    quantityAt: a.quantityAt,
    quantity: a.quantity,
    timeline: a.timeline.map((t) => ({ activeFrom: t.activeFrom, ...opt('activeTo', t.activeTo), quantity: t.quantity })),
    subscriptionId: a.subscriptionId,
    rateCards: a.rateCards.map((rc) => ({ rateCard: toApiRateCard(rc), affectedSubscriptionItemIds: a.affectedItemIds[rc.key] ?? [] })),
  } as S['SubscriptionAddon'];
}
