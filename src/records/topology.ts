// The topology that links each guest disk to its host side (docs/design/request-path.md §1).

/** A host block device holding VM disk images (or volumes). */
export interface HostDevice {
  /** Kernel dev_t (major << 20 | minor), as block tracepoints carry it. */
  dev: number;
  /** Device name, e.g. "nvme0n1". */
  name: string;
  /** The device model name the simulator used, or what the capture reported. */
  model: string;
}

/** One extent of a disk image file: file bytes [fileOffset, +length) live at device byte deviceOffset. */
export interface Extent {
  fileOffset: number;
  deviceOffset: number;
  length: number;
}

/** One virtio-blk disk of a VM and the QEMU device and host file behind it. */
export interface VirtualDisk {
  /** Guest name, e.g. "vda". */
  name: string;
  /** Guest kernel dev_t (major << 20 | minor). */
  guestDev: number;
  /** Address of QEMU's VirtIODevice for this disk (what QEMU probes see as vdev). */
  vdev: bigint;
  numQueues: number;
  queueSize: number;
  /** Per virtqueue: its doorbell as kick records name it (kvm_fast_mmio's gpa, or kvm_pio's port << 16 | queue). */
  notifyGpa: bigint[];
  /** Per virtqueue: the MSI-X vector of its interrupt (kvm_apic_accept_irq's vec). */
  msiVector: number[];
  /** Host path of the image or volume, for the reader's information. */
  hostFile: string;
  /** dev_t of the host block device holding it. */
  hostDev: number;
  /** Where the image's bytes are on the host device (FIEMAP). */
  extents: Extent[];
}

/** One VM: its QEMU process and its disks. */
export interface VirtualMachine {
  /** Name used in reports and groupings. */
  name: string;
  /** tgid of the QEMU process (host records carry it as pid). */
  qemuPid: number;
  vcpus: number;
  disks: VirtualDisk[];
}

/** Everything a correlator needs to know about which guest disk is which host device. */
export interface Topology {
  vms: VirtualMachine[];
  hostDevices: HostDevice[];
}

/** Maps a file offset of a disk image to a host device sector (512-byte), or undefined if unmapped. */
export function fileOffsetToDeviceSector(disk: VirtualDisk, fileOffset: number): number | undefined {
  for (const e of disk.extents) {
    if (fileOffset >= e.fileOffset && fileOffset < e.fileOffset + e.length) {
      return Math.floor((e.deviceOffset + (fileOffset - e.fileOffset)) / 512);
    }
  }
  return undefined;
}
