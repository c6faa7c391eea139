import type { Page } from '../../../domain/shared/paging.ts';

/** A domain page as OpenMeter v1 writes it: exactly these four fields. */
export const toApiPage = <T, U>(page: Page<T>, f: (t: T) => U) => ({
  totalCount: page.totalCount,
  page: page.page,
  pageSize: page.pageSize,
  items: page.items.map(f),
});
