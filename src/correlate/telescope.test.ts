// Stages from path event times: consecutive stages sum to the total; a request with no whole stage still starts at its first event; a signal the request did not wait for costs no time.
import { describe, expect, it } from 'vitest';
import type { GuestTime } from '../records/index.js';
import { stagesFromEvents } from './telescope.js';

const at = (ns: number): GuestTime => ns as GuestTime;

describe('stagesFromEvents', () => {
  it('gives top-level stages that sum to the total, from the first event', () => {
    const b = stagesFromEvents({ bio_queue: at(1_000), rq_issue: at(3_000), rq_complete: at(90_000) });
    expect(b.stages).toEqual({ guest_queue: 2_000, vdisk: 87_000 });
    expect(b.start).toBe(1_000);
    expect(b.total).toBe(89_000);
  });

  it('starts a request with no whole stage at its first event, not at 0', () => {
    // A guest record whose other times were lost (its state overwritten by a request to the same sector).
    const b = stagesFromEvents({ rq_complete: at(21_600_480_000_000) });
    expect(b.stages).toEqual({});
    expect(b.total).toBe(0);
    expect(b.start).toBe(21_600_480_000_000);
    expect(stagesFromEvents({}).start).toBe(0);
  });

  // One full path (guest clock, ns), as a matched request has it.
  const full = {
    rq_issue: at(0), queue_rq: at(200), vq_add: at(1_000), kick: at(1_500), kick_exit: at(2_500), qemu_handle: at(6_000), qemu_pop: at(7_000),
    uring_submit: at(12_000), uring_complete: at(90_000), qemu_req_complete: at(95_000), qemu_notify: at(97_000), irq_inject: at(98_000),
    vring_interrupt: at(100_000), complete_rq: at(101_000), rq_complete: at(104_000),
  };

  it('splits the notification and the interrupt into their parts when the request waited for them', () => {
    const b = stagesFromEvents(full);
    expect(b.stages).toMatchObject({ guest_driver: 1_500, notify: 5_500, vm_exit: 1_000, qemu_wakeup: 3_500, qemu_dispatch: 1_000, qemu_complete: 7_000, interrupt: 3_000, irq_inject: 1_000, irq_delivery: 2_000 });
    expect(b.total).toBe(104_000);
  });

  it('gives no time to an interrupt the request did not wait for: a handler already running reaped it', () => {
    // QEMU completed it at 95 us and notified at 101.5 us (after the batch), but the guest's
    // handler, running since 100 us for an earlier interrupt, found it in the used ring first.
    const b = stagesFromEvents({ ...full, qemu_notify: at(101_500), irq_inject: at(102_000) });
    expect(b.stages.qemu_complete).toBe(10_000);
    expect(b.stages.interrupt).toBe(0);
    expect(b.stages.irq_inject).toBeUndefined();
    expect(b.stages.irq_delivery).toBeUndefined();
    // Notified before the handler ran but injected after it: not this notification's interrupt either.
    const late = stagesFromEvents({ ...full, irq_inject: at(100_400) });
    expect(late.stages.interrupt).toBe(3_000);
    expect(late.stages.irq_delivery).toBeUndefined();
    for (const x of [b, late]) {
      expect(Object.values(x.stages).every((v) => v >= 0)).toBe(true);
      expect(x.total).toBe(104_000);
    }
  });

  it('ends the interrupt at QEMU\'s completion for a request a running handler reaped after its vring_interrupt', () => {
    // virtblk_done began at 100 us for an earlier request's interrupt; QEMU pushed this one at
    // 100.6 us (no interrupt: EVENT_IDX, the guest had not re-enabled callbacks) and the handler's
    // next pass after virtqueue_enable_cb reaped it at 101 us.
    const { irq_inject: _i, ...notInjected } = full;
    const b = stagesFromEvents({ ...notInjected, uring_complete: at(99_000), qemu_req_complete: at(100_600), qemu_notify: at(100_660) });
    expect(b.stages.qemu_complete).toBe(1_600);
    expect(b.stages.interrupt).toBe(0);
    // The used-ring wait is the guest's completion, from QEMU's push to the block-layer completion.
    expect(b.stages.guest_completion).toBe(3_400);
    expect(Object.values(b.stages).every((v) => v >= 0)).toBe(true);
    expect(b.total).toBe(104_000);
  });

  it('splits the notification of a request the guest did not kick for: its wait for QEMU is the wakeup', () => {
    // Notifications were off (event idx: QEMU had the queue due), so no kick and no exit: made
    // available at 1 us, QEMU came round to the queue at 6 us (after a stall) and popped it at 7 us.
    const { kick: _k, kick_exit: _x, ...unkicked } = full;
    const b = stagesFromEvents(unkicked);
    expect(b.stages).toMatchObject({ notify: 6_000, qemu_wakeup: 5_000, qemu_dispatch: 1_000 });
    expect(b.stages.vm_exit).toBeUndefined();
    // Kicked, but the exit was lost: the parts cannot be told apart, so none is given.
    const { kick_exit: _y, ...noExit } = full;
    const c = stagesFromEvents(noExit);
    expect(c.stages.notify).toBe(5_500);
    expect([c.stages.vm_exit, c.stages.qemu_wakeup, c.stages.qemu_dispatch]).toEqual([undefined, undefined, undefined]);
    // QEMU was already handling the queue when the request was added: not a wait for a wakeup either.
    const d = stagesFromEvents({ ...unkicked, qemu_handle: at(500) });
    expect(d.stages.notify).toBe(6_000);
    expect(d.stages.qemu_wakeup).toBeUndefined();
  });

  it('gives no time to a kick QEMU did not wait for: it popped the request while working through the queue', () => {
    const b = stagesFromEvents({ ...full, kick: at(7_400), kick_exit: at(8_000), qemu_handle: at(8_500) });
    expect(b.stages.guest_driver).toBe(7_000);
    expect(b.stages.notify).toBe(0);
    expect(b.stages.vm_exit).toBeUndefined();
    expect(b.total).toBe(104_000);
  });
});
