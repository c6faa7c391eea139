import type { Feature } from '../../catalog/types.ts';
import type { Customer } from '../../customers/types.ts';
import type { MeterQueryParams, MeterQueryResult } from '../../metering/types.ts';
import type { Dec } from '../../shared/money.ts';
import type { UnitOfWork } from '../../shared/unitOfWork.ts';
import type { CreditAllocation } from '../credits/types.ts';

export interface ChargeCustomers {
  getCustomer(tx: UnitOfWork, input: { idOrKey: string }): Customer;
}

export interface ChargeFeatures {
  findFeature(tx: UnitOfWork, idOrKey: string): Feature | undefined;
}

export interface ChargeMeters {
  getMeter(tx: UnitOfWork, idOrSlug: string): { id: string };
  queryMeter(tx: UnitOfWork, meterIdOrSlug: string, params?: MeterQueryParams): MeterQueryResult;
}

/** Billing credits as charges draw them (CreditService implements this). */
export interface ChargeCredits {
  consumeCredits(
    tx: UnitOfWork,
    input: { customerId: string; currency: string; featureKey?: string; amount: Dec; at: Date; chargeId?: string; name: string; labels?: Record<string, string>; allowAdvance?: boolean },
  ): CreditAllocation[];
  returnCredits(tx: UnitOfWork, input: { customerId: string; currency: string; chargeId: string; amount: Dec; at: Date; name: string; labels?: Record<string, string> }): Dec;
  creditAllocatedTo(tx: UnitOfWork, input: { customerId: string; chargeId: string }): Dec;
}

export interface ChargeTaxCodes {
  invoicingDefaultTaxCodeId(tx: UnitOfWork): string | undefined;
}

/** The customer's billing workflow (BillingProfileService implements this). */
export interface ChargeBillingProfiles {
  getCustomerBillingDetails(tx: UnitOfWork, input: { customerId: string }): { effective: { workflow: { collection: { interval: string } } } };
}
