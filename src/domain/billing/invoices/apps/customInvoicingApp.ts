import { AppType } from '../../../apps/types.ts';
import type { InvoicingApp, SequenceDefinition } from '../ports.ts';

/** `openmeter/app/custominvoicing/app.go` */
export const CUSTOM_INVOICING_DRAFT_SYNCED_AT = 'openmeter.io/custominvoicing/draft-synced-at';
export const CUSTOM_INVOICING_FINALIZED_AT = 'openmeter.io/custominvoicing/finalized-at';
export const CUSTOM_INVOICING_SEQUENCE: SequenceDefinition = { prefix: 'INV', scope: 'invoices/custom-invoicing' };

/**
 * The custom invoicing app: an outside system does the invoicing. With its draft / issuing sync
 * hooks enabled the invoice waits in `draft.syncing` / `issuing.syncing` until that system calls
 * the matching sync endpoint (which stamps the metadata keys above); payment status comes from
 * the payment-status endpoint. Without the hooks it advances like the sandbox, but no payment
 * happens by itself.
 */
export const customInvoicingApp: InvoicingApp = {
  type: AppType.customInvoicing,
  validate: () => [],
  upsert: () => ({}),
  finalize: (invoice, ctx) => {
    if (!customInvoicingApp.canIssuingSyncAdvance(invoice, ctx.app)) return {};
    // a number the outside system gave stays; only a draft number is replaced
    return invoice.number.startsWith('DRAFT-') ? { invoiceNumber: ctx.nextNumber(CUSTOM_INVOICING_SEQUENCE, invoice.customer.name) } : {};
  },
  delete: () => ({}),
  canDraftSyncAdvance: (invoice, app) => !app.enableDraftSyncHook || invoice.metadata?.[CUSTOM_INVOICING_DRAFT_SYNCED_AT] !== undefined,
  canIssuingSyncAdvance: (invoice, app) => !app.enableIssuingSyncHook || invoice.metadata?.[CUSTOM_INVOICING_FINALIZED_AT] !== undefined,
};
