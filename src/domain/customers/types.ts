/** Postal address, camelCase (v1 `Address`; v3 spells the same fields in snake_case). */
export interface Address {
  country?: string;
  postalCode?: string;
  state?: string;
  city?: string;
  line1?: string;
  line2?: string;
  phoneNumber?: string;
}

/** A customer as stored in the `customers` collection (owned by this domain alone). */
export interface Customer {
  id: string;
  key?: string;
  name: string;
  description?: string;
  usageAttribution: { subjectKeys: string[] };
  primaryEmail?: string;
  /** ISO 4217, upper case */
  currency?: string;
  billingAddress?: Address;
  /** v1 `metadata`, v3 `labels` */
  metadata?: Record<string, string>;
  /** system-managed key/values (v1 `annotations`, read-only) */
  annotations?: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

/** The user-settable fields, shared by create and replace. */
export interface CustomerInput {
  name: string;
  key?: string;
  description?: string;
  usageAttribution?: { subjectKeys: string[] };
  primaryEmail?: string;
  currency?: string;
  billingAddress?: Address;
  metadata?: Record<string, string> | null;
}

export type CreateCustomerInput = CustomerInput;

export interface ReplaceCustomerInput extends CustomerInput {
  idOrKey: string;
  /**
   * v3 PUT has no `key` member: the key is immutable there, so the stored key is kept. v1 PUT
   * replaces everything, the key included.
   */
  keepKey?: boolean;
}

export const CustomerOrderBy = { id: 'id', name: 'name', createdAt: 'createdAt' } as const;
export type CustomerOrderBy = (typeof CustomerOrderBy)[keyof typeof CustomerOrderBy];

export interface ListCustomersInput {
  page?: number;
  pageSize?: number;
  order?: 'ASC' | 'DESC';
  orderBy?: CustomerOrderBy;
  includeDeleted?: boolean;
  /** case-insensitive partial matches (v1 list filters) */
  key?: string;
  name?: string;
  primaryEmail?: string;
  /** matches any of the customer's subject keys, case-insensitive partial */
  subject?: string;
  /** exact plan key of the customer's subscription running now */
  planKey?: string;
}

/** `usageKeys` indexes live customers by key and by subject key (see CustomerService.usageAttribution) */
export const CustomerCollections = { customers: 'customers', usageKeys: 'customer_usage_keys' } as const;
