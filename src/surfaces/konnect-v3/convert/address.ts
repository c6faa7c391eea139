import type { Address } from '../../../domain/customers/types.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];

/** Postal addresses are the same on customers and billing profiles: one mapping for both. */
export function fromApiAddress(a: S['Address']): Address {
  const out: Address = {};
  if (a.country !== undefined) out.country = a.country;
  if (a.postal_code !== undefined) out.postalCode = a.postal_code;
  if (a.state !== undefined) out.state = a.state;
  if (a.city !== undefined) out.city = a.city;
  if (a.line1 !== undefined) out.line1 = a.line1;
  if (a.line2 !== undefined) out.line2 = a.line2;
  if (a.phone_number !== undefined) out.phoneNumber = a.phone_number;
  return out;
}

export function toApiAddress(a: Address): S['Address'] {
  const out: S['Address'] = {};
  if (a.country !== undefined) out.country = a.country;
  if (a.postalCode !== undefined) out.postal_code = a.postalCode;
  if (a.state !== undefined) out.state = a.state;
  if (a.city !== undefined) out.city = a.city;
  if (a.line1 !== undefined) out.line1 = a.line1;
  if (a.line2 !== undefined) out.line2 = a.line2;
  if (a.phoneNumber !== undefined) out.phone_number = a.phoneNumber;
  return out;
}
