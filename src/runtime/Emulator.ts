import { DomainError, ErrorKind } from '../domain/shared/errors.ts';
import type { IdGenerator } from '../domain/shared/ids.ts';
import type { DueJob, JobRecord } from '../domain/shared/jobs.ts';
import type { UnitOfWork } from '../domain/shared/unitOfWork.ts';
import { EventStores } from '../store/eventStores.ts';
import { Store, type Work } from '../store/Store.ts';
import type { Command, ControlPort, EmulatorPort } from '../surfaces/http/emulatorPort.ts';
import { DEFAULT_NAMESPACE } from '../surfaces/http/namespaces.ts';
import { persistClock, readClockState } from './clockFile.ts';
import { assertClockInstant, ControllableClock } from './ControllableClock.ts';
import { EffectDispatcher } from './effects.ts';
import { RequestJournal } from './RequestJournal.ts';
import { createIdGenerator } from './seededIds.ts';
import { createServices, type Services } from './services.ts';
import { parseSnapshotDocument } from './snapshotDocument.ts';
import { createStripeApp } from './stripeApp.ts';
import { StripeGateway } from './stripeGateway.ts';
import { DEFAULT_STRIPE_PORT, StripeEmulator, StripeError, type StripeState, type WebhookPost } from '../stripe/StripeEmulator.ts';
import { StripeStateFile } from '../store/stripeStateFile.ts';
import { inProcessStripeFetch } from '../stripe/server.ts';
import type { StripeAppPort } from '../surfaces/http/emulatorPort.ts';

export interface EmulatorOptions {
  /** directory for the JSON files; null = memory only (tests) */
  dataDir: string | null;
  /** seed for reproducible ULIDs */
  seed?: number;
  /** initial instant of the clock (default: the instant kept in the data dir, else wall time) */
  start?: Date;
  /** freeze the clock at start (a clock kept frozen in the data dir stays frozen regardless) */
  frozen?: boolean;
  /** validate every response against the spec (on in development and tests) */
  validateResponses?: boolean;
  /** quiet = no request/500 logging to stderr */
  quiet?: boolean;
  /**
   * `buffered` (default): a write is acknowledged once the OS has it (survives a crash of the
   * process, not of the machine). `fsync`: once the disk has it (survives power loss; slower).
   */
  durability?: 'buffered' | 'fsync';
  /** `open` (default): any token or none is accepted. `strict`: every vendor request needs one of `apiKeys`. */
  auth?: 'open' | 'strict';
  /** the keys accepted in strict mode (bearer tokens, Zuplo API keys) */
  apiKeys?: readonly string[];
  /** the emulated Stripe's port (shown by health; `startEmulator` listens on it) */
  stripePort?: number;
  /** `--stripe-api-base`: the Stripe app calls this (a real stripe-mock, Stripe test mode) instead of the emulated Stripe */
  stripeApiBase?: string;
  /**
   * namespaces where a customer may run several subscriptions at once, as OpenMeter's
   * `multiSubscriptionNamespaces` (default: `LOCALMETER_MULTI_SUBSCRIPTION_NAMESPACES`, comma
   * separated, else none). A Zuplo bucket follows its `multipleSubscriptionsEnabled` instead.
   */
  multiSubscriptionNamespaces?: readonly string[];
}

/** Where an emulator that is not listening says it is (webhooks to it are delivered in process). */
const IN_PROCESS_BASE = 'http://localmeter.internal';
const STRIPE_WEBHOOK_TIMEOUT_MS = 10_000;

