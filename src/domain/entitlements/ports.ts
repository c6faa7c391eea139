import type { Feature } from '../catalog/types.ts';
import type { Customer } from '../customers/types.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';

/** Customers as the customers domain finds them (CustomerService implements this). */
export interface CustomerDirectory {
  /** by id (deleted included), else the live customer with that key */
  findCustomer(tx: UnitOfWork, idOrKey: string): Customer | undefined;
  /** the live customer a usage key (subject) is attributed to: key owner first, then subject keys */
  customerByUsageKey(tx: UnitOfWork, usageKey: string): Customer | undefined;
}

/** Features as the catalog finds them (FeatureService implements this). */
export interface FeatureDirectory {
  /** by id (archived included), else the live feature with that key */
  findFeature(tx: UnitOfWork, idOrKey: string): Feature | undefined;
}
