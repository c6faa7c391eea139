/**
 * OpenMeter v1 invoices: pending lines, invoice-now, simulate, list/get/delete and the state
 * machine actions, and the custom invoicing app's sync endpoints. A command may leave invoicing
 * app work to effects performed after it commits, so actions read the invoice back afterwards.
 */
import type { UnitOfWork } from '../../../domain/shared/unitOfWork.ts';
import type { InvoiceView } from '../../../domain/billing/invoices/types.ts';
import { DomainError, ErrorKind } from '../../../domain/shared/errors.ts';
import { noContent, ok, type HandlerContext, type Reply } from '../../http/types.ts';
import type { components } from '../api.gen.ts';
import { toApiPage } from '../convert/paging.ts';
import {
  CUSTOM_INVOICING_TRIGGERS,
  fromApiInvoiceUpdate,
  fromApiListInvoicesQuery,
  fromApiPendingLine,
  fromApiSimulation,
  invoiceExpands,
  toApiInvoice,
  type InvoiceEncodeOptions,
} from '../convert/invoices.ts';

type S = components['schemas'];

const encodeOpts = (c: HandlerContext, tx: UnitOfWork, expand: Set<string>): InvoiceEncodeOptions => ({
  lines: expand.has('lines'),
  includeDeletedLines: c.query.includeDeletedLines === true || c.query.includeDeletedLines === 'true',
  ...(expand.has('workflow.apps') ? { appsById: new Map(c.services.apps.liveApps(tx).map((a) => [a.id, a])) } : {}),
});

/** the invoice as it stands once the command and its effects are done */
const readBack = (c: HandlerContext, id: string, expand = new Set(['lines'])): S['Invoice'] =>
  c.read((tx) => toApiInvoice(c.services.invoices.getInvoice(tx, { id }), encodeOpts(c, tx, expand)));

export const listInvoices = (c: HandlerContext): Reply => {
  const expand = invoiceExpands(c.query);
  return ok(c.read((tx) => toApiPage(c.services.invoices.listInvoices(tx, fromApiListInvoicesQuery(c.query)), (i) => toApiInvoice(i, encodeOpts(c, tx, expand)))));
};

export const getInvoice = (c: HandlerContext): Reply => {
  const expand = invoiceExpands(c.query, ['lines']);
  return ok(c.read((tx) => toApiInvoice(c.services.invoices.getInvoice(tx, { id: c.params.invoiceId! }), encodeOpts(c, tx, expand))));
};

export const createPendingInvoiceLine = async (c: HandlerContext): Promise<Reply> => {
  const b = c.body as S['InvoicePendingLineCreateInput'];
  const r = await c.run((tx) =>
    c.services.invoices.createPendingLines(tx, { customerId: c.params.customerId!, currency: b.currency, lines: b.lines.map(fromApiPendingLine) }),
  );
  const invoice = toApiInvoice(r.invoice, { lines: true });
  const ids = new Set(r.lines.map((l) => l.id));
  return ok({ lines: (invoice.lines ?? []).filter((l) => ids.has(l.id)), invoice, isInvoiceNew: r.isInvoiceNew }, 201);
};

export const invoicePendingLinesAction = async (c: HandlerContext): Promise<Reply> => {
  const b = c.body as S['InvoicePendingLinesActionInput'];
  const created = await c.run((tx) =>
    c.services.invoices
      .invoicePendingLines(tx, {
        customerId: b.customerId,
        ...(b.asOf ? { asOf: b.asOf } : {}),
        ...(b.progressiveBillingOverride !== undefined ? { progressiveBillingOverride: b.progressiveBillingOverride } : {}),
        ...(b.filters?.lineIds?.length ? { lineIds: b.filters.lineIds } : {}),
      })
      .map((i) => i.id),
  );
  return ok(
    created.map((id) => readBack(c, id)),
    201,
  );
};

export const simulateInvoice = (c: HandlerContext): Reply => {
  const b = c.body as S['InvoiceSimulationInput'];
  return ok(c.read((tx) => toApiInvoice(c.services.invoices.simulateInvoice(tx, fromApiSimulation(c.params.customerId!, b)), { lines: true })));
};