export interface Logger {
  info(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/**
 * The composition root: one clock, one id generator, one store and the domain services over
 * them. Everything a surface does goes through `run` / `read`; effects queued by a command are
 * performed after it commits; `advanceTo` drains due jobs in time order.
 */
export class Emulator implements EmulatorPort {
  readonly clock: ControllableClock;
  readonly ids: IdGenerator;
  readonly store: Store;
  readonly events: EventStores;
  readonly services: Services;
  readonly journal = new RequestJournal(1000);
  /** job sources added from outside the domain (tests); the services register their own */
  readonly jobSources: Services['jobSources'] = [];
  readonly log: Logger;
  readonly control: ControlPort;
  /** the emulated Stripe (state in memory; served on its own port by `startEmulator`) */
  readonly stripe: StripeEmulator;
  readonly stripeApp: StripeAppPort;
  /** set once listening: the base URL Stripe webhooks are registered with */
  publicUrl: string | undefined;
  /** set once the emulated Stripe listens */
  stripeUrl: string | undefined;
  private readonly stripeFile: StripeStateFile;
  private readonly startedAtHr = process.hrtime.bigint();
  private readonly effects: EffectDispatcher;
  private readonly clockFile: { flush(): void } | undefined;
  /** namespaces whose creation hooks ran in this process */
  private readonly provisioned = new Set<string>();

  constructor(readonly options: EmulatorOptions) {
    // With a data dir the clock is kept across restarts, like the records it dates.
    const restore = options.dataDir ? readClockState(options.dataDir) : undefined;
    this.clock = new ControllableClock({ start: options.start, frozen: options.frozen, restore });
    this.ids = createIdGenerator(this.clock, options.seed);
    const quiet = options.quiet ?? false;
    this.log = {
      info: (...a) => (quiet ? undefined : console.log(...a)),
      error: (...a) => (quiet ? undefined : console.error(...a)),
    };
    this.store = new Store({ dataDir: options.dataDir, durability: options.durability, onError: (m, e) => {
        this.log.error(m, e);
        // a namespace reloaded after a failed write holds other records than the sources' indexes saw
        for (const src of [...this.services.jobSources, ...this.jobSources]) src.forget?.();
      },
    });
    this.clockFile = options.dataDir ? persistClock(this.clock, options.dataDir) : undefined;
    this.events = new EventStores(this.store, { durability: options.durability });
    this.services = createServices({
      clock: this.clock,
      ids: this.ids,
      events: this.events.of,
      zuploAccount: process.env.LOCALMETER_ZUPLO_ACCOUNT || 'localmeter',
      multiSubscriptionNamespaces:
        options.multiSubscriptionNamespaces ??
        (process.env.LOCALMETER_MULTI_SUBSCRIPTION_NAMESPACES ?? '')
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean),
    });
    this.stripe = new StripeEmulator({
      now: () => this.clock.now(),
      publicUrl: () => this.stripeUrl ?? `http://127.0.0.1:${options.stripePort ?? DEFAULT_STRIPE_PORT}`,
      deliver: (post) => this.deliverStripeWebhook(post),
      onChange: () => this.stripeFile?.changed(),
    });
    this.stripeFile = new StripeStateFile(options.dataDir, () => this.stripe.exportState());
    const saved = this.stripeFile.load();
    if (saved) this.stripe.importState(saved as StripeState);
    const gateway = new StripeGateway(options.stripeApiBase ? { apiBase: options.stripeApiBase } : { fetchImpl: inProcessStripeFetch(this.stripe, { collectAfterFinalize: false }) });
    this.stripeApp = createStripeApp({
      services: this.services,
      clock: this.clock,
      ids: this.ids,
      gateway,
      run: (ns, fn) => this.run(ns, fn as Command<ReturnType<typeof fn>>),
      read: (ns, fn) => this.read(ns, fn),
      namespaces: () => this.store.namespaceNames(),
      baseUrl: () => this.publicUrl ?? IN_PROCESS_BASE,
    });
    this.effects = new EffectDispatcher({
      services: this.services,
      clock: this.clock,
      stripe: gateway,
      ...(options.stripeApiBase ? {} : { collectStripe: (ids: readonly string[]) => this.stripe.collectDue(ids) }),
      run: (ns, fn) => this.run(ns, fn as Command<ReturnType<typeof fn>>),
      read: (ns, fn) => this.read(ns, fn),
    });
    this.control = this.controlPort();
    // the OpenMeter organisation exists from the start, as a hosted one does
    this.provision(DEFAULT_NAMESPACE);
  }

  /**
   * Runs one command: commits once if `fn` returns, discards the draft if it throws, then
   * performs the effects the command queued. `fn` must be synchronous: a promise would commit
   * before its first `await` and lose whatever it wrote afterwards.
   */
  async run<T>(ns: string, fn: Command<T>): Promise<T> {
    this.provision(ns);
    const work = this.store.begin(ns);
    const result = fn(work) as T;
    if (isThenable(result)) throw new TypeError('a command must be synchronous: it returned a promise, which would commit before its writes');
    await this.commit(ns, work);
    return result;
  }

  /**
   * The emulated Stripe's outgoing webhooks. An emulator that is not listening (tests over
   * supertest) receives its own in process, through the same handling as the HTTP route.
   */
  private async deliverStripeWebhook(post: WebhookPost): Promise<number> {
    const own = /\/api\/v1\/apps\/([^/]+)\/stripe\/webhook$/.exec(post.url);
    if (this.publicUrl === undefined && post.url.startsWith(IN_PROCESS_BASE) && own) {
      try {
        await this.stripeApp.handleWebhook({ appId: own[1]!, payload: post.body, signature: post.headers['stripe-signature'] });
        return 201;
      } catch (e) {
        const kind = (e as { kind?: string }).kind;
        return kind === 'notFound' ? 404 : kind === 'preconditionFailed' ? 412 : kind === 'validation' ? 400 : 500;
      }
    }
    try {
      const res = await fetch(post.url, { method: 'POST', headers: post.headers, body: post.body, redirect: 'manual', signal: AbortSignal.timeout(STRIPE_WEBHOOK_TIMEOUT_MS) });
      await res.arrayBuffer().catch(() => undefined);
      return res.status;
    } catch {
      return 0;
    }
  }

  /** A read never creates a namespace: one nobody has written to reads as empty. */
  read<T>(ns: string, fn: (tx: UnitOfWork) => T): T {
    if (!this.store.has(ns)) return fn(this.store.beginDetached(ns));
    this.provision(ns);
    return fn(this.store.begin(ns));
  }

  private async commit(ns: string, work: Work): Promise<void> {
    const effects = work.takeEffects();
    await Promise.all([work.commit(), this.events.flush(ns)]);
    if (effects.length > 0) await this.effects.dispatch(ns, effects);
  }

  /**
   * A namespace's creation hooks run in its first unit of work (once per process; they are
   * idempotent over stored state, so a restart finds everything in place and writes nothing).
   */
  private provision(ns: string): void {
    if (this.provisioned.has(ns)) return;
    const work = this.store.begin(ns);
    this.provisioned.add(ns);
    for (const hook of this.services.namespaceHooks) hook.onNamespaceCreated(work);
    // in memory at once; durable with the next flush, like any commit
    void work.commit().catch((err: unknown) => {
      // rolled back with the failed write: the hooks run again on the next use
      this.provisioned.delete(ns);
      this.log.error(`[localmeter] provisioning ${ns} was not written:`, err);
    });
  }

  /** Moves the clock to `target`, running every job that falls due on the way, in time order. */
  async advanceTo(target: Date): Promise<JobRecord[]> {
    assertClockInstant(target, 'the target instant');
    const ran: JobRecord[] = [];
    if (target.getTime() < this.clock.now().getTime()) {
      this.clock.set(target);
      return ran;
    }
    for (let guard = 0; guard < 1_000_000; guard++) {
      const next = this.nextDueJob(target);
      if (!next) break;
      if (next.dueAt.getTime() > this.clock.now().getTime()) this.clock.set(next.dueAt);
      await this.run(next.namespace, (tx) => next.run(tx));
      ran.push({ name: next.name, namespace: next.namespace, dueAt: next.dueAt.toISOString(), ranAt: this.clock.now().toISOString() });
    }
    this.clock.set(target);
    return ran;
  }

  /** the earliest due job of every source (sources with many jobs answer it from an index) */
  private nextDueJob(until: Date): DueJob | undefined {
    let best: DueJob | undefined;
    const sources = [...this.services.jobSources, ...this.jobSources];
    for (const ns of this.store.namespaceNames()) {
      const tx = this.store.begin(ns);
      for (const src of sources) {
        const jobs = src.nextDueJob ? [src.nextDueJob(tx, until)] : src.dueJobs(tx, until);
        for (const j of jobs) if (j && (!best || j.dueAt.getTime() < best.dueAt.getTime())) best = j;
      }
    }
    return best;
  }

  pendingJobs(until: Date): DueJob[] {
    const all: DueJob[] = [];
    const sources = [...this.services.jobSources, ...this.jobSources];
    for (const ns of this.store.namespaceNames()) {
      const tx = this.store.begin(ns);
      for (const src of sources) all.push(...src.dueJobs(tx, until));
    }
    return all.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  }

  /** Everything, as one JSON document: records of every namespace, events, and the clock. */
  exportSnapshot(): Record<string, unknown> {
    return {
      format: 'localmeter-snapshot@1',
      clock: { now: this.clock.now().toISOString(), frozen: this.clock.frozen },
      namespaces: this.store.exportAll(),
      events: this.events.exportAll(),
      stripe: this.stripe.exportState(),
    };
  }

  /**
   * Replaces everything with a snapshot. The whole document is checked first: a bad one answers
   * 400 and leaves the current state as it was.
   */
  async importSnapshot(snap: Record<string, unknown>): Promise<void> {
    const doc = parseSnapshotDocument(snap);
    await this.flush();
    this.events.reset();
    this.provisioned.clear();
    for (const src of [...this.services.jobSources, ...this.jobSources]) src.forget?.();
    // with a data dir, records and event logs are written whole beside the current ones and
    // swapped in at once: a crash mid-import leaves the old state or the new one, never a mix
    const swapped = await this.store.importAll(doc.namespaces, { files: EventStores.importFiles(doc.events), namespaces: Object.keys(doc.events) });
    if (swapped) this.events.reopen();
    else await this.events.importAll(doc.events);
    // snapshots written before the emulated Stripe existed leave it empty
    if (doc.stripe) this.stripe.importState(doc.stripe);
    else this.stripe.reset();
    this.provision(DEFAULT_NAMESPACE);
    if (doc.clock?.now) this.clock.set(doc.clock.now);
    if (doc.clock?.frozen === true) this.clock.freeze();
    if (doc.clock?.frozen === false) this.clock.unfreeze();
  }

  async reset(ns?: string): Promise<void> {
    await this.flush();
    this.events.reset(ns);
    this.store.reset(ns);
    for (const src of [...this.services.jobSources, ...this.jobSources]) src.forget?.(ns);
    // Stripe's state is not namespaced: a full reset clears it too
    if (!ns) this.stripe.reset();
    if (ns) this.provisioned.delete(ns);
    else this.provisioned.clear();
    this.provision(DEFAULT_NAMESPACE);
  }

  async flush(): Promise<void> {
    await Promise.all([this.store.flush(), this.events.flushAll(), this.stripeFile.flush()]);
  }

  async close(): Promise<void> {
    this.clockFile?.flush();
    this.clock.onChange = null;
    await this.events.flushAll();
    await this.stripeFile.flush();
    await this.store.close();
  }

  private controlPort(): ControlPort {
    return {
      clock: () => ({ now: this.clock.now(), frozen: this.clock.frozen }),
      setClock: (now) => this.clock.set(now),
      freezeClock: () => this.clock.freeze(),
      unfreezeClock: () => this.clock.unfreeze(),
      advanceTo: (target) => this.advanceTo(target),
      pendingJobs: (until) => this.pendingJobs(until),
      reset: (ns) => this.reset(ns),
      exportSnapshot: async () => {
        await this.flush();
        return this.exportSnapshot();
      },
      importSnapshot: (snap) => this.importSnapshot(snap),
      requests: (filter) => this.journal.list(filter),
      clearRequests: () => this.journal.clear(),
      uptimeSeconds: () => Number(process.hrtime.bigint() - this.startedAtHr) / 1e9,
      stripeInfo: () => ({
        port: this.stripeUrl ? Number(new URL(this.stripeUrl).port) : (this.options.stripePort ?? DEFAULT_STRIPE_PORT),
        ...(this.stripeUrl ? { url: this.stripeUrl } : {}),
        appApiBase: this.options.stripeApiBase ?? 'in-process',
      }),
      completeStripeCheckout: (sessionId, card, challenge) => stripeControl(() => this.stripe.completeCheckoutSession(sessionId, card, challenge)),
      updateStripePortalPaymentMethod: (sessionId, card, challenge) => stripeControl(() => this.stripe.updatePortalPaymentMethod(sessionId, card, challenge)),
      revokeStripeKey: (key) => this.stripe.revokeKey(key),
    };
  }
}

/** An emulated Stripe page action: Stripe's errors become the control surface's problems. */
async function stripeControl<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (e) {
    if (e instanceof StripeError) throw new DomainError(e.status === 404 ? ErrorKind.notFound : ErrorKind.validation, e.extra.code ?? 'stripe_error', e.message);
    throw e;
  }
}

const isThenable = (v: unknown): boolean => typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
