// Records in arrival order as numbers: each record's kind tag and the fields the correlator joins and times, in one Float64Array.
import type { BlockOp, RecordKind, TraceRecord, VirtioBlkType } from './records.js';

/**
 * A record kind's tag in a batch: its index here (the order of src/trace/columns.ts, whose binary
 * tags are these plus one).
 */
export const BATCH_KINDS: readonly RecordKind[] = ['guest_rq', 'guest_app_op', 'qemu_req', 'uring_op', 'host_blk', 'kick', 'notify'];
/** Tags of the record kinds in a batch. */
export const TAG_GUEST_RQ = 0, TAG_APP_OP = 1, TAG_QEMU_REQ = 2, TAG_URING_OP = 3, TAG_HOST_BLK = 4, TAG_KICK = 5, TAG_NOTIFY = 6;

// Each kind's fields, by their offset in the record's run of numbers. A 64-bit identifier takes two:
// its nearest number (`_NUM`, u64ToNumber: exact below 2^53) and its low 32 bits (`_LO`); with both,
// equal pairs are equal identifiers. Strings become numbers: a VM's name its index in the batch's
// `strings`, a block op its code (BLOCK_OPS), a virtio-blk type its code (0 in, 1 out, 2 other).

/** guest_rq: a guest block request. */
export const G_VM = 0, G_DEV = 1, G_SECTOR = 2, G_NR = 3, G_OP = 4, G_VQ = 5, G_HEAD = 6, G_APP_NUM = 7, G_APP_LO = 8, G_BIO = 9,
  G_INSERT = 10, G_ISSUE = 11, G_QUEUE_RQ = 12, G_VQ_ADD = 13, G_KICK = 14, G_VRING = 15, G_COMPLETE_RQ = 16, G_COMPLETE = 17, G_WIDTH = 18;
/** guest_app_op: an application's io_uring op in the guest. */
export const AO_VM = 0, AO_UD_NUM = 1, AO_UD_LO = 2, AO_SUBMIT = 3, AO_COMPLETE = 4, AO_WIDTH = 5;
/** qemu_req: a QEMU virtio-blk request. */
export const QR_PID = 0, QR_VDEV_NUM = 1, QR_VDEV_LO = 2, QR_VQ = 3, QR_HEAD = 4, QR_TYPE = 5, QR_SECTOR = 6, QR_NBYTES = 7, QR_UD_NUM = 8,
  QR_UD_LO = 9, QR_MERGED = 10, QR_HANDLE = 11, QR_POP = 12, QR_AIO = 13, QR_COMPLETE = 14, QR_WIDTH = 15;
/** uring_op: a host io_uring op. */
export const UO_PID = 0, UO_UD_NUM = 1, UO_UD_LO = 2, UO_OFFSET = 3, UO_NBYTES = 4, UO_RES = 5, UO_RESUBMIT = 6, UO_LURING = 7, UO_SUBMIT = 8,
  UO_COMPLETE = 9, UO_WIDTH = 10;
/** host_blk: a host block request. */
export const HB_DEV = 0, HB_SECTOR = 1, HB_NR = 2, HB_ISSUE = 3, HB_COMPLETE = 4, HB_WIDTH = 5;
/** kick: a notify exit. */
export const KX_PID = 0, KX_GPA_NUM = 1, KX_GPA_LO = 2, KX_T = 3, KX_WIDTH = 4;
/** notify: QEMU's interrupt notification. */
export const NT_PID = 0, NT_VDEV_NUM = 1, NT_VDEV_LO = 2, NT_VQ = 3, NT_NOTIFY = 4, NT_INJECT = 5, NT_WIDTH = 6;

/** Numbers per record, by tag. */
export const BATCH_WIDTH: readonly number[] = [G_WIDTH, AO_WIDTH, QR_WIDTH, UO_WIDTH, HB_WIDTH, KX_WIDTH, NT_WIDTH];

/** Block operations by their code in a batch. */
export const BLOCK_OPS: readonly BlockOp[] = ['read', 'write', 'flush', 'discard', 'other'];

/** A block operation's code, its index in BLOCK_OPS (a switch: a lookup by string key cost a keyed load per record). */
export function blockOpCode(op: string): number {
  switch (op) {
    case 'read':
      return 0;
    case 'write':
      return 1;
    case 'flush':
      return 2;
    case 'discard':
      return 3;
    default:
      return 4;
  }
}

