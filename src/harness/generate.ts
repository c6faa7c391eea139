/**
 * Generated usage for scenarios and the demo: N events a day per subject over a period, with
 * values drawn by @faker-js/faker from one seed, so a run is reproducible event for event and a
 * different seed gives different (but equally shaped) usage.
 *
 * ```yaml
 * - generate:
 *     type: api_call
 *     subjects: [acme, globex]
 *     perDay: 20                      # or { int: [10, 30] } for a seeded count per day
 *     from: 2026-01-01T00:00:00Z
 *     days: 31                        # or to: <instant>
 *     seed: 7                         # default: the scenario's seed
 *     data:
 *       tokens: { int: [100, 900] }
 *       model: { weighted: { gpt: 3, claude: 1 } }
 *       region: eu                    # a constant
 * ```
 */
export type ValueShape =
  | string
  | number
  | boolean
  | null
  | { int: [number, number] }
  | { float: [number, number]; decimals?: number }
  | { pick: unknown[] }
  | { weighted: Record<string, number> }
  | { faker: string };

export interface GenerateSpec {
  type: string;
  subjects: string[];
  perDay: number | { int: [number, number] };
  from: string;
  to?: string;
  days?: number;
  seed?: number;
  data?: Record<string, ValueShape>;
  source?: string;
}

export interface GeneratedEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  data: Record<string, unknown>;
}

/** The value shapes a `data` field may take, by their single key. */
export const SHAPES = ['int', 'float', 'pick', 'weighted', 'faker'] as const;

/** Where a generator stops, exclusive: `to`, else `from` + `days` whole days. */
export function generateEnd(spec: Pick<GenerateSpec, 'from' | 'to' | 'days'>): number {
  const from = Date.parse(spec.from);
  return spec.to !== undefined ? Date.parse(spec.to) : from + (spec.days ?? 1) * DAY;
}

const DAY = 86_400_000;

type FakerLike = {
  seed(n: number): unknown;
  number: { int(o: { min: number; max: number }): number; float(o: { min: number; max: number; fractionDigits?: number }): number };
  helpers: { arrayElement<T>(a: T[]): T; weightedArrayElement<T>(a: Array<{ weight: number; value: T }>): T };
};

/** One seeded faker; the English locale only loads when a `faker:` shape needs its data. */
export async function seededFaker(seed: number, withLocale = true): Promise<FakerLike> {
  const m = await import('@faker-js/faker');
  const f = new m.Faker({ locale: withLocale ? [m.en, m.base] : [m.base] });
  f.seed(seed);
  return f as unknown as FakerLike;
}

/** `company.name` → faker.company.name() */
function callFaker(faker: FakerLike, path: string): unknown {
  let target: unknown = faker;
  const parts = path.split('.');
  for (const p of parts.slice(0, -1)) target = (target as Record<string, unknown> | undefined)?.[p];
  const fn = (target as Record<string, unknown> | undefined)?.[parts.at(-1)!];
  if (typeof fn !== 'function') throw new Error(`faker has no ${path}() (e.g. company.name, internet.domainName, string.uuid)`);
  return (fn as () => unknown).call(target);
}

export function drawValue(faker: FakerLike, shape: ValueShape): unknown {
  if (shape === null || typeof shape !== 'object') return shape;
  if ('int' in shape) return faker.number.int({ min: shape.int[0], max: shape.int[1] });
  if ('float' in shape) return faker.number.float({ min: shape.float[0], max: shape.float[1], fractionDigits: shape.decimals ?? 2 });
  if ('pick' in shape) return faker.helpers.arrayElement(shape.pick);
  if ('weighted' in shape) return faker.helpers.weightedArrayElement(Object.entries(shape.weighted).map(([value, weight]) => ({ value, weight })));
  return callFaker(faker, shape.faker);
}

/**
 * The events in time order, ids `<prefix>-<n>` in that order. Draw order is fixed (day, subject,
 * count, then each event's time and fields), so the same spec and seed give the same events.
 */
export async function generateEvents(spec: GenerateSpec, opts: { seed: number; idPrefix: string; source?: string }): Promise<GeneratedEvent[]> {
  const needsLocale = Object.values(spec.data ?? {}).some((s) => s !== null && typeof s === 'object' && 'faker' in s);
  const faker = await seededFaker(spec.seed ?? opts.seed, needsLocale);
  const from = Date.parse(spec.from);
  const end = generateEnd(spec);
  const events: GeneratedEvent[] = [];
  let n = 0;
  for (let day = from; day < end; day += DAY) {
    const dayEnd = Math.min(day + DAY, end);
    const dayEvents: GeneratedEvent[] = [];
    for (const subject of spec.subjects) {
      const count = typeof spec.perDay === 'number' ? spec.perDay : faker.number.int({ min: spec.perDay.int[0], max: spec.perDay.int[1] });
      for (let i = 0; i < count; i++) {
        const time = faker.number.int({ min: day, max: dayEnd - 1 });
        const data: Record<string, unknown> = {};
        for (const [k, shape] of Object.entries(spec.data ?? {})) data[k] = drawValue(faker, shape);
        dayEvents.push({ specversion: '1.0', id: '', source: spec.source ?? opts.source ?? 'scenario', type: spec.type, subject, time: new Date(time).toISOString(), data });
      }
    }
    dayEvents.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    for (const e of dayEvents) e.id = `${opts.idPrefix}-${++n}`;
    events.push(...dayEvents);
  }
  return events;
}
