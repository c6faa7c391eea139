import type { CreateEntitlementInput, CreateGrantInput, EntitlementValueView, EntitlementView, GrantRecord, HistoryView, ListEntitlementsInput, ListGrantsInput } from '../../../domain/entitlements/types.ts';
import { isoInterval } from '../../../domain/entitlements/EntitlementService.ts';
import { validationError } from '../../../domain/shared/errors.ts';
import { D } from '../../../domain/shared/money.ts';

type Obj = Record<string, unknown>;

const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
const dec = (n: unknown): string => new D(n as number).toString();
const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));

/** An RFC 3339 instant from the wire; anything unparsable is a 400, never a 500. */
export function parseInstant(v: unknown, field: string): Date | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const d = v instanceof Date ? v : new Date(String(v));
  if (Number.isNaN(d.getTime())) throw validationError('invalid_time', `${field} must be an RFC 3339 date-time`);
  return d;
}

const strList = (v: unknown): string[] | undefined => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map(String));

function fromApiRecurring(v: unknown, field: string): { interval: string; anchor?: Date } | undefined {
  if (!v) return undefined;
  const r = v as Obj;
  return { interval: String(r.interval), ...opt('anchor', parseInstant(r.anchor, `${field}.anchor`)) };
}

function fromApiGrantFields(b: Obj): Omit<CreateGrantInput, 'customer' | 'entitlement' | 'apiVersion'> {
  const effectiveAt = parseInstant(b.effectiveAt, 'effectiveAt');
  if (!effectiveAt) throw validationError('invalid_time', 'effectiveAt is required');
  return {
    amount: dec(b.amount),
    ...opt('priority', b.priority as number | undefined),
    effectiveAt,
    ...opt('expiration', b.expiration as CreateGrantInput['expiration']),
    ...opt('maxRolloverAmount', b.maxRolloverAmount === undefined ? undefined : dec(b.maxRolloverAmount)),
    ...opt('minRolloverAmount', b.minRolloverAmount === undefined ? undefined : dec(b.minRolloverAmount)),
    ...opt('recurrence', fromApiRecurring(b.recurrence, 'recurrence')),
    ...opt('metadata', b.metadata as Record<string, string> | undefined),
    ...opt('annotations', b.annotations as Record<string, unknown> | undefined),
  };
}

export function fromApiGrantCreate(b: unknown, apiVersion: 'v1' | 'v2'): Omit<CreateGrantInput, 'customer' | 'entitlement'> {
  return { ...fromApiGrantFields(b as Obj), apiVersion };
}

/** v1 `EntitlementCreateInputs` and v2 `EntitlementV2CreateInputs` (v2 adds `issue` and `grants`). */
export function fromApiEntitlementCreate(body: unknown): Omit<CreateEntitlementInput, 'customer'> {
  const b = body as Obj;
  const m = b.measureUsageFrom;
  const measureUsageFrom: CreateEntitlementInput['measureUsageFrom'] = m === 'NOW' || m === 'CURRENT_PERIOD_START' ? m : parseInstant(m, 'measureUsageFrom');
  const issue = b.issue as { amount: number; priority?: number } | undefined;
  const issueAmount = issue?.amount ?? (b.issueAfterReset as number | undefined);
  const issuePriority = issue ? issue.priority : (b.issueAfterResetPriority as number | undefined);
  return {
    type: b.type as CreateEntitlementInput['type'],
    ...opt('featureKey', b.featureKey as string | undefined),
    ...opt('featureId', b.featureId as string | undefined),
    ...opt('metadata', b.metadata as Record<string, string> | undefined),
    ...opt('config', b.config as string | undefined),
    ...opt('usagePeriod', fromApiRecurring(b.usagePeriod, 'usagePeriod')),
    ...opt('measureUsageFrom', measureUsageFrom),
    ...opt('isSoftLimit', b.isSoftLimit as boolean | undefined),
    ...opt('preserveOverageAtReset', b.preserveOverageAtReset as boolean | undefined),
    ...(issueAmount !== undefined ? { issueAfterReset: { amount: dec(issueAmount), ...opt('priority', issuePriority) } } : {}),
    ...(Array.isArray(b.grants) ? { grants: (b.grants as Obj[]).map(fromApiGrantFields) } : {}),
  };
}

function pageInput(q: Obj, sent: ReadonlySet<string>) {
  const out: { page?: number; pageSize?: number; limit?: number; offset?: number } = {};
  for (const k of ['page', 'pageSize', 'limit', 'offset'] as const) if (sent.has(k) && typeof q[k] === 'number') out[k] = q[k] as number;
  return out;
}

/** v1 lists answer a bare array unless a paging parameter was sent. */
export const wantsPage = (sent: ReadonlySet<string>): boolean => ['page', 'pageSize', 'limit', 'offset'].some((k) => sent.has(k));

export function fromApiListEntitlementsQuery(q: Obj, sent: ReadonlySet<string>): ListEntitlementsInput {
  return {
    ...pageInput(q, sent),
    ...opt('feature', strList(q.feature)),
    ...opt('subjects', strList(q.subject)),
    ...opt('customers', [...(strList(q.customerIds) ?? []), ...(strList(q.customerKeys) ?? [])].filter(Boolean)),
    ...opt('types', strList(q.entitlementType)),
    ...(q.excludeInactive === true ? { excludeInactive: true } : {}),
    ...(q.includeDeleted === true ? { includeDeleted: true } : {}),
    ...(q.order === 'ASC' || q.order === 'DESC' ? { order: q.order } : {}),
    ...(q.orderBy === 'createdAt' || q.orderBy === 'updatedAt' ? { orderBy: q.orderBy } : {}),
  };
}

