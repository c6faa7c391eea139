import { AppType, CapabilityType as C, InstallMethod, type Capability, type MarketplaceListing } from './types.ts';

// Keys and texts of the generic capabilities follow OpenMeter's app registry; the Stripe ones are
// the vendor document's example listing.
const generic: Record<'tax' | 'invoice' | 'payment', Capability> = {
  tax: { type: C.calculateTax, key: 'calculate_tax', name: 'Calculate Tax', description: 'Calculate tax for a payment' },
  invoice: { type: C.invoiceCustomers, key: 'invoice_customers', name: 'Invoice Customers', description: 'Invoice customers' },
  payment: { type: C.collectPayments, key: 'collect_payments', name: 'Collect Payments', description: 'Collect payments' },
};

/** The marketplace: config, not data (the same in every namespace), in this order. */
export const MARKETPLACE_LISTINGS: readonly MarketplaceListing[] = [
  {
    type: AppType.stripe,
    name: 'Stripe',
    description: 'Stripe integration allows you to collect payments with Stripe.',
    capabilities: [
      { type: C.calculateTax, key: 'stripe_calculate_tax', name: 'Calculate Tax', description: 'Stripe Tax calculates tax portion of the invoices.' },
      { type: C.invoiceCustomers, key: 'stripe_invoice_customers', name: 'Invoice Customers', description: 'Stripe invoices customers with due amount.' },
      {
        type: C.collectPayments,
        key: 'stripe_collect_payments',
        name: 'Collect Payments',
        description: "Stripe payments collects outstanding revenue with Stripe customer's default payment method.",
      },
    ],
    installMethods: [InstallMethod.oauth2, InstallMethod.apiKey],
  },
  {
    type: AppType.sandbox,
    name: 'Sandbox',
    description: 'Sandbox can be used as a no-op invoicing app for testing purposes.',
    capabilities: [generic.tax, generic.invoice, generic.payment],
    installMethods: [InstallMethod.noCredentials],
  },
  {
    type: AppType.customInvoicing,
    name: 'Custom Invoicing',
    description: 'Custom Invoicing app can be used for interface with any invoicing or payment system.',
    capabilities: [generic.tax, generic.invoice, generic.payment],
    installMethods: [InstallMethod.noCredentials],
  },
];

export const listingOf = (type: string): MarketplaceListing | undefined => MARKETPLACE_LISTINGS.find((l) => l.type === type);

export const hasCapability = (type: string, cap: C): boolean => listingOf(type)?.capabilities.some((c) => c.type === cap) ?? false;
