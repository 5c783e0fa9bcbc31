// Time-ordered lists of records under numeric join keys, dropped from the front as a stream moves on.

/**
 * Records under numeric keys (hashes of the join fields: equal keys may still differ in their
 * fields, so callers compare fields), each key's list kept in time order. Records arrive nearly in
 * time order, so a new one is placed by a short scan from the back. `evictBefore` drops what the
 * stream has moved past, which keeps memory bounded on unbounded streams.
 */
export class KeyedWindow<T extends object> {
  /** A key's one record, or its records in time order (most keys have one: no array for them). */
  private readonly lists = new Map<number, T | T[]>();
  private count = 0;
  /** Returned by `list` for a key with one record; valid until the next call. */
  private readonly one: T[] = [];

  constructor(private readonly time: (v: T) => number) {}

  /** Records held. */
  get size(): number {
    return this.count;
  }

  /** Adds `v` under `k`. */
  add(k: number, v: T): void {
    this.count++;
    const l = this.lists.get(k);
    if (l === undefined) {
      this.lists.set(k, v);
      return;
    }
    if (!Array.isArray(l)) {
      this.lists.set(k, this.time(l) <= this.time(v) ? [l, v] : [v, l]);
      return;
    }
    const t = this.time(v);
    let i = l.length;
    while (i > 0 && this.time(l[i - 1]!) > t) i--;
    if (i === l.length) l.push(v);
    else l.splice(i, 0, v);
  }

  /** The records under `k` in time order (empty when none); read it before the next call. */
  list(k: number): readonly T[] {
    const l = this.lists.get(k);
    if (l === undefined) return EMPTY;
    if (Array.isArray(l)) return l;
    this.one[0] = l;
    return this.one;
  }

  /** Index in `l` (a list from this window) of the first record at or after t. */
  lowerBound(l: readonly T[], t: number): number {
    let lo = 0, hi = l.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.time(l[mid]!) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Calls `f` on each record under `k` with time in [from, to], in time order, until it returns true. */
  scan(k: number, from: number, to: number, f: (v: T) => boolean): void {
    const l = this.list(k);
    for (let i = this.lowerBound(l, from); i < l.length && this.time(l[i]!) <= to; i++) if (f(l[i]!)) return;
  }

  /** Drops every record older than `t`. */
  evictBefore(t: number): void {
    for (const [k, l] of this.lists) {
      if (!Array.isArray(l)) {
        if (this.time(l) < t) (this.lists.delete(k), this.count--);
        continue;
      }
      let n = 0;
      while (n < l.length && this.time(l[n]!) < t) n++;
      if (n === 0) continue;
      this.count -= n;
      if (n === l.length) this.lists.delete(k);
      else if (n === l.length - 1) this.lists.set(k, l[n]!);
      else l.splice(0, n);
    }
  }
}

const EMPTY: readonly never[] = [];

/** A FIFO of records in arrival order, with O(1) removal from the front. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Records held. */
  get size(): number {
    return this.items.length - this.head;
  }

  push(v: T): void {
    this.items.push(v);
  }

  /** The oldest record, or undefined. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Removes and returns the oldest record. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact once the dead prefix is half the array, so memory follows what is held.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  *[Symbol.iterator](): Generator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }
}

/** A 30-bit hash of whole numbers (any size up to 2^53, negatives too), for join keys. */
export function joinKey(a: number, b: number, c = 0, d = 0): number {
  let h = 0x811c9dc5;
  h = mix(h, a);
  h = mix(h, b);
  h = mix(h, c);
  h = mix(h, d);
  // 30 bits: small integers, which V8's maps hash fastest.
  return h & 0x3fffffff;
}

function mix(h: number, v: number): number {
  // Low and high 32 bits of v (doubles carry whole numbers to 2^53).
  const lo = v | 0;
  const hi = Math.floor(v / 4294967296) | 0;
  h = Math.imul(h ^ lo, 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h ^ hi, 0x5bd1e995);
  return h ^ (h >>> 13);
}
