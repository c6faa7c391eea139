import type { Clock } from '../shared/clock.ts';
import type { IdGenerator } from '../shared/ids.ts';
import { DomainError, ErrorKind, IssueCollector, conflict, notFound, validationError } from '../shared/errors.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { assertPageInput, paginate, type Page } from '../shared/paging.ts';
import { attributionIndex, customerByIdOrKey } from './customerLookup.ts';
import type { NamespaceHook } from '../shared/namespaces.ts';
import { CustomerErrorCode as E } from './errors.ts';
import {
  CustomerCollections as Col,
  CustomerOrderBy,
  type Customer,
  type CustomerInput,
  type CreateCustomerInput,
  type ListCustomersInput,
  type ReplaceCustomerInput,
} from './types.ts';


const containsCi = (value: string | undefined, needle: string | undefined): boolean =>
  needle === undefined || needle === '' || (value !== undefined && value.toLowerCase().includes(needle.toLowerCase()));

/** subject keys in first-seen order without repeats (a repeated key is the same attribution) */
/** one entry of the usage-key index: `key:<customer key>` or `subject:<subject key>` → the live customer */
interface UsageKeyEntry {
  id: string;
  customerId: string;
}
const INDEX_COMPLETE = '@complete';
const byKeyId = (k: string) => `key:${k}`;
const bySubjectId = (k: string) => `subject:${k}`;
const entryIds = (c: Customer): string[] => [...(c.key !== undefined ? [byKeyId(c.key)] : []), ...(c.usageAttribution?.subjectKeys ?? []).map(bySubjectId)];

const uniqueKeys = (keys: readonly string[] | undefined): string[] => [...new Set(keys ?? [])];

