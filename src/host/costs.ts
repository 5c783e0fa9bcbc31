// Host-side costs (medians, ns) of KVM, QEMU's virtio-blk device, io_uring and the block layer (docs/models.md cites the sources).
//
// - ioeventfd to QEMU's iothread handling the virtqueue: an eventfd wakeup of a sleeping thread is
//   ~5-10 us without polling; QEMU's AioContext polling exists to remove exactly this (Hajnoczi,
//   "Applying Polling Techniques to QEMU", KVM Forum 2017).
// - io_uring: submission and completion cost about a microsecond of CPU each per I/O (Axboe,
//   "Efficient IO with io_uring", 2019: ~1.7M 4k IOPS per core, polled).
// - Interrupt injection through irqfd and delivery to a running vCPU: a few microseconds (Gordon
//   et al., "ELI: Bare-Metal Performance for I/O Virtualization", ASPLOS 2012, on injection costs).

/** Medians in ns; each draw is log-normal around them with HOST_SIGMA. */
export const HOST_COSTS = {
  /** ioeventfd signalled to virtio_blk_handle_vq running in the iothread. */
  iothreadWakeup: 7_000,
  /**
   * What the main loop's wakeups take beyond an iothread's: glib's dispatch of its sources and
   * retaking the BQL after ppoll (a modelling choice: docs/models.md).
   */
  mainLoopDispatch: 2_000,
  /** virtio_blk_handle_vq to the first pop, and between pops (virtqueue_pop, header parsing). */
  pop: 1_000,
  /** Last pop to blk_aio_preadv/pwritev (multireq sort and merge). */
  popToAio: 800,
  /** blk_aio_* to luring_do_submit (coroutine, block layer of QEMU). */
  aioToLuring: 900,
  /** luring_do_submit to the kernel taking the SQE (io_uring_enter). */
  luringToSubmit: 1_300,
  /** io_uring_submit_req to block_rq_insert/issue on the host device. */
  submitToIssue: 1_800,
  /** block_rq_complete to the CQE posted by task work in the iothread. */
  completeToCqe: 3_000,
  /** The iothread's wakeup on the io_uring eventfd to processing completions. */
  completionWakeup: 5_000,
  /** Each virtio_blk_req_complete. */
  reqComplete: 700,
  /** virtio_notify_irqfd to KVM accepting the interrupt (kvm_apic_accept_irq). */
  inject: 1_200,
  /** Accepted interrupt to the guest's vring_interrupt on a running vCPU. */
  delivery: 2_500,
} as const;

/** Log-normal shape of host software costs. */
export const HOST_SIGMA = 0.25;
