import { describe, expect, it } from 'vitest';
import { jsonDecodeError, quoteChar } from './jsonDecodeError.ts';

// Go encoding/json (scanner.go, Decoder.Decode): the message the real service puts in its 400s
describe('jsonDecodeError (Go json.Decoder messages)', () => {
  it.each([
    ['{"a":1}', undefined],
    ['[1, 2.5e-3, true, false, null, "x\\u00e9"]', undefined],
    ['{"a":1} trailing', undefined], // the Decoder reads the first value only
    ['12 3', undefined],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['[1 2]', "invalid character '2' after array element"],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['x', "invalid character 'x' looking for beginning of value"],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a":fals}', "invalid character '}' in literal false (expecting 'e')"],
    ['{"a":nul}', "invalid character '}' in literal null (expecting 'l')"],
    ['{"a":-x}', "invalid character 'x' in numeric literal"],
    ['{"a":1.}', "invalid character '}' after decimal point in numeric literal"],
    ['{"a":1e}', "invalid character '}' in exponent of numeric literal"],
    ['{"a":01}', "invalid character '1' after object key:value pair"], // 0 is a complete number
    ['"ab\u0001"', "invalid character '\\x01' in string literal"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ['{"a":"\\x"}', "invalid character 'x' in string escape code"],
    ['{"a":"\\u12g4"}', "invalid character 'g' in \\u hexadecimal character escape"],
    ['{"a":1', 'unexpected EOF'],
    ['{"a":"abc', 'unexpected EOF'],
    ['', 'EOF'],
    ['  \n', 'EOF'],
  ])('%j → %s', (text, want) => {
    expect(jsonDecodeError(text)).toBe(want);
  });

  it.each([
    [0x27, "'\\''"],
    [0x22, `'"'`],
    [0x5c, "'\\\\'"],
    [0x09, "'\\t'"],
    [0x7f, "'\\x7f'"],
    [0x41, "'A'"],
    [0xc3, "'Ã'"], // the lead byte of a UTF-8 sequence reads as its Latin-1 rune
    [0x85, "'\\u0085'"],
    [0xa0, "'\\u00a0'"],
  ])('quoteChar(%i) = %s', (c, want) => {
    expect(quoteChar(c)).toBe(want);
  });
});
