// The running machine's block disks, read from sysfs, as a capture's topology names them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Topology, VirtualDisk } from '../records/index.js';

/** A disk of this machine: its name, dev_t and queue count. */
export interface MachineDisk {
  name: string;
  /** Kernel dev_t (major << 20 | minor), as block tracepoints carry it. */
  dev: number;
  /** blk-mq hardware queues (virtio-blk: one per virtqueue). */
  queues: number;
}

/** The disks under `sys`/block that are devices (not loop, zram or other virtual ones). */
export function machineDisks(sys = '/sys'): MachineDisk[] {
  const out: MachineDisk[] = [];
  let names: string[];
  try {
    names = readdirSync(join(sys, 'block'));
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    const dir = join(sys, 'block', name);
    // Only disks with a device behind them (loop, zram and the like have none).
    if (!existsSync(join(dir, 'device'))) continue;
    const [major, minor] = readFileSync(join(dir, 'dev'), 'utf8').trim().split(':').map(Number);
    if (major === undefined || minor === undefined || !Number.isInteger(major) || !Number.isInteger(minor)) continue;
    let queues = 0;
    try {
      queues = readdirSync(join(dir, 'mq')).length;
    } catch {
      // A disk without blk-mq queues listed: unknown.
    }
    out.push({ name, dev: (major << 20) | minor, queues });
  }
  return out;
}

/** A guest-side capture's topology: this machine as the one VM, its disks with what the guest knows of them. */
export function guestTopology(vmName: string, disks: readonly MachineDisk[], vcpus: number): Topology {
  const virtual: VirtualDisk[] = disks.map((d) => ({
    name: d.name, guestDev: d.dev, vdev: 0n, numQueues: d.queues, queueSize: 0,
    notifyGpa: [], msiVector: [], hostFile: '', hostDev: 0, extents: [],
  }));
  return { vms: [{ name: vmName, qemuPid: 0, vcpus, disks: virtual }], hostDevices: [] };
}
