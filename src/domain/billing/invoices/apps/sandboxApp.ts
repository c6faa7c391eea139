import { AppType } from '../../../apps/types.ts';
import type { InvoicingApp, SequenceDefinition } from '../ports.ts';
import { InvoiceStatus, InvoiceTrigger } from '../types.ts';

/** `openmeter/app/sandbox/app.go`: the metadata key that picks the simulated payment outcome. */
export const SANDBOX_TARGET_PAYMENT_STATUS = 'openmeter.io/sandbox/target-payment-status';

/** `InvoiceSequenceNumber` of the sandbox app: `OM-SANDBOX-<CUSTPREFIX>-<n>`. */
export const SANDBOX_SEQUENCE: SequenceDefinition = { prefix: 'OM-SANDBOX', scope: 'invoices/app/sandbox' };

/**
 * The sandbox invoicing app: accepts every invoice, numbers it at finalization and, once the
 * invoice waits for payment, pays it at once — or fails / writes it off / asks for action when
 * the invoice metadata says so.
 */
export const sandboxApp: InvoicingApp = {
  type: AppType.sandbox,
  validate: () => [],
  upsert: () => ({}),
  finalize: (invoice, ctx) => ({ invoiceNumber: ctx.nextNumber(SANDBOX_SEQUENCE, invoice.customer.name), sentToCustomerAt: ctx.now }),
  delete: () => ({}),
  canDraftSyncAdvance: () => true,
  canIssuingSyncAdvance: () => true,
  postAdvance: (invoice) => {
    if (invoice.status !== InvoiceStatus.paymentPending) return undefined;
    const target = invoice.metadata?.[SANDBOX_TARGET_PAYMENT_STATUS] || 'paid';
    switch (target) {
      case 'failed':
        return {
          trigger: InvoiceTrigger.failed,
          issues: [
            {
              code: 'simulated_payment_failure',
              message: 'simulated payment failure',
              severity: 'critical',
              component: 'app.sandbox.invoiceCustomers.initiatePayment',
            },
          ],
        };
      case 'uncollectible':
        return { trigger: InvoiceTrigger.paymentUncollectible };
      case 'action_required':
        return { trigger: InvoiceTrigger.actionRequired };
      default:
        return { trigger: InvoiceTrigger.paid };
    }
  },
};
