// Guest-side software costs (medians, ns) of the virtio-blk path, with where the figures come from (docs/models.md).
//
// The block layer's per-request CPU cost on a modern core is 1-2 us from bio submission to the
// driver (Bjørling et al., "Linux Block IO: Introducing Multi-queue SSD Access on Multi-core
// Systems", SYSTOR 2013, measured blk-mq at millions of IOPS per socket, i.e. well under 2 us per
// request per core); the virtio-blk driver adds descriptor setup well under a microsecond. A KVM
// exit for an MMIO doorbell handled by ioeventfd costs 1-3 us round trip (kvm-unit-tests' vmexit
// benchmarks: a few thousand cycles), of which the guest-visible write takes the exit time.

/** Medians in ns; each draw is log-normal around them with GUEST_SIGMA. */
export const GUEST_COSTS = {
  /** io_uring_submit_req of the application to submit_bio's block_bio_queue. */
  appToBio: 1_200,
  /** bio_queue to request allocation and insert (plug flush). */
  bioToInsert: 900,
  /** insert to blk_mq_start_request (dispatch). */
  insertToIssue: 400,
  /** block_rq_issue to virtio_queue_rq. */
  issueToQueueRq: 250,
  /** virtio_queue_rq to virtqueue_add_sgs (sg mapping, header). */
  queueRqToAdd: 600,
  /** add_sgs to kick_prepare, and kick_prepare to notify. */
  addToKick: 300,
  /** The notify write until KVM's exit handler runs (vm_exit). */
  vmExit: 1_500,
  /** Interrupt handler entry to each blk_mq_complete_request. */
  irqToComplete: 700,
  /** blk_mq_complete_request to block_rq_complete (softirq completion). */
  completeToRq: 1_100,
  /** block_rq_complete to the application's CQE (io_uring_complete). */
  rqToApp: 1_500,
  /** The application's turnaround from a CQE to its next SQE. */
  appThink: 2_000,
} as const;

/** Log-normal shape of the guest's software costs. */
export const GUEST_SIGMA = 0.2;