export class CustomerService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator }) {}

  private readonly deleteGuards: Array<(tx: UnitOfWork, customer: Customer) => void> = [];

  /** Another domain may veto deleting a customer (subscriptions: one is still active). */
  onDelete(guard: (tx: UnitOfWork, customer: Customer) => void): void {
    this.deleteGuards.push(guard);
  }

  private customersOnPlan: ((tx: UnitOfWork, planKey: string) => ReadonlySet<string>) | undefined;

  /** The `planKey` list filter asks subscriptions which customers run a plan of that key now. */
  usePlanKeyLookup(lookup: (tx: UnitOfWork, planKey: string) => ReadonlySet<string>): void {
    this.customersOnPlan = lookup;
  }

  createCustomer(tx: UnitOfWork, input: CreateCustomerInput): Customer {
    const subjectKeys = uniqueKeys(input.usageAttribution?.subjectKeys);
    this.validate(input, subjectKeys);
    this.assertUnique(tx, input.key, subjectKeys, undefined);
    const now = this.deps.clock.now().toISOString();
    const customer: Customer = {
      id: this.deps.ids.next(),
      ...this.fields(input, input.key, subjectKeys),
      createdAt: now,
      updatedAt: now,
    };
    tx.collection<Customer>(Col.customers).put(customer);
    this.reindex(tx, undefined, customer);
    return customer;
  }

  /**
   * By id (deleted customers included: the real service still answers them, with
   * `deletedAt`), else by key among the live customers.
   */
  getCustomer(tx: UnitOfWork, input: { idOrKey: string }): Customer {
    const c = this.findCustomer(tx, input.idOrKey);
    if (!c) throw notFound(E.notFound, `customer not found: ${input.idOrKey}`);
    return c;
  }

  /** `getCustomer` without the error, for callers with their own not-found answer. */
  findCustomer(tx: UnitOfWork, idOrKey: string): Customer | undefined {
    return customerByIdOrKey(tx.collection<Customer>(Col.customers), idOrKey);
  }

  /** every live customer, in creation order (for other domains' cross-customer views) */
  liveCustomers(tx: UnitOfWork): Customer[] {
    return tx.collection<Customer>(Col.customers).find((c) => !c.deletedAt);
  }

  /** The live customer a usage key (event subject, legacy subject route) is attributed to. */
  customerByUsageKey(tx: UnitOfWork, usageKey: string): Customer | undefined {
    return this.usageAttribution(tx)(usageKey);
  }

  /**
   * A resolver for usage keys (event subjects). Answered from the usage-key index, so attributing
   * one event costs the same at 20,000 customers as at none; a namespace whose index has not been
   * built yet (state from before the index, a memory unit of work in a unit test) falls back to
   * building a map of every live customer, once per resolver.
   */
  usageAttribution(tx: UnitOfWork): (usageKey: string) => Customer | undefined {
    const idx = tx.collection<UsageKeyEntry>(Col.usageKeys);
    const customers = tx.collection<Customer>(Col.customers);
    if (idx.get(INDEX_COMPLETE)) {
      return (k) => {
        const e = idx.get(byKeyId(k)) ?? idx.get(bySubjectId(k));
        return e ? customers.get(e.customerId) : undefined;
      };
    }
    let index: ((k: string) => Customer | undefined) | undefined;
    return (k) => (index ??= attributionIndex(customers.find((c) => !c.deletedAt)))(k);
  }

  /**
   * Builds or repairs the usage-key index of a namespace (run once per namespace and process, as a
   * namespace hook): writes only the entries that differ, so a consistent index costs one scan.
   */
  readonly namespaceHook: NamespaceHook = {
    name: 'customers.usage-key-index',
    onNamespaceCreated: (tx) => {
      const idx = tx.collection<UsageKeyEntry>(Col.usageKeys);
      const want = new Map<string, string>();
      for (const c of tx.collection<Customer>(Col.customers).find((x) => !x.deletedAt)) {
        for (const id of entryIds(c)) if (!want.has(id)) want.set(id, c.id);
      }
      for (const e of idx.list()) {
        if (e.id === INDEX_COMPLETE) continue;
        if (want.get(e.id) !== e.customerId) idx.delete(e.id);
      }
      for (const [id, customerId] of want) if (idx.get(id)?.customerId !== customerId) idx.put({ id, customerId });
      if (!idx.get(INDEX_COMPLETE)) idx.put({ id: INDEX_COMPLETE, customerId: '' });
    },
  };

  /** keeps the usage-key index in step with one customer write (before → after) */
  private reindex(tx: UnitOfWork, before: Customer | undefined, after: Customer): void {
    const idx = tx.collection<UsageKeyEntry>(Col.usageKeys);
    if (before && !before.deletedAt) for (const id of entryIds(before)) if (idx.get(id)?.customerId === before.id) idx.delete(id);
    if (!after.deletedAt) for (const id of entryIds(after)) if (!idx.get(id)) idx.put({ id, customerId: after.id });
  }

  listCustomers(tx: UnitOfWork, input: ListCustomersInput = {}): Page<Customer> {
    assertPageInput(input);
    const orderBy = input.orderBy ?? CustomerOrderBy.name;
    if (!Object.values(CustomerOrderBy).includes(orderBy)) throw validationError(E.invalidPagination, `invalid orderBy ${orderBy}`);
    const onPlan = input.planKey ? (this.customersOnPlan?.(tx, input.planKey) ?? new Set<string>()) : undefined;
    const matches = tx
      .collection<Customer>(Col.customers)
      .find(
        (c) =>
          (input.includeDeleted || !c.deletedAt) &&
          containsCi(c.key, input.key) &&
          containsCi(c.name, input.name) &&
          containsCi(c.primaryEmail, input.primaryEmail) &&
          (input.subject === undefined || input.subject === '' || (c.usageAttribution?.subjectKeys ?? []).some((k) => containsCi(k, input.subject))) &&
          // exact plan key of a subscription running now (customer/adapter/customer.go)
          (onPlan === undefined || onPlan.has(c.id)),
      );
    const dir = input.order === 'DESC' ? -1 : 1;
    const sorted = matches.sort((a, b) => {
      const fa = a[orderBy];
      const fb = b[orderBy];
      if (fa !== fb) return fa < fb ? -dir : dir;
      return a.id < b.id ? -dir : a.id > b.id ? dir : 0;
    });
    return paginate(sorted, input);
  }

  /** PUT semantics: every settable field is replaced (absent optional fields are cleared). */
  replaceCustomer(tx: UnitOfWork, input: ReplaceCustomerInput): Customer {
    const current = this.getLive(tx, input.idOrKey, 'update');
    const key = input.keepKey ? current.key : input.key;
    const subjectKeys = uniqueKeys(input.usageAttribution?.subjectKeys);
    this.validate({ ...input, key }, subjectKeys);
    this.assertUnique(tx, key, subjectKeys, current.id);
    const next: Customer = {
      id: current.id,
      ...this.fields(input, key, subjectKeys),
      ...(current.annotations ? { annotations: current.annotations } : {}),
      createdAt: current.createdAt,
      updatedAt: this.deps.clock.now().toISOString(),
    };
    tx.collection<Customer>(Col.customers).put(next);
    this.reindex(tx, current, next);
    return next;
  }

  /**
   * Adds one subject key to a live customer's usage attribution (idempotent). Zuplo
   * monetization calls it for a subscription's API-key consumer: the gateway's events name the
   * consumer as their subject, so its usage must land on the subscribing customer.
   */
  addSubjectKey(tx: UnitOfWork, input: { idOrKey: string; subjectKey: string }): Customer {
    const current = this.getLive(tx, input.idOrKey, 'update');
    const keys = current.usageAttribution?.subjectKeys ?? [];
    if (keys.includes(input.subjectKey)) return current;
    this.assertUnique(tx, undefined, [input.subjectKey], current.id);
    const next: Customer = { ...current, usageAttribution: { subjectKeys: [...keys, input.subjectKey] }, updatedAt: this.deps.clock.now().toISOString() };
    tx.collection<Customer>(Col.customers).put(next);
    this.reindex(tx, current, next);
    return next;
  }

  /**
   * Soft delete: the record stays (readable by id, listed with includeDeleted) but stops
   * attributing usage, and its key and subject keys become free for another customer.
   */
  deleteCustomer(tx: UnitOfWork, input: { idOrKey: string }): Customer {
    const current = this.getLive(tx, input.idOrKey, 'delete');
    for (const guard of this.deleteGuards) guard(tx, current);
    const now = this.deps.clock.now().toISOString();
    const next: Customer = { ...current, deletedAt: now, updatedAt: now };
    tx.collection<Customer>(Col.customers).put(next);
    this.reindex(tx, current, next);
    return next;
  }

  // -------------------------------------------------------------------------------------------

  private getLive(tx: UnitOfWork, idOrKey: string, verb: string): Customer {
    const c = this.getCustomer(tx, { idOrKey });
    if (c.deletedAt) {
      throw new DomainError(ErrorKind.preconditionFailed, E.deleted, `cannot ${verb} customer ${c.id}: customer is deleted`);
    }
    return c;
  }

  private fields(input: CustomerInput, key: string | undefined, subjectKeys: string[]): Omit<Customer, 'id' | 'createdAt' | 'updatedAt'> {
    return {
      ...(key !== undefined ? { key } : {}),
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      usageAttribution: { subjectKeys },
      ...(input.primaryEmail !== undefined ? { primaryEmail: input.primaryEmail } : {}),
      ...(input.currency !== undefined ? { currency: input.currency } : {}),
      ...(input.billingAddress !== undefined ? { billingAddress: { ...input.billingAddress } } : {}),
      ...(input.metadata ? { metadata: { ...input.metadata } } : {}),
    };
  }

  private validate(input: CustomerInput, subjectKeys: string[]): void {
    const ic = new IssueCollector();
    if (typeof input.name !== 'string' || input.name.length < 1 || input.name.length > 256) {
      ic.add(E.invalid, 'name must be between 1 and 256 characters', 'name');
    }
    if (input.key !== undefined && (typeof input.key !== 'string' || input.key.length < 1 || input.key.length > 256)) {
      ic.add(E.invalid, 'key must be between 1 and 256 characters', 'key');
    }
    if (input.description !== undefined && input.description.length > 1024) ic.add(E.invalid, 'description must be at most 1024 characters', 'description');
    subjectKeys.forEach((k, i) => {
      if (typeof k !== 'string' || k.length === 0) ic.add(E.invalid, 'subject keys must be non-empty strings', `usageAttribution.subjectKeys[${i}]`);
    });
    if (input.currency !== undefined && !/^[A-Z]{3}$/.test(input.currency)) ic.add(E.invalid, `invalid currency code: ${input.currency}`, 'currency');
    const country = input.billingAddress?.country;
    if (country !== undefined && !/^[A-Z]{2}$/.test(country)) ic.add(E.invalid, `invalid country code: ${country}`, 'billingAddress.country');
    for (const [k, v] of Object.entries(input.metadata ?? {})) {
      if (typeof v !== 'string') ic.add(E.invalid, `metadata.${k} must be a string`, `metadata.${k}`);
    }
    // vendor doc: "Either key or usageAttribution.subjectKeys must be provided."
    if (ic.empty && input.key === undefined && subjectKeys.length === 0) {
      ic.add(E.keyOrSubjectRequired, 'either key or usageAttribution.subjectKeys must be provided', 'key');
    }
    ic.throwIfAny(E.invalid);
  }

  /**
   * key unique among live customers; one subject key belongs to at most one live customer. The
   * conflicts carry OpenMeter's messages and nothing else (openmeter/customer/errors.go): the
   * subject-key one lists every key being added (all of them on create, the new ones on update).
   */
  private assertUnique(tx: UnitOfWork, key: string | undefined, subjectKeys: string[], selfId: string | undefined): void {
    const idx = tx.collection<UsageKeyEntry>(Col.usageKeys);
    if (idx.get(INDEX_COMPLETE)) {
      const owner = (id: string) => idx.get(id)?.customerId;
      if (key !== undefined && ![undefined, selfId].includes(owner(byKeyId(key)))) {
        throw conflict(E.keyConflict, `key "${key}" is already used by an another customer in the namespace ${tx.namespace}`);
      }
      const own = new Set(selfId === undefined ? [] : (tx.collection<Customer>(Col.customers).get(selfId)?.usageAttribution?.subjectKeys ?? []));
      const added = subjectKeys.filter((k) => !own.has(k));
      if (added.some((k) => ![undefined, selfId].includes(owner(bySubjectId(k))))) {
        throw conflict(E.subjectKeyConflict, `one or multiple subject keys of [${added.join(', ')}] are already associated with an different customer in the namespace ${tx.namespace}`);
      }
      return;
    }
    const others = tx.collection<Customer>(Col.customers).find((c) => !c.deletedAt && c.id !== selfId);
    if (key !== undefined && others.some((c) => c.key === key)) {
      throw conflict(E.keyConflict, `key "${key}" is already used by an another customer in the namespace ${tx.namespace}`);
    }
    const own = new Set(selfId === undefined ? [] : (tx.collection<Customer>(Col.customers).get(selfId)?.usageAttribution?.subjectKeys ?? []));
    const added = subjectKeys.filter((k) => !own.has(k));
    if (added.length === 0) return;
    const wanted = new Set(added);
    if (others.some((c) => (c.usageAttribution?.subjectKeys ?? []).some((k) => wanted.has(k)))) {
      throw conflict(E.subjectKeyConflict, `one or multiple subject keys of [${added.join(', ')}] are already associated with an different customer in the namespace ${tx.namespace}`);
    }
  }
}
