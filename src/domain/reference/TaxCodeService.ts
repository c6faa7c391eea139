import type { Clock } from '../shared/clock.ts';
import { conflict, DomainError, ErrorKind, IssueCollector, notFound, validationError } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { ReferenceErrorCode as C } from './errors.ts';
import {
  TaxAppType,
  type OrganizationDefaultTaxCodes,
  type OrganizationDefaultTaxCodesUpdate,
  type TaxCode,
  type TaxCodeAppMapping,
  type TaxCodeCreateInput,
  type TaxCodeUpsertInput,
} from './types.ts';

const TAX_CODES = 'taxCodes';
const DEFAULTS = 'organizationDefaultTaxCodes';
const DEFAULTS_ID = 'organization';
const KEY_RE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;
const APP_TYPES = new Set<string>(Object.values(TaxAppType));

/**
 * Tax codes (a key plus the code each invoicing app uses for it) and the organisation's default
 * tax codes. Deletion is soft: deleted codes stay listable with `includeDeleted`, are 404 to
 * get/delete and 410 to upsert, and free their key.
 */
export class TaxCodeService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator }) {}

  /** in creation order */
  listTaxCodes(tx: UnitOfWork, input: { includeDeleted?: boolean } = {}): TaxCode[] {
    return tx.collection<TaxCode>(TAX_CODES).find((t) => input.includeDeleted === true || t.deletedAt === undefined);
  }

  createTaxCode(tx: UnitOfWork, input: TaxCodeCreateInput): TaxCode {
    const issues = new IssueCollector();
    if (!KEY_RE.test(input.key ?? '') || input.key.length > 64) issues.add(C.taxCodeKeyInvalid, 'key must match ^[a-z0-9]+(?:_[a-z0-9]+)*$ (at most 64 characters)', 'key');
    checkBody(input, issues);
    issues.throwIfAny();
    const col = tx.collection<TaxCode>(TAX_CODES);
    const clash = col.findOne((t) => t.key === input.key && t.deletedAt === undefined);
    if (clash) throw conflict(C.taxCodeKeyConflict, `tax code with key ${input.key} already exists`, { conflictingEntityId: clash.id });
    const now = this.deps.clock.now().toISOString();
    const record: TaxCode = { id: this.deps.ids.next(), key: input.key, ...body(input), createdAt: now, updatedAt: now };
    col.put(record);
    return record;
  }

  getTaxCode(tx: UnitOfWork, id: string): TaxCode {
    const t = tx.collection<TaxCode>(TAX_CODES).get(id);
    if (!t || t.deletedAt !== undefined) throw notFound(C.taxCodeNotFound, `tax code ${id} not found`);
    return t;
  }

  /** replaces name, description, labels and app mappings; the key never changes */
  upsertTaxCode(tx: UnitOfWork, id: string, input: TaxCodeUpsertInput): TaxCode {
    const col = tx.collection<TaxCode>(TAX_CODES);
    const current = col.get(id);
    if (!current) throw notFound(C.taxCodeNotFound, `tax code ${id} not found`);
    if (current.deletedAt !== undefined) throw new DomainError(ErrorKind.gone, C.taxCodeDeleted, `tax code ${id} has been deleted`);
    const issues = new IssueCollector();
    checkBody(input, issues);
    issues.throwIfAny();
    const next: TaxCode = { id, key: current.key, ...body(input), createdAt: current.createdAt, updatedAt: this.deps.clock.now().toISOString() };
    col.put(next);
    return next;
  }

  deleteTaxCode(tx: UnitOfWork, id: string): void {
    const current = this.getTaxCode(tx, id);
    const defaults = tx.collection<OrganizationDefaultTaxCodes>(DEFAULTS).get(DEFAULTS_ID);
    if (defaults && (defaults.invoicingTaxCodeId === id || defaults.creditGrantTaxCodeId === id)) {
      const message = `tax code ${id} is an organization default tax code; change the defaults first`;
      throw validationError(C.taxCodeInUseAsDefault, message, [{ code: C.taxCodeInUseAsDefault, message, field: 'taxCodeId', severity: 'critical' }]);
    }
    const now = this.deps.clock.now().toISOString();
    tx.collection<TaxCode>(TAX_CODES).put({ ...current, deletedAt: now, updatedAt: now });
  }

  /** A live tax code, or undefined (other domains check references through this). */
  findTaxCode(tx: UnitOfWork, id: string): TaxCode | undefined {
    const t = tx.collection<TaxCode>(TAX_CODES).get(id);
    return t && t.deletedAt === undefined ? t : undefined;
  }

  /** The organisation's default tax code for credit grants, once the defaults are configured. */
  creditGrantDefaultTaxCodeId(tx: UnitOfWork): string | undefined {
    return tx.collection<OrganizationDefaultTaxCodes>(DEFAULTS).get(DEFAULTS_ID)?.creditGrantTaxCodeId;
  }

  /** The organisation's default tax code for invoicing (charges without a tax config), once configured. */
  invoicingDefaultTaxCodeId(tx: UnitOfWork): string | undefined {
    return tx.collection<OrganizationDefaultTaxCodes>(DEFAULTS).get(DEFAULTS_ID)?.invoicingTaxCodeId;
  }

  /** 404 until both defaults have been set (the real service provisions them with the organisation) */
  getDefaultTaxCodes(tx: UnitOfWork): OrganizationDefaultTaxCodes {
    const d = tx.collection<OrganizationDefaultTaxCodes>(DEFAULTS).get(DEFAULTS_ID);
    if (!d) throw notFound(C.defaultTaxCodesNotFound, 'organization default tax codes have not been configured');
    return d;
  }

  /** partial update; the first update must name both codes; every named code must exist and not be deleted */
  updateDefaultTaxCodes(tx: UnitOfWork, input: OrganizationDefaultTaxCodesUpdate): OrganizationDefaultTaxCodes {
    const col = tx.collection<OrganizationDefaultTaxCodes>(DEFAULTS);
    const current = col.get(DEFAULTS_ID);
    const issues = new IssueCollector();
    const check = (id: string | undefined, field: string) => {
      if (id === undefined) return;
      const t = tx.collection<TaxCode>(TAX_CODES).get(id);
      if (!t || t.deletedAt !== undefined) issues.add(C.taxCodeNotFound, `tax code ${id} not found`, field);
    };
    check(input.invoicingTaxCodeId, 'invoicing_tax_code.id');
    check(input.creditGrantTaxCodeId, 'credit_grant_tax_code.id');
    const invoicing = input.invoicingTaxCodeId ?? current?.invoicingTaxCodeId;
    const creditGrant = input.creditGrantTaxCodeId ?? current?.creditGrantTaxCodeId;
    if (invoicing === undefined) issues.add(C.defaultTaxCodesIncomplete, 'invoicing_tax_code is required until the defaults are configured', 'invoicing_tax_code');
    if (creditGrant === undefined) issues.add(C.defaultTaxCodesIncomplete, 'credit_grant_tax_code is required until the defaults are configured', 'credit_grant_tax_code');
    issues.throwIfAny();
    const now = this.deps.clock.now().toISOString();
    const next: OrganizationDefaultTaxCodes = {
      id: DEFAULTS_ID,
      invoicingTaxCodeId: invoicing!,
      creditGrantTaxCodeId: creditGrant!,
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
    };
    col.put(next);
    return next;
  }
}

function checkBody(input: TaxCodeUpsertInput, issues: IssueCollector): void {
  if (!input.name?.trim()) issues.add(C.taxCodeNameRequired, 'name must not be empty', 'name');
  const seen = new Set<string>();
  (input.appMappings ?? []).forEach((m: TaxCodeAppMapping, i) => {
    const field = `app_mappings[${i}]`;
    if (!APP_TYPES.has(m.appType)) issues.add(C.taxCodeAppMappingInvalid, `unknown app type ${m.appType}`, `${field}.app_type`);
    if (!m.taxCode?.trim()) issues.add(C.taxCodeAppMappingInvalid, 'tax_code must not be empty', `${field}.tax_code`);
    if (seen.has(m.appType)) issues.add(C.taxCodeAppMappingDuplicated, `more than one mapping for app type ${m.appType}`, `${field}.app_type`);
    seen.add(m.appType);
  });
}

function body(input: TaxCodeUpsertInput): Omit<TaxCode, 'id' | 'key' | 'createdAt' | 'updatedAt'> {
  return {
    name: input.name,
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.labels !== undefined ? { labels: { ...input.labels } } : {}),
    appMappings: (input.appMappings ?? []).map((m) => ({ appType: m.appType, taxCode: m.taxCode })),
  };
}
