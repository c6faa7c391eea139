import type { Customer } from '../../customers/types.ts';
import type { UnitOfWork } from '../../shared/unitOfWork.ts';

/** Customers as the customers domain finds them (CustomerService implements this). */
export interface CreditCustomers {
  /** by id or key; unknown → 404 */
  getCustomer(tx: UnitOfWork, input: { idOrKey: string }): Customer;
}

/** Tax codes as the reference domain knows them (TaxCodeService implements this). */
export interface CreditTaxCodes {
  findTaxCode(tx: UnitOfWork, id: string): { id: string } | undefined;
  /** the organisation's default for credit grants, once configured */
  creditGrantDefaultTaxCodeId(tx: UnitOfWork): string | undefined;
}

/** The customer's invoicing setup (CustomerBillingService implements this): throws when it cannot invoice the customer. */
export interface CreditInvoicing {
  validateInvoicingApp(tx: UnitOfWork, input: { customerId: string }): void;
}
