import type { UnitOfWork } from '../shared/unitOfWork.ts';

/** Which app collects a customer's payments: billing answers from the customer's profile. */
export interface CustomerPaymentApps {
  /** the payment app of the profile in force for the customer */
  paymentAppOf(tx: UnitOfWork, customerId: string): string | undefined;
  /** the payment app of the namespace's default profile */
  defaultPaymentApp(tx: UnitOfWork): string | undefined;
}
