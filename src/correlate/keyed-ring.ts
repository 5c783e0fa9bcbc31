// Records in arrival order in a ring of typed columns, each findable by a numeric join key through chains threaded through the ring.

/** Internal mark bit: the slot is in the index. Callers have the low seven bits. */
const LINKED = 0x80;

/**
 * A FIFO of records, each with a time, a join key and a row of numbers beside it in typed arrays,
 * and a hash index over the keys that costs no allocation: every slot holds the sequence number of
 * the previous slot linked under the same bucket, and each bucket the newest. Records are named
 * by their sequence number (arrival count, exact to 2^53). Dropping the oldest is moving the head:
 * a chain ends at the first sequence number below it, so nothing is unlinked, and a bucket or a
 * link left pointing at a slot that was reused is told apart by its number. Growth doubles the
 * columns and relinks. Keys are hashes (30 bits): equal keys may still differ in their fields,
 * so callers compare fields. The row holds the fields a lookup compares and a match reads, copied
 * when the record arrives: reading them later touches one dense row, not a record object and the
 * boxed numbers it points to, which by then have left the cache.
 *
 * Used where most keys have one or two records (a QEMU request's disk and sector, a guest
 * request's): a Map of arrays cost more in allocation and collection than the matching itself.
 */
export class KeyedRing<T> {
  private vals: (T | undefined)[];
  /**
   * Each slot's time and row (`rowOf`), for loops that read many: read only, and replaced when the
   * ring grows, so taken again after a push. (A method returning a double allocates a box for it
   * when the compiler does not inline the call, which in a long caller it often does not.)
   */
  times: Float64Array;
  /** See `times`. */
  rows: Float64Array;
  private keys: Int32Array;
  private marks: Uint8Array;
  private links: Float64Array;
  private buckets: Float64Array;
  private mask: number;
  private bucketMask: number;
  private head = 0;
  private tail = 0;

  /** `width` numbers in each record's row. */
  constructor(readonly width: number, capacity = 1024) {
    let n = 16;
    while (n < capacity) n *= 2;
    this.vals = new Array<T | undefined>(n);
    this.times = new Float64Array(n);
    this.rows = new Float64Array(n * width);
    this.keys = new Int32Array(n);
    this.marks = new Uint8Array(n);
    this.links = new Float64Array(n);
    this.buckets = new Float64Array(2 * n).fill(-1);
    this.mask = n - 1;
    this.bucketMask = 2 * n - 1;
  }

  /** Records held. */
  get size(): number {
    return this.tail - this.head;
  }

  /** Sequence number of the oldest record held (equal to `end` when empty). */
  get first(): number {
    return this.head;
  }

  /** Sequence number the next record will get. */
  get end(): number {
    return this.tail;
  }

  /**
   * Appends a record; returns its sequence number, whose row the caller fills (`set`). `linked`
   * puts it under `key` (a record that will never be looked up, e.g. one of an unknown disk, stays
   * out of the index).
   */
  push(v: T | undefined, time: number, key: number, linked: boolean, marks = 0): number {
    if (this.tail - this.head > this.mask) this.grow();
    const seq = this.tail++;
    const at = seq & this.mask;
    this.vals[at] = v;
    this.times[at] = time;
    this.keys[at] = key;
    this.marks[at] = linked ? marks | LINKED : marks;
    if (linked) {
      const b = key & this.bucketMask;
      this.links[at] = this.buckets[b]!;
      this.buckets[b] = seq;
    } else this.links[at] = -1;
    return seq;
  }

  /** The newest record held under `key`, or -1. */
  newest(key: number): number {
    return this.walk(this.buckets[key & this.bucketMask]!, key);
  }

  /** The next older record held under the same key as `seq`, or -1. */
  older(seq: number): number {
    const at = seq & this.mask;
    return this.walk(this.links[at]!, this.keys[at]!);
  }

  private walk(s: number, key: number): number {
    const mask = this.mask;
    while (s >= this.head) {
      const at = s & mask;
      if (this.keys[at] === key) return s;
      s = this.links[at]!;
    }
    return -1;
  }

  /** The record `seq` (held), if it was pushed with one. */
  at(seq: number): T {
    return this.vals[seq & this.mask]!;
  }

  /** The time `seq` was pushed with. */
  timeAt(seq: number): number {
    return this.times[seq & this.mask]!;
  }

  /** Where `seq`'s time is in `times`. */
  slotOf(seq: number): number {
    return seq & this.mask;
  }

  /** Where `seq`'s row starts in `rows`. */
  rowOf(seq: number): number {
    return (seq & this.mask) * this.width;
  }

  /** Number `c` of the row of `seq`. */
  get(seq: number, c: number): number {
    return this.rows[(seq & this.mask) * this.width + c]!;
  }

  /** Sets number `c` of the row of `seq`. */
  set(seq: number, c: number, v: number): void {
    this.rows[(seq & this.mask) * this.width + c] = v;
  }

  /** The key `seq` was pushed with. */
  keyAt(seq: number): number {
    return this.keys[seq & this.mask]!;
  }

  /** The mark bits of `seq` (the low seven). */
  marksAt(seq: number): number {
    return this.marks[seq & this.mask]! & ~LINKED;
  }

  /** Sets mark bits of `seq` (of the low seven). */
  mark(seq: number, bits: number): void {
    this.marks[seq & this.mask] |= bits & ~LINKED;
  }

  /** Removes the oldest record and returns it (undefined when empty). */
  shift(): T | undefined {
    if (this.head === this.tail) return undefined;
    const at = this.head++ & this.mask;
    const v = this.vals[at];
    this.vals[at] = undefined;
    return v;
  }

  /**
   * Drops records older than `t`, oldest arrival first: a record goes once it and every record that
   * arrived before it are older than `t` (records arrive nearly in time order, so a late one is
   * only held a little longer than it is needed, never dropped early).
   */
  dropBefore(t: number): void {
    const mask = this.mask;
    while (this.head !== this.tail && this.times[this.head & mask]! < t) this.vals[this.head++ & mask] = undefined;
  }

  private grow(): void {
    const n = this.mask + 1;
    const w = this.width;
    const next = new KeyedRing<T>(w, 2 * n);
    next.head = next.tail = this.head;
    for (let s = this.head; s < this.tail; s++) {
      const at = s & this.mask;
      const marks = this.marks[at]!;
      const to = next.push(this.vals[at]!, this.times[at]!, this.keys[at]!, (marks & LINKED) !== 0, marks & ~LINKED) & next.mask;
      for (let c = 0; c < w; c++) next.rows[to * w + c] = this.rows[at * w + c]!;
    }
    this.vals = next.vals;
    this.times = next.times;
    this.rows = next.rows;
    this.keys = next.keys;
    this.marks = next.marks;
    this.links = next.links;
    this.buckets = next.buckets;
    this.mask = next.mask;
    this.bucketMask = next.bucketMask;
  }
}
