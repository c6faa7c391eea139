/**
 * The error Go's `encoding/json` Decoder reports for a JSON text, or undefined when it decodes.
 * The real service decodes request bodies (and event data) with it, and its messages reach users
 * verbatim ("invalid character '}' looking for beginning of object key string", "unexpected EOF"),
 * so the emulator reproduces them. This is a port of the scanner's state machine (encoding/json
 * scanner.go) over UTF-8 bytes, not a parser: it only finds the first syntax error.
 *
 * Decoder semantics: only the first value is read, so trailing bytes after a complete value are not
 * an error; input that ends inside a value is "unexpected EOF"; input with no value at all is "EOF".
 */
export function jsonDecodeError(text: string): string | undefined {
  const bytes = new TextEncoder().encode(text);
  const s = new Scanner();
  for (const c of bytes) {
    const r = s.step(c);
    if (r === 'error') return s.err;
    if (r === 'end') return undefined;
  }
  // EOF: a value that can still end (a number) ends here; anything else was cut short
  if (s.step(0x20) === 'end') return undefined;
  if (s.err) return s.err;
  return bytes.some((c) => !isSpace(c)) ? 'unexpected EOF' : 'EOF';
}

type Result = 'continue' | 'end' | 'error';
type State = (c: number) => Result;
const enum Parse {
  objectKey,
  objectValue,
  arrayValue,
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const ch = (s: string): number => s.charCodeAt(0);

const GO_ESCAPES: Record<number, string> = { 0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v', 0x5c: '\\\\' };

/** Go strconv.IsPrint for U+0080..U+00FF: C1 controls, NBSP and the soft hyphen are not printable. */
const latin1Printable = (c: number): boolean => c > 0xa0 && c !== 0xad;

/** scanner.go quoteChar: the byte as a Go quoted char (a lone UTF-8 lead byte reads as its Latin-1 rune) */
export function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  if (GO_ESCAPES[c]) return `'${GO_ESCAPES[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if (c < 0x80 || latin1Printable(c)) return `'${String.fromCharCode(c)}'`;
  return `'\\u${c.toString(16).padStart(4, '0')}'`;
}

class Scanner {
  private state: State = (c) => this.beginValue(c);
  private readonly stack: Parse[] = [];
  err = '';

  step(c: number): Result {
    return this.state(c);
  }

  private fail(c: number, context: string): Result {
    this.state = () => 'error';
    this.err = `invalid character ${quoteChar(c)} ${context}`;
    return 'error';
  }

  private to(next: State): Result {
    this.state = next;
    return 'continue';
  }

  private beginValueOrEmpty(c: number): Result {
    if (isSpace(c)) return 'continue';
    if (c === ch(']')) return this.endValue(c);
    return this.beginValue(c);
  }

  private beginValue(c: number): Result {
    if (isSpace(c)) return 'continue';
    switch (c) {
      case ch('{'):
        this.stack.push(Parse.objectKey);
        return this.to((x) => this.beginStringOrEmpty(x));
      case ch('['):
        this.stack.push(Parse.arrayValue);
        return this.to((x) => this.beginValueOrEmpty(x));
      case ch('"'):
        return this.to((x) => this.inString(x));
      case ch('-'):
        return this.to((x) => this.neg(x));
      case ch('0'):
        return this.to((x) => this.zero(x));
      case ch('t'):
        return this.to(this.literal('true', 1));
      case ch('f'):
        return this.to(this.literal('false', 1));
      case ch('n'):
        return this.to(this.literal('null', 1));
    }
    if (c >= ch('1') && c <= ch('9')) return this.to((x) => this.one(x));
    return this.fail(c, 'looking for beginning of value');
  }

  private beginStringOrEmpty(c: number): Result {
    if (isSpace(c)) return 'continue';
    if (c === ch('}')) {
      this.stack[this.stack.length - 1] = Parse.objectValue;
      return this.endValue(c);
    }
    return this.beginString(c);
  }

  private beginString(c: number): Result {
    if (isSpace(c)) return 'continue';
    if (c === ch('"')) return this.to((x) => this.inString(x));
    return this.fail(c, 'looking for beginning of object key string');
  }

  private endValue(c: number): Result {
    const n = this.stack.length;
    if (n === 0) return this.endTop(c);
    if (isSpace(c)) return this.to((x) => this.endValue(x));
    const top = this.stack[n - 1]!;
    if (top === Parse.objectKey) {
      if (c === ch(':')) {
        this.stack[n - 1] = Parse.objectValue;
        return this.to((x) => this.beginValue(x));
      }
      return this.fail(c, 'after object key');
    }
    if (top === Parse.objectValue) {
      if (c === ch(',')) {
        this.stack[n - 1] = Parse.objectKey;
        return this.to((x) => this.beginString(x));
      }
      if (c === ch('}')) return this.popAndEnd();
      return this.fail(c, 'after object key:value pair');
    }
    if (c === ch(',')) return this.to((x) => this.beginValue(x));
    if (c === ch(']')) return this.popAndEnd();
    return this.fail(c, 'after array element');
  }

  private popAndEnd(): Result {
    this.stack.pop();
    // the Decoder stops right after the closing bracket of the top-level value
    if (this.stack.length === 0) return 'end';
    return this.to((x) => this.endValue(x));
  }

  /** A complete top-level scalar ends at the first byte after it (that byte is not consumed). */
  private endTop(_c: number): Result {
    return 'end';
  }

  private inString(c: number): Result {
    if (c === ch('"')) return this.to((x) => this.endValue(x));
    if (c === ch('\\')) return this.to((x) => this.inStringEsc(x));
    if (c < 0x20) return this.fail(c, 'in string literal');
    return 'continue';
  }

  private inStringEsc(c: number): Result {
    if ('bfnrt\\/"'.includes(String.fromCharCode(c))) return this.to((x) => this.inString(x));
    if (c === ch('u')) return this.to(this.hex(4));
    return this.fail(c, 'in string escape code');
  }

  private hex(left: number): State {
    return (c) => {
      if (!isHex(c)) return this.fail(c, 'in \\u hexadecimal character escape');
      return this.to(left === 1 ? (x) => this.inString(x) : this.hex(left - 1));
    };
  }

  private neg(c: number): Result {
    if (c === ch('0')) return this.to((x) => this.zero(x));
    if (c >= ch('1') && c <= ch('9')) return this.to((x) => this.one(x));
    return this.fail(c, 'in numeric literal');
  }

  private one(c: number): Result {
    if (isDigit(c)) return 'continue';
    return this.zero(c);
  }

  private zero(c: number): Result {
    if (c === ch('.')) return this.to((x) => this.dot(x));
    if (c === ch('e') || c === ch('E')) return this.to((x) => this.exp(x));
    return this.endValue(c);
  }

  private dot(c: number): Result {
    if (isDigit(c)) return this.to((x) => this.dot0(x));
    return this.fail(c, 'after decimal point in numeric literal');
  }

  private dot0(c: number): Result {
    if (isDigit(c)) return 'continue';
    if (c === ch('e') || c === ch('E')) return this.to((x) => this.exp(x));
    return this.endValue(c);
  }

  private exp(c: number): Result {
    if (c === ch('+') || c === ch('-')) return this.to((x) => this.expSign(x));
    return this.expSign(c);
  }

  private expSign(c: number): Result {
    if (isDigit(c)) return this.to((x) => this.exp0(x));
    return this.fail(c, 'in exponent of numeric literal');
  }

  private exp0(c: number): Result {
    if (isDigit(c)) return 'continue';
    return this.endValue(c);
  }

  /** `word` after its first `i` letters: each next letter is expected in turn */
  private literal(word: string, i: number): State {
    return (c) => {
      const want = word.charCodeAt(i);
      if (c !== want) return this.fail(c, `in literal ${word} (expecting '${word[i]}')`);
      return this.to(i + 1 === word.length ? (x) => this.endValue(x) : this.literal(word, i + 1));
    };
  }
}
