/** The only source of identifiers for domain code (ULIDs by default, seedable in the runtime). */
export interface IdGenerator {
  /** a new ULID (26 chars, Crockford base32) */
  next(): string;
}

const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
export const isUlid = (s: string): boolean => ULID_RE.test(s);

/** Deterministic generator for unit tests: ULID-shaped, strictly increasing. */
const CROCKFORD_SPARE: Record<string, string> = { I: 'W', L: 'X', O: 'Y', U: 'Z' };

export class SequentialIds implements IdGenerator {
  private n = 0;
  constructor(private readonly prefix = '01J0000000') {}
  next(): string {
    this.n += 1;
    // base 32's digits I, L, O and U are not Crockford's: each becomes one Crockford never
    // produces otherwise (W, X, Y, Z), so distinct numbers stay distinct ids
    return (this.prefix + this.n.toString(32).toUpperCase().padStart(16, '0'))
      .replace(/[ILOU]/g, (d) => CROCKFORD_SPARE[d]!)
      .slice(0, 26);
  }
}
