// The print fmt of every tracefs event the ftrace reader knows, per kernel: the one table the body grammars are compiled from.
//
// Copied verbatim from real format files: Linux 6.18 from shared/kernel/tracefs-formats, Linux 6.1 from the
// guest-formats folder of the shipped captures (test/ingest-formats.test.ts checks both stay identical).
// Entries marked 'transcribed' are older io_uring layouts written down from the kernel source.
// Newest first per event: the reader tries the variants in this order and keeps the last one that fit.

/** One print fmt of one event, and the kernels known to print it. */
export interface KnownFormat {
  event: string;
  system: string;
  kernels: string[];
  /** Where the text came from: a real format file, or transcribed from the kernel source. */
  origin: 'format-file' | 'transcribed';
  printFmt: string;
}

/** Every known print fmt (see the file comment for where each comes from). */
export const knownFormats: KnownFormat[] = [
  {
    event: "block_bio_backmerge",
    system: "block",
    kernels: ["6.1","6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %llu + %u [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, (unsigned long long)REC->sector, REC->nr_sector, REC->comm",
  },
  {
    event: "block_bio_complete",
    system: "block",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %llu + %u [%d]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, (unsigned long long)REC->sector, REC->nr_sector, REC->error",
  },
  {
    event: "block_bio_frontmerge",
    system: "block",
    kernels: ["6.1","6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %llu + %u [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, (unsigned long long)REC->sector, REC->nr_sector, REC->comm",
  },
  {
    event: "block_bio_queue",
    system: "block",
    kernels: ["6.1","6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %llu + %u [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, (unsigned long long)REC->sector, REC->nr_sector, REC->comm",
  },
  {
    event: "block_getrq",
    system: "block",
    kernels: ["6.1","6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %llu + %u [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, (unsigned long long)REC->sector, REC->nr_sector, REC->comm",
  },
  {
    event: "block_io_done",
    system: "block",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %u (%s) %llu + %u %s,%u,%u [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, REC->bytes, __get_str(cmd), (unsigned long long)REC->sector, REC->nr_sector, __print_symbolic((((REC->ioprio) >> 13) & (8 - 1)), { IOPRIO_CLASS_NONE, \"none\" }, { IOPRIO_CLASS_RT, \"rt\" }, { IOPRIO_CLASS_BE, \"be\" }, { IOPRIO_CLASS_IDLE, \"idle\" }, { IOPRIO_CLASS_INVALID, \"invalid\"}), (((REC->ioprio) >> 3) & ((1 << 10) - 1)), ((REC->ioprio) & ((1 << 3) - 1)), REC->comm",
  },
  {
    event: "block_io_start",
    system: "block",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %u (%s) %llu + %u %s,%u,%u [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, REC->bytes, __get_str(cmd), (unsigned long long)REC->sector, REC->nr_sector, __print_symbolic((((REC->ioprio) >> 13) & (8 - 1)), { IOPRIO_CLASS_NONE, \"none\" }, { IOPRIO_CLASS_RT, \"rt\" }, { IOPRIO_CLASS_BE, \"be\" }, { IOPRIO_CLASS_IDLE, \"idle\" }, { IOPRIO_CLASS_INVALID, \"invalid\"}), (((REC->ioprio) >> 3) & ((1 << 10) - 1)), ((REC->ioprio) & ((1 << 3) - 1)), REC->comm",
  },
  {
    event: "block_plug",
    system: "block",
    kernels: ["6.1","6.18"],
    origin: 'format-file',
    printFmt:
      "\"[%s]\", REC->comm",
  },
  {
    event: "block_rq_complete",
    system: "block",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s (%s) %llu + %u %s,%u,%u [%d]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, __get_str(cmd), (unsigned long long)REC->sector, REC->nr_sector, __print_symbolic((((REC->ioprio) >> 13) & (8 - 1)), { IOPRIO_CLASS_NONE, \"none\" }, { IOPRIO_CLASS_RT, \"rt\" }, { IOPRIO_CLASS_BE, \"be\" }, { IOPRIO_CLASS_IDLE, \"idle\" }, { IOPRIO_CLASS_INVALID, \"invalid\"}), (((REC->ioprio) >> 3) & ((1 << 10) - 1)), ((REC->ioprio) & ((1 << 3) - 1)), REC->error",
  },
  {
    event: "block_rq_complete",
    system: "block",
    kernels: ["6.1"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s (%s) %llu + %u [%d]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, __get_str(cmd), (unsigned long long)REC->sector, REC->nr_sector, REC->error",
  },
  {
    event: "block_rq_insert",
    system: "block",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %u (%s) %llu + %u %s,%u,%u [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, REC->bytes, __get_str(cmd), (unsigned long long)REC->sector, REC->nr_sector, __print_symbolic((((REC->ioprio) >> 13) & (8 - 1)), { IOPRIO_CLASS_NONE, \"none\" }, { IOPRIO_CLASS_RT, \"rt\" }, { IOPRIO_CLASS_BE, \"be\" }, { IOPRIO_CLASS_IDLE, \"idle\" }, { IOPRIO_CLASS_INVALID, \"invalid\"}), (((REC->ioprio) >> 3) & ((1 << 10) - 1)), ((REC->ioprio) & ((1 << 3) - 1)), REC->comm",
  },
  {
    event: "block_rq_insert",
    system: "block",
    kernels: ["6.1"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %u (%s) %llu + %u [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, REC->bytes, __get_str(cmd), (unsigned long long)REC->sector, REC->nr_sector, REC->comm",
  },
  {
    event: "block_rq_issue",
    system: "block",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %u (%s) %llu + %u %s,%u,%u [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, REC->bytes, __get_str(cmd), (unsigned long long)REC->sector, REC->nr_sector, __print_symbolic((((REC->ioprio) >> 13) & (8 - 1)), { IOPRIO_CLASS_NONE, \"none\" }, { IOPRIO_CLASS_RT, \"rt\" }, { IOPRIO_CLASS_BE, \"be\" }, { IOPRIO_CLASS_IDLE, \"idle\" }, { IOPRIO_CLASS_INVALID, \"invalid\"}), (((REC->ioprio) >> 3) & ((1 << 10) - 1)), ((REC->ioprio) & ((1 << 3) - 1)), REC->comm",
  },
  {
    event: "block_rq_issue",
    system: "block",
    kernels: ["6.1"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %u (%s) %llu + %u [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, REC->bytes, __get_str(cmd), (unsigned long long)REC->sector, REC->nr_sector, REC->comm",
  },
  {
    event: "block_rq_merge",
    system: "block",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %u (%s) %llu + %u %s,%u,%u [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, REC->bytes, __get_str(cmd), (unsigned long long)REC->sector, REC->nr_sector, __print_symbolic((((REC->ioprio) >> 13) & (8 - 1)), { IOPRIO_CLASS_NONE, \"none\" }, { IOPRIO_CLASS_RT, \"rt\" }, { IOPRIO_CLASS_BE, \"be\" }, { IOPRIO_CLASS_IDLE, \"idle\" }, { IOPRIO_CLASS_INVALID, \"invalid\"}), (((REC->ioprio) >> 3) & ((1 << 10) - 1)), ((REC->ioprio) & ((1 << 3) - 1)), REC->comm",
  },
  {
    event: "block_rq_merge",
    system: "block",
    kernels: ["6.1"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %u (%s) %llu + %u [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, REC->bytes, __get_str(cmd), (unsigned long long)REC->sector, REC->nr_sector, REC->comm",
  },
  {
    event: "block_rq_requeue",
    system: "block",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s (%s) %llu + %u %s,%u,%u [%d]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, __get_str(cmd), (unsigned long long)REC->sector, REC->nr_sector, __print_symbolic((((REC->ioprio) >> 13) & (8 - 1)), { IOPRIO_CLASS_NONE, \"none\" }, { IOPRIO_CLASS_RT, \"rt\" }, { IOPRIO_CLASS_BE, \"be\" }, { IOPRIO_CLASS_IDLE, \"idle\" }, { IOPRIO_CLASS_INVALID, \"invalid\"}), (((REC->ioprio) >> 3) & ((1 << 10) - 1)), ((REC->ioprio) & ((1 << 3) - 1)), 0",
  },
  {
    event: "block_split",
    system: "block",
    kernels: ["6.1","6.18"],
    origin: 'format-file',
    printFmt:
      "\"%d,%d %s %llu / %llu [%s]\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, (unsigned long long)REC->sector, (unsigned long long)REC->new_sector, REC->comm",
  },
  {
    event: "block_unplug",
    system: "block",
    kernels: ["6.1","6.18"],
    origin: 'format-file',
    printFmt:
      "\"[%s] %d\", REC->comm, REC->nr_rq",
  },
  {
    event: "io_uring_complete",
    system: "io_uring",
    kernels: ["6.1","6.18"],
    origin: 'format-file',
    printFmt:
      "\"ring %p, req %p, user_data 0x%llx, result %d, cflags 0x%x extra1 %llu extra2 %llu \", REC->ctx, REC->req, REC->user_data, REC->res, REC->cflags, (unsigned long long) REC->extra1, (unsigned long long) REC->extra2",
  },
  {
    event: "io_uring_complete",
    system: "io_uring",
    kernels: ["5.5-5.12"],
    origin: 'transcribed',
    printFmt:
      "\"ring %p, user_data 0x%llx, result %ld\", REC->ctx, (unsigned long long)REC->user_data, REC->res",
  },
  {
    event: "io_uring_cqring_wait",
    system: "io_uring",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"ring %p, min_events %d\", REC->ctx, REC->min_events",
  },
  {
    event: "io_uring_create",
    system: "io_uring",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"ring %p, fd %d sq size %d, cq size %d, flags 0x%x\", REC->ctx, REC->fd, REC->sq_entries, REC->cq_entries, REC->flags",
  },
  {
    event: "io_uring_queue_async_work",
    system: "io_uring",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"ring %p, request %p, user_data 0x%llx, opcode %s, flags 0x%llx, %s queue, work %p\", REC->ctx, REC->req, REC->user_data, __get_str(op_str), REC->flags, REC->rw ? \"hashed\" : \"normal\", REC->work",
  },
  {
    event: "io_uring_queue_async_work",
    system: "io_uring",
    kernels: ["6.1"],
    origin: 'format-file',
    printFmt:
      "\"ring %p, request %p, user_data 0x%llx, opcode %s, flags 0x%x, %s queue, work %p\", REC->ctx, REC->req, REC->user_data, __get_str(op_str), REC->flags, REC->rw ? \"hashed\" : \"normal\", REC->work",
  },
  {
    event: "io_uring_req_failed",
    system: "io_uring",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"ring %p, req %p, user_data 0x%llx, opcode %s, flags 0x%x, prio=%d, off=%llu, addr=%llu, len=%u, rw_flags=0x%x, buf_index=%d, personality=%d, file_index=%d, pad=0x%llx, addr3=%llx, error=%d\", REC->ctx, REC->req, REC->user_data, __get_str(op_str), REC->flags, REC->ioprio, (unsigned long long)REC->off, (unsigned long long) REC->addr, REC->len, REC->op_flags, REC->buf_index, REC->personality, REC->file_index, (unsigned long long) REC->pad1, (unsigned long long) REC->addr3, REC->error",
  },
  {
    event: "io_uring_submit_req",
    system: "io_uring",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"ring %p, req %p, user_data 0x%llx, opcode %s, flags 0x%llx, sq_thread %d\", REC->ctx, REC->req, REC->user_data, __get_str(op_str), REC->flags, REC->sq_thread",
  },
  {
    event: "io_uring_submit_sqe",
    system: "io_uring",
    kernels: ["6.1"],
    origin: 'format-file',
    printFmt:
      "\"ring %p, req %p, user_data 0x%llx, opcode %s, flags 0x%x, non block %d, sq_thread %d\", REC->ctx, REC->req, REC->user_data, __get_str(op_str), REC->flags, REC->force_nonblock, REC->sq_thread",
  },
  {
    event: "io_uring_submit_sqe",
    system: "io_uring",
    kernels: ["5.5-5.12"],
    origin: 'transcribed',
    printFmt:
      "\"ring %p, op %d, data 0x%llx, non block %d, sq_thread %d\", REC->ctx, REC->opcode, (unsigned long long) REC->user_data, REC->force_nonblock, REC->sq_thread",
  },
  {
    event: "io_uring_submit_sqe",
    system: "io_uring",
    kernels: ["5.13-5.17"],
    origin: 'transcribed',
    printFmt:
      "\"ring %p, req %p, op %d, data 0x%llx, flags %u, non block %d, sq_thread %d\", REC->ctx, REC->req, REC->opcode, (unsigned long long)REC->user_data, REC->flags, REC->force_nonblock, REC->sq_thread",
  },
  {
    event: "io_uring_submit_sqe",
    system: "io_uring",
    kernels: ["5.18"],
    origin: 'transcribed',
    printFmt:
      "\"ring %p, req %p, user_data %llu, opcode %d, flags %u, non block %d, sq_thread %d\", REC->ctx, REC->req, REC->user_data, REC->opcode, REC->flags, REC->force_nonblock, REC->sq_thread",
  },
  {
    event: "irq_handler_entry",
    system: "irq",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"irq=%d name=%s\", REC->irq, __get_str(name)",
  },
  {
    event: "irq_handler_exit",
    system: "irq",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"irq=%d ret=%s\", REC->irq, REC->ret ? \"handled\" : \"unhandled\"",
  },
  {
    event: "kvm_apic_accept_irq",
    system: "kvm",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"apicid %x vec %u (%s|%s)\", REC->apicid, REC->vec, __print_symbolic((REC->dm >> 8 & 0x7), {0x0, \"Fixed\"}, {0x1, \"LowPrio\"}, {0x2, \"SMI\"}, {0x3, \"Res3\"}, {0x4, \"NMI\"}, {0x5, \"INIT\"}, {0x6, \"SIPI\"}, {0x7, \"ExtINT\"}), REC->tm ? \"level\" : \"edge\"",
  },
  {
    event: "kvm_entry",
    system: "kvm",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"vcpu %u, rip 0x%lx intr_info 0x%08x error_code 0x%08x%s\", REC->vcpu_id, REC->rip, REC->intr_info, REC->error_code, REC->immediate_exit ? \"[immediate exit]\" : \"\"",
  },
  {
    event: "kvm_exit",
    system: "kvm",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"vcpu %u reason %s%s%s rip 0x%lx info1 0x%016llx info2 0x%016llx intr_info 0x%08x error_code 0x%08x requests 0x%016llx\", REC->vcpu_id, (REC->isa == 1) ? __print_symbolic(REC->exit_reason & 0xffff, { 0, \"EXCEPTION_NMI\" }, { 1, \"EXTERNAL_INTERRUPT\" }, { 2, \"TRIPLE_FAULT\" }, { 3, \"INIT_SIGNAL\" }, { 4, \"SIPI_SIGNAL\" }, { 7, \"INTERRUPT_WINDOW\" }, { 8, \"NMI_WINDOW\" }, { 9, \"TASK_SWITCH\" }, { 10, \"CPUID\" }, { 12, \"HLT\" }, { 13, \"INVD\" }, { 14, \"INVLPG\" }, { 15, \"RDPMC\" }, { 16, \"RDTSC\" }, { 18, \"VMCALL\" }, { 19, \"VMCLEAR\" }, { 20, \"VMLAUNCH\" }, { 21, \"VMPTRLD\" }, { 22, \"VMPTRST\" }, { 23, \"VMREAD\" }, { 24, \"VMRESUME\" }, { 25, \"VMWRITE\" }, { 26, \"VMOFF\" }, { 27, \"VMON\" }, { 28, \"CR_ACCESS\" }, { 29, \"DR_ACCESS\" }, { 30, \"IO_INSTRUCTION\" }, { 31, \"MSR_READ\" }, { 32, \"MSR_WRITE\" }, { 33, \"INVALID_STATE\" }, { 34, \"MSR_LOAD_FAIL\" }, { 36, \"MWAIT_INSTRUCTION\" }, { 37, \"MONITOR_TRAP_FLAG\" }, { 39, \"MONITOR_INSTRUCTION\" }, { 40, \"PAUSE_INSTRUCTION\" }, { 41, \"MCE_DURING_VMENTRY\" }, { 43, \"TPR_BELOW_THRESHOLD\" }, { 44, \"APIC_ACCESS\" }, { 45, \"EOI_INDUCED\" }, { 46, \"GDTR_IDTR\" }, { 47, \"LDTR_TR\" }, { 48, \"EPT_VIOLATION\" }, { 49, \"EPT_MISCONFIG\" }, { 50, \"INVEPT\" }, { 51, \"RDTSCP\" }, { 52, \"PREEMPTION_TIMER\" }, { 53, \"INVVPID\" }, { 54, \"WBINVD\" }, { 55, \"XSETBV\" }, { 56, \"APIC_WRITE\" }, { 57, \"RDRAND\" }, { 58, \"INVPCID\" }, { 59, \"VMFUNC\" }, { 60, \"ENCLS\" }, { 61, \"RDSEED\" }, { 62, \"PML_FULL\" }, { 63, \"XSAVES\" }, { 64, \"XRSTORS\" }, { 67, \"UMWAIT\" }, { 68, \"TPAUSE\" }, { 74, \"BUS_LOCK\" }, { 75, \"NOTIFY\" }, { 77, \"TDCALL\" }, { 84, \"MSR_READ_IMM\" }, { 85, \"MSR_WRITE_IMM\" }) : __print_symbolic(REC->exit_reason, { 0x000, \"read_cr0\" }, { 0x002, \"read_cr2\" }, { 0x003, \"read_cr3\" }, { 0x004, \"read_cr4\" }, { 0x008, \"read_cr8\" }, { 0x010, \"write_cr0\" }, { 0x012, \"write_cr2\" }, { 0x013, \"write_cr3\" }, { 0x014, \"write_cr4\" }, { 0x018, \"write_cr8\" }, { 0x020, \"read_dr0\" }, { 0x021, \"read_dr1\" }, { 0x022, \"read_dr2\" }, { 0x023, \"read_dr3\" }, { 0x024, \"read_dr4\" }, { 0x025, \"read_dr5\" }, { 0x026, \"read_dr6\" }, { 0x027, \"read_dr7\" }, { 0x030, \"write_dr0\" }, { 0x031, \"write_dr1\" }, { 0x032, \"write_dr2\" }, { 0x033, \"write_dr3\" }, { 0x034, \"write_dr4\" }, { 0x035, \"write_dr5\" }, { 0x036, \"write_dr6\" }, { 0x037, \"write_dr7\" }, { 0x040 + 0, \"DE excp\" }, { 0x040 + 1, \"DB excp\" }, { 0x040 + 3, \"BP excp\" }, { 0x040 + 4, \"OF excp\" }, { 0x040 + 5, \"BR excp\" }, { 0x040 + 6, \"UD excp\" }, { 0x040 + 7, \"NM excp\" }, { 0x040 + 8, \"DF excp\" }, { 0x040 + 10, \"TS excp\" }, { 0x040 + 11, \"NP excp\" }, { 0x040 + 12, \"SS excp\" }, { 0x040 + 13, \"GP excp\" }, { 0x040 + 14, \"PF excp\" }, { 0x040 + 16, \"MF excp\" }, { 0x040 + 17, \"AC excp\" }, { 0x040 + 18, \"MC excp\" }, { 0x040 + 19, \"XF excp\" }, { 0x060, \"interrupt\" }, { 0x061, \"nmi\" }, { 0x062, \"smi\" }, { 0x063, \"init\" }, { 0x064, \"vintr\" }, { 0x065, \"cr0_sel_write\" }, { 0x066, \"read_idtr\" }, { 0x067, \"read_gdtr\" }, { 0x068, \"read_ldtr\" }, { 0x069, \"read_rt\" }, { 0x06a, \"write_idtr\" }, { 0x06b, \"write_gdtr\" }, { 0x06c, \"write_ldtr\" }, { 0x06d, \"write_rt\" }, { 0x06e, \"rdtsc\" }, { 0x06f, \"rdpmc\" }, { 0x070, \"pushf\" }, { 0x071, \"popf\" }, { 0x072, \"cpuid\" }, { 0x073, \"rsm\" }, { 0x074, \"iret\" }, { 0x075, \"swint\" }, { 0x076, \"invd\" }, { 0x077, \"pause\" }, { 0x078, \"hlt\" }, { 0x079, \"invlpg\" }, { 0x07a, \"invlpga\" }, { 0x07b, \"io\" }, { 0x07c, \"msr\" }, { 0x07d, \"task_switch\" }, { 0x07e, \"ferr_freeze\" }, { 0x07f, \"shutdown\" }, { 0x080, \"vmrun\" }, { 0x081, \"hypercall\" }, { 0x082, \"vmload\" }, { 0x083, \"vmsave\" }, { 0x084, \"stgi\" }, { 0x085, \"clgi\" }, { 0x086, \"skinit\" }, { 0x087, \"rdtscp\" }, { 0x088, \"icebp\" }, { 0x089, \"wbinvd\" }, { 0x08a, \"monitor\" }, { 0x08b, \"mwait\" }, { 0x08d, \"xsetbv\" }, { 0x08f, \"write_efer_trap\" }, { 0x090, \"write_cr0_trap\" }, { 0x094, \"write_cr4_trap\" }, { 0x098, \"write_cr8_trap\" }, { 0x0a2, \"invpcid\" }, { 0x0a5, \"buslock\" }, { 0x0a6, \"idle-halt\" }, { 0x400, \"npf\" }, { 0x401, \"avic_incomplete_ipi\" }, { 0x402, \"avic_unaccelerated_access\" }, { 0x403, \"vmgexit\" }, { 0x80000001, \"vmgexit_mmio_read\" }, { 0x80000002, \"vmgexit_mmio_write\" }, { 0x80000003, \"vmgexit_nmi_complete\" }, { 0x80000004, \"vmgexit_ap_hlt_loop\" }, { 0x80000005, \"vmgexit_ap_jump_table\" }, { 0x80000010, \"vmgexit_page_state_change\" }, { 0x80000011, \"vmgexit_guest_request\" }, { 0x80000012, \"vmgexit_ext_guest_request\" }, { 0x80000013, \"vmgexit_ap_creation\" }, { 0x8000fffd, \"vmgexit_hypervisor_feature\" }, { -1, \"invalid_guest_state\" }), (REC->isa == 1 && REC->exit_reason & ~0xffff) ? \" \" : \"\", (REC->isa == 1) ? __print_flags(REC->exit_reason & ~0xffff, \" \", { 0x80000000, \"FAILED_VMENTRY\" }) : \"\", REC->guest_rip, REC->info1, REC->info2, REC->intr_info, REC->error_code, REC->requests",
  },
  {
    event: "kvm_fast_mmio",
    system: "kvm",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"fast mmio at gpa 0x%llx\", REC->gpa",
  },
  {
    event: "kvm_inj_virq",
    system: "kvm",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"%s 0x%x%s\", REC->soft ? \"Soft/INTn\" : \"IRQ\", REC->vector, REC->reinjected ? \" [reinjected]\" : \"\"",
  },
  {
    event: "kvm_ioapic_set_irq",
    system: "kvm",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"pin %u dst %x vec %u (%s|%s|%s%s)%s\", REC->pin, (u8)(REC->e >> 56), (u8)REC->e, __print_symbolic((REC->e >> 8 & 0x7), {0x0, \"Fixed\"}, {0x1, \"LowPrio\"}, {0x2, \"SMI\"}, {0x3, \"Res3\"}, {0x4, \"NMI\"}, {0x5, \"INIT\"}, {0x6, \"SIPI\"}, {0x7, \"ExtINT\"}), (REC->e & (1<<11)) ? \"logical\" : \"physical\", (REC->e & (1<<15)) ? \"level\" : \"edge\", (REC->e & (1<<16)) ? \"|masked\" : \"\", REC->coalesced ? \" (coalesced)\" : \"\"",
  },
  {
    event: "kvm_mmio",
    system: "kvm",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"mmio %s len %u gpa 0x%llx val 0x%llx\", __print_symbolic(REC->type, { 0, \"unsatisfied-read\" }, { 1, \"read\" }, { 2, \"write\" }), REC->len, REC->gpa, REC->val",
  },
  {
    event: "kvm_msi_set_irq",
    system: "kvm",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"dst %llx vec %u (%s|%s|%s%s)\", (u8)(REC->address >> 12) | ((REC->address >> 32) & 0xffffff00), (u8)REC->data, __print_symbolic((REC->data >> 8 & 0x7), {0x0, \"Fixed\"}, {0x1, \"LowPrio\"}, {0x2, \"SMI\"}, {0x3, \"Res3\"}, {0x4, \"NMI\"}, {0x5, \"INIT\"}, {0x6, \"SIPI\"}, {0x7, \"ExtINT\"}), (REC->address & (1<<2)) ? \"logical\" : \"physical\", (REC->data & (1<<15)) ? \"level\" : \"edge\", (REC->address & (1<<3)) ? \"|rh\" : \"\"",
  },
  {
    event: "kvm_pio",
    system: "kvm",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"pio_%s at 0x%x size %d count %d val 0x%x %s\", REC->rw ? \"write\" : \"read\", REC->port, REC->size, REC->count, REC->val, REC->count > 1 ? \"(...)\" : \"\"",
  },
  {
    event: "kvm_set_irq",
    system: "kvm",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"gsi %u level %d source %d\", REC->gsi, REC->level, REC->irq_source_id",
  },
  {
    event: "kvm_userspace_exit",
    system: "kvm",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"reason %s (%d)\", REC->errno < 0 ? (REC->errno == -4 ? \"restart\" : \"error\") : __print_symbolic(REC->reason, { 0, \"KVM_EXIT_\" \"UNKNOWN\" }, { 1, \"KVM_EXIT_\" \"EXCEPTION\" }, { 2, \"KVM_EXIT_\" \"IO\" }, { 3, \"KVM_EXIT_\" \"HYPERCALL\" }, { 4, \"KVM_EXIT_\" \"DEBUG\" }, { 5, \"KVM_EXIT_\" \"HLT\" }, { 6, \"KVM_EXIT_\" \"MMIO\" }, { 7, \"KVM_EXIT_\" \"IRQ_WINDOW_OPEN\" }, { 8, \"KVM_EXIT_\" \"SHUTDOWN\" }, { 9, \"KVM_EXIT_\" \"FAIL_ENTRY\" }, { 10, \"KVM_EXIT_\" \"INTR\" }, { 11, \"KVM_EXIT_\" \"SET_TPR\" }, { 12, \"KVM_EXIT_\" \"TPR_ACCESS\" }, { 13, \"KVM_EXIT_\" \"S390_SIEIC\" }, { 14, \"KVM_EXIT_\" \"S390_RESET\" }, { 15, \"KVM_EXIT_\" \"DCR\" }, { 16, \"KVM_EXIT_\" \"NMI\" }, { 17, \"KVM_EXIT_\" \"INTERNAL_ERROR\" }, { 18, \"KVM_EXIT_\" \"OSI\" }, { 19, \"KVM_EXIT_\" \"PAPR_HCALL\" }, { 20, \"KVM_EXIT_\" \"S390_UCONTROL\" }, { 21, \"KVM_EXIT_\" \"WATCHDOG\" }, { 22, \"KVM_EXIT_\" \"S390_TSCH\" }, { 23, \"KVM_EXIT_\" \"EPR\" }, { 24, \"KVM_EXIT_\" \"SYSTEM_EVENT\" }, { 25, \"KVM_EXIT_\" \"S390_STSI\" }, { 26, \"KVM_EXIT_\" \"IOAPIC_EOI\" }, { 27, \"KVM_EXIT_\" \"HYPERV\" }, { 28, \"KVM_EXIT_\" \"ARM_NISV\" }, { 29, \"KVM_EXIT_\" \"X86_RDMSR\" }, { 30, \"KVM_EXIT_\" \"X86_WRMSR\" }), REC->errno < 0 ? -REC->errno : REC->reason",
  },
  {
    event: "kvm_vcpu_wakeup",
    system: "kvm",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"%s time %lld ns, polling %s\", REC->waited ? \"wait\" : \"poll\", REC->ns, REC->valid ? \"valid\" : \"invalid\"",
  },
  {
    event: "sched_switch",
    system: "sched",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d next_prio=%d\", REC->prev_comm, REC->prev_pid, REC->prev_prio, (REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1)) ? __print_flags(REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1), \"|\", { 0x00000001, \"S\" }, { 0x00000002, \"D\" }, { 0x00000004, \"T\" }, { 0x00000008, \"t\" }, { 0x00000010, \"X\" }, { 0x00000020, \"Z\" }, { 0x00000040, \"P\" }, { 0x00000080, \"I\" }) : \"R\", REC->prev_state & (((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) ? \"+\" : \"\", REC->next_comm, REC->next_pid, REC->next_prio",
  },
  {
    event: "sched_wakeup",
    system: "sched",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"comm=%s pid=%d prio=%d target_cpu=%03d\", REC->comm, REC->pid, REC->prio, REC->target_cpu",
  },
  {
    event: "sys_enter_io_uring_enter",
    system: "syscalls",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"fd: 0x%08lx, to_submit: 0x%08lx, min_complete: 0x%08lx, flags: 0x%08lx, argp: 0x%08lx, argsz: 0x%08lx\", ((unsigned long)(REC->fd)), ((unsigned long)(REC->to_submit)), ((unsigned long)(REC->min_complete)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->argp)), ((unsigned long)(REC->argsz))",
  },
  {
    event: "sys_enter_preadv2",
    system: "syscalls",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"fd: 0x%08lx, vec: 0x%08lx, vlen: 0x%08lx, pos_l: 0x%08lx, pos_h: 0x%08lx, flags: 0x%08lx\", ((unsigned long)(REC->fd)), ((unsigned long)(REC->vec)), ((unsigned long)(REC->vlen)), ((unsigned long)(REC->pos_l)), ((unsigned long)(REC->pos_h)), ((unsigned long)(REC->flags))",
  },
  {
    event: "sys_enter_pwritev2",
    system: "syscalls",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"fd: 0x%08lx, vec: 0x%08lx, vlen: 0x%08lx, pos_l: 0x%08lx, pos_h: 0x%08lx, flags: 0x%08lx\", ((unsigned long)(REC->fd)), ((unsigned long)(REC->vec)), ((unsigned long)(REC->vlen)), ((unsigned long)(REC->pos_l)), ((unsigned long)(REC->pos_h)), ((unsigned long)(REC->flags))",
  },
  {
    event: "sys_exit_io_uring_enter",
    system: "syscalls",
    kernels: ["6.18"],
    origin: 'format-file',
    printFmt:
      "\"0x%lx\", REC->ret",
  },
];
