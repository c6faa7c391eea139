/**
 * The event ids seen from one source: a set of strings that is cheaper than a `Set` at the
 * scale of ingestion (hundreds of thousands of ids, one claim per event). A JS `Set` of that
 * size walks a bucket chain through the key strings themselves (a cache miss per link); this
 * table is open addressing with linear probing over one Int32Array of (hash, id ref) pairs, so a
 * probe reads one cache line and touches an id string only when the hashes are equal. At most
 * half the slots are used (short probe runs); a removal shifts the run back, leaving no
 * tombstones.
 */
export class IdSet {
  /** pairs: slots[2i] the id's hash, slots[2i + 1] its position in `ids` + 1 (0 = empty slot) */
  private slots = new Int32Array(2 * 64);
  private mask = 63;
  private count = 0;
  /** the ids by reference; a removed id leaves an unreferenced '' behind */
  private readonly ids: string[] = [];

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    const h = hashString(id);
    const slots = this.slots, mask = this.mask, ids = this.ids;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const ref = slots[2 * i + 1]!;
      if (ref === 0) return false;
      if (slots[2 * i] === h && ids[ref - 1] === id) return true;
    }
  }

  /** adds `id`; false when it was there already */
  add(id: string): boolean {
    const h = hashString(id);
    const slots = this.slots, mask = this.mask, ids = this.ids;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const ref = slots[2 * i + 1]!;
      if (ref === 0) break;
      if (slots[2 * i] === h && ids[ref - 1] === id) return false;
    }
    ids.push(id);
    slots[2 * i] = h;
    slots[2 * i + 1] = ids.length;
    if (++this.count * 2 > mask + 1) this.grow();
    return true;
  }

  /** removes `id` if present */
  delete(id: string): boolean {
    const h = hashString(id);
    const slots = this.slots, mask = this.mask, ids = this.ids;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const ref = slots[2 * i + 1]!;
      if (ref === 0) return false;
      if (slots[2 * i] === h && ids[ref - 1] === id) break;
    }
    ids[slots[2 * i + 1]! - 1] = '';
    this.count--;
    // backward shift: an entry further along the run moves into the hole unless its home slot
    // lies cyclically in (hole, entry], so every entry stays reachable from its home
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const ref = slots[2 * j + 1]!;
      if (ref === 0) break;
      const home = slots[2 * j]! & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots[2 * i] = slots[2 * j]!;
        slots[2 * i + 1] = ref;
        i = j;
      }
    }
    slots[2 * i] = 0;
    slots[2 * i + 1] = 0;
    return true;
  }

  private grow(): void {
    const old = this.slots;
    const cap = 2 * (this.mask + 1);
    const slots = new Int32Array(2 * cap);
    const mask = cap - 1;
    for (let k = 0; k < old.length; k += 2) {
      const ref = old[k + 1]!;
      if (ref === 0) continue;
      const h = old[k]!;
      let i = h & mask;
      while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
      slots[2 * i] = h;
      slots[2 * i + 1] = ref;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** FNV-1a over the UTF-16 code units, then murmur3's finaliser so the low bits (the slot) are well mixed */
export function hashString(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
