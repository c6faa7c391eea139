/**
 * Konnect v3 customers (`/openmeter/customers`). Entitlement access lives in
 * handlers/entitlements.ts; billing, charges and credits wait for the billing engine.
 */
import type { Customer } from '../../../domain/customers/types.ts';
import { CustomerErrorCode } from '../../../domain/customers/errors.ts';
import { DomainError, ErrorKind } from '../../../domain/shared/errors.ts';
import { noContent, ok, type Handler } from '../../http/types.ts';
import { FilterOp, applyFilters, matchCondition, pageOf, parseFilters, parsePage, parseSort, sortItems, type FilterCondition } from '../aip.ts';
import type { components } from '../api.gen.ts';
import { customerField, fromApiCustomerInput, toApiCustomer } from '../convert/customers.ts';
import { allItems } from './metering.ts';

type S = components['schemas'];

const SORT_FIELDS = ['id', 'key', 'name', 'primary_email', 'created_at', 'updated_at'] as const;
const DEFAULT_SORT = [{ field: 'created_at', desc: false }];
const SUBJECT = 'usage_attribution_subject_key';
const ULID_OPS = [FilterOp.eq, FilterOp.oeq, FilterOp.neq] as const;

/**
 * A customer has many subject keys: a positive condition matches when one of them matches,
 * `neq` / `nexists` when none of them is excluded.
 */
function matchSubjectKeys(keys: string[], c: FilterCondition): boolean {
  if (c.op === FilterOp.neq || c.op === FilterOp.nexists || (c.op === FilterOp.exists && c.value === false)) {
    return keys.length === 0 ? matchCondition(undefined, c) : keys.every((k) => matchCondition(k, c));
  }
  return keys.some((k) => matchCondition(k, c));
}

/** The real service answers 410 to an update and 404 to a delete of a deleted customer. */
function deletedAs(kind: ErrorKind, e: unknown): never {
  if (e instanceof DomainError && e.code === CustomerErrorCode.deleted) throw new DomainError(kind, e.code, e.message);
  throw e;
}

export const listCustomers: Handler = (c) => {
  const filters = parseFilters(c.query.filter, {
    key: { kind: 'string' },
    name: { kind: 'string' },
    primary_email: { kind: 'string' },
    [SUBJECT]: { kind: 'string' },
    // no customer has a subscription or a pinned billing profile here: only negative conditions match
    plan_key: { kind: 'string' },
    billing_profile_id: { kind: 'string', ops: ULID_OPS },
  });
  const sort = parseSort(c.query.sort, SORT_FIELDS, DEFAULT_SORT);
  const page = parsePage(c.query.page);
  const all = c.read((tx) => allItems((n) => c.services.customers.listCustomers(tx, { page: n, pageSize: 1000 })));
  const subjectFilters = filters.filter((f) => f.field === SUBJECT);
  const rows = applyFilters(
    all.filter((x) => subjectFilters.every((f) => matchSubjectKeys(x.usageAttribution?.subjectKeys ?? [], f))),
    filters.filter((f) => f.field !== SUBJECT),
    customerField,
  );
  return ok(pageOf(sortItems(rows, sort, customerField, (x: Customer) => x.id), page, toApiCustomer));
};

export const createCustomer: Handler = async (c) =>
  ok(toApiCustomer(await c.run((tx) => c.services.customers.createCustomer(tx, fromApiCustomerInput(c.body as S['CreateCustomerRequest'])))), 201);

export const getCustomer: Handler = (c) => ok(toApiCustomer(c.read((tx) => c.services.customers.getCustomer(tx, { idOrKey: c.params.customerId! }))));

/** The path names an existing customer; the key is immutable on v3 (the body has none). */
export const upsertCustomer: Handler = async (c) => {
  const input = { ...fromApiCustomerInput(c.body as S['UpsertCustomerRequest']), idOrKey: c.params.customerId!, keepKey: true };
  const updated = await c.run((tx) => c.services.customers.replaceCustomer(tx, input)).catch((e: unknown) => deletedAs(ErrorKind.gone, e));
  return ok(toApiCustomer(updated));
};

export const deleteCustomer: Handler = async (c) => {
  await c.run((tx) => c.services.customers.deleteCustomer(tx, { idOrKey: c.params.customerId! })).catch((e: unknown) => deletedAs(ErrorKind.notFound, e));
  return noContent();
};
