/** Konnect v3 customer charges (`/openmeter/customers/{id}/charges`, konnect-billing.md §5). */
import { ChargeErrorCode } from '../../../domain/billing/charges/errors.ts';
import type { ChargeView } from '../../../domain/billing/charges/types.ts';
import { DomainError } from '../../../domain/shared/errors.ts';
import { ok, type Handler } from '../../http/types.ts';
import { AipQueryError, pageOf, parsePage, parseSort, sortItems } from '../aip.ts';
import type { components } from '../api.gen.ts';
import { fromApiCreateCharge, toApiCharge } from '../convert/charges.ts';
import { KonnectHandlerError } from '../errors.ts';

type S = components['schemas'];

const SORT_FIELDS = ['id', 'created_at', 'service_period.from', 'billing_period.from'] as const;
const STATUSES = ['created', 'active', 'final', 'deleted'];

const field = (v: ChargeView, f: string): string => {
  switch (f) {
    case 'id':
      return v.charge.id;
    case 'service_period.from':
      return v.charge.servicePeriod.from;
    case 'billing_period.from':
      return v.charge.billingPeriod.from;
    default:
      return v.charge.createdAt;
  }
};

/** Only `filter[status][oeq]` is read (customers/charges/list.go); `deleted` brings deleted charges in. */
function statusFilter(raw: unknown): string[] | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const status = (raw as Record<string, unknown>).status;
  if (typeof status !== 'object' || status === null) return undefined;
  const oeq = (status as Record<string, unknown>).oeq;
  if (typeof oeq !== 'string') return undefined;
  const values = oeq.split(',').map((s) => s.trim()).filter(Boolean);
  for (const v of values) if (!STATUSES.includes(v)) throw new AipQueryError('filter[status][oeq]', `invalid charge status: ${v}`, 'enum');
  return values;
}

export const listCustomerCharges: Handler = (c) => {
  const statuses = statusFilter(c.query.filter);
  const sort = parseSort(c.query.sort, SORT_FIELDS, [{ field: 'created_at', desc: false }]);
  const page = parsePage(c.query.page);
  const expand = ([] as unknown[]).concat(c.query.expand ?? []).flatMap((x) => String(x).split(','));
  const views = c.read((tx) =>
    c.services.charges.listCharges(tx, { customerId: c.params.customerId!, includeDeleted: statuses?.includes('deleted') === true, realtime: expand.includes('real_time_usage') }),
  );
  const rows = statuses ? views.filter((v) => statuses.includes(v.charge.deletedAt ? 'deleted' : v.charge.status)) : views;
  return ok(pageOf(sortItems(rows, sort, field, (v) => v.charge.id), page, toApiCharge));
};

export const createCustomerCharges: Handler = async (c) => {
  const input = fromApiCreateCharge(c.params.customerId!, c.body as S['CreateChargeRequest']);
  const view = await c.run((tx) => c.services.charges.createCharge(tx, input)).catch((e: unknown) => {
    // the real handler validates the intents itself (input.Validate → field "intents", Konnect
    // shape); unknown features, conflicts and customers come from the service (OpenMeter shape)
    if (e instanceof DomainError && e.code === ChargeErrorCode.invalid) throw new KonnectHandlerError(400, e.message, [{ field: 'intents', rule: '', reason: e.message }]);
    throw e;
  });
  return ok(toApiCharge(view), 201);
};
