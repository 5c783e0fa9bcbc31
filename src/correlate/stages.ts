// The one table of path events and stages (docs/design/request-path.md §6): correlator, reports, dashboard and ground truth use it.

/** The events on a request's path, in the order they happen. */
export const PATH_EVENTS = [
  'app_submit', // guest app io_uring_submit_req
  'bio_queue', // guest block:block_bio_queue
  'rq_insert', // guest block:block_rq_insert
  'rq_issue', // guest block:block_rq_issue
  'queue_rq', // guest kprobe virtio_queue_rq
  'vq_add', // guest kprobe virtqueue_add_sgs
  'kick', // guest kprobe virtqueue_notify
  'kick_exit', // host kvm:kvm_fast_mmio / kvm_pio
  'qemu_handle', // host uprobe virtio_blk_handle_vq
  'qemu_pop', // host uprobe virtio_blk_handle_request
  'qemu_aio', // host uprobe blk_aio_preadv/pwritev
  'luring_submit', // host uprobe luring_do_submit
  'uring_submit', // host io_uring:io_uring_submit_req
  'host_blk_issue', // host block:block_rq_issue
  'host_blk_complete', // host block:block_rq_complete
  'uring_complete', // host io_uring:io_uring_complete
  'qemu_req_complete', // host uprobe virtio_blk_req_complete
  'qemu_notify', // host uprobe virtio_notify_irqfd
  'irq_inject', // host kvm:kvm_apic_accept_irq
  'vring_interrupt', // guest kprobe vring_interrupt
  'complete_rq', // guest kprobe blk_mq_complete_request
  'rq_complete', // guest block:block_rq_complete
  'app_complete', // guest app io_uring_complete
] as const;

/** A path event name. */
export type PathEvent = (typeof PATH_EVENTS)[number];

/** Which side a stage's time is spent on; boundary stages cross the VM boundary (and carry clock error). */
export type StageSide = 'guest' | 'boundary' | 'host';

/** One stage of a request's path: the time between two path events. */
export interface StageDef {
  name: StageName;
  side: StageSide;
  /** Start event; the first present of the list is used. */
  from: readonly PathEvent[];
  /** End event; the first present of the list is used. */
  to: readonly PathEvent[];
  /** Finer stages that split this one when their events are present. */
  parts?: readonly StageName[];
  /** Set on parts: the stage they split. */
  parent?: StageName;
  /**
   * An event the end (its first `to` event) is moved up to when before it: the end is an event
   * of a handler that may have begun before this request was ready for it and picked it up later.
   */
  endNotBefore?: PathEvent;
  /** One line for legends and docs. */
  description: string;
}

/** Every stage name. */
export type StageName =
  | 'guest_submit' | 'guest_queue' | 'guest_driver' | 'notify' | 'qemu_submit' | 'host_io'
  | 'qemu_complete' | 'interrupt' | 'guest_completion' | 'guest_reap' | 'vdisk'
  | 'vm_exit' | 'qemu_wakeup' | 'qemu_dispatch' | 'host_queue' | 'device' | 'host_completion'
  | 'irq_inject' | 'irq_delivery';

/**
 * The stages, top level first in path order, then their parts. A request's top-level stages
 * telescope: they sum to its total. `vdisk` stands in for everything between rq_issue and
 * rq_complete when a request has no host side (guest-only captures).
 */
