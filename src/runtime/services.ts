import { ApiKeyService } from '../domain/apikeys/ApiKeyService.ts';
import { AppService } from '../domain/apps/AppService.ts';
import { InvoiceService } from '../domain/billing/invoices/InvoiceService.ts';
import { StripeAppService } from '../domain/apps/StripeAppService.ts';
import { BillingProfileService } from '../domain/billing/profiles/BillingProfileService.ts';
import { ChargeService } from '../domain/billing/charges/ChargeService.ts';
import { CreditService } from '../domain/billing/credits/CreditService.ts';
import { CustomerBillingService } from '../domain/billing/profiles/CustomerBillingService.ts';
import { dec, toDecimalString } from '../domain/shared/money.ts';
import { floorToSecond } from '../domain/shared/period.ts';
import { toApiInvoice } from '../surfaces/openmeter-v1/convert/invoices.ts';
import { AddonService } from '../domain/catalog/AddonService.ts';
import { FeatureService } from '../domain/catalog/FeatureService.ts';
import { PlanAddonService } from '../domain/catalog/PlanAddonService.ts';
import { PlanService } from '../domain/catalog/PlanService.ts';
import { FeatureCostService } from '../domain/cost/FeatureCostService.ts';
import { CustomerService } from '../domain/customers/CustomerService.ts';
import { EntitlementService } from '../domain/entitlements/EntitlementService.ts';
import { MeteringService } from '../domain/metering/MeteringService.ts';
import type { EventStoreProvider } from '../domain/metering/ports.ts';
import { NotificationService } from '../domain/notifications/NotificationService.ts';
import { SubscriptionService } from '../domain/subscriptions/SubscriptionService.ts';
import { generationHorizon, TargetLineGenerator } from '../domain/subscriptions/engine/targetState.ts';
import type { SubscriptionSpec, TargetLine } from '../domain/subscriptions/engine/types.ts';
import { MultiSubscriptionMode, type SubscriptionRecord } from '../domain/subscriptions/types.ts';
import type { UnitOfWork } from '../domain/shared/unitOfWork.ts';
import { MonetizationService } from '../domain/monetization/MonetizationService.ts';
import { PortalService } from '../domain/portal/PortalService.ts';
import type { SubscriptionBillableItem } from '../domain/billing/invoices/ports.ts';
import { AuditLogService } from '../domain/platform/AuditLogService.ts';
import { EdgeService } from '../domain/platform/EdgeService.ts';
import { PlatformService } from '../domain/platform/PlatformService.ts';
import { CurrencyService } from '../domain/reference/CurrencyService.ts';
import { InfoService } from '../domain/reference/InfoService.ts';
import { LlmCostService } from '../domain/reference/LlmCostService.ts';
import { TaxCodeService } from '../domain/reference/TaxCodeService.ts';
import type { Clock } from '../domain/shared/clock.ts';
import type { IdGenerator } from '../domain/shared/ids.ts';
import type { JobSource } from '../domain/shared/jobs.ts';
import type { NamespaceHook } from '../domain/shared/namespaces.ts';
import { isoText } from '../domain/shared/canonicalInstant.ts';
import type { DomainServices } from '../surfaces/http/emulatorPort.ts';

/** The services plus what the runtime drives on their behalf. */
export interface Services extends DomainServices {
  /** the time-driven work of every domain; `advance` drains their due jobs in time order */
  jobSources: JobSource[];
  /** what every namespace gets once, when it is first used (default sandbox app and profile) */
  namespaceHooks: NamespaceHook[];
}

export interface ServiceDeps {
  clock: Clock;
  ids: IdGenerator;
  events: EventStoreProvider;
  /** the Zuplo account this instance acts for when a request names none */
  zuploAccount: string;
  /**
   * namespaces where a customer may run several subscriptions (OpenMeter's
   * `productcatalog.subscription.multiSubscriptionNamespaces`; none by default, decision 0031)
   */
  multiSubscriptionNamespaces?: readonly string[];
}

