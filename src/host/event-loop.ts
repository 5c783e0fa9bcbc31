// QEMU's event loops (an iothread, or the main loop): one thread running its handlers in order, and the times it cannot run them.
import type { Engine } from '../sim/engine.js';
import type { Task } from '../sim/probes.js';
import type { Rng } from '../sim/random.js';

/** Work on a loop: runs at t and returns the time it ends, or CONTINUES when it calls `resume` itself later. */
export type LoopWork = (t: number) => number;

/** What work that goes on in engine events, and calls `resume` with its end, returns. */
export const CONTINUES = -1;

/** The first moment at or after t that the loop's thread can start a handler (outside its stalls or other work). */
export type LoopAvailability = (t: number) => number;

/**
 * One event loop (an AioContext): handlers run one at a time, in the order they were posted, each
 * starting when the thread is free. The thread's own unavailability (a stall, the main loop's
 * other work) comes from `available`.
 */
export class EventLoop {
  private busyUntil = 0;
  private readonly work: LoopWork[] = [];
  private pumping = false;

  constructor(
    private readonly engine: Engine,
    /** The thread the loop runs in: the iothread, or QEMU's main thread. */
    readonly task: Task,
    /** Median ns its wakeups (ioeventfd, the io_uring's eventfd) take beyond an iothread's: the main loop's glib dispatch. */
    readonly extraWakeupNs: number,
    private readonly available: LoopAvailability = (t) => t,
  ) {}

  /** Queues work: it runs after what is queued, when the thread is free. */
  post(work: LoopWork): void {
    this.work.push(work);
    if (this.pumping) return;
    this.pumping = true;
    this.engine.at(this.free(this.engine.now), this.pump);
  }

  /** The work running ended at t: the next one starts when the thread is free. */
  resume(end: number): void {
    this.busyUntil = end;
    if (this.work.length > 0) this.engine.at(this.free(end), this.pump);
    else this.pumping = false;
  }

  private free(t: number): number {
    return this.available(Math.max(t, this.busyUntil));
  }

  private readonly pump = (): void => {
    const w = this.work.shift()!;
    const end = w(this.engine.now);
    if (end !== CONTINUES) this.resume(end);
  };
}

/** A thread that stops for `durationNs` at the start of every `everyNs` (a blocking call, a long bottom half). */
export function periodicStall(stall: { everyNs: number; durationNs: number }): LoopAvailability {
  return (at) => {
    const phase = at % stall.everyNs;
    return phase < stall.durationNs ? at + stall.durationNs - phase : at;
  };
}

/**
 * Alternating free gaps and busy periods of exponential lengths, generated as time goes on, whose
 * means give `busyFraction` of the time busy. Asked at times that do not go back.
 */
export class BusyPeriods {
  private from = -1;
  private to = -1;

  constructor(
    private readonly rng: Rng,
    private readonly busy: { busyFraction: number; meanNs: number },
  ) {}

  /** The first moment at or after t outside a busy period. */
  readonly freeAt = (t: number): number => {
    const { busyFraction, meanNs } = this.busy;
    while (this.to < t) {
      const gap = this.rng.exponential((meanNs * (1 - busyFraction)) / busyFraction);
      this.from = Math.max(this.to, 0) + gap;
      this.to = this.from + this.rng.exponential(meanNs);
    }
    return t >= this.from ? this.to : t;
  };
}
