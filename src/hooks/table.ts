// The one table of hooks: every place the simulated stack runs a program, with its real name, kind, context and fire point.
import { TracepointLayout } from './tracepoint.js';

/** Which side of the VM boundary a hook is on; each side has its own clock and its own programs. */
export type Side = 'guest' | 'host';

/** How a program attaches (libbpf's SEC prefixes). */
export type HookKind = 'tracepoint' | 'raw_tracepoint' | 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe';

/** The QEMU binary uprobes attach to. */
export const QEMU_BINARY = '/usr/bin/qemu-system-x86_64';

/** One hook. */
export interface HookDef {
  side: Side;
  kind: HookKind;
  /** `system:event` for tracepoints; the function for probes. */
  name: string;
  /**
   * Parameter names of the probed function (kprobe/uprobe), in register order; of a raw
   * tracepoint, its TP_PROTO's, in the order of the u64 array the program gets.
   */
  args?: readonly string[];
  /**
   * The arguments declared as the kernel declares them (`struct request *rq`): a tracepoint's
   * TP_PROTO (it is then also a raw tracepoint with those arguments), a kernel function's
   * parameters (a kprobe's function is then also an fentry target, its arguments typed so).
   */
  proto?: readonly string[];
  /**
   * A kernel function's return type, where the simulator knows the point it returns at: fexit
   * programs run there, given the arguments and the value returned after them.
   */
  returns?: string;
  /** When it fires, in the terms of the real code. */
  fires: string;
  /** Fired for users' own tools (viotrace prog run: biosnoop's block_io_start, say); the paired programs do not attach to it. */
  toolsOnly?: true;
}

const tp = (side: Side, name: string, fires: string, proto?: readonly string[]): HookDef => ({ side, kind: 'tracepoint', name, fires, ...(proto ? { proto } : {}) });
const toolsTp = (side: Side, name: string, fires: string, proto?: readonly string[]): HookDef => ({ ...tp(side, name, fires, proto), toolsOnly: true });
const toolsProbe = (side: Side, kind: HookKind, name: string, args: readonly string[], fires: string, proto?: readonly string[], returns?: string): HookDef => ({ ...probe(side, kind, name, args, fires, proto, returns), toolsOnly: true });
const probe = (side: Side, kind: HookKind, name: string, args: readonly string[], fires: string, proto?: readonly string[], returns?: string): HookDef => ({ side, kind, name, args, fires, ...(proto ? { proto } : {}), ...(returns ? { returns } : {}) });

