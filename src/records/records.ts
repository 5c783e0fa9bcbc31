// The records the paired programs emit (and real-capture ingest produces): docs/design/request-path.md §3.
import type { GuestTime, HostTime } from './time.js';

/** Direction/kind of a block request, from the rwbs string or REQ_OP. */
export type BlockOp = 'read' | 'write' | 'flush' | 'discard' | 'other';

/** What the block tracepoints say of a request, on either side of the VM boundary. */
export interface BlockRequestFields {
  /** dev_t (major << 20 | minor) of the guest disk or the host device. */
  dev: number;
  sector: number;
  nrSectors: number;
  op: BlockOp;
  /** The rwbs flags string as the tracepoint has it, e.g. "WS", "RA". */
  rwbs: string;
  /** Block-layer error (block_rq_complete's error), 0 on success. */
  error: number;
}

/**
 * One guest block request, emitted by the guest program at block:block_rq_complete.
 * Times are on the guest clock; 0 = not seen (e.g. no bio_queue for a request that was issued
 * directly, no kick when notification was suppressed).
 */
export interface GuestRequestRecord extends BlockRequestFields {
  kind: 'guest_rq';
  /** The VM whose guest buffer this came from (user space labels each guest's ring buffer). */
  vm: string;
  /** blk-mq hardware queue (hctx->queue_num), -1 if unknown. */
  hwq: number;
  /** Virtqueue index (vq->index), -1 if unknown. */
  vq: number;
  /** Descriptor chain head (split ring free_head when added), -1 if unknown. */
  head: number;
  /** CPU that completed the request. */
  cpu: number;
  /** Kick sequence number on this vq of the notify that published the request (0 if none seen). */
  kickSeq: number;
  /** user_data of the guest application's io_uring op that issued it, 0n if unknown. */
  appUserData: bigint;
  tBioQueue: GuestTime;
  tRqInsert: GuestTime;
  tRqIssue: GuestTime;
  tQueueRq: GuestTime;
  tVqAdd: GuestTime;
  tKick: GuestTime;
  tVringInterrupt: GuestTime;
  tCompleteRq: GuestTime;
  tRqComplete: GuestTime;
}

/** One io_uring operation of an application inside the guest (e.g. fio), at its io_uring_complete. */
export interface GuestAppOpRecord {
  kind: 'guest_app_op';
  vm: string;
  pid: number;
  userData: bigint;
  /** io_uring opcode name, e.g. "READ", "WRITEV". */
  opcode: string;
  /** Result (bytes or -errno). */
  res: number;
  tSubmit: GuestTime;
  tComplete: GuestTime;
}

/** virtio-blk request types (virtio spec: VIRTIO_BLK_T_*). */
export type VirtioBlkType = 'in' | 'out' | 'flush' | 'get_id' | 'discard' | 'write_zeroes' | 'other';

/** One guest request as QEMU handled it, emitted by the host program at virtio_blk_req_complete. */
export interface QemuRequestRecord {
  kind: 'qemu_req';
  /** tgid of the QEMU process. */
  qemuPid: number;
  /** Thread that handled it (main loop or iothread). */
  tid: number;
  /** QEMU VirtIODevice address. */
  vdev: bigint;
  vq: number;
  /** Descriptor chain head (VirtQueueElement.index). */
  head: number;
  type: VirtioBlkType;
  sector: number;
  /** Data bytes (req->qiov.size). */
  nbytes: number;
  /** virtio status written back (0 = OK). */
  status: number;
  /** io_uring user_data (LuringAIOCB address) of the operation that carried it, 0n if none. */
  userData: bigint;
  /** Number of guest requests in the merged group it was submitted with (1 = not merged). */
  mergedCount: number;
  /** Notify sequence on this vq of the interrupt notification that will report it. */
  notifySeq: number;
  tHandle: HostTime;
  tPop: HostTime;
  tAio: HostTime;
  tReqComplete: HostTime;
}

/** One host io_uring operation, emitted at io_uring_complete. */
export interface UringOpRecord {
  kind: 'uring_op';
  /** tgid of the submitter (QEMU). */
  pid: number;
  tid: number;
  userData: bigint;
  opcode: string;
  fd: number;
  /** File offset and length from QEMU's luring_do_submit / the iovec (0 when unknown). */
  offset: number;
  nbytes: number;
  res: number;
  /** Punted to io-wq (io_uring_queue_async_work seen). */
  punted: boolean;
  /** A resubmission after a short read (no luring_do_submit preceded it). */
  resubmit: boolean;
  tLuringSubmit: HostTime;
  tSubmit: HostTime;
  tComplete: HostTime;
}

/** One request on a host block device, emitted at block:block_rq_complete on the host. */
export interface HostBlockRecord extends BlockRequestFields {
  kind: 'host_blk';
  /** tgid that issued it (QEMU, or an io-wq worker's tgid). */
  pid: number;
  tInsert: HostTime;
  tIssue: HostTime;
  tComplete: HostTime;
}

/** A guest notify that exited to KVM (kvm_fast_mmio or kvm_pio), in a vCPU thread of QEMU. */
export interface KickRecord {
  kind: 'kick';
  qemuPid: number;
  tid: number;
  /** The doorbell: the guest-physical address written (fast MMIO), or port << 16 | value written (PIO: every queue writes its index to one port). */
  gpa: bigint;
  t: HostTime;
}

/** One interrupt notification from QEMU to the guest and its injection by KVM. */
export interface NotifyRecord {
  kind: 'notify';
  qemuPid: number;
  tid: number;
  vdev: bigint;
  vq: number;
  /** Per-vq sequence number (matches QemuRequestRecord.notifySeq). */
  seq: number;
  /** MSI vector injected (kvm_apic_accept_irq vec), -1 if the injection was not seen. */
  vector: number;
  tNotify: HostTime;
  tInject: HostTime;
}

/** Any guest-side record. */
export type GuestRecord = GuestRequestRecord | GuestAppOpRecord;
/** Any host-side record. */
export type HostRecord = QemuRequestRecord | UringOpRecord | HostBlockRecord | KickRecord | NotifyRecord;
/** Any record. */
export type TraceRecord = GuestRecord | HostRecord;
/** The `kind` tag of each record type. */
export type RecordKind = TraceRecord['kind'];

/** Records lost before user space saw them (full ring buffers), per side. */
export interface LostCounts {
  guest: number;
  host: number;
}
