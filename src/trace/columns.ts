// The record columns of a trace: every field of every record kind with its type, the one table both encodings follow.
import { BLOCK_OPS, type RecordKind, type TraceRecord, type VirtioBlkType } from '../records/index.js';

/**
 * How a field is stored. `i32`: a whole number that fits in 32 signed bits (pids, queue indexes,
 * errors); `num`: a whole number up to 2^53 (sectors, byte counts, sequence numbers, dev_t);
 * `time`: nanoseconds after the side's clock base, 0 = not seen; `id`: a 64-bit identifier held as
 * a bigint (io_uring user_data, QEMU addresses); `str`: a short string (names, rwbs, opcodes);
 * `bool`.
 */
export type ColumnType = 'i32' | 'num' | 'time' | 'id' | 'str' | 'bool';

/** One field of a record kind. */
export interface Column {
  name: string;
  type: ColumnType;
}

const cols = (spec: string): readonly Column[] =>
  spec.split(/\s+/).filter(Boolean).map((f) => {
    const [name, type] = f.split(':') as [string, ColumnType];
    return { name, type };
  });

/**
 * Every record kind's fields in file order (src/records/records.ts says what each means). The
 * binary encoding lays records out in exactly this order; the JSON Lines encoding checks each
 * field's type by it. A kind's tag in the binary encoding is its index here plus one.
 */
export const COLUMNS: Readonly<Record<RecordKind, readonly Column[]>> = {
  guest_rq: cols(`vm:str dev:num sector:num nrSectors:i32 op:str rwbs:str error:i32 hwq:i32 vq:i32 head:i32 cpu:i32
    kickSeq:num appUserData:id tBioQueue:time tRqInsert:time tRqIssue:time tQueueRq:time tVqAdd:time tKick:time
    tVringInterrupt:time tCompleteRq:time tRqComplete:time`),
  guest_app_op: cols('vm:str pid:i32 userData:id opcode:str res:i32 tSubmit:time tComplete:time'),
  qemu_req: cols(`qemuPid:i32 tid:i32 vdev:id vq:i32 head:i32 type:str sector:num nbytes:num status:i32 userData:id
    mergedCount:i32 notifySeq:num tHandle:time tPop:time tAio:time tReqComplete:time`),
  uring_op: cols(`pid:i32 tid:i32 userData:id opcode:str fd:i32 offset:num nbytes:num res:i32 punted:bool resubmit:bool
    tLuringSubmit:time tSubmit:time tComplete:time`),
  host_blk: cols('dev:num sector:num nrSectors:i32 op:str rwbs:str error:i32 pid:i32 tInsert:time tIssue:time tComplete:time'),
  kick: cols('qemuPid:i32 tid:i32 gpa:id t:time'),
  notify: cols('qemuPid:i32 tid:i32 vdev:id vq:i32 seq:num vector:i32 tNotify:time tInject:time'),
};

/** The virtio-blk request types a qemu_req's `type` names (records.ts's VirtioBlkType). */
export const VIRTIO_BLK_TYPES: readonly VirtioBlkType[] = ['in', 'out', 'flush', 'get_id', 'discard', 'write_zeroes', 'other'];

/** The string fields that hold one of a few names, and the names each allows (readers refuse others). */
export const FIELD_VALUES: { readonly [K in RecordKind]?: Readonly<Record<string, readonly string[]>> } = {
  guest_rq: { op: BLOCK_OPS },
  host_blk: { op: BLOCK_OPS },
  qemu_req: { type: VIRTIO_BLK_TYPES },
};

/** The record kinds in tag order. */
export const RECORD_KINDS = Object.keys(COLUMNS) as RecordKind[];

/** A record's field by name, for the table-driven encoders. */
export function field(r: TraceRecord, name: string): unknown {
  return (r as unknown as Record<string, unknown>)[name];
}
