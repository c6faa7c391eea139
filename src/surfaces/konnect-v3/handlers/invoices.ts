/**
 * Konnect v3 invoices (`api/v3/handlers/billinginvoices`): standard invoices only. A gathering
 * invoice is a 404 on get/update/delete and a 400 on the actions (e2e/billinginvoices_v3_test.go).
 */
import { InvoiceErrorCode } from '../../../domain/billing/invoices/errors.ts';
import type { InvoiceView } from '../../../domain/billing/invoices/types.ts';
import { DomainError, ErrorKind, validationError } from '../../../domain/shared/errors.ts';
import type { UnitOfWork } from '../../../domain/shared/unitOfWork.ts';
import { noContent, ok, type Handler, type HandlerContext } from '../../http/types.ts';
import { AipQueryError, FilterOp, applyFilters, pageOf, parseFilters, parsePage, parseSort, sortItems, type FilterCondition } from '../aip.ts';
import type { components } from '../api.gen.ts';
import { fromApiInvoiceUpdate, toApiInvoice } from '../convert/invoices.ts';
import { allItems } from './metering.ts';

type S = components['schemas'];

const SHORT_STATUSES = ['draft', 'issuing', 'issued', 'payment_processing', 'overdue', 'paid', 'uncollectible', 'voided'];
const SORT_FIELDS = ['issued_at', 'created_at', 'service_period_start'] as const;

const field = (i: InvoiceView, f: string): string | undefined =>
  ({ customer_id: i.customerId, issued_at: i.issuedAt, service_period_start: i.period?.from, created_at: i.createdAt, status: i.status })[f];

/** the standard invoice, or the 404 a gathering invoice gets on v3 */
function standard(c: HandlerContext, tx: UnitOfWork, id: string): InvoiceView {
  const inv = c.services.invoices.getInvoice(tx, { id });
  if (inv.kind === 'gathering') throw new DomainError(ErrorKind.notFound, InvoiceErrorCode.notFound, `invoice not found [Invoice/${id}]`);
  return inv;
}

export const listInvoices: Handler = (c) => {
  const filters = parseFilters(c.query.filter, {
    status: { kind: 'string', ops: [FilterOp.eq, FilterOp.oeq] },
    customer_id: { kind: 'string', ops: [FilterOp.eq, FilterOp.oeq, FilterOp.neq] },
    issued_at: { kind: 'datetime' },
    service_period_start: { kind: 'datetime' },
    created_at: { kind: 'datetime' },
  });
  // short statuses match as prefixes of the extended status
  const status = filters.filter((f) => f.field === 'status');
  const wanted = status.flatMap((f) => (Array.isArray(f.value) ? f.value : [String(f.value)]));
  const unknown = wanted.find((s) => !SHORT_STATUSES.includes(s));
  if (unknown !== undefined) throw new AipQueryError('filter[status]', `invalid status: ${unknown}`, 'enum');
  const sort = parseSort(c.query.sort, SORT_FIELDS, [{ field: 'created_at', desc: false }]);
  const page = parsePage(c.query.page);
  return ok(
    c.read((tx) => {
      const all = allItems((n) => c.services.invoices.listInvoices(tx, { standardOnly: true, page: n, pageSize: 1000 }));
      const byStatus = wanted.length ? all.filter((i) => wanted.some((s) => i.status === s || i.status.startsWith(`${s}.`))) : all;
      const rows = applyFilters(byStatus, filters.filter((f: FilterCondition) => f.field !== 'status'), field, {
        issued_at: 'datetime',
        service_period_start: 'datetime',
        created_at: 'datetime',
      });
      return pageOf(sortItems(rows, sort, field, (i) => i.id), page, (i) => toApiInvoice(i, { lines: false }));
    }),
  );
};

export const getInvoice: Handler = (c) => ok(c.read((tx) => toApiInvoice(standard(c, tx, c.params.invoiceId!), { lines: true })));

export const updateInvoice: Handler = async (c) => {
  const id = c.params.invoiceId!;
  const b = c.body as S['UpdateInvoiceStandardRequest'];
  const ids = (b.lines ?? []).map((l) => l.id).filter((x): x is string => !!x);
  if (new Set(ids).size !== ids.length) throw validationError(InvoiceErrorCode.invalidLine, 'duplicate line ids');
  const current = c.read((tx) => standard(c, tx, id));
  await c.run((tx) => c.services.invoices.updateInvoice(tx, fromApiInvoiceUpdate(id, b, current)).id);
  return ok(c.read((tx) => toApiInvoice(standard(c, tx, id), { lines: true })));
};

export const deleteInvoice: Handler = async (c) => {
  const id = c.params.invoiceId!;
  c.read((tx) => standard(c, tx, id));
  await c.run((tx) => c.services.invoices.deleteInvoice(tx, { id }));
  return noContent();
};

const action =
  (fn: (c: HandlerContext, tx: UnitOfWork, id: string) => InvoiceView): Handler =>
  async (c) => {
    const id = c.params.invoiceId!;
    await c.run((tx) => fn(c, tx, id).id);
    return ok(c.read((tx) => toApiInvoice(standard(c, tx, id), { lines: true })));
  };

export const advanceInvoice = action((c, tx, id) => c.services.invoices.advanceInvoice(tx, { id }));
export const approveInvoice = action((c, tx, id) => c.services.invoices.approveInvoice(tx, { id }));
export const retryInvoice = action((c, tx, id) => c.services.invoices.retryInvoice(tx, { id }));
export const snapshotQuantitiesInvoice = action((c, tx, id) => c.services.invoices.snapshotQuantitiesAction(tx, { id }));
