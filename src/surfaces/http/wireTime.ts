/**
 * OpenMeter is written in Go, whose JSON encoder writes instants as RFC 3339 with the fraction's
 * trailing zeros trimmed: `2026-01-01T00:00:00Z`, `...:00.12Z`. The domain stores instants as
 * fixed-width `toISOString()` text (so they sort as strings); the OpenMeter surfaces convert
 * at the wire, once, here. Zuplo's own API is JavaScript and keeps the milliseconds.
 */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function goInstant(s: string): string {
  // "....000Z" → "...Z", "....120Z" → "....12Z"
  let end = s.length - 1;
  while (s[end - 1] === '0') end--;
  if (s[end - 1] === '.') end--;
  return s.slice(0, end) + 'Z';
}

/** A copy of `value` with every ISO instant in Go's format; other values are shared, not copied. */
export function toGoTimes(value: unknown): unknown {
  if (typeof value === 'string') return value.length === 24 && value[23] === 'Z' && INSTANT.test(value) ? goInstant(value) : value;
  if (Array.isArray(value)) return value.map(toGoTimes);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k in value as Record<string, unknown>) {
      const v = toGoTimes((value as Record<string, unknown>)[k]);
      // an own `__proto__` key (a label, a group-by value) is data: assigning it would set the prototype
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      else out[k] = v;
    }
    return out;
  }
  // A sum past the float range is +Inf, which JSON cannot spell (it would become null where the
  // schema wants a number): the nearest number that JSON can carry is sent instead.
  if (typeof value === 'number' && !Number.isFinite(value) && !Number.isNaN(value)) return value > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
  return value;
}
