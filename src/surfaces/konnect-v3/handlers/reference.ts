import type { CurrencyView, LlmCostPrice } from '../../../domain/reference/types.ts';
import { noContent, ok, type Handler } from '../../http/types.ts';
import { applyFilters, pageOf, parseFilters, parsePage, parseSort, sortItems, type FilterOp } from '../aip.ts';
import type { components } from '../api.gen.ts';
import {
  fromApiCostBasisCreate,
  fromApiCustomCurrencyCreate,
  fromApiDefaultTaxCodesUpdate,
  fromApiLlmOverride,
  fromApiTaxCodeCreate,
  fromApiTaxCodeUpsert,
  llmPriceField,
  toApiCostBasis,
  toApiCurrency,
  toApiDefaultTaxCodes,
  toApiLlmPrice,
  toApiTaxCode,
} from '../convert/reference.ts';

type S = components['schemas'];

// ---------------------------------------------------------------------------------- currencies

const currencyField = (c: CurrencyView, f: string): string | undefined => ({ code: c.code, name: c.name, type: c.type })[f];
const TYPE_OPS: readonly FilterOp[] = ['eq'];

export const listCurrencies: Handler = (c) => {
  const filters = parseFilters(c.query.filter, { type: { kind: 'string', ops: TYPE_OPS }, code: { kind: 'string' } });
  const sort = parseSort(c.query.sort, ['code', 'name'], [{ field: 'code', desc: false }]);
  const page = parsePage(c.query.page);
  const expand = ([] as unknown[]).concat(c.query.expand ?? []);
  const all = c.read((tx) => c.services.currencies.listCurrencies(tx, { withCostBases: expand.includes('cost_basis') }));
  return ok(pageOf(sortItems(applyFilters(all, filters, currencyField), sort, currencyField, (x) => x.code), page, toApiCurrency));
};

export const createCustomCurrency: Handler = async (c) =>
  ok(toApiCurrency(await c.run((tx) => c.services.currencies.createCustomCurrency(tx, fromApiCustomCurrencyCreate(c.body as S['CreateCurrencyCustomRequest'])))), 201);

export const getCustomCurrency: Handler = (c) => ok(toApiCurrency(c.read((tx) => c.services.currencies.getCustomCurrency(tx, c.params.currencyId!))));

export const listCostBases: Handler = (c) => {
  const filter = (c.query.filter ?? {}) as { fiat_code?: string };
  const page = parsePage(c.query.page);
  const all = c.read((tx) => c.services.currencies.listCostBases(tx, c.params.currencyId!, filter.fiat_code !== undefined ? { fiatCode: filter.fiat_code } : {}));
  return ok(pageOf(all, page, toApiCostBasis));
};

export const createCostBasis: Handler = async (c) =>
  ok(toApiCostBasis(await c.run((tx) => c.services.currencies.createCostBasis(tx, c.params.currencyId!, fromApiCostBasisCreate(c.body as S['CreateCostBasisRequest'])))), 201);

// ---------------------------------------------------------------------------------- tax codes

export const listTaxCodes: Handler = (c) => {
  const page = parsePage(c.query.page);
  const includeDeleted = c.query.include_deleted === true || c.query.include_deleted === 'true';
  return ok(pageOf(c.read((tx) => c.services.taxCodes.listTaxCodes(tx, { includeDeleted })), page, toApiTaxCode));
};

export const createTaxCode: Handler = async (c) =>
  ok(toApiTaxCode(await c.run((tx) => c.services.taxCodes.createTaxCode(tx, fromApiTaxCodeCreate(c.body as S['CreateTaxCodeRequest'])))), 201);

export const getTaxCode: Handler = (c) => ok(toApiTaxCode(c.read((tx) => c.services.taxCodes.getTaxCode(tx, c.params.taxCodeId!))));

export const upsertTaxCode: Handler = async (c) =>
  ok(toApiTaxCode(await c.run((tx) => c.services.taxCodes.upsertTaxCode(tx, c.params.taxCodeId!, fromApiTaxCodeUpsert(c.body as S['UpsertTaxCodeRequest'])))));

export const deleteTaxCode: Handler = async (c) => {
  await c.run((tx) => c.services.taxCodes.deleteTaxCode(tx, c.params.taxCodeId!));
  return noContent();
};

export const getOrganizationDefaultTaxCodes: Handler = (c) => ok(toApiDefaultTaxCodes(c.read((tx) => c.services.taxCodes.getDefaultTaxCodes(tx))));

export const updateOrganizationDefaultTaxCodes: Handler = async (c) =>
  ok(
    toApiDefaultTaxCodes(
      await c.run((tx) => c.services.taxCodes.updateDefaultTaxCodes(tx, fromApiDefaultTaxCodesUpdate((c.body ?? {}) as S['UpdateOrganizationDefaultTaxCodesRequest']))),
    ),
  );

// ---------------------------------------------------------------------------------- LLM cost

const LLM_FILTERS = {
  provider: { kind: 'string' },
  model_id: { kind: 'string' },
  model_name: { kind: 'string' },
  currency: { kind: 'string' },
  source: { kind: 'string' },
} as const;
const LLM_SORT = ['id', 'provider.id', 'model.id', 'effective_from', 'effective_to'] as const;
const LLM_DEFAULT_SORT = [{ field: 'model.id', desc: false }];

const listLlm = (items: LlmCostPrice[], query: Record<string, unknown>, sortable: boolean) => {
  const filters = parseFilters(query.filter, LLM_FILTERS);
  const sort = sortable ? parseSort(query.sort, LLM_SORT, LLM_DEFAULT_SORT) : LLM_DEFAULT_SORT;
  const page = parsePage(query.page);
  return pageOf(sortItems(applyFilters(items, filters, llmPriceField), sort, llmPriceField, (p) => p.id), page, toApiLlmPrice);
};

export const listLlmCostPrices: Handler = (c) => ok(listLlm(c.read((tx) => c.services.llmCosts.listPrices(tx)), c.query, true));

export const getLlmCostPrice: Handler = (c) => ok(toApiLlmPrice(c.read((tx) => c.services.llmCosts.getPrice(tx, c.params.priceId!))));

export const listLlmCostOverrides: Handler = (c) => ok(listLlm(c.read((tx) => c.services.llmCosts.listOverrides(tx)), c.query, false));

export const createLlmCostOverride: Handler = async (c) =>
  ok(toApiLlmPrice(await c.run((tx) => c.services.llmCosts.createOverride(tx, fromApiLlmOverride(c.body as S['LLMCostOverrideCreate'])))), 201);

export const deleteLlmCostOverride: Handler = async (c) => {
  await c.run((tx) => c.services.llmCosts.deleteOverride(tx, c.params.priceId!));
  return noContent();
};