export const updateInvoice = async (c: HandlerContext): Promise<Reply> => {
  const id = c.params.invoiceId!;
  const b = c.body as S['InvoiceReplaceUpdate'];
  await c.run((tx) => c.services.invoices.updateInvoice(tx, fromApiInvoiceUpdate(id, b)).id);
  return ok(readBack(c, id));
};

export const deleteInvoice = async (c: HandlerContext): Promise<Reply> => {
  await c.run((tx) => c.services.invoices.deleteInvoice(tx, { id: c.params.invoiceId! }));
  return noContent();
};

const action =
  (fn: (c: HandlerContext, tx: UnitOfWork, id: string) => InvoiceView) =>
  async (c: HandlerContext): Promise<Reply> => {
    const id = c.params.invoiceId!;
    await c.run((tx) => fn(c, tx, id).id);
    return ok(readBack(c, id));
  };

export const advanceInvoiceAction = action((c, tx, id) => c.services.invoices.advanceInvoice(tx, { id }));
export const approveInvoiceAction = action((c, tx, id) => c.services.invoices.approveInvoice(tx, { id }));
export const retryInvoiceAction = action((c, tx, id) => c.services.invoices.retryInvoice(tx, { id }));
export const snapshotQuantitiesInvoiceAction = action((c, tx, id) => c.services.invoices.snapshotQuantitiesAction(tx, { id }));

/** OpenMeter OSS answers 501 for both (`billing/httpdriver/invoice.go`). */
const notImplemented = (what: string) => (): Reply => {
  throw new DomainError(ErrorKind.notImplemented, 'not_implemented', `${what} is not implemented`);
};
export const voidInvoiceAction = notImplemented('void invoice');
export const recalculateInvoiceTaxAction = notImplemented('recalculate invoice tax');

// ---------------------------------------------------------------------------- custom invoicing
// OpenMeter answers these with 200 and the v1 invoice (custominvoicing/httpdriver); the document
// says 204, and a response must match the document here, so they answer 204.

export const appCustomInvoicingDraftSynchronized = async (c: HandlerContext): Promise<Reply> => {
  const b = (c.body ?? {}) as S['CustomInvoicingDraftSynchronizedRequest'];
  await c.run((tx) =>
    c.services.invoices.syncCustomInvoicing(tx, {
      id: c.params.invoiceId!,
      stage: 'draft',
      hasResults: b.invoicing !== undefined,
      ...(b.invoicing?.invoiceNumber ? { invoiceNumber: b.invoicing.invoiceNumber } : {}),
      ...(b.invoicing?.externalId ? { externalId: b.invoicing.externalId } : {}),
    }).id,
  );
  return noContent();
};

export const appCustomInvoicingIssuingSynchronized = async (c: HandlerContext): Promise<Reply> => {
  const b = (c.body ?? {}) as S['CustomInvoicingFinalizedRequest'];
  await c.run((tx) =>
    c.services.invoices.syncCustomInvoicing(tx, {
      id: c.params.invoiceId!,
      stage: 'issuing',
      ...(b.invoicing?.invoiceNumber ? { invoiceNumber: b.invoicing.invoiceNumber } : {}),
      ...(b.invoicing?.sentToCustomerAt ? { sentToCustomerAt: b.invoicing.sentToCustomerAt } : {}),
      ...(b.payment?.externalId ? { paymentExternalId: b.payment.externalId } : {}),
    }).id,
  );
  return noContent();
};

export const appCustomInvoicingUpdatePaymentStatus = async (c: HandlerContext): Promise<Reply> => {
  const b = c.body as S['CustomInvoicingUpdatePaymentStatusRequest'];
  await c.run((tx) => c.services.invoices.triggerPayment(tx, { id: c.params.invoiceId!, trigger: CUSTOM_INVOICING_TRIGGERS[b.trigger], appType: 'custom_invoicing' }).id);
  return noContent();
};
