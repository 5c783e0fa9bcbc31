// A CO-RE read of a field the kernel's BTF does not have (struct request's rq_disk, gone since Linux 5.17) on a path the program takes: libbpf poisons the instruction, and the verifier refuses it where it is reached.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct request___old {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

u64 disks = 0;

SEC("raw_tp/block_rq_issue")
int BPF_PROG(old_kernel_only, struct request___old *rq)
{
	if (BPF_CORE_READ(rq, rq_disk))
		disks++;
	return 0;
}
