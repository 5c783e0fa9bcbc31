// The simulated guest: fio-like jobs, blk-mq and the virtio-blk driver of each disk, firing the guest hooks.
export { GuestDisk } from './disk.js';
export type { DiskWorld, GuestHookSite } from './disk.js';
export { FioJob } from './workload.js';
export { GUEST_COSTS, GUEST_SIGMA } from './costs.js';
