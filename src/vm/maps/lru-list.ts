// Recency lists for LRU hash maps: which element was used least recently, per common or per-CPU list.

/**
 * Doubly linked recency lists over element slots, most recently used first. An LRU hash map keeps
 * one (the kernel's common LRU) or one per CPU (BPF_F_NO_COMMON_LRU); every in-use slot is on
 * exactly one. Typed arrays, not objects, so a use costs a few integer stores and no allocation.
 *
 * This is exact LRU. The kernel's (kernel/bpf/bpf_lru_list.c) approximates it: a lookup only sets
 * a reference bit, elements sit on active/inactive lists that are rotated and shrunk in batches,
 * and each CPU holds a local free list of up to LOCAL_FREE_TARGET (128) nodes taken from the
 * common list, so an element can be evicted on one CPU while another CPU still hoards free nodes,
 * i.e. before the map is full. viotrace evicts only when the map (or the CPU's list) is full, and
 * always the element least recently looked up or updated.
 */
export class LruList {
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;

  /** Lists over `slots` slots; `lists` is 1 for a common LRU or the CPU count for per-CPU lists. */
  constructor(slots: number, lists: number) {
    this.prev = new Int32Array(slots).fill(-1);
    this.next = new Int32Array(slots).fill(-1);
    this.heads = new Int32Array(lists).fill(-1);
    this.tails = new Int32Array(lists).fill(-1);
  }

  /** Puts `slot` at the most recently used end of `list`. */
  pushFront(list: number, slot: number): void {
    const head = this.heads[list];
    this.prev[slot] = -1;
    this.next[slot] = head;
    if (head >= 0) this.prev[head] = slot;
    else this.tails[list] = slot;
    this.heads[list] = slot;
  }

  /** Takes `slot` off `list`. */
  remove(list: number, slot: number): void {
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p >= 0) this.next[p] = n;
    else this.heads[list] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tails[list] = p;
    this.prev[slot] = -1;
    this.next[slot] = -1;
  }

  /** Marks `slot` as just used. */
  touch(list: number, slot: number): void {
    if (this.heads[list] === slot) return;
    this.remove(list, slot);
    this.pushFront(list, slot);
  }

  /** The least recently used slot of `list`, or -1 when it is empty. */
  oldest(list: number): number {
    return this.tails[list];
  }

  /** Slots of `list` from most to least recently used (for tests and inspection). */
  order(list: number): number[] {
    const out: number[] = [];
    for (let s = this.heads[list]; s >= 0; s = this.next[s]) out.push(s);
    return out;
  }
}