export function fromApiListGrantsQuery(q: Obj, sent: ReadonlySet<string>): ListGrantsInput {
  return {
    ...pageInput(q, sent),
    ...opt('feature', strList(q.feature)),
    ...opt('subjects', strList(q.subject)),
    ...opt('customers', strList(q.customer)),
    ...(q.includeDeleted === true ? { includeDeleted: true } : {}),
    ...(q.order === 'ASC' || q.order === 'DESC' ? { order: q.order } : {}),
    ...(q.orderBy === 'id' || q.orderBy === 'createdAt' || q.orderBy === 'updatedAt' ? { orderBy: q.orderBy } : {}),
  };
}

const toApiRecurring = (r: { interval: string; anchor: string }) => ({ interval: r.interval, anchor: r.anchor, intervalISO: isoInterval(r.interval) });

/** `Entitlement` (legacy, with subjectKey) or `EntitlementV2` (customerId/customerKey). */
export function toApiEntitlement(e: EntitlementView, version: 'v1' | 'v2'): Obj {
  const out: Obj = {
    id: e.id,
    type: e.type,
    featureKey: e.featureKey,
    featureId: e.featureId,
    ...(version === 'v1' ? { subjectKey: e.subjectKey } : { customerId: e.customerId, ...opt('customerKey', e.customerKey) }),
    ...opt('metadata', e.metadata),
    ...opt('annotations', e.annotations),
    activeFrom: e.activeFrom,
    ...opt('activeTo', e.activeTo),
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    ...opt('deletedAt', e.deletedAt),
    ...(e.usagePeriod ? { usagePeriod: toApiRecurring(e.usagePeriod) } : {}),
    ...opt('currentUsagePeriod', e.currentUsagePeriod),
  };
  if (e.type === 'static') out.config = e.config ?? '{}';
  if (e.type === 'metered') {
    out.isSoftLimit = e.isSoftLimit ?? false;
    out.preserveOverageAtReset = e.preserveOverageAtReset ?? false;
    out.measureUsageFrom = e.measureUsageFrom;
    out.lastReset = e.lastReset;
    if (e.issueAfterReset) {
      out.issueAfterReset = Number(e.issueAfterReset.amount);
      out.issueAfterResetPriority = e.issueAfterReset.priority ?? 1;
      if (version === 'v2') out.issue = { amount: Number(e.issueAfterReset.amount), priority: e.issueAfterReset.priority ?? 1 };
    }
  }
  return out;
}

/**
 * v1 `EntitlementGrant` requires `expiration`; a grant created without one (v2, issueAfterReset)
 * has none, so the v1 shape shows the longest expressible one (1000 years) — it never expires here.
 */
export function toApiGrant(g: GrantRecord, version: 'v1' | 'v2'): Obj {
  const expiration = g.expiration ?? (version === 'v1' ? { duration: 'YEAR', count: 1000 } : undefined);
  return {
    id: g.id,
    entitlementId: g.entitlementId,
    amount: Number(g.amount),
    ...opt('priority', g.priority !== undefined && g.priority >= 1 ? g.priority : undefined),
    effectiveAt: g.effectiveAt,
    ...opt('expiration', expiration),
    ...opt('expiresAt', g.expiresAt),
    maxRolloverAmount: Number(g.maxRolloverAmount),
    minRolloverAmount: Number(g.minRolloverAmount),
    ...(g.recurrence ? { recurrence: toApiRecurring(g.recurrence) } : {}),
    ...opt('metadata', g.metadata),
    ...opt('annotations', g.annotations),
    ...opt('voidedAt', g.voidedAt),
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
    ...opt('deletedAt', g.deletedAt),
  };
}

export function toApiEntitlementValue(v: EntitlementValueView, version: 'v1' | 'v2'): Obj {
  return {
    hasAccess: v.hasAccess,
    ...opt('balance', num(v.balance)),
    ...opt('usage', num(v.usage)),
    ...opt('overage', num(v.overage)),
    ...opt('totalAvailableGrantAmount', num(v.totalAvailableGrantAmount)),
    ...opt('config', v.config),
    ...(version === 'v2' && v.grantBalances ? { grantBalances: Object.fromEntries(Object.entries(v.grantBalances).map(([k, x]) => [k, Number(x)])) } : {}),
  };
}

export function toApiHistory(h: HistoryView): Obj {
  const nums = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
  return {
    windowedHistory: h.windows.map((w) => ({ period: { from: w.from, to: w.to }, usage: Number(w.usage), balanceAtStart: Number(w.balanceAtStart) })),
    burndownHistory: h.segments.map((s) => ({
      period: { from: s.from, to: s.to },
      usage: Number(s.usage),
      overage: Number(s.overage),
      balanceAtStart: Number(s.balanceAtStart),
      grantBalancesAtStart: nums(s.grantBalancesAtStart),
      balanceAtEnd: Number(s.balanceAtEnd),
      grantBalancesAtEnd: nums(s.grantBalancesAtEnd),
      grantUsages: s.grantUsages.map((u) => ({ grantId: u.grantId, usage: Number(u.usage) })),
    })),
  };
}
