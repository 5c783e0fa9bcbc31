// The simulated host: KVM's side of the boundary, QEMU's virtio-blk on an iothread or the main loop, the host kernel's io_uring and block layer, the device.
export { Qemu } from './qemu.js';
export type { HostHookSite, QemuWorld } from './qemu.js';
export { HostKernel } from './kernel.js';
export type { HostOp } from './kernel.js';
export { Device } from './device.js';
export { HOST_COSTS, HOST_SIGMA } from './costs.js';
