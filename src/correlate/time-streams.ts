// Time-ordered streams of records under a few numeric keys (a queue's notifications, a device's requests), dropped from the front as a run moves on.

/**
 * One key's records in time order: a ring of times, records, and a row of numbers for each
 * (the fields lookups compare and matches read, copied when the record arrives, so reading them
 * later touches one dense row instead of a record object gone cold). Records arrive nearly in
 * time order, so a new one is placed by a short scan from the back; lookups are binary searches
 * by time, and dropping the old end costs what it drops.
 */
export class TimeStream<T> {
  /** The records, made at the first added with one: the stitcher's streams hold rows alone. */
  private vals: (T | undefined)[] | undefined;
  /**
   * Each slot's time and row (`slotOf`, `rowOf`), for loops that read many: read only, and
   * replaced when the stream grows, so taken again after an add. (A method returning a double
   * allocates a box for it when the compiler does not inline the call.)
   */
  times: Float64Array;
  /** See `times`. */
  rows: Float64Array;
  private mask: number;
  private head = 0;
  /** Records held. */
  size = 0;
  /** Records dropped from the front so far: positions counted from the stream's start are `dropped + i`. */
  private dropped = 0;
  /** Where the last `seek` landed, counted from the stream's start: the next one usually lands near it. */
  private finger = 0;

  constructor(readonly width: number, capacity = 16) {
    this.vals = undefined;
    this.times = new Float64Array(capacity);
    this.rows = new Float64Array(capacity * width);
    this.mask = capacity - 1;
  }

  /** Adds `v` at time `t` with the numbers of `row`, after any record held at the same time. */
  add(t: number, v: T | undefined, row: Float64Array): void {
    if (this.size > this.mask) this.grow();
    if (v !== undefined && !this.vals) this.vals = new Array<T | undefined>(this.mask + 1);
    const vals = this.vals;
    const mask = this.mask;
    const w = this.width;
    const rows = this.rows;
    let i = this.size++;
    // Shift the few later records up by one (rare: most arrive last).
    while (i > 0) {
      const from = (this.head + i - 1) & mask;
      if (!(this.times[from]! > t)) break;
      const to = (this.head + i) & mask;
      this.times[to] = this.times[from]!;
      if (vals) vals[to] = vals[from];
      for (let c = 0; c < w; c++) rows[to * w + c] = rows[from * w + c]!;
      i--;
    }
    const at = (this.head + i) & mask;
    this.times[at] = t;
    if (vals) vals[at] = v;
    for (let c = 0; c < w; c++) rows[at * w + c] = row[c]!;
  }

  /** Where the i-th record's time is in `times`. */
  slotOf(i: number): number {
    return (this.head + i) & this.mask;
  }

  /** Where the i-th record's row starts in `rows`. */
  rowOf(i: number): number {
    return ((this.head + i) & this.mask) * this.width;
  }

  /** Number `c` of the i-th record's row. */
  get(i: number, c: number): number {
    return this.rows[((this.head + i) & this.mask) * this.width + c]!;
  }

  /** The i-th record in time order (0 = oldest held), if it was added with one. */
  at(i: number): T {
    return this.vals?.[(this.head + i) & this.mask] as T;
  }

  /** The time of the i-th record. */
  timeAt(i: number): number {
    return this.times[(this.head + i) & this.mask]!;
  }

