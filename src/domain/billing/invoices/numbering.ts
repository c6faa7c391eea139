import type { UnitOfWork } from '../../shared/unitOfWork.ts';
import type { SequenceDefinition } from './ports.ts';
import { InvoiceCollections } from './types.ts';

/**
 * `getCustomerPrefix` of `billing/sequence/service`: the name folded to ASCII and upper-cased;
 * one word → its first 4 characters, more → 2 of the first word and 2 of the second; empty → UNKN.
 */
export function customerPrefix(name: string): string {
  let prefix = prefixOfName.get(name);
  if (prefix === undefined) {
    prefix = foldPrefix(name);
    // a name is numbered at every invoice of its customer: folded once
    if (prefixOfName.size >= 10_000) prefixOfName.clear();
    prefixOfName.set(name, prefix);
  }
  return prefix;
}

const prefixOfName = new Map<string, string>();

function foldPrefix(name: string): string {
  const ascii = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]/g, '');
  const parts = ascii.toUpperCase().split(' ');
  if (parts.length === 0 || (parts.length === 1 && parts[0] === '')) return 'UNKN';
  if (parts.length === 1) return parts[0]!.slice(0, 4);
  return parts[0]!.slice(0, 2) + parts[1]!.slice(0, 2);
}

export const GATHERING_SEQUENCE: SequenceDefinition = { prefix: 'GATHER', scope: 'invoices/gathering' };
export const DRAFT_SEQUENCE: SequenceDefinition = { prefix: 'DRAFT', scope: 'invoices/draft' };

interface SequenceRecord {
  /** the scope */
  id: string;
  last: number;
}

/** The next number of a (namespace, scope) sequence, starting at 1. */
export function nextSequenceValue(tx: UnitOfWork, scope: string): number {
  const col = tx.collection<SequenceRecord>(InvoiceCollections.sequences);
  const last = (col.get(scope)?.last ?? 0) + 1;
  col.put({ id: scope, last });
  return last;
}

export function nextInvoiceNumber(tx: UnitOfWork, def: SequenceDefinition, customerName: string, currency?: string): string {
  const n = nextSequenceValue(tx, def.scope);
  return [def.prefix, customerPrefix(customerName), ...(currency ? [currency] : []), String(n)].join('-');
}