/** Every hook, guest first, in the order a request meets them. docs/design/request-path.md §2 is this table in prose. */
export const HOOKS: readonly HookDef[] = [
  tp('guest', 'io_uring:io_uring_submit_req', "the guest application's io_uring takes an SQE (fio)"),
  tp('guest', 'block:block_bio_queue', 'a bio enters blk-mq (submit_bio)'),
  tp('guest', 'block:block_bio_backmerge', 'a bio is merged into a queued or plugged request'),
  toolsProbe('guest', 'kprobe', 'blk_account_io_merge_bio', ['req'], 'bio_attempt_back_merge accounts the merged bio to the request (after __data_len grew)', ['struct request *req'], 'void'),
  tp('guest', 'block:block_split', 'a bio is split at max_sectors'),
  toolsTp('guest', 'block:block_io_start', 'blk_account_io_start: a bio became a request (blk_mq_bio_to_request)', ['struct request *rq']),
  tp('guest', 'block:block_rq_insert', 'a request is inserted (scheduler, or plug flush)', ['struct request *rq']),
  toolsProbe('guest', 'kprobe', 'blk_mq_start_request', ['rq'], 'the request is handed to the driver (block_rq_issue fires inside it)', ['struct request *rq'], 'void'),
  tp('guest', 'block:block_rq_issue', 'blk_mq_start_request: the request is handed to the driver', ['struct request *rq']),
  probe('guest', 'kprobe', 'virtio_queue_rq', ['hctx', 'bd'], "virtio-blk's ->queue_rq (it returns after the descriptors are added, and for a batch's last request after the kick)", ['struct blk_mq_hw_ctx *hctx', 'const struct blk_mq_queue_data *bd'], 'blk_status_t'),
  probe('guest', 'kprobe', 'virtqueue_add_sgs', ['vq', 'sgs', 'out_sgs', 'in_sgs', 'data', 'gfp'], 'the descriptor chain is added to the split ring',
    ['struct virtqueue *_vq', 'struct scatterlist **sgs', 'unsigned int out_sgs', 'unsigned int in_sgs', 'void *data', 'gfp_t gfp'], 'int'),
  probe('guest', 'kprobe', 'virtqueue_kick_prepare', ['vq'], 'the driver closes a batch (bd->last or commit_rqs)', ['struct virtqueue *_vq'], 'bool'),
  probe('guest', 'kretprobe', 'virtqueue_kick_prepare', ['vq'], 'returns whether the device wants a notify (EVENT_IDX)'),
  probe('guest', 'kprobe', 'virtqueue_notify', ['vq'], 'the notify write that exits to the host (it returns once the vCPU is back from the exit)', ['struct virtqueue *_vq'], 'bool'),
  probe('guest', 'kprobe', 'vring_interrupt', ['irq', 'vq'], "the guest's interrupt handler for a virtqueue (it returns when virtblk_done's loop finds nothing more)", ['int irq', 'void *_vq'], 'irqreturn_t'),
  probe('guest', 'kprobe', 'blk_mq_complete_request', ['rq'], 'virtblk_done completes a request (it returns at once: the completion goes on in softirq)', ['struct request *rq'], 'void'),
  toolsProbe('guest', 'kprobe', 'blk_mq_end_request', ['rq', 'error'], "virtblk_request_done ends the request (block_rq_complete and block_io_done fire inside it)", ['struct request *rq', 'blk_status_t error'], 'void'),
  tp('guest', 'block:block_rq_complete', 'blk_update_request: the block layer sees the completion', ['struct request *rq', 'blk_status_t error', 'unsigned int nr_bytes']),
  toolsTp('guest', 'block:block_io_done', 'blk_account_io_done: the request ends (__blk_mq_end_request)', ['struct request *rq']),
  tp('guest', 'io_uring:io_uring_complete', "the guest application's CQE is posted"),
  // No raw tracepoint for these two: their TP_PROTO passes a struct kvm_vcpu, which the simulator does not lay out.
  toolsTp('host', 'kvm:kvm_exit', "the vCPU exits on the guest's notify write (EPT_MISCONFIG for MMIO, IO_INSTRUCTION for port I/O; the simulated vCPUs exit for nothing else)"),
  tp('host', 'kvm:kvm_fast_mmio', "the guest's notify write exits to KVM (MMIO, ioeventfd)", ['u64 gpa']),
  tp('host', 'kvm:kvm_pio', "the guest's notify write exits to KVM (port I/O)", ['unsigned int rw', 'unsigned int port', 'unsigned int size', 'unsigned int count', 'const void *data']),
  toolsTp('host', 'kvm:kvm_entry', 'KVM enters the guest again after the notify exit (the write skipped; virtqueue_notify returns)'),
  probe('host', 'uprobe', 'virtio_blk_handle_vq', ['s', 'vq'], 'QEMU starts handling a kick (after the ioeventfd)'),
  probe('host', 'uprobe', 'virtio_blk_handle_request', ['req', 'mrb'], 'QEMU popped one request'),
  probe('host', 'uretprobe', 'virtio_blk_handle_request', ['req', 'mrb'], 'the request is parsed (req->qiov set)'),
  probe('host', 'uprobe', 'blk_aio_preadv', ['blk', 'offset', 'qiov', 'flags', 'cb', 'opaque'], 'a (possibly merged) read goes to the block backend'),
  probe('host', 'uprobe', 'blk_aio_pwritev', ['blk', 'offset', 'qiov', 'flags', 'cb', 'opaque'], 'a (possibly merged) write goes to the block backend'),
  probe('host', 'uprobe', 'luring_do_submit', ['fd', 'luringcb', 's', 'offset', 'type'], "QEMU's io_uring backend queues an SQE (user_data = luringcb)"),
  tp('host', 'io_uring:io_uring_submit_req', 'the host kernel takes the SQE'),
  tp('host', 'io_uring:io_uring_queue_async_work', 'the request is punted to io-wq'),
  toolsTp('host', 'block:block_io_start', "blk_account_io_start: the host block request is made from QEMU's bio", ['struct request *rq']),
  tp('host', 'block:block_rq_insert', 'a host block request is inserted', ['struct request *rq']),
  toolsProbe('host', 'kprobe', 'blk_mq_start_request', ['rq'], 'the host block request goes to the device (block_rq_issue fires inside it)', ['struct request *rq'], 'void'),
  tp('host', 'block:block_rq_issue', 'the host block request goes to the device', ['struct request *rq']),
  toolsProbe('host', 'kprobe', 'blk_mq_end_request', ['rq', 'error'], 'the NVMe driver ends the host block request (block_rq_complete and block_io_done fire inside it)', ['struct request *rq', 'blk_status_t error'], 'void'),
  tp('host', 'block:block_rq_complete', 'the device completed the host block request', ['struct request *rq', 'blk_status_t error', 'unsigned int nr_bytes']),
  toolsTp('host', 'block:block_io_done', 'blk_account_io_done: the host block request ends', ['struct request *rq']),
  tp('host', 'io_uring:io_uring_complete', 'the CQE is posted'),
  probe('host', 'uprobe', 'virtio_blk_req_complete', ['req', 'status'], 'QEMU completes one guest request (used ring)'),
  probe('host', 'uprobe', 'virtio_notify_irqfd', ['vdev', 'vq'], 'QEMU asks to signal the guest after each completion (EVENT_IDX may say no)'),
  probe('host', 'uretprobe', 'virtio_notify_irqfd', ['vdev', 'vq'], 'the signal was sent (an injection came first) or suppressed'),
  tp('host', 'kvm:kvm_apic_accept_irq', "the interrupt is accepted by the vCPU's LAPIC", ['__u32 apicid', '__u16 dm', '__u16 tm', '__u8 vec']),
  tp('host', 'kvm:kvm_msi_set_irq', 'injection through kvm_set_msi (irqfd slow path)'),
];

