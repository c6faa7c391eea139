import { AppType, CapabilityType as C, InstallMethod, type Capability, type MarketplaceListing } from './types.ts';

/**
 * Each app type has its own capability keys; names, texts and the order (payment, tax, invoice)
 * are OpenMeter's app registry: openmeter/app/stripe/marketplace.go,
 * openmeter/app/sandbox/marketplace.go, openmeter/app/custominvoicing/factory.go.
 */
const capabilitiesOf = (prefix: string): Capability[] => [
  { type: C.collectPayments, key: `${prefix}_collect_payment`, name: 'Payment', description: 'Process payments' },
  { type: C.calculateTax, key: `${prefix}_calculate_tax`, name: 'Calculate Tax', description: 'Calculate tax for a payment' },
  { type: C.invoiceCustomers, key: `${prefix}_invoice_customer`, name: 'Invoice Customer', description: 'Invoice a customer' },
];

/** The marketplace: config, not data (the same in every namespace), in this order. */
export const MARKETPLACE_LISTINGS: readonly MarketplaceListing[] = [
  {
    type: AppType.stripe,
    name: 'Stripe',
    description: 'Send invoices, calculate tax and collect payments.',
    capabilities: capabilitiesOf('stripe'),
    installMethods: [InstallMethod.apiKey],
  },
  {
    type: AppType.sandbox,
    name: 'Sandbox',
    description: 'Sandbox can be used to test OpenMeter without external connections.',
    capabilities: capabilitiesOf('sandbox'),
    installMethods: [InstallMethod.noCredentials],
  },
  {
    type: AppType.customInvoicing,
    name: 'Custom Invoicing',
    description: 'Custom Invoicing can be used to interface with third party invoicing and payment systems',
    capabilities: capabilitiesOf('custom_invoicing'),
    installMethods: [InstallMethod.noCredentials],
  },
];

/** The sandbox app every new organisation gets (openmeter/app/sandbox/helpers.go). */
export const PROVISIONED_SANDBOX_APP = { name: 'Sandbox', description: 'OpenMeter Sandbox App to be used for testing purposes.' } as const;

export const listingOf = (type: string): MarketplaceListing | undefined => MARKETPLACE_LISTINGS.find((l) => l.type === type);

export const hasCapability = (type: string, cap: C): boolean => listingOf(type)?.capabilities.some((c) => c.type === cap) ?? false;
