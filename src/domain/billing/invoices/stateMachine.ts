import { InvoiceStatus as S, InvoiceTrigger as T, type InvoiceStatus, type InvoiceTrigger } from './types.ts';

/**
 * The standard invoice state machine of `billing/service/stdinvoicestate.go`, as data: per
 * state, the permitted triggers in order (the first whose guards all hold wins), and what
 * entering the state does. The service interprets it; `statusDetails` dry-runs it.
 */
export const Guard = {
  readyForCollection: 'readyForCollection',
  noCriticalIssues: 'noCriticalIssues',
  autoAdvance: 'autoAdvance',
  manualApproval: 'manualApproval',
  draftSyncDone: 'draftSyncDone',
  draftPeriodOver: 'draftPeriodOver',
  issuingSyncDone: 'issuingSyncDone',
  deleteSyncDone: 'deleteSyncDone',
} as const;
export type Guard = (typeof Guard)[keyof typeof Guard];

/** `resolveStateAfterDraftReadyToIssue`: an invoice without lines is deleted rather than issued. */
export const DYNAMIC_AFTER_READY_TO_ISSUE = 'dynamic:afterReadyToIssue';

export interface Transition {
  trigger: InvoiceTrigger;
  to: InvoiceStatus | typeof DYNAMIC_AFTER_READY_TO_ISSUE;
  guards?: Guard[];
}

/** What entering (activating) a state does. */
export const Activation = {
  calculate: 'calculate',
  collect: 'collect',
  calculateAndValidate: 'calculateAndValidate',
  syncDraft: 'syncDraft',
  deleteInvoice: 'deleteInvoice',
  syncDelete: 'syncDelete',
  finalizeLines: 'finalizeLines',
  finalize: 'finalize',
  issued: 'issued',
} as const;
export type Activation = (typeof Activation)[keyof typeof Activation];

const t = (trigger: InvoiceTrigger, to: Transition['to'], ...guards: Guard[]): Transition => ({ trigger, to, ...(guards.length ? { guards } : {}) });

const payFrom = (extra: Transition[] = []): Transition[] => extra;

