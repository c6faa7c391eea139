import type { AppService } from '../../apps/AppService.ts';
import { AppType, type App, type CustomerAppData } from '../../apps/types.ts';
import type { CustomerService } from '../../customers/CustomerService.ts';
import type { Customer } from '../../customers/types.ts';
import { DomainError, ErrorKind, validationError } from '../../shared/errors.ts';
import type { UnitOfWork } from '../../shared/unitOfWork.ts';
import type { BillingProfileService } from './BillingProfileService.ts';
import { CustomerBillingErrorCode as E } from './errors.ts';

/** The app data of v3 customer billing, per payment-app type (the seed's `UpsertAppCustomerDataRequest`). */
export interface CustomerBillingAppData {
  stripe?: { customerId?: string; defaultPaymentMethodId?: string; labels?: Record<string, string> };
  externalInvoicing?: { labels?: Record<string, string> };
}

export interface CustomerBilling {
  billingProfileId: string;
  paymentApp: App;
  /** what the payment app keeps for the customer; absent when nothing was stored */
  data?: CustomerAppData;
}

const PAYMENT_METHOD_PREFIX = 'pm_';

/**
 * v3 customer billing (konnect-billing.md §1): which profile a customer is billed through and
 * what the profile's payment app keeps for the customer. The profile binding is the customer
 * override; the app data is the apps domain's customer app data, the same record v1
 * `/customers/{id}/apps` shows.
 */
export class CustomerBillingService {
  constructor(private readonly deps: { profiles: BillingProfileService; apps: AppService; customers: CustomerService }) {}

