import { validationError } from './errors.ts';

/**
 * One paging model for every list in the domain. OpenMeter v1 lists page by `page`/`pageSize`
 * (1 × 100 by default); a few take `limit`/`offset`, which wins when given. Surfaces translate
 * their own wire forms (v3 `page[size]`/`page[number]`, Zuplo `limit`/`offset`) into this.
 */
export interface PageInput {
  page?: number;
  pageSize?: number;
  limit?: number;
  offset?: number;
  order?: SortOrder;
}

export interface Page<T> {
  items: T[];
  totalCount: number;
  page: number;
  pageSize: number;
  /** index of the first item (limit/offset lists answer with it) */
  offset: number;
}

export type SortOrder = 'ASC' | 'DESC';

export const PagingErrorCode = { invalidPagination: 'invalid_pagination' } as const;

export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;

const badInt = (v: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
  v !== undefined && (!Number.isInteger(v) || v < min || v > max);

export function assertPageInput(input: PageInput): void {
  if (badInt(input.page, 1) || badInt(input.pageSize, 1, MAX_PAGE_SIZE) || badInt(input.limit, 1, MAX_PAGE_SIZE) || badInt(input.offset, 0)) {
    throw validationError(PagingErrorCode.invalidPagination, `invalid pagination: page ≥ 1, 1 ≤ pageSize/limit ≤ ${MAX_PAGE_SIZE}, offset ≥ 0`);
  }
}

export function paginate<T>(items: readonly T[], input: PageInput = {}): Page<T> {
  assertPageInput(input);
  if (input.limit !== undefined || input.offset !== undefined) {
    const limit = input.limit ?? DEFAULT_PAGE_SIZE;
    const offset = input.offset ?? 0;
    return { items: items.slice(offset, offset + limit), totalCount: items.length, page: Math.floor(offset / limit) + 1, pageSize: limit, offset };
  }
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? DEFAULT_PAGE_SIZE;
  return { items: items.slice((page - 1) * pageSize, page * pageSize), totalCount: items.length, page, pageSize, offset: (page - 1) * pageSize };
}

/** Stable sort by one field with the id as tie-breaker (ids are ULIDs: creation order). */
export function sortBy<T extends { id: string }>(items: readonly T[], field: (t: T) => string | number, order: SortOrder = 'ASC'): T[] {
  const dir = order === 'DESC' ? -1 : 1;
  return [...items].sort((a, b) => {
    const fa = field(a);
    const fb = field(b);
    if (fa < fb) return -dir;
    if (fa > fb) return dir;
    return a.id < b.id ? -dir : a.id > b.id ? dir : 0;
  });
}
