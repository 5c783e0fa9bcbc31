// What KVM's kvm_exit and kvm_entry tracepoints say of the guest's notify writes on Intel VMX: exit reasons, exit qualifications, guest RIPs.

/** kvm_exit's isa for Intel VMX (KVM_ISA_VMX; 2 is SVM). */
export const KVM_ISA_VMX = 1;

/** Basic exit reason of an MMIO write to a page EPT maps as misconfigured: KVM's fast MMIO path (Intel SDM Vol. 3C, Appendix C). */
export const EXIT_REASON_EPT_MISCONFIG = 49;

/** Basic exit reason of an IN or OUT instruction. */
export const EXIT_REASON_IO_INSTRUCTION = 30;

/**
 * The exit qualification of a one-operand OUT of `size` bytes to `port` through DX (Intel SDM Vol.
 * 3C, table "Exit Qualification for I/O Instructions"): bits 2:0 size - 1, bit 3 the direction (0,
 * out), bits 4-6 clear (not a string, no REP, the port in DX), bits 31:16 the port.
 */
export function ioExitQualification(port: number, size: 1 | 2 | 4): number {
  return ((port & 0xffff) * 0x10000) + (size - 1);
}

/**
 * Where the guest's notify writes are, in its kernel text: lib/iomap.c's iowrite16, whose writew
 * (`mov %ax,(%rdx)`, 3 bytes) a modern virtio-pci doorbell takes and whose outw (`out %ax,(%dx)`,
 * 2 bytes) a port I/O one does. The simulator has no guest kernel image: these are fixed stand-ins
 * in a guest's text range (bigints: above 2^53), so that a tool keyed by RIP sees one place per kind
 * of notify.
 */
export const GUEST_MMIO_NOTIFY_RIP = 0xffffffff8166a2c3n;
/** The outw of iowrite16 (GUEST_MMIO_NOTIFY_RIP says why a stand-in). */
export const GUEST_PIO_NOTIFY_RIP = 0xffffffff8166a2b8n;
/** Bytes of the writew, which KVM skips before it enters the guest again. */
export const MOV_TO_MEM16_BYTES = 3n;
/** Bytes of the outw. */
export const OUT_DX_AX_BYTES = 2n;
