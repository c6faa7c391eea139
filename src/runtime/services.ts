import { ApiKeyService } from '../domain/apikeys/ApiKeyService.ts';
import { AppService } from '../domain/apps/AppService.ts';
import { BillingProfileService } from '../domain/billing/profiles/BillingProfileService.ts';
import { AddonService } from '../domain/catalog/AddonService.ts';
import { FeatureService } from '../domain/catalog/FeatureService.ts';
import { PlanAddonService } from '../domain/catalog/PlanAddonService.ts';
import { PlanService } from '../domain/catalog/PlanService.ts';
import { CustomerService } from '../domain/customers/CustomerService.ts';
import { EntitlementService } from '../domain/entitlements/EntitlementService.ts';
import { MeteringService } from '../domain/metering/MeteringService.ts';
import { NotificationService } from '../domain/notifications/NotificationService.ts';
import type { StoredEvent } from '../domain/metering/types.ts';
import { AuditLogService } from '../domain/platform/AuditLogService.ts';
import { EdgeService } from '../domain/platform/EdgeService.ts';
import { PlatformService } from '../domain/platform/PlatformService.ts';
import { CurrencyService } from '../domain/reference/CurrencyService.ts';
import { InfoService } from '../domain/reference/InfoService.ts';
import { LlmCostService } from '../domain/reference/LlmCostService.ts';
import { TaxCodeService } from '../domain/reference/TaxCodeService.ts';
import { createEventStore, type DurableEventStore } from '../store/eventLog.ts';
import type { JobSource } from '../domain/shared/jobs.ts';
import type { Emulator } from './Emulator.ts';

/** The domain services of one emulator instance, wired to its clock, ids and store. */
export interface Services {
  metering: MeteringService;
  features: FeatureService;
  plans: PlanService;
  addons: AddonService;
  planAddons: PlanAddonService;
  /** customers; metering reads their usage attribution */
  customers: CustomerService;
  /** entitlements of customers and their grants (balances replayed from the meter on read) */
  entitlements: EntitlementService;
  /** Zuplo API-key buckets, consumers, keys, managers */
  apiKeys: ApiKeyService;
  /** Zuplo control plane: accounts, projects, environments, deploys, variables */
  platform: PlatformService;
  /** Zuplo tunnels, custom domains, certificates, fleets */
  edge: EdgeService;
  auditLogs: AuditLogService;
  /** reference data: ISO + custom currencies and cost bases, tax codes, LLM prices, v1 info/debug */
  currencies: CurrencyService;
  taxCodes: TaxCodeService;
  llmCosts: LlmCostService;
  info: InfoService;
  /** installed billing apps, marketplace listings, customer app data */
  apps: AppService;
  /** billing profiles, the default profile and customer overrides */
  billingProfiles: BillingProfileService;
  /** v1 notification channels, rules and events (webhook POSTs happen in runtime/webhookDelivery.ts) */
  notifications: NotificationService;
  /** the time-driven work of every domain; `advance` drains their due jobs in time order */
  jobSources: JobSource[];
  /** resolves when everything a command in `ns` appended outside the record store is durable */
  flush(ns: string): Promise<void>;
  flushAll(): Promise<void>;
  reset(ns?: string): void;
  exportEvents(): Record<string, unknown[]>;
  importEvents(events: Record<string, unknown[]>): Promise<void>;
}

export function createServices(emulator: Emulator): Services {
  const eventStores = new Map<string, DurableEventStore>();
  const eventsOf = (ns: string): DurableEventStore => {
    let s = eventStores.get(ns);
    if (!s) eventStores.set(ns, (s = createEventStore(emulator.namespaceFile(ns, 'events.jsonl'))));
    return s;
  };
  // Namespaces with events on disk must be known before the first query after a restart.
  for (const ns of emulator.store.namespaceNames()) eventsOf(ns);

  const deps = { clock: emulator.clock, ids: emulator.ids };
  const customers = new CustomerService(deps);
  const metering = new MeteringService({ ...deps, events: eventsOf, customers });
  const features = new FeatureService({ ...deps, meters: metering });
  const apps = new AppService({ ...deps, customers });
  return {
    metering,
    features,
    plans: new PlanService(deps),
    addons: new AddonService(deps),
    planAddons: new PlanAddonService(deps),
    customers,
    entitlements: new EntitlementService({ ...deps, metering, customers, features }),
    apiKeys: new ApiKeyService(deps),
    platform: new PlatformService({ ...deps, defaultAccount: process.env.LOCALMETER_ZUPLO_ACCOUNT || 'localmeter' }),
    edge: new EdgeService(deps),
    auditLogs: new AuditLogService(deps),
    currencies: new CurrencyService(deps),
    taxCodes: new TaxCodeService(deps),
    llmCosts: new LlmCostService(deps),
    info: new InfoService({ ...deps, metering }),
    apps,
    billingProfiles: new BillingProfileService({ ...deps, apps, customers }),
    notifications: new NotificationService({ ...deps, features }),
    jobSources: [],
    flush: async (ns) => {
      const s = eventStores.get(ns);
      if (s) await s.flush();
    },
    flushAll: async () => {
      await Promise.all([...eventStores.values()].map((s) => s.flush()));
    },
    reset: (ns) => {
      // The record store removes the namespace directory (and with it events.jsonl).
      if (ns) eventStores.delete(ns);
      else eventStores.clear();
    },
    exportEvents: () => {
      const out: Record<string, unknown[]> = {};
      for (const [ns, s] of eventStores) out[ns] = [...s.index.events()];
      return out;
    },
    importEvents: async (events) => {
      for (const [ns, list] of Object.entries(events)) eventsOf(ns).append(list as StoredEvent[]);
      await Promise.all([...eventStores.values()].map((s) => s.flush()));
    },
  };
}
