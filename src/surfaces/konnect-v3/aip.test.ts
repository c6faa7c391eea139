import { describe, expect, it } from 'vitest';
import { AipQueryError, applyFilters, matchCondition, pageOf, parseCursorPage, parseFilters, parsePage, parseSort, sortItems, type FilterCondition } from './aip.ts';

const FIELDS = { name: { kind: 'string' }, created_at: { kind: 'datetime' }, status: { kind: 'string', ops: ['eq', 'oeq', 'neq'] } } as const;

describe('parseFilters', () => {
  it.each([
    [{ name: 'a' }, [{ field: 'name', op: 'eq', value: 'a' }]],
    [{ name: { neq: 'a' } }, [{ field: 'name', op: 'neq', value: 'a' }]],
    [{ name: { oeq: 'a, b,,c' } }, [{ field: 'name', op: 'oeq', value: ['a', 'b', 'c'] }]],
    [{ name: { ocontains: 'x,y' } }, [{ field: 'name', op: 'ocontains', value: ['x', 'y'] }]],
    [{ name: { exists: 'false' } }, [{ field: 'name', op: 'exists', value: false }]],
    [{ name: { nexists: '' } }, [{ field: 'name', op: 'nexists', value: true }]],
    [{ created_at: { gte: '2026-01-01T00:00:00Z', lt: '2026-02-01T00:00:00Z' } }, [
      { field: 'created_at', op: 'gte', value: '2026-01-01T00:00:00Z' },
      { field: 'created_at', op: 'lt', value: '2026-02-01T00:00:00Z' },
    ]],
    [undefined, []],
  ])('%j → %j', (raw, want) => {
    expect(parseFilters(raw, FIELDS)).toEqual(want);
  });

  it.each([
    [{ nope: 'a' }, 'filter[nope]'],
    [{ name: { like: 'a' } }, 'filter[name][like]'],
    [{ status: { contains: 'a' } }, 'filter[status][contains]'],
    [{ created_at: { contains: 'a' } }, 'filter[created_at][contains]'],
    [{ created_at: { gt: 'yesterday' } }, 'filter[created_at][gt]'],
    [{ name: { oeq: ',' } }, 'filter[name][oeq]'],
    [{ name: { exists: 'maybe' } }, 'filter[name][exists]'],
    ['name=a', 'filter'],
  ])('rejects %j naming %s', (raw, param) => {
    try {
      parseFilters(raw, FIELDS);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AipQueryError);
      expect((e as AipQueryError).status).toBe(400);
      expect((e as AipQueryError).errors[0]).toMatchObject({ path: `.query.${param}`, location: 'query' });
    }
  });
});

describe('matchCondition', () => {
  const c = (op: FilterCondition['op'], value: FilterCondition['value']): FilterCondition => ({ field: 'f', op, value });
  it.each([
    ['abc', c('eq', 'abc'), true],
    ['abc', c('eq', 'ABC'), false],
    ['abc', c('neq', 'abc'), false],
    [undefined, c('neq', 'abc'), true],
    ['Hello World', c('contains', 'world'), true],
    ['Hello', c('ocontains', ['x', 'ell']), true],
    ['b', c('oeq', ['a', 'b']), true],
    ['c', c('oeq', ['a', 'b']), false],
    ['b', c('gt', 'a'), true],
    ['a', c('gte', 'a'), true],
    ['a', c('lt', 'a'), false],
    ['a', c('lte', 'a'), true],
    [undefined, c('gt', 'a'), false],
    [null, c('exists', true), false],
    ['x', c('exists', true), true],
    [null, c('exists', false), true],
    [null, c('nexists', true), true],
    ['x', c('nexists', true), false],
  ])('%j %j → %s', (v, cond, want) => {
    expect(matchCondition(v, cond)).toBe(want);
  });

  it.each([
    ['2026-01-01T01:00:00+01:00', c('eq', '2026-01-01T00:00:00Z'), true],
    ['2026-01-01T00:00:00.500Z', c('gt', '2026-01-01T00:00:00Z'), true],
    ['2025-12-31T23:59:59Z', c('gte', '2026-01-01T00:00:00Z'), false],
  ])('date-time %s %j → %s', (v, cond, want) => {
    expect(matchCondition(v, cond, 'datetime')).toBe(want);
  });

  it('applyFilters keeps rows matching every condition', () => {
    const rows = [{ n: 'alpha', s: 'active' }, { n: 'beta', s: 'draft' }, { n: 'alphabet', s: 'draft' }];
    const conds = parseFilters({ name: { contains: 'alpha' }, status: 'draft' }, FIELDS);
    expect(applyFilters(rows, conds, (r, f) => (f === 'name' ? r.n : r.s))).toEqual([{ n: 'alphabet', s: 'draft' }]);
  });
});

describe('parseSort / sortItems', () => {
  it.each([
    ['created_at desc', [{ field: 'created_at', desc: true }]],
    ['name asc', [{ field: 'name', desc: false }]],
    ['', [{ field: 'id', desc: false }]],
  ])('%j', (raw, want) => {
    expect(parseSort(raw, ['name', 'created_at'], [{ field: 'id', desc: false }])).toEqual(want);
  });
  // api/v3/request/sort.go: one field, lower-case order, at most two words
  it.each(['nope', 'name sideways', 'name desc extra', 'name DESC', 'name desc,created_at', 'name,created_at'])('rejects %j', (raw) => {
    expect(() => parseSort(raw, ['name', 'created_at'])).toThrow(AipQueryError);
  });
  it('sorts by several keys with a tie-break', () => {
    const rows = [
      { id: '3', a: 'x', b: 1 },
      { id: '1', a: 'y', b: 1 },
      { id: '2', a: 'x', b: 2 },
      { id: '0', a: 'x', b: 1 },
    ];
    const out = sortItems(rows, [{ field: 'b', desc: true }, { field: 'a', desc: false }], (r, f) => (f === 'a' ? r.a : r.b), (r) => r.id);
    expect(out.map((r) => r.id)).toEqual(['2', '0', '3', '1']);
  });
});

describe('pages', () => {
  it.each([
    [undefined, { number: 1, size: 20 }],
    [{ number: '3', size: '7' }, { number: 3, size: 7 }],
    [{ size: 1000 }, { number: 1, size: 1000 }],
  ])('parsePage %j', (raw, want) => {
    expect(parsePage(raw)).toEqual(want);
  });
  it.each([{ number: 0 }, { size: 0 }, { size: 1001 }, { number: 'x' }, { size: 1.5 }])('parsePage rejects %j', (raw) => {
    expect(() => parsePage(raw)).toThrow(AipQueryError);
  });
  it('parseCursorPage', () => {
    expect(parseCursorPage({ size: '5', after: 'abc' })).toEqual({ size: 5, after: 'abc' });
    expect(parseCursorPage(undefined, { size: 100 })).toEqual({ size: 100 });
    expect(() => parseCursorPage({ after: 'a', before: 'b' })).toThrow(AipQueryError);
  });
  it('pageOf slices and reports the total', () => {
    expect(pageOf([1, 2, 3, 4, 5], { number: 2, size: 2 }, (n) => n * 10)).toEqual({ data: [30, 40], meta: { page: { number: 2, size: 2, total: 5 } } });
    expect(pageOf([1], { number: 3, size: 2 }, (n) => n)).toEqual({ data: [], meta: { page: { number: 3, size: 2, total: 1 } } });
  });
});