/** A virtio-blk request type's code: 0 in, 1 out, 2 anything else. */
export function virtioTypeCode(type: VirtioBlkType | string): number {
  return type === 'in' ? 0 : type === 'out' ? 1 : 2;
}

/** A 64-bit word's two halves. */
const WORD = new BigUint64Array(1);
const HALVES = new Uint32Array(WORD.buffer);

/**
 * A u64 identifier (user_data, a doorbell address) as the nearest number: Number(x) for
 * 0 <= x < 2^64, exact below 2^53 (others wrap modulo 2^64, as a u64 field would hold them). Three
 * times as fast as Number(x), which V8 leaves to its runtime.
 */
export function u64ToNumber(x: bigint): number {
  WORD[0] = x;
  return HALVES[1]! * 4294967296 + HALVES[0]!;
}

/** A u64 identifier's low 32 bits: with its nearest number (u64ToNumber), the pair a batch keeps. */
export function u64Low32(x: bigint): number {
  return Number(x & 0xffff_ffffn);
}

/** Writes a u64 identifier's nearest number and low 32 bits at `at` and `at + 1` of `v`. */
export function putId(v: Float64Array, at: number, x: bigint): void {
  WORD[0] = x;
  const lo = HALVES[0]!;
  v[at] = HALVES[1]! * 4294967296 + lo;
  v[at + 1] = lo;
}

/**
 * Records in arrival order, as numbers: a tag per record (TAG_*), and after one another each
 * record's BATCH_WIDTH[tag] numbers (the offsets above). What the stitcher reads, without an
 * object per record: a decoder fills one straight from bytes (`begin`), or anything else adds
 * records (`add`). Reused: `clear` keeps the arrays.
 */
export class RecordBatch {
  /** Each record's tag. */
  tags = new Uint8Array(1024);
  /** The records' numbers, `used` of them. */
  values = new Float64Array(16_384);
  /** Records in the batch. */
  length = 0;
  /** Numbers in use. */
  used = 0;
  /** The strings the records name by index (VM names). */
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();
  /** The string looked up last and its index: records name the same VM run after run. */
  private lastString = '';
  private lastIndex = -1;

  /** Empties the batch (its strings stay: the next batch's records usually name the same ones). */
  clear(): void {
    this.length = 0;
    this.used = 0;
  }

  /** A string's index in `strings`. */
  string(s: string): number {
    if (s === this.lastString && this.lastIndex >= 0) return this.lastIndex;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    this.lastString = s;
    this.lastIndex = i;
    return i;
  }

  /** Appends a record of `tag`; returns where its numbers start in `values` (taken again after the call: it may grow). */
  begin(tag: number): number {
    const w = BATCH_WIDTH[tag]!;
    if (this.length === this.tags.length) {
      const tags = new Uint8Array(2 * this.tags.length);
      tags.set(this.tags);
      this.tags = tags;
    }
    if (this.used + w > this.values.length) {
      const values = new Float64Array(2 * this.values.length);
      values.set(this.values.subarray(0, this.used));
      this.values = values;
    }
    this.tags[this.length++] = tag;
    const at = this.used;
    this.used += w;
    return at;
  }

  /** Appends a record object. */
  add(r: TraceRecord): void {
    ADD(this, r);
  }

  /**
   * Writes one record's numbers at the start of `values` and returns its tag, leaving `length` and
   * `used` alone: a one-record scratch (Stitcher.push) without the bookkeeping of `add`.
   */
  put(r: TraceRecord): number {
    return PUT(this, r);
  }
}

/**
 * How a record field becomes a number in a batch: `num` as it is, `id` (a u64 bigint) as its
 * nearest number and low 32 bits (two slots), `string` as its index in the batch's strings,
 * `blockOp` and `virtioType` as their codes, `bool` as 0 or 1.
 */
export type BatchFieldType = 'num' | 'id' | 'string' | 'blockOp' | 'virtioType' | 'bool';

/** One field a batch keeps of a record kind: its name in the record, its offset, its conversion. */
export interface BatchField {
  name: string;
  at: number;
  type: BatchFieldType;
}

const fields = (spec: string): readonly BatchField[] =>
  spec.split(/\s+/).filter(Boolean).map((f) => {
    const [name, at, type = 'num'] = f.split(':') as [string, string, BatchFieldType?];
    return { name, at: Number(at), type };
  });