/** The parameter name of a TP_PROTO declaration (`struct request *rq` -> `rq`). */
const paramName = (decl: string): string => /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(decl)![1]!;

/**
 * The raw tracepoints (SEC("raw_tp/EVENT")): the tracepoints of HOOKS whose TP_PROTO the simulator
 * passes, fired at the same point. A raw tracepoint program gets the arguments as an array of u64,
 * pointers into the side's simulated kernel memory (bpf_probe_read_kernel reads them).
 */
export const RAW_TRACEPOINTS: readonly HookDef[] = HOOKS.filter((h) => h.kind === 'tracepoint' && h.proto).map((h) => ({
  side: h.side, kind: 'raw_tracepoint', name: h.name.split(':')[1]!, args: h.proto!.map(paramName), proto: h.proto!, fires: h.fires, ...(h.toolsOnly ? { toolsOnly: true } : {}),
}));

/** Every place a program attaches: HOOKS and the raw tracepoints derived from them. */
export const ALL_HOOKS: readonly HookDef[] = [...HOOKS, ...RAW_TRACEPOINTS];

/** The key a program's SEC name attaches by: `tracepoint block:block_rq_issue`, `uprobe virtio_blk_handle_vq`. */
export function hookKey(kind: HookKind, name: string): string {
  return `${kind} ${name}`;
}

/**
 * The kind of hook a program kind attaches to: a tp_btf program is a raw tracepoint program whose
 * arguments the kernel types from BTF, and fires at the same site; fentry and fexit programs run
 * where a kernel function's kprobe fires and where it returns.
 */
export function hookKindOf(programKind: string): string {
  return programKind === 'tp_btf' ? 'raw_tracepoint' : programKind === 'fentry' || programKind === 'fexit' ? 'kprobe' : programKind;
}

/** Finds the hook a program of an object attaches to (libbpf's attach target, uprobes with their binary). */
export function findHook(side: Side, kind: string, attachTo: string): HookDef | undefined {
  const name = kind === 'uprobe' || kind === 'uretprobe' ? attachTo.replace(`${QEMU_BINARY}:`, '') : attachTo;
  const k = hookKindOf(kind);
  // fentry needs the function's parameters declared; fexit its return type too (the point it returns at is known).
  const typed = (h: HookDef): boolean => (kind === 'fentry' ? !!h.proto : kind === 'fexit' ? !!(h.proto && h.returns) : true);
  return ALL_HOOKS.find((h) => h.side === side && h.kind === k && h.name === name && typed(h));
}

const layouts = new Map<string, TracepointLayout>();

/** The record layout of a tracepoint hook, from its vendored format file. */
export function tracepointLayout(name: string): TracepointLayout {
  let l = layouts.get(name);
  if (!l) {
    const [system, event] = name.split(':') as [string, string];
    l = new TracepointLayout(system, event);
    layouts.set(name, l);
  }
  return l;
}
