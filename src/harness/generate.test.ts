import { describe, expect, it } from 'vitest';
import { generateEvents, type GenerateSpec } from './generate.ts';

const spec: GenerateSpec = {
  type: 'api_call',
  subjects: ['acme', 'globex'],
  perDay: 5,
  from: '2026-01-01T00:00:00Z',
  days: 3,
  data: {
    tokens: { int: [100, 900] },
    latency: { float: [0.1, 2], decimals: 3 },
    model: { weighted: { gpt: 3, claude: 1 } },
    region: { pick: ['eu', 'us'] },
    company: { faker: 'company.name' },
    plan: 'pro',
  },
};

describe('generated usage', () => {
  it('is the same event for event from the same seed', async () => {
    const a = await generateEvents(spec, { seed: 7, idPrefix: 'g' });
    const b = await generateEvents(spec, { seed: 7, idPrefix: 'g' });
    expect(a).toEqual(b);
  });

  it('differs for another seed, in times and values, with the same shape', async () => {
    const a = await generateEvents(spec, { seed: 7, idPrefix: 'g' });
    const b = await generateEvents(spec, { seed: 8, idPrefix: 'g' });
    expect(b).toHaveLength(a.length);
    expect(b.map((e) => e.time)).not.toEqual(a.map((e) => e.time));
    expect(b.map((e) => e.data.tokens)).not.toEqual(a.map((e) => e.data.tokens));
    // a step's own seed wins over the scenario's
    expect(await generateEvents({ ...spec, seed: 8 }, { seed: 7, idPrefix: 'g' })).toEqual(b);
  });

  it('makes perDay events a day per subject inside the period, values within their shapes', async () => {
    const events = await generateEvents(spec, { seed: 1, idPrefix: 'gen-3' });
    expect(events).toHaveLength(5 * 3 * 2); // perDay × days × subjects
    expect(events.filter((e) => e.subject === 'acme')).toHaveLength(15);
    for (let d = 0; d < 3; d++) {
      const day = events.filter((e) => e.time.startsWith(`2026-01-0${d + 1}`));
      expect(day).toHaveLength(10);
      expect(day.map((e) => e.time)).toEqual([...day.map((e) => e.time)].sort());
    }
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => `gen-3-${i + 1}`));
    for (const e of events) {
      expect(e.time >= '2026-01-01T00:00:00' && e.time < '2026-01-04T00:00:00').toBe(true);
      expect(Number.isInteger(e.data.tokens) && (e.data.tokens as number) >= 100 && (e.data.tokens as number) <= 900).toBe(true);
      expect(e.data.latency as number).toBeGreaterThanOrEqual(0.1);
      expect(e.data.latency as number).toBeLessThanOrEqual(2);
      expect(['gpt', 'claude']).toContain(e.data.model);
      expect(['eu', 'us']).toContain(e.data.region);
      expect(typeof e.data.company).toBe('string');
      expect(e.data.plan).toBe('pro');
    }
  });

  it('draws a count per day and subject from { int: [min, max] }, and stops at `to`', async () => {
    const events = await generateEvents({ type: 't', subjects: ['a'], perDay: { int: [2, 4] }, from: '2026-01-01T00:00:00Z', to: '2026-01-02T12:00:00Z' }, { seed: 3, idPrefix: 'g' });
    const first = events.filter((e) => e.time < '2026-01-02');
    const second = events.filter((e) => e.time >= '2026-01-02');
    expect(first.length).toBeGreaterThanOrEqual(2);
    expect(first.length).toBeLessThanOrEqual(4);
    expect(second.length).toBeGreaterThanOrEqual(2);
    expect(second.every((e) => e.time < '2026-01-02T12:00:00')).toBe(true);
  });

  it('names a faker method that does not exist', async () => {
    await expect(generateEvents({ ...spec, data: { x: { faker: 'company.nope' } } }, { seed: 1, idPrefix: 'g' })).rejects.toThrow(/faker has no company.nope\(\)/);
  });
});