export const STAGES: readonly StageDef[] = [
  { name: 'guest_submit', side: 'guest', from: ['app_submit'], to: ['bio_queue', 'rq_insert', 'rq_issue'], description: 'application submit to block layer entry' },
  { name: 'guest_queue', side: 'guest', from: ['bio_queue', 'rq_insert'], to: ['rq_issue'], description: 'blk-mq: plugging, scheduler, tag wait, until handed to virtio-blk' },
  { name: 'vdisk', side: 'guest', from: ['rq_issue'], to: ['rq_complete'], description: 'the virtual disk as the guest sees it (no host side recorded)' },
  { name: 'guest_driver', side: 'guest', from: ['rq_issue'], to: ['kick', 'vq_add'], description: 'virtio-blk driver: descriptors, kick batching, until the notify' },
  { name: 'notify', side: 'boundary', from: ['kick', 'vq_add', 'rq_issue'], to: ['qemu_pop'], parts: ['vm_exit', 'qemu_wakeup', 'qemu_dispatch'], description: 'guest notify to QEMU popping the request (from rq_issue when the capture has no driver events)' },
  { name: 'qemu_submit', side: 'host', from: ['qemu_pop'], to: ['uring_submit'], description: 'QEMU request handling, multireq merge, io_uring SQE submit' },
  { name: 'host_io', side: 'host', from: ['uring_submit'], to: ['uring_complete'], parts: ['host_queue', 'device', 'host_completion'], description: 'host kernel io_uring, block layer and device' },
  { name: 'qemu_complete', side: 'host', from: ['uring_complete'], to: ['qemu_notify', 'qemu_req_complete'], description: 'QEMU completion processing until it notifies the guest' },
  // A handler already running (virtblk_done re-reads the used ring after virtqueue_enable_cb)
  // reaps requests QEMU completed after its vring_interrupt: for them the stage ends, at 0, when
  // QEMU completed them, and the wait in the used ring is the guest's completion.
  { name: 'interrupt', side: 'boundary', from: ['qemu_notify', 'qemu_req_complete'], to: ['vring_interrupt', 'complete_rq', 'rq_complete'], endNotBefore: 'qemu_req_complete', parts: ['irq_inject', 'irq_delivery'], description: 'irqfd, KVM injection, vCPU scheduling, guest interrupt handler (to rq_complete when the capture has no guest interrupt events)' },
  { name: 'guest_completion', side: 'guest', from: ['vring_interrupt'], to: ['rq_complete'], description: 'guest virtblk_done to block-layer completion' },
  { name: 'guest_reap', side: 'guest', from: ['rq_complete'], to: ['app_complete'], description: 'block completion to the application seeing it' },
  { name: 'vm_exit', side: 'boundary', parent: 'notify', from: ['kick'], to: ['kick_exit'], description: 'notify write to KVM exit' },
  { name: 'qemu_wakeup', side: 'host', parent: 'notify', from: ['kick_exit', 'vq_add'], to: ['qemu_handle'], description: 'ioeventfd to QEMU handling the virtqueue (from vq_add for a request the guest did not kick for: notifications were off while QEMU had the queue due)' },
  { name: 'qemu_dispatch', side: 'host', parent: 'notify', from: ['qemu_handle'], to: ['qemu_pop'], description: 'QEMU reaching this request in the virtqueue' },
  { name: 'host_queue', side: 'host', parent: 'host_io', from: ['uring_submit'], to: ['host_blk_issue'], description: 'io_uring and host block layer until the device has it' },
  { name: 'device', side: 'host', parent: 'host_io', from: ['host_blk_issue'], to: ['host_blk_complete'], description: 'host device service time' },
  { name: 'host_completion', side: 'host', parent: 'host_io', from: ['host_blk_complete'], to: ['uring_complete'], description: 'host block completion to the io_uring CQE' },
  { name: 'irq_inject', side: 'host', parent: 'interrupt', from: ['qemu_notify'], to: ['irq_inject'], description: 'irqfd write to KVM accepting the interrupt' },
  { name: 'irq_delivery', side: 'boundary', parent: 'interrupt', from: ['irq_inject'], to: ['vring_interrupt'], description: 'injected interrupt to the guest handler (vCPU scheduling)' },
];

/** The top-level stages (no parent), in path order. */
export const TOP_STAGES: readonly StageDef[] = STAGES.filter((s) => s.parent === undefined);

/** Looks up a stage by name. */
export function stageDef(name: StageName): StageDef {
  const def = STAGES.find((s) => s.name === name);
  if (!def) throw new Error(`unknown stage ${name}`);
  return def;
}
