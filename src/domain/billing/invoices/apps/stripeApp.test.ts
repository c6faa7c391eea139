import { describe, expect, it } from 'vitest';
import { daysUntilDue, formatAmount, formatQuantity, toStripeAmount } from './stripeApp.ts';

// openmeter/app/stripe/calculator.go (+ calculator_test.go), appinvoice.go createInvoice
describe('Stripe calculator', () => {
  it.each([
    ['49', 'USD', 4900],
    ['10.505', 'USD', 1051],
    ['-10.505', 'USD', -1051],
    ['0.004', 'USD', 0],
    ['1500', 'JPY', 1500],
    ['1.2345', 'BHD', 1235],
  ])('RoundToAmount(%s %s) = %i (half away from zero, the currency precision)', (amount, currency, minor) => {
    expect(toStripeAmount(amount, currency)).toBe(minor);
  });

  it.each([
    ['103000025', '103,000,025'],
    ['12.5', '12.50'],
    ['1234.567', '1,234.57'],
    ['45', '45'],
  ])('FormatQuantity(%s) = %s', (q, text) => {
    expect(formatQuantity(q)).toBe(text);
  });

  it.each([
    ['100', 'USD', '$100'],
    ['2', 'USD', '$2'],
    ['1000', 'USD', '$1,000'],
    // non-integer: as many decimals as amount × 10^12 has digits (alpacadecimal NumDigits)
    ['0.00000075', 'USD', '$0.000001'],
    ['0.5', 'USD', '$0.500000000000'],
  ])('FormatAmount(%s %s) = %s', (amount, currency, text) => {
    expect(formatAmount(amount, currency)).toBe(text);
  });

  it.each([
    ['P30D', 30],
    ['P2W', 14],
    ['PT72H', 3],
    // a due period that truncates to 0 days counts the days to now + dueAfter
    ['P1M', 31],
  ])('days_until_due for dueAfter %s is %i', (due, days) => {
    expect(daysUntilDue(due, new Date('2026-01-01T00:00:00Z'))).toBe(days);
  });
});
