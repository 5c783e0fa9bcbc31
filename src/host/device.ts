// The host storage device: NVMe-like internal parallelism, a FIFO beyond it, log-normal service times per direction and size.
import type { Engine } from '../sim/engine.js';
import type { Rng } from '../sim/random.js';
import type { DeviceSpec } from '../sim/spec.js';

/** A command for the device: its direction and size, and who hears of its completion. */
export interface DeviceIo {
  readonly write: boolean;
  readonly bytes: number;
  /** Runs at the command's completion time. */
  deviceDone(t: number): void;
}

/**
 * A device serving `parallelism` commands at once (NVMe SSDs overlap many commands across dies and
 * channels); further commands queue inside it in arrival order. Typical datacenter NVMe TLC SSDs
 * take 70-100 us for a 4 KiB random read at queue depth 1 and 10-30 us for a write absorbed by their
 * cache (vendor datasheets; docs/models.md).
 */
export class Device {
  private busy = 0;
  private readonly queue: DeviceIo[] = [];
  /** Commands completed, and the sum of their service times (for utilisation). */
  served = 0;

  constructor(
    readonly spec: DeviceSpec,
    private readonly engine: Engine,
    private readonly rng: Rng,
  ) {}

  /** Takes a command at the current time; its deviceDone runs at its completion time. */
  submit(io: DeviceIo): void {
    this.queue.push(io);
    this.start();
  }

  private start(): void {
    while (this.busy < this.spec.parallelism && this.queue.length > 0) {
      const io = this.queue.shift()!;
      this.busy++;
      const median = (io.write ? this.spec.writeNs : this.spec.readNs) + Math.max(0, io.bytes / 1024 - 4) * this.spec.perKiBNs;
      const delay = this.rng.lognormal(median, this.spec.sigma);
      this.engine.atWith(this.engine.now + Math.max(0, delay), this.finished, io);
    }
  }

  /** finish, bound once: the completion event of every command, with the command as its argument. */
  private readonly finished = (io: DeviceIo): void => this.finish(io);

  /** A command completes: the next waiting one starts. */
  private finish(io: DeviceIo): void {
    this.busy--;
    this.served++;
    io.deviceDone(this.engine.now);
    this.start();
  }

  /** Commands waiting or in service. */
  get depth(): number {
    return this.busy + this.queue.length;
  }
}
