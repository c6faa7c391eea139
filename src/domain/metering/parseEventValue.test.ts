import { describe, expect, it } from 'vitest';
import { parseEventValue } from './parseEventValue.ts';
import type { MeterAggregation } from './types.ts';

// `openmeter/meter/parse.go ParseEvent`: the validation errors list-events shows (after "invalid event: ")
describe('parseEventValue errors', () => {
  it.each<[string, MeterAggregation, string | undefined, unknown, string]>([
    ['no data', 'SUM', '$.tokens', null, 'null and missing value property'],
    ['data that is a number decodes, the lookup fails', 'SUM', '$.tokens', 5, 'missing value property: "$.tokens"'],
    ['data that is a string decodes, the lookup fails', 'MAX', '$.tokens', 'abc', 'missing value property: "$.tokens"'],
    ['an array has no key', 'SUM', '$.tokens', [1, 2], 'missing value property: "$.tokens"'],
    ['missing key', 'SUM', '$.tokens', { other: 1 }, 'missing value property: "$.tokens"'],
    ['no value property on a non-COUNT meter', 'SUM', undefined, { tokens: 1 }, 'non count meter value property is missing'],
    ['null value', 'SUM', '$.tokens', { tokens: null }, 'value cannot be null'],
    ['bool value', 'SUM', '$.tokens', { tokens: true }, 'unsupported value property type: bool'],
    ['non-numeric string', 'SUM', '$.tokens', { tokens: 'many' }, 'value cannot be parsed as float64: many'],
  ])('%s', (_name, agg, vp, data, error) => {
    expect(parseEventValue(agg, vp, data)).toEqual({ ok: false, error });
  });

  it.each([null, 5, 'abc', { any: 1 }])('COUNT never needs a value (%j)', (data) => {
    expect(parseEventValue('COUNT', undefined, data)).toEqual({ ok: true });
  });
});