  /** Index of the first record at or after `t` (`size` when none). */
  lowerBound(t: number): number {
    let lo = 0, hi = this.size;
    const mask = this.mask;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[(this.head + mid) & mask]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * `lowerBound(t)` searched from where the last seek landed, outwards in doubling steps, then
   * by halves: the stitcher's lookups move forward with the requests it decides, so most land
   * a few records from the last, and the search touches those instead of the log2(size) records
   * a binary search from the middle would (across a window of thousands, most of them cold).
   */
  seek(t: number): number {
    const size = this.size, mask = this.mask, head = this.head, times = this.times;
    let i = this.finger - this.dropped;
    if (i < 0) i = 0;
    else if (i > size) i = size;
    let lo: number, hi: number;
    if (i < size && times[(head + i) & mask]! < t) {
      // The answer is after i: probe i+1, i+2, i+4, ... until a time at or after t.
      lo = i + 1;
      hi = size;
      for (let step = 1; i + step < size; step *= 2) {
        const p = i + step;
        if (!(times[(head + p) & mask]! < t)) {
          hi = p;
          break;
        }
        lo = p + 1;
      }
    } else {
      // The answer is at or before i: probe i-1, i-2, i-4, ... until a time before t.
      hi = i;
      lo = 0;
      for (let step = 1; i - step >= 0; step *= 2) {
        const p = i - step;
        if (times[(head + p) & mask]! < t) {
          lo = p + 1;
          break;
        }
        hi = p;
      }
    }
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[(head + mid) & mask]! < t) lo = mid + 1;
      else hi = mid;
    }
    this.finger = lo + this.dropped;
    return lo;
  }

  /** Drops the records older than `t`. */
  dropBefore(t: number): void {
    const mask = this.mask;
    while (this.size > 0 && this.times[this.head & mask]! < t) {
      if (this.vals) this.vals[this.head & mask] = undefined;
      this.head = (this.head + 1) & mask;
      this.size--;
      this.dropped++;
    }
  }

  private grow(): void {
    const n = this.mask + 1;
    const w = this.width;
    const times = new Float64Array(2 * n);
    const rows = new Float64Array(2 * n * w);
    // The ring's two runs (head to the end, then the start), each copied whole.
    const first = Math.min(this.size, n - this.head);
    times.set(this.times.subarray(this.head, this.head + first), 0);
    times.set(this.times.subarray(0, this.size - first), first);
    rows.set(this.rows.subarray(this.head * w, (this.head + first) * w), 0);
    rows.set(this.rows.subarray(0, (this.size - first) * w), first * w);
    if (this.vals) {
      const vals = new Array<T | undefined>(2 * n);
      for (let i = 0; i < this.size; i++) vals[i] = this.vals[(this.head + i) & this.mask];
      this.vals = vals;
    }
    this.times = times;
    this.rows = rows;
    this.head = 0;
    this.mask = 2 * n - 1;
  }
}

/** Slots of a TimeStreams' cache of streams by key (a power of two). */
const CACHE_SLOTS = 64;

/**
 * Streams under numeric keys (hashes of the join fields: equal keys may still differ in their
 * fields, so callers compare fields). Used where a key has many records at once (every
 * notification of one queue, every request of one device, every op of one reused io_uring
 * user_data); a key whose stream empties is forgotten, so keys that come and go cost no memory.
 */
export class TimeStreams<T> {
  private readonly byKey = new Map<number, TimeStream<T>>();
  /** The keys and streams of byKey, for eviction to walk without an iterator's entry per stream. */
  private keys: number[] = [];
  private streams: TimeStream<T>[] = [];
  /** The numbers of the next record's row: set them, then `add`. */
  readonly row: Float64Array;
  /**
   * A direct-mapped cache of streams by the low bits of their keys, in front of byKey: a run has
   * a handful of keys at a time (16 reused io_uring user_data, a queue's notifications), looked
   * up in turn, which a cache of the last key alone misses nearly every time.
   */
  private readonly cacheKeys = new Int32Array(CACHE_SLOTS).fill(-1);
  private readonly cached: (TimeStream<T> | undefined)[] = new Array<TimeStream<T> | undefined>(CACHE_SLOTS).fill(undefined);
  private held = 0;

  /** `width` numbers in each record's row. */
  constructor(readonly width: number) {
    this.row = new Float64Array(width);
  }

  /** Records held. */
  get size(): number {
    return this.held;
  }

  /** Adds `v` at time `t` under `key` (a non-negative integer), with the numbers in `row`. */
  add(key: number, t: number, v: T | undefined): void {
    let s = this.get(key);
    if (!s) {
      this.byKey.set(key, (s = new TimeStream<T>(this.width)));
      this.keys.push(key);
      this.streams.push(s);
      const c = key & (CACHE_SLOTS - 1);
      this.cacheKeys[c] = key;
      this.cached[c] = s;
    }
    s.add(t, v, this.row);
    this.held++;
  }

  /** The stream under `key`, if it holds anything. */
  get(key: number): TimeStream<T> | undefined {
    const c = key & (CACHE_SLOTS - 1);
    if (this.cacheKeys[c] === key) return this.cached[c];
    const s = this.byKey.get(key);
    if (s) {
      this.cacheKeys[c] = key;
      this.cached[c] = s;
    }
    return s;
  }

  /** Drops the records older than `t` from every stream. */
  evictBefore(t: number): void {
    const keys = this.keys, streams = this.streams;
    let kept = 0;
    for (let i = 0; i < streams.length; i++) {
      const s = streams[i]!, key = keys[i]!;
      const before = s.size;
      s.dropBefore(t);
      this.held -= before - s.size;
      if (s.size === 0) {
        this.byKey.delete(key);
        const c = key & (CACHE_SLOTS - 1);
        if (this.cacheKeys[c] === key) (this.cacheKeys[c] = -1), (this.cached[c] = undefined);
        continue;
      }
      keys[kept] = key;
      streams[kept++] = s;
    }
    keys.length = kept;
    streams.length = kept;
  }
}