  /**
   * The merged profile and its payment app's data. Deleted customers are answered too; a Stripe
   * profile without Stripe data for the customer is 412 (customers/billing/get_billing.go via
   * the Stripe app's GetCustomerData).
   */
  getCustomerBilling(tx: UnitOfWork, input: { customerId: string }): CustomerBilling {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerId });
    const details = this.deps.profiles.getCustomerBillingDetails(tx, { customerId: customer.id });
    const paymentApp = this.deps.apps.getApp(tx, { id: details.effective.apps.payment });
    const data = this.deps.apps.findCustomerAppData(tx, { customerId: customer.id, appId: paymentApp.id });
    if (paymentApp.type === AppType.stripe && data?.stripeCustomerId === undefined) {
      throw new DomainError(ErrorKind.preconditionFailed, E.noStripeData, 'customer has no data for stripe app');
    }
    return { billingProfileId: details.baseProfile.id, paymentApp, ...(data ? { data } : {}) };
  }

  /**
   * Whether the customer can be invoiced through its merged profile's invoicing app
   * (validators/customerbilling ValidateCustomerInvoicingApp, as the invoice-funded grant create
   * asks it, wrapped "invalid billing setup"): no invoicing app → 412; a Stripe app without the
   * customer's Stripe data → 412 (the Stripe app's ValidateCustomer, `GetStripeCustomerData`);
   * sandbox and custom invoicing accept every customer.
   */
  validateInvoicingApp(tx: UnitOfWork, input: { customerId: string }): void {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customerId });
    const details = this.deps.profiles.getCustomerBillingDetails(tx, { customerId: customer.id });
    const appId = details.effective.apps.invoicing;
    const app = appId ? this.deps.apps.liveApps(tx).find((a) => a.id === appId) : undefined;
    if (!app) {
      throw new DomainError(ErrorKind.preconditionFailed, E.noInvoicingApp, `invalid billing setup: customer with id ${customer.id} has no invoicing app configured in namespace ${tx.namespace}`);
    }
    if (app.type === AppType.stripe && this.deps.apps.findCustomerAppData(tx, { customerId: customer.id, appId: app.id })?.stripeCustomerId === undefined) {
      throw new DomainError(
        ErrorKind.preconditionFailed,
        E.noStripeData,
        `invalid billing setup: failed to get stripe customer data: customer with id ${customer.id} does not meet condition customer has no data for stripe app for stripe app type with id ${app.id} in namespace ${tx.namespace}`,
      );
    }
  }

  /**
   * PUT `/customers/{id}/billing`: the profile named, or **the namespace default** when none is
   * named (not the customer's current one), decides which app data is required; the override is
   * set only when a profile was named (customers/billing/update_billing.go).
   */
  updateCustomerBilling(tx: UnitOfWork, input: { customerId: string; billingProfileId?: string; appData?: CustomerBillingAppData }): CustomerBilling {
    const { customer, profile, paymentApp } = this.billingTarget(tx, input);
    const data = this.store(tx, customer, paymentApp, input.appData, 'app_data.stripe', true);
    if (input.billingProfileId !== undefined) this.deps.profiles.upsertCustomerOverride(tx, { customerId: customer.id, billingProfileId: profile.id });
    return { billingProfileId: profile.id, paymentApp, ...(data ? { data } : {}) };
  }

  /** PUT `/customers/{id}/billing/app-data`: the customer's **current** merged profile's payment app. */
  updateCustomerBillingAppData(tx: UnitOfWork, input: { customerId: string; appData: CustomerBillingAppData }): CustomerBilling {
    const { customer, profileId, paymentApp } = this.appDataTarget(tx, input);
    const data = this.store(tx, customer, paymentApp, input.appData, 'stripe', false);
    return { billingProfileId: profileId, paymentApp, ...(data ? { data } : {}) };
  }

  /**
   * What Stripe must confirm before `updateCustomerBilling` / `updateCustomerBillingAppData`
   * store Stripe data (adapter/customer.go UpsertStripeCustomerData: the customer exists, the
   * payment method is its own): the same checks as the update, nothing written. Undefined when
   * the payment app is not Stripe.
   */
  stripeDataToVerify(
    tx: UnitOfWork,
    input: { customerId: string; billingProfileId?: string; appData?: CustomerBillingAppData; route: 'billing' | 'appData' },
  ): { app: App; stripeCustomerId: string; stripeDefaultPaymentMethodId?: string } | undefined {
    const { paymentApp } = input.route === 'billing' ? this.billingTarget(tx, input) : this.appDataTarget(tx, input);
    if (paymentApp.type !== AppType.stripe) return undefined;
    const stripe = this.checkStripe(input.appData, input.route === 'billing' ? 'app_data.stripe' : 'stripe', input.route === 'billing');
    return { app: paymentApp, stripeCustomerId: stripe.customerId, ...(stripe.defaultPaymentMethodId !== undefined ? { stripeDefaultPaymentMethodId: stripe.defaultPaymentMethodId } : {}) };
  }

  private billingTarget(tx: UnitOfWork, input: { customerId: string; billingProfileId?: string }) {
    const customer = this.liveCustomer(tx, input.customerId);
    const profile =
      input.billingProfileId !== undefined ? this.deps.profiles.getLiveProfile(tx, { id: input.billingProfileId }) : this.deps.profiles.getDefaultProfile(tx);
    const paymentApp = this.deps.apps.getApp(tx, { id: profile.apps.payment });
    return { customer, profile, paymentApp };
  }

  private appDataTarget(tx: UnitOfWork, input: { customerId: string }) {
    const customer = this.liveCustomer(tx, input.customerId);
    const details = this.deps.profiles.getCustomerBillingDetails(tx, { customerId: customer.id });
    const paymentApp = this.deps.apps.getApp(tx, { id: details.effective.apps.payment });
    return { customer, profileId: details.baseProfile.id, paymentApp };
  }

  private checkStripe(appData: CustomerBillingAppData | undefined, stripeField: string, fromBillingPut: boolean): { customerId: string; defaultPaymentMethodId?: string } {
    const stripe = appData?.stripe;
    if (!stripe) throw required(stripeField, 'Stripe data is required');
    if (stripe.customerId === undefined) throw required('stripe.customer_id', 'Stripe Customer ID is required');
    // the app-data route checks the payment method's shape before asking Stripe about it
    if (!fromBillingPut && stripe.defaultPaymentMethodId !== undefined && !stripe.defaultPaymentMethodId.startsWith(PAYMENT_METHOD_PREFIX)) {
      throw validationError(E.invalidPaymentMethod, `default payment method id must start with ${PAYMENT_METHOD_PREFIX}`, [
        { code: E.invalidPaymentMethod, message: `must start with ${PAYMENT_METHOD_PREFIX}`, field: 'stripe.default_payment_method_id', severity: 'critical' },
      ]);
    }
    return { customerId: stripe.customerId, ...(stripe.defaultPaymentMethodId !== undefined ? { defaultPaymentMethodId: stripe.defaultPaymentMethodId } : {}) };
  }

  private liveCustomer(tx: UnitOfWork, idOrKey: string): Customer {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey });
    if (customer.deletedAt) throw new DomainError(ErrorKind.gone, E.customerDeleted, 'customer is deleted');
    return customer;
  }

  /**
   * Validates and stores what the app keeps. Stripe: `stripe` and its `customer_id` are
   * required; labels are echoed by the caller but never stored. External invoicing: the labels
   * replace the stored ones (the customer app data's metadata). Sandbox keeps nothing.
   */
  private store(tx: UnitOfWork, customer: Customer, app: App, appData: CustomerBillingAppData | undefined, stripeField: string, fromBillingPut: boolean): CustomerAppData | undefined {
    switch (app.type) {
      case AppType.stripe: {
        const stripe = this.checkStripe(appData, stripeField, fromBillingPut);
        return this.deps.apps.putCustomerAppData(tx, {
          customerId: customer.id,
          appId: app.id,
          stripeCustomerId: stripe.customerId,
          ...(stripe.defaultPaymentMethodId !== undefined ? { stripeDefaultPaymentMethodId: stripe.defaultPaymentMethodId } : {}),
        });
      }
      case AppType.customInvoicing: {
        const labels = appData?.externalInvoicing?.labels;
        return this.deps.apps.putCustomerAppData(tx, { customerId: customer.id, appId: app.id, ...(labels ? { metadata: labels } : {}) });
      }
      default:
        return undefined;
    }
  }
}

const required = (field: string, message: string): DomainError =>
  validationError('required', message, [{ code: 'required', message, field, severity: 'critical' }]);
