// Time on each side's clock, as branded numbers: the compiler refuses to mix guest and host clocks.

/**
 * A time on the guest's clock (CLOCK_MONOTONIC inside the VM, what bpf_ktime_get_ns() returns
 * there), in integer nanoseconds relative to the guest clock base of the trace (see
 * `ClockDomains`). A plain number: exact up to 2^53 ns (104 days) past the base, and fast.
 * 0 means "not seen".
 */
export type GuestTime = number & { readonly __clock: 'guest' };

/** A time on the host's clock (CLOCK_MONOTONIC of the host), like GuestTime. 0 means "not seen". */
export type HostTime = number & { readonly __clock: 'host' };

/** A duration in nanoseconds (a difference of two times on one clock). */
export type Nanos = number & { readonly __unit: 'ns' };

/** Marks a number as a guest-clock time. */
export const guestTime = (ns: number): GuestTime => ns as GuestTime;
/** Marks a number as a host-clock time. */
export const hostTime = (ns: number): HostTime => ns as HostTime;
/** Marks a number as a duration in nanoseconds. */
export const nanos = (ns: number): Nanos => ns as Nanos;

/**
 * How each side's raw clock maps to the numbers in records: time = raw - base. Raw clocks (a
 * host up for 200 days, CLOCK_REALTIME) can exceed 2^53 ns, so readers subtract a base kept as a
 * bigint in the trace header.
 */
export interface ClockDomains {
  /** Raw guest CLOCK_MONOTONIC value that GuestTime 0 stands for. */
  guestBase: bigint;
  /** Raw host CLOCK_MONOTONIC value that HostTime 0 stands for. */
  hostBase: bigint;
}
