import { describe, expect, it } from 'vitest';
import { parseJsonInSteps } from './steppedJson.ts';

/** What JSON.parse answers (the value, or the error message) — the stepped parse must answer the same. */
const outcome = async (parse: () => unknown | Promise<unknown>): Promise<{ value?: unknown; error?: string }> => {
  try {
    return { value: await parse() };
  } catch (e) {
    return { error: (e as Error).message };
  }
};

const big = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `e${i}`, s: i % 7 === 0 ? 'a,b]}[{"' : `x\\"${i}`, n: i % 3 === 0 ? [1, [2, { z: '}' }]] : i, u: 'é☃' }));

describe('parseJsonInSteps', () => {
  const cases: Array<[string, string]> = [
    ['object', '{"a":[1,2,{"b":"]"}]}'],
    ['scalar', '  42 '],
    ['empty array', '[]'],
    ['spaced empty array', ' [ \n ] '],
    ['strings with brackets, commas and escapes', '["a,b", "c]d", "e\\"f,]", "\\\\", {"x": "{,}"}]'],
    ['nested arrays', '[[1,[2,3]],[],{"a":[]}]'],
    ['trailing comma', '[1,2,]'],
    ['leading comma', '[,1]'],
    ['double comma', '[1,,2]'],
    ['missing comma', '[1 2]'],
    ['unclosed', '[1,2'],
    ['garbage after', '[1,2] x'],
    ['mismatched close', '[{"a":1]}'],
    ['unterminated string', '["abc]'],
    ['number out of range', '[1e400, -1e400]'],
    ['__proto__ key', '[{"__proto__": {"polluted": true}}]'],
  ];
  it.each(cases)('%s: the same value or error as JSON.parse', async (_name, text) => {
    expect(await outcome(() => parseJsonInSteps(text))).toEqual(await outcome(() => JSON.parse(text)));
  });

  it('a batch of several megabytes (many steps) parses to exactly the same value', async () => {
    const text = JSON.stringify(big(40_000));
    expect(text.length).toBeGreaterThan(2 * 1024 * 1024);
    expect(await parseJsonInSteps(text)).toEqual(JSON.parse(text));
  });

  it('a malformed element deep in a large batch fails as JSON.parse fails', async () => {
    const text = JSON.stringify(big(40_000));
    for (const broken of [text.replace('"e35000"', '"e35000",'), text.replace('"e35000"', 'e35000'), text.slice(0, -1) + ',]', text.replace('},{"id":"e30000"', '},,{"id":"e30000"')]) {
      const expected = await outcome(() => JSON.parse(broken));
      expect(expected.error).toBeDefined();
      expect(await outcome(() => parseJsonInSteps(broken))).toEqual(expected);
    }
  });

  it('yields to the event loop while it works', async () => {
    const text = JSON.stringify(big(40_000));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await parseJsonInSteps(text);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(1);
  });
});
