import { ok, type Handler } from '../../http/types.ts';
import { toApiCurrency, toApiProgress, toPrometheusText } from '../convert/reference.ts';

/** bare array, ISO 4217 billing currencies by code */
export const listCurrencies: Handler = (c) => ok(c.services.currencies.listFiatCurrencies().map(toApiCurrency));

export const getProgress: Handler = (c) => ok(toApiProgress(c.read((tx) => c.services.info.getProgress(tx, c.params.id!))));

export const getDebugMetrics: Handler = (c) => ({
  status: 200,
  raw: true,
  contentType: 'text/plain; version=0.0.4; charset=utf-8',
  body: toPrometheusText(c.read((tx) => c.services.info.countEventsToday(tx)).counts),
});
