// The host storage device: NVMe-like internal parallelism, a FIFO beyond it, log-normal service times per direction and size.
import type { Engine } from '../sim/engine.js';
import type { Rng } from '../sim/random.js';
import type { DeviceSpec } from '../sim/spec.js';

interface DeviceIo {
  write: boolean;
  bytes: number;
  done: (t: number) => void;
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

  /** Takes a command at the current time; `done` runs at its completion time. */
  submit(write: boolean, bytes: number, done: (t: number) => void): void {
    this.queue.push({ write, bytes, done });
    this.start();
  }

  private start(): void {
    while (this.busy < this.spec.parallelism && this.queue.length > 0) {
      const io = this.queue.shift()!;
      this.busy++;
      const median = (io.write ? this.spec.writeNs : this.spec.readNs) + Math.max(0, io.bytes / 1024 - 4) * this.spec.perKiBNs;
      this.engine.after(this.rng.lognormal(median, this.spec.sigma), () => {
        this.busy--;
        this.served++;
        io.done(this.engine.now);
        this.start();
      });
    }
  }

  /** Commands waiting or in service. */
  get depth(): number {
    return this.busy + this.queue.length;
  }
}