/** Wires the domain services of one emulator instance; each domain reaches another through a port. */
export function createServices({ clock, ids, events, zuploAccount, multiSubscriptionNamespaces = [] }: ServiceDeps): Services {
  const deps = { clock, ids };
  const customers = new CustomerService(deps);
  const metering = new MeteringService({ ...deps, events, customers });
  const features = new FeatureService({ ...deps, meters: metering });
  const apps = new AppService({ ...deps, customers });
  const billingProfiles = new BillingProfileService({ ...deps, apps, customers });
  apps.onUninstall(billingProfiles.appUninstallGuard);
  const plans = new PlanService(deps);
  const addons = new AddonService(deps);
  const planAddons = new PlanAddonService(deps);
  const entitlements = new EntitlementService({ ...deps, metering, customers, features });
  const subscriptions = new SubscriptionService({ ...deps, customers, plans, planAddons, addons, features, entitlements });
  customers.onDelete(subscriptions.customerDeleteGuard);
  customers.usePlanKeyLookup(subscriptions.customersOnPlanKey);
  const taxCodes = new TaxCodeService(deps);
  const customerBilling = new CustomerBillingService({ profiles: billingProfiles, apps, customers });
  const credits = new CreditService({ ...deps, customers, taxCodes, invoicing: customerBilling });
  const charges = new ChargeService({ ...deps, customers, features, meters: metering, credits, taxCodes, profiles: billingProfiles });
  credits.onOutstanding(charges.outstandingSource);
  const notifications = new NotificationService({ ...deps, features });
  const invoices = new InvoiceService({
    ...deps,
    customers,
    features,
    apps,
    profiles: billingProfiles,
    credits,
    charges,
    usage: {
      // Q(a, b) of engine.md §1.10: the feature's meter over [from, to) for the customer, rows summed
      featureUsage: (tx, { feature, customerId, from, to, subscriptionId }) => {
        const r = metering.queryMeter(tx, feature.meterSlug!, {
          from,
          to,
          filterCustomerId: [customerId],
          ...(subscriptionId ? { filterSubscription: [subscriptionId] } : {}),
          ...(feature.advancedMeterGroupByFilters ? { advancedMeterGroupByFilters: feature.advancedMeterGroupByFilters } : {}),
        });
        return toDecimalString(r.data.reduce((a, row) => a.add(dec(row.value)), dec(0)));
      },
      featureUsageByCustomer: (tx, { feature, from, to }) => {
        const r = metering.queryMeter(tx, feature.meterSlug!, {
          from,
          to,
          groupBy: ['customer_id'],
          ...(feature.advancedMeterGroupByFilters ? { advancedMeterGroupByFilters: feature.advancedMeterGroupByFilters } : {}),
        });
        const out = new Map<string, ReturnType<typeof dec>>();
        for (const row of r.data) if (row.customerId) out.set(row.customerId, (out.get(row.customerId) ?? dec(0)).add(dec(row.value)));
        return new Map([...out].map(([k, v]) => [k, toDecimalString(v)]));
      },
      aggregationOf: (tx, feature) => (feature.meterSlug ? metering.findLiveMeter(tx, { key: feature.meterSlug })?.aggregation : undefined),
    },
    // the webhook payload of an invoice event is the invoice as v1 shows it, lines included
    events: {
      invoiceEvent: (tx, type, invoice) => void notifications.raiseEvent(tx, { type, data: () => toApiInvoice(invoice(), { lines: true }) as unknown as Record<string, unknown> }),
      listens: (tx, type) => notifications.listens(tx, type),
    },
  });
  // an invoice-funded grant's purchase is invoiced by billing (the credit-purchase charge's line)
  credits.onInvoiceFundedGrant((tx, grant) => invoices.createCreditPurchaseLine(tx, grant));
  // a manual credit_then_invoice charge bills what credit leaves through its gathering line
  charges.onInvoiceBackedCharge((tx, charge) => invoices.createChargeLine(tx, charge));
  // Billing asks for every subscription's billable items at each sync and at each look for due
  // work. Target lines depend only on the billing spec and the generation horizon: each spec's
  // lines are generated once and extended as the horizon moves on (not the whole history of a
  // years-old subscription at every ask), and each line's billable item is built once for as
  // long as the subscription's ids and settings stay as they are, so billing can recognise an
  // item it has already checked a line against by identity.
  type Rec = SubscriptionRecord;
  interface Kept {
    gen: TargetLineGenerator;
    spec: SubscriptionSpec;
    /** generation horizons by the instant asked at (the look for due work and the sync ask at different ones) */
    horizons: Map<number, Date>;
    /** by record key, per track, each line's billable item (null: none) at the line's position */
    items: Map<string, Array<Array<SubscriptionBillableItem | null>>>;
  }
  const generators = new Map<string, Kept>();
  const recKeys = new WeakMap<Rec, string>();
  const keptOf = (spec: SubscriptionSpec, specKey: string): Kept => {
    let kept = generators.get(specKey);
    if (!kept) {
      if (generators.size >= 20_000) generators.clear();
      kept = { gen: new TargetLineGenerator(spec), spec, horizons: new Map(), items: new Map() };
      generators.set(specKey, kept);
    }
    return kept;
  };
  const billableItem = (tx: UnitOfWork, rec: Rec, l: TargetLine): { item: SubscriptionBillableItem | null; cacheable: boolean } => {
    const phase = rec.phases.find((p) => p.key === l.phaseKey);
    const item = phase?.items.find((i) => i.key === l.itemKey && l.childUniqueReferenceId.includes(`/v[${i.version}]`)) ?? phase?.items.find((i) => i.key === l.itemKey);
    // a flat amount that prorates to 0 creates no line (engine.md §3.3)
    if (l.price.type === 'flat' && l.amount !== undefined && dec(l.amount).isZero()) return { item: null, cacheable: true };
    return {
      // an add-on's item id comes from the add-on records, not the subscription's: not kept
      cacheable: item !== undefined,
      item: {
        childUniqueReferenceId: l.childUniqueReferenceId,
        subscriptionId: rec.id,
        phaseId: phase?.id ?? l.phaseKey,
        itemId: item?.id ?? subscriptions.addonItemId(tx, rec, l.itemKey) ?? l.itemKey,
        name: l.name,
        currency: rec.currency,
        price: l.price.type === 'flat' && l.amount !== undefined ? { ...l.price, amount: l.amount, paymentTerm: l.paymentTerm } : l.price,
        ...(l.featureKey ? { featureKey: l.featureKey } : {}),
        ...(l.taxConfig ? { taxConfig: l.taxConfig } : {}),
        // the rate card's discounts travel with its lines (subscriptionsync targetstateitem.go RateCardDiscounts)
        ...(item?.rateCard.discounts ? { discounts: item.rateCard.discounts } : {}),
        servicePeriod: { from: isoText(l.servicePeriod.from), to: isoText(l.servicePeriod.to) },
        billingPeriod: { from: isoText(l.billingPeriod.from), to: isoText(l.billingPeriod.to) },
        invoiceAt: isoText(l.invoiceAt),
        settlementMode: rec.settlementMode,
        ...(rec.usageScope ? { usageBySubscription: true } : {}),
        // a chosen settlement mode settles the item through a charge, which keeps the proration inputs
        ...(rec.settledByCharges
          ? {
              settledByCharge: true,
              fullServicePeriod: { from: isoText(l.fullServicePeriod.from), to: isoText(l.fullServicePeriod.to) },
              ...(l.price.type === 'flat' ? { amountBeforeProration: l.price.amount, prorationMode: rec.proRatingConfig.enabled ? rec.proRatingConfig.mode : 'no_proration' } : {}),
            }
          : {}),
      },
    };
  };
  type Billed = { rec: Rec; spec: SubscriptionSpec; specKey: string };
  interface LookAnswer {
    asOf: number;
    after: number | undefined;
    billed: readonly Billed[];
    items: SubscriptionBillableItem[];
  }
  const lookMemo = new Map<string, Map<string, LookAnswer>>();
  const billableItemsOf = (tx: UnitOfWork, { rec, spec, specKey }: Billed, asOf: Date, after?: number): SubscriptionBillableItem[] => {
    const kept = keptOf(spec, specKey);
    let horizon = kept.horizons.get(asOf.getTime());
    if (!horizon) {
      if (kept.horizons.size >= 8) kept.horizons.clear();
      horizon = generationHorizon(spec, floorToSecond(asOf));
      kept.horizons.set(asOf.getTime(), horizon);
    }
    // what of the record a billable item carries besides its target line
    let recKey = recKeys.get(rec);
    if (recKey === undefined) {
      recKey = JSON.stringify([rec.id, rec.currency, rec.settlementMode, rec.settledByCharges, rec.phases.map((p) => [p.key, p.id, p.items.map((i) => [i.key, i.id, i.version, i.rateCard.discounts])])]);
      recKeys.set(rec, recKey);
    }
    // each line's item (null: none) beside the line, per record as it is (subscriptions to one
    // plan from one instant share a spec, and so its generator)
    let built = kept.items.get(recKey);
    if (!built) {
      if (kept.items.size >= 50_000) kept.items.clear();
      kept.items.set(recKey, (built = []));
    }
    const out: SubscriptionBillableItem[] = [];
    for (const { track, lines, start, end } of kept.gen.rangesUpTo(horizon, after)) {
      const beside = (built[track] ??= []);
      for (let i = start; i < end; i++) {
        let item = beside[i];
        if (item === undefined) {
          const made = billableItem(tx, rec, lines[i]!);
          item = made.item;
          if (made.cacheable) beside[i] = item;
        }
        if (item) out.push(item);
      }
    }
    return out;
  };
  // subscriptions feed billing through billing's port: every live subscription's target lines
  // (engine.md §3.3) as billable items, with the phase and item ids they belong to
  invoices.useSubscriptionSource({
    customersWithSubscriptions: (tx) => [...new Set(subscriptions.listSubscriptions(tx, { unpaged: true }).items.map((s) => s.customerId))],
    billableItems: (tx, { customerId, asOf }) => subscriptions.billedSubscriptions(tx, { customerId }).flatMap((b) => billableItemsOf(tx, b, new Date(asOf))),
    billableItemsByCustomer: (tx, { asOf, dueAfter }) => {
      const at = new Date(asOf);
      const byCustomer = new Map<string, Billed[]>();
      for (const b of subscriptions.billedSubscriptions(tx)) {
        const list = byCustomer.get(b.rec.customerId);
        if (list) list.push(b);
        else byCustomer.set(b.rec.customerId, [b]);
      }
      // a look for due work asks again after every job: a customer whose subscriptions (same
      // records, same specs) and last sync are as at the last look is answered as it was then
      const kept = dueAfter ? lookMemo.get(tx.namespace) : undefined;
      const memo = new Map<string, LookAnswer>();
      const out = new Map<string, SubscriptionBillableItem[]>();
      for (const [customerId, billed] of byCustomer) {
        const after = dueAfter?.(customerId);
        const prev = kept?.get(customerId);
        if (prev && prev.asOf === at.getTime() && prev.after === after && prev.billed.length === billed.length && prev.billed.every((b, i) => b.rec === billed[i]!.rec && b.spec === billed[i]!.spec)) {
          memo.set(customerId, prev);
          out.set(customerId, prev.items);
          continue;
        }
        const items = billed.flatMap((b) => billableItemsOf(tx, b, at, after));
        memo.set(customerId, { asOf: at.getTime(), after, billed, items });
        out.set(customerId, items);
      }
      if (dueAfter) lookMemo.set(tx.namespace, memo);
      return out;
    },
  });
  const stripeApps = new StripeAppService({ clock, apps, customers, paymentApps: billingProfiles.paymentApps });
  // Stripe's invoice events move billing's invoices (service/billing.go HandleInvoiceStateTransition)
  stripeApps.onInvoiceEvent((tx, { app, event, current }) => {
    invoices.applyStripeInvoiceEvent(tx, { appId: app.id, type: event.type, created: event.created, stripeInvoiceId: event.object.id as string, ...(current ? { current } : {}) });
    return { namespaceId: tx.namespace, appId: app.id };
  });

  const apiKeys = new ApiKeyService(deps);
  const monetization = new MonetizationService({
    ...deps,
    accountName: zuploAccount,
    customers,
    plans,
    subscriptions,
    entitlements,
    invoices,
    billing: { liveApps: (tx) => apps.liveApps(tx), listProfiles: (tx, input) => billingProfiles.listProfiles(tx, input), updateProfile: (tx, input) => billingProfiles.updateProfile(tx, input) },
    apiKeys: {
      listBuckets: (tx, tags) => apiKeys.listBuckets(tx, tags),
      createBucket: (tx, input) => apiKeys.createBucket(tx, input),
      createConsumer: (tx, bucket, input) => apiKeys.createConsumer(tx, bucket, input),
      getConsumer: (tx, bucket, name) => apiKeys.getConsumer(tx, bucket, name),
      updateConsumer: (tx, bucket, name, input) => apiKeys.updateConsumer(tx, bucket, name, input),
      findKey: (tx, key) => apiKeys.findKey(tx, key),
    },
  });
  // decision 0031: a Zuplo bucket follows its monetization configuration (each subscription counts
  // its own events); an OpenMeter namespace listed in the options gets OpenMeter's multi-subscription
  const multiNamespaces = new Set(multiSubscriptionNamespaces);
  subscriptions.useMultiSubscriptionMode((tx) =>
    monetization.getConfiguration(tx).multipleSubscriptionsEnabled
      ? MultiSubscriptionMode.bySubscription
      : multiNamespaces.has(tx.namespace)
        ? MultiSubscriptionMode.byFeature
        : MultiSubscriptionMode.single,
  );
  const portal = new PortalService({
    clock,
    monetization,
    customers,
    subscriptions,
    plans,
    apiKeys: {
      listConsumers: (tx, bucket, input) => apiKeys.listConsumers(tx, bucket, input),
      getConsumer: (tx, bucket, name) => apiKeys.getConsumer(tx, bucket, name),
      rollKey: (tx, bucket, name, expiresOn) => apiKeys.rollKey(tx, bucket, name, expiresOn),
      deleteKey: (tx, bucket, consumer, keyId) => apiKeys.deleteKey(tx, bucket, consumer, keyId),
    },
    stripe: stripeApps,
  });
  return {
    metering,
    features,
    plans,
    addons,
    planAddons,
    customers,
    featureCosts: new FeatureCostService({ features, usage: metering }),
    entitlements,
    apiKeys,
    monetization,
    platform: new PlatformService({ ...deps, defaultAccount: zuploAccount }),
    edge: new EdgeService(deps),
    auditLogs: new AuditLogService(deps),
    currencies: new CurrencyService(deps),
    taxCodes,
    llmCosts: new LlmCostService(deps),
    info: new InfoService({ ...deps, metering }),
    apps,
    stripeApps,
    portal,
    billingProfiles,
    credits,
    charges,
    customerBilling,
    notifications,
    invoices,
    subscriptions,
    jobSources: [subscriptions.jobSource(), charges.jobSource, invoices.subscriptionSyncJob, invoices.collectJob, invoices.advanceJob],
    namespaceHooks: [customers.namespaceHook, billingProfiles.namespaceHook],
  };
}