/**
 * The fields a batch keeps of each kind, by tag: the one table `add` and the binary trace's decoder
 * (src/trace/binary.ts) are both compiled from, so a batch holds the same numbers whichever filled it.
 */
export const BATCH_FIELDS: readonly (readonly BatchField[])[] = [
  fields(`vm:${G_VM}:string dev:${G_DEV} sector:${G_SECTOR} nrSectors:${G_NR} op:${G_OP}:blockOp vq:${G_VQ} head:${G_HEAD}
    appUserData:${G_APP_NUM}:id tBioQueue:${G_BIO} tRqInsert:${G_INSERT} tRqIssue:${G_ISSUE} tQueueRq:${G_QUEUE_RQ} tVqAdd:${G_VQ_ADD}
    tKick:${G_KICK} tVringInterrupt:${G_VRING} tCompleteRq:${G_COMPLETE_RQ} tRqComplete:${G_COMPLETE}`),
  fields(`vm:${AO_VM}:string userData:${AO_UD_NUM}:id tSubmit:${AO_SUBMIT} tComplete:${AO_COMPLETE}`),
  fields(`qemuPid:${QR_PID} vdev:${QR_VDEV_NUM}:id vq:${QR_VQ} head:${QR_HEAD} type:${QR_TYPE}:virtioType sector:${QR_SECTOR}
    nbytes:${QR_NBYTES} userData:${QR_UD_NUM}:id mergedCount:${QR_MERGED} tHandle:${QR_HANDLE} tPop:${QR_POP} tAio:${QR_AIO}
    tReqComplete:${QR_COMPLETE}`),
  fields(`pid:${UO_PID} userData:${UO_UD_NUM}:id offset:${UO_OFFSET} nbytes:${UO_NBYTES} res:${UO_RES} resubmit:${UO_RESUBMIT}:bool
    tLuringSubmit:${UO_LURING} tSubmit:${UO_SUBMIT} tComplete:${UO_COMPLETE}`),
  fields(`dev:${HB_DEV} sector:${HB_SECTOR} nrSectors:${HB_NR} tIssue:${HB_ISSUE} tComplete:${HB_COMPLETE}`),
  fields(`qemuPid:${KX_PID} gpa:${KX_GPA_NUM}:id t:${KX_T}`),
  fields(`qemuPid:${NT_PID} vdev:${NT_VDEV_NUM}:id vq:${NT_VQ} tNotify:${NT_NOTIFY} tInject:${NT_INJECT}`),
];

/**
 * Compiles `add` from BATCH_FIELDS: one switch on the kind, each case storing its fields at fixed
 * offsets (a loop over the table would read each field by a name held in a variable, a keyed load
 * per field). The source uses only the table's names and offsets.
 */
function compileAdd(put: false): (batch: RecordBatch, r: TraceRecord) => void;
function compileAdd(put: true): (batch: RecordBatch, r: TraceRecord) => number;
function compileAdd(put: boolean): (batch: RecordBatch, r: TraceRecord) => unknown {
  const cases = BATCH_KINDS.map((kind, tag) => {
    const stores = BATCH_FIELDS[tag]!.map(({ name, at, type }) => {
      const x = `r.${name}`;
      switch (type) {
        case 'num':
          return `v[o + ${at}] = ${x};`;
        case 'id':
          return `putId(v, o + ${at}, ${x});`;
        case 'string':
          return `v[o + ${at}] = batch.string(${x});`;
        case 'blockOp':
          return `v[o + ${at}] = blockOpCode(${x});`;
        case 'virtioType':
          return `v[o + ${at}] = virtioTypeCode(${x});`;
        case 'bool':
          return `v[o + ${at}] = ${x} ? 1 : 0;`;
      }
    });
    const o = put ? '0' : `batch.begin(${tag})`;
    return `case ${JSON.stringify(kind)}: { const o = ${o}, v = batch.values; ${stores.join(' ')} return ${tag}; }`;
  });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the field table (see above)
  const make = new Function('putId', 'blockOpCode', 'virtioTypeCode', `return function add(batch, r) { switch (r.kind) { ${cases.join('\n')} } return -1; };`);
  return make(putId, blockOpCode, virtioTypeCode) as (batch: RecordBatch, r: TraceRecord) => unknown;
}

const ADD = compileAdd(false);
const PUT = compileAdd(true);
