// Time-ordered lists of records under numeric join keys, dropped from the front as a stream moves on.

/**
 * Records under numeric keys (hashes of the join fields: equal keys may still differ in their
 * fields, so callers compare fields), each key's list kept in time order. Records arrive nearly in
 * time order, so a new one is placed by a short scan from the back. A ring of (time, key, record)
 * in arrival order makes `evictBefore` cost what it drops, not what is held: the stream's old end
 * leaves from the ring's front, which keeps memory bounded on unbounded streams.
 */
export class KeyedWindow<T extends object> {
  /** A key's one record, or its records in time order with their times (most keys have one: no arrays for them). */
  private readonly lists = new Map<number, T | TimedRun<T>>();
  /** Returned by `list` for a key with one record; valid until the next call. */
  private readonly one: T[] = [];
  private readonly oneTime: number[] = [0];
  /** The times of the list `list` returned last, so `lowerBound` on it calls no accessor. */
  private lastList: readonly T[] = EMPTY;
  private lastTimes: readonly number[] = EMPTY_TIMES;
  /** Arrival ring: capacity a power of two, head..tail live. */
  private times = new Float64Array(1024);
  private keys = new Float64Array(1024);
  private vals: (T | undefined)[] = new Array<T | undefined>(1024);
  private head = 0;
  private tail = 0;

  constructor(private readonly time: (v: T) => number) {}

  /** Records held. */
  get size(): number {
    return this.tail - this.head;
  }

  /** Adds `v` under `k`. */
  add(k: number, v: T): void {
    const t = this.time(v);
    if (this.tail - this.head === this.times.length) this.grow();
    const mask = this.times.length - 1;
    const at = this.tail++ & mask;
    this.times[at] = t;
    this.keys[at] = k;
    this.vals[at] = v;
    const l = this.lists.get(k);
    if (l === undefined) {
      this.lists.set(k, v);
      return;
    }
    if (!(l instanceof TimedRun)) {
      const lt = this.time(l);
      this.lists.set(k, lt <= t ? new TimedRun([l, v], [lt, t]) : new TimedRun([v, l], [t, lt]));
      return;
    }
    const ts = l.ts;
    let i = ts.length;
    while (i > 0 && ts[i - 1]! > t) i--;
    if (i === ts.length) (l.vs.push(v), ts.push(t));
    else (l.vs.splice(i, 0, v), ts.splice(i, 0, t));
  }

  private grow(): void {
    const n = this.times.length;
    const times = new Float64Array(n * 2);
    const keys = new Float64Array(n * 2);
    const vals = new Array<T | undefined>(n * 2);
    for (let i = 0; i < n; i++) {
      const from = (this.head + i) & (n - 1);
      times[i] = this.times[from]!;
      keys[i] = this.keys[from]!;
      vals[i] = this.vals[from];
    }
    this.times = times;
    this.keys = keys;
    this.vals = vals;
    this.head = 0;
    this.tail = n;
  }

  /** The records under `k` in time order (empty when none); read it before the next call. */
  list(k: number): readonly T[] {
    const l = this.lists.get(k);
    if (l === undefined) {
      this.lastList = EMPTY;
      this.lastTimes = EMPTY_TIMES;
      return EMPTY;
    }
    if (l instanceof TimedRun) {
      this.lastList = l.vs;
      this.lastTimes = l.ts;
      return l.vs;
    }
    this.one[0] = l;
    this.oneTime[0] = this.time(l);
    this.lastList = this.one;
    this.lastTimes = this.oneTime;
    return this.one;
  }

  /** Index in `l` (a list from this window) of the first record at or after t. */
  lowerBound(l: readonly T[], t: number): number {
    const ts = l === this.lastList ? this.lastTimes : l.map(this.time);
    let lo = 0, hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Calls `f` on each record under `k` with time in [from, to], in time order, until it returns true. */
  scan(k: number, from: number, to: number, f: (v: T) => boolean): void {
    const l = this.list(k);
    const ts = this.lastTimes;
    for (let i = this.lowerBound(l, from); i < l.length && ts[i]! <= to; i++) if (f(l[i]!)) return;
  }

  /**
   * Drops records older than `t`, oldest arrival first: a record goes once it and every record that
   * arrived before it are older than `t` (records arrive nearly in time order, so a late one is
   * only held a little longer than it is needed, never dropped early).
   */
  evictBefore(t: number): void {
    const mask = this.times.length - 1;
    const trim = this.trim;
    while (this.head !== this.tail) {
      const at = this.head & mask;
      if (!(this.times[at]! < t)) break;
      const k = this.keys[at]!;
      const l = this.lists.get(k);
      if (l === this.vals[at]) this.lists.delete(k);
      else if (l instanceof TimedRun) trim.add(k);
      this.vals[at] = undefined;
      this.head++;
    }
    if (trim.size === 0) return;
    // A key with many records (one device's requests) loses its old end in one splice, not one per record.
    for (const k of trim) {
      const l = this.lists.get(k);
      if (!(l instanceof TimedRun)) continue;
      const ts = l.ts;
      let n = 0;
      while (n < ts.length && ts[n]! < t) n++;
      if (n === ts.length) this.lists.delete(k);
      else if (n === ts.length - 1) this.lists.set(k, l.vs[n]!);
      else if (n > 0) (l.vs.splice(0, n), ts.splice(0, n));
    }
    trim.clear();
    this.lastList = EMPTY;
  }

  /** Keys whose lists lose records in the current eviction. */
  private readonly trim = new Set<number>();
}

/** A key's records in time order, with their times beside them for binary search without accessor calls. */
class TimedRun<T> {
  constructor(
    readonly vs: T[],
    readonly ts: number[],
  ) {}
}

const EMPTY_TIMES: readonly number[] = [];
const EMPTY: readonly never[] = [];

/** A FIFO of records in arrival order: a ring that doubles when full, so pushes and shifts never copy what is held. */
export class Fifo<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(1024);
  private head = 0;
  private tail = 0;

  /** Records held. */
  get size(): number {
    return this.tail - this.head;
  }

  push(v: T): void {
    if (this.tail - this.head === this.items.length) this.grow();
    this.items[this.tail++ & (this.items.length - 1)] = v;
  }

  private grow(): void {
    const n = this.items.length;
    const next = new Array<T | undefined>(n * 2);
    for (let i = 0; i < n; i++) next[i] = this.items[(this.head + i) & (n - 1)];
    this.items = next;
    this.head = 0;
    this.tail = n;
  }

  /** The oldest record, or undefined. */
  peek(): T | undefined {
    return this.head < this.tail ? this.items[this.head & (this.items.length - 1)] : undefined;
  }

  /** Removes and returns the oldest record. */
  shift(): T | undefined {
    if (this.head >= this.tail) return undefined;
    const at = this.head++ & (this.items.length - 1);
    const v = this.items[at];
    this.items[at] = undefined;
    return v;
  }

  *[Symbol.iterator](): Generator<T> {
    for (let i = this.head; i < this.tail; i++) yield this.items[i & (this.items.length - 1)]!;
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
