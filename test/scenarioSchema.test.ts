import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../src/harness/scenario.ts';

/**
 * schemas/scenario.schema.json is what editors complete scenarios from; the runner's own parser
 * is what refuses a bad one with file:line:column. Both must agree on what a scenario is.
 */
const schema = JSON.parse(readFileSync('schemas/scenario.schema.json', 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, validateFormats: false });
const validate = ajv.compile(schema);
const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml'));

describe('the scenario JSON Schema', () => {
  it.each(files)('%s names the schema and satisfies it', (file) => {
    const doc = parse(readFileSync(join('scenarios', file), 'utf8')) as Record<string, unknown>;
    expect(doc.$schema).toBe('../schemas/scenario.schema.json');
    validate(doc);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('ships in the package', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('schemas');
  });

  const parserRefuses = (text: string) => {
    try {
      parseScenario(text, 'x.yaml');
      return false;
    } catch (err) {
      if (err instanceof ScenarioError) return true;
      throw err;
    }
  };
  const cases: Array<[string, string]> = [
    ['an unknown step key', 'name: x\nsteps:\n  - reqeust: { method: GET, path: /api/v1/meters }\n'],
    ['two actions in one step', 'name: x\nsteps:\n  - advance: P1M\n    invoices: { customer: acme }\n'],
    ['a path without a leading /', 'name: x\nsteps:\n  - request: { method: GET, path: api/v1/meters }\n'],
    ['a duration that is not ISO 8601', 'name: x\nsteps:\n  - advance: one month\n'],
    ['generate without a period end', 'name: x\nsteps:\n  - generate: { type: t, subjects: [a], perDay: 1, from: "2026-01-01T00:00:00Z" }\n'],
    ['generate with an unknown value shape', 'name: x\nsteps:\n  - generate: { type: t, subjects: [a], perDay: 1, from: "2026-01-01T00:00:00Z", days: 1, data: { v: { gauss: [1, 2] } } }\n'],
    ['balance without a customer', 'name: x\nsteps:\n  - balance: { feature: calls }\n'],
    ['a save without a match', 'name: x\nsteps:\n  - request: { method: GET, path: /api/v1/meters }\n    save: { s: { path: url } }\n'],
    ['an unknown top-level key', 'name: x\nstart: 2026-01-01T00:00:00Z\nsteps: []\nsnapshots: here\n'],
  ];
  it.each(cases)('the schema and the parser both refuse %s', (_what, text) => {
    expect(validate(parse(text))).toBe(false);
    expect(parserRefuses(text)).toBe(true);
  });

  it('the schema and the parser both accept every step kind', () => {
    const text = `name: x
steps:
  - request: { method: GET, path: /api/v1/meters }
    expect: { status: 200 }
  - ingest: [{ type: t, subject: a, data: { v: 1 } }]
  - generate: { type: t, subjects: [a], perDay: { int: [1, 3] }, from: "2026-01-01T00:00:00Z", to: "2026-01-03T00:00:00Z", data: { v: { float: [0, 1], decimals: 3 }, m: { weighted: { a: 3, b: 1 } }, n: { faker: company.name }, k: { pick: [x, y] }, c: eu } }
  - advance: { to: "2026-02-01T00:00:00Z" }
  - invoices:
  - invoices: { customer: acme, includeGathering: true }
    snapshot: all
  - balance: { customer: acme, feature: calls }
    save: { b: balance, s: { path: url, match: "/checkout/([^/?]+)" } }
`;
    validate(parse(text));
    expect(validate.errors ?? []).toEqual([]);
    expect(parserRefuses(text)).toBe(false);
  });
});