export const STATE_MACHINE: Record<Exclude<InvoiceStatus, 'gathering'>, { on: Transition[]; activate?: Activation }> = {
  [S.draftCreated]: {
    on: [t(T.next, S.draftWaitingForCollection), t(T.failed, S.draftInvalid), t(T.delete, S.deleteInProgress), t(T.updated, S.draftUpdating)],
    activate: Activation.calculate,
  },
  [S.draftWaitingForCollection]: {
    on: [
      t(T.next, S.draftCollecting, Guard.readyForCollection),
      t(T.delete, S.deleteInProgress),
      t(T.updated, S.draftUpdating),
      t(T.forceCollect, S.draftCollecting),
    ],
  },
  [S.draftCollecting]: {
    on: [t(T.next, S.draftValidating), t(T.delete, S.deleteInProgress), t(T.failed, S.draftInvalid), t(T.updated, S.draftUpdating)],
    activate: Activation.collect,
  },
  [S.draftUpdating]: {
    on: [t(T.next, S.draftWaitingForCollection), t(T.delete, S.deleteInProgress), t(T.failed, S.draftInvalid)],
    activate: Activation.calculateAndValidate,
  },
  [S.draftValidating]: {
    on: [t(T.next, S.draftSyncing, Guard.noCriticalIssues), t(T.failed, S.draftInvalid), t(T.delete, S.deleteInProgress), t(T.updated, S.draftUpdating)],
    activate: Activation.calculateAndValidate,
  },
  [S.draftInvalid]: { on: [t(T.retry, S.draftValidating), t(T.delete, S.deleteInProgress), t(T.updated, S.draftUpdating)] },
  [S.draftSyncing]: {
    on: [
      t(T.next, S.draftManualApprovalNeeded, Guard.manualApproval, Guard.noCriticalIssues, Guard.draftSyncDone),
      t(T.next, S.draftWaitingAutoApproval, Guard.autoAdvance, Guard.noCriticalIssues, Guard.draftSyncDone),
      t(T.delete, S.deleteInProgress),
      t(T.failed, S.draftSyncFailed),
    ],
    activate: Activation.syncDraft,
  },
  [S.draftSyncFailed]: { on: [t(T.retry, S.draftValidating), t(T.delete, S.deleteInProgress), t(T.updated, S.draftUpdating)] },
  [S.draftReadyToIssue]: {
    on: [t(T.next, DYNAMIC_AFTER_READY_TO_ISSUE), t(T.delete, S.deleteInProgress), t(T.updated, S.draftUpdating)],
  },
  [S.draftWaitingAutoApproval]: {
    on: [
      t(T.approve, S.draftReadyToIssue),
      t(T.updated, S.draftUpdating),
      t(T.delete, S.deleteInProgress),
      t(T.next, S.draftReadyToIssue, Guard.draftPeriodOver, Guard.noCriticalIssues),
    ],
  },
  [S.draftManualApprovalNeeded]: {
    on: [t(T.approve, S.draftReadyToIssue, Guard.noCriticalIssues), t(T.updated, S.draftUpdating), t(T.delete, S.deleteInProgress)],
  },
  [S.deleteInProgress]: { on: [t(T.next, S.deleteSyncing), t(T.failed, S.deleteFailed)], activate: Activation.deleteInvoice },
  [S.deleteSyncing]: { on: [t(T.next, S.deleted, Guard.deleteSyncDone), t(T.failed, S.deleteFailed)], activate: Activation.syncDelete },
  [S.deleteFailed]: { on: [t(T.delete, S.deleteInProgress)] },
  [S.deleted]: { on: [] },
  [S.issuingLineFinalization]: {
    on: [t(T.next, S.issuingSyncing), t(T.failed, S.issuingLineFinalizationFailed), t(T.delete, S.deleteInProgress)],
    activate: Activation.finalizeLines,
  },
  [S.issuingLineFinalizationFailed]: { on: [t(T.delete, S.deleteInProgress), t(T.retry, S.issuingLineFinalization)] },
  [S.issuingSyncing]: {
    on: [t(T.next, S.issuingChargeBooking, Guard.issuingSyncDone), t(T.failed, S.issuingSyncFailed), t(T.delete, S.deleteInProgress)],
    activate: Activation.finalize,
  },
  [S.issuingSyncFailed]: { on: [t(T.delete, S.deleteInProgress), t(T.retry, S.issuingSyncing)] },
  [S.issuingChargeBooking]: {
    on: [t(T.next, S.issued), t(T.failed, S.issuingChargeBookingFailed), t(T.delete, S.deleteInProgress)],
    activate: Activation.issued,
  },
  [S.issuingChargeBookingFailed]: { on: [t(T.delete, S.deleteInProgress), t(T.retry, S.issuingChargeBooking)] },
  [S.issued]: { on: [t(T.next, S.paymentPending), t(T.void, S.voided)] },
  [S.paymentPending]: {
    on: payFrom([
      t(T.authorized, S.paymentBookingAuthorized),
      t(T.paid, S.paymentBookingAuthorizedAndSettled),
      t(T.failed, S.paymentFailed),
      t(T.paymentUncollectible, S.uncollectible),
      t(T.paymentOverdue, S.overdue),
      t(T.actionRequired, S.paymentActionRequired),
      t(T.void, S.voided),
    ]),
  },
  [S.paymentBookingAuthorized]: { on: [t(T.next, S.paymentAuthorized), t(T.failed, S.paymentBookingAuthorizedFailed), t(T.void, S.voided)] },
  [S.paymentBookingAuthorizedFailed]: { on: [t(T.retry, S.paymentBookingAuthorized), t(T.void, S.voided)] },
  [S.paymentBookingAuthorizedAndSettled]: { on: [t(T.next, S.paid), t(T.failed, S.paymentBookingAuthorizedAndSettledFailed), t(T.void, S.voided)] },
  [S.paymentBookingAuthorizedAndSettledFailed]: { on: [t(T.retry, S.paymentBookingAuthorizedAndSettled), t(T.void, S.voided)] },
  [S.paymentAuthorized]: {
    on: [
      t(T.paid, S.paymentBookingSettled),
      t(T.failed, S.paymentFailed),
      t(T.paymentUncollectible, S.uncollectible),
      t(T.paymentOverdue, S.overdue),
      t(T.actionRequired, S.paymentActionRequired),
      t(T.void, S.voided),
    ],
  },
  [S.paymentBookingSettled]: { on: [t(T.next, S.paid), t(T.failed, S.paymentBookingSettledFailed), t(T.void, S.voided)] },
  [S.paymentBookingSettledFailed]: { on: [t(T.retry, S.paymentBookingSettled), t(T.void, S.voided)] },
  [S.paymentFailed]: {
    on: [
      t(T.authorized, S.paymentBookingAuthorized),
      t(T.paid, S.paymentBookingAuthorizedAndSettled),
      t(T.retry, S.paymentPending),
      t(T.paymentOverdue, S.overdue),
      t(T.paymentUncollectible, S.uncollectible),
      t(T.actionRequired, S.paymentActionRequired),
      t(T.void, S.voided),
    ],
  },
  [S.paymentActionRequired]: {
    on: [
      t(T.authorized, S.paymentBookingAuthorized),
      t(T.paid, S.paymentBookingAuthorizedAndSettled),
      t(T.failed, S.paymentFailed),
      t(T.retry, S.paymentPending),
      t(T.paymentOverdue, S.overdue),
      t(T.paymentUncollectible, S.uncollectible),
      t(T.void, S.voided),
    ],
  },
  [S.overdue]: {
    on: [
      t(T.authorized, S.paymentBookingAuthorized),
      t(T.paid, S.paymentBookingAuthorizedAndSettled),
      t(T.failed, S.paymentFailed),
      t(T.retry, S.paymentPending),
      t(T.paymentUncollectible, S.uncollectible),
      t(T.actionRequired, S.paymentActionRequired),
    ],
  },
  [S.uncollectible]: { on: [t(T.void, S.voided), t(T.authorized, S.paymentBookingAuthorized), t(T.paid, S.paymentBookingAuthorizedAndSettled)] },
  [S.paid]: { on: [] },
  [S.voided]: { on: [] },
};

/** The first permitted transition of `trigger` whose guards hold, if any. */
export function findTransition(status: InvoiceStatus, trigger: InvoiceTrigger, holds: (g: Guard) => boolean): Transition | undefined {
  if (status === S.gathering) return undefined;
  return STATE_MACHINE[status].on.find((tr) => tr.trigger === trigger && (tr.guards ?? []).every(holds));
}
