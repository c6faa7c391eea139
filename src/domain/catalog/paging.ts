import { validationError } from '../shared/errors.ts';
import { CatalogErrorCode } from './errors.ts';
import type { Page, PageInput } from './types.ts';

const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 100;

const badInt = (v: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER) =>
  v !== undefined && (!Number.isInteger(v) || v < min || v > max);

/** page/pageSize paging (v1 default page 1 × 100); limit/offset wins when given. */
export function paginate<T>(items: T[], input: PageInput): Page<T> {
  if (badInt(input.page, 1) || badInt(input.pageSize, 1, MAX_PAGE_SIZE) || badInt(input.limit, 1, MAX_PAGE_SIZE) || badInt(input.offset, 0)) {
    throw validationError(CatalogErrorCode.invalidPagination, 'invalid pagination: page ≥ 1, 1 ≤ pageSize/limit ≤ 1000, offset ≥ 0');
  }
  if (input.limit !== undefined || input.offset !== undefined) {
    const limit = input.limit ?? DEFAULT_PAGE_SIZE;
    const offset = input.offset ?? 0;
    return { items: items.slice(offset, offset + limit), totalCount: items.length, page: Math.floor(offset / limit) + 1, pageSize: limit };
  }
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? DEFAULT_PAGE_SIZE;
  return { items: items.slice((page - 1) * pageSize, page * pageSize), totalCount: items.length, page, pageSize };
}

/** Stable sort by one field with the id as tie-breaker (ids are ULIDs: creation order). */
export function sortBy<T extends { id: string }>(items: T[], field: (t: T) => string | number, order: 'ASC' | 'DESC' = 'ASC'): T[] {
  const dir = order === 'DESC' ? -1 : 1;
  return [...items].sort((a, b) => {
    const fa = field(a);
    const fb = field(b);
    if (fa < fb) return -dir;
    if (fa > fb) return dir;
    return a.id < b.id ? -dir : a.id > b.id ? dir : 0;
  });
}
