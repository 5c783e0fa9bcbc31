// A tp_btf program that reads through its BTF-typed argument at a variable offset: the kernel refuses it.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

u64 seen = 0;

SEC("tp_btf/block_rq_issue")
int BPF_PROG(var_offset, void *rq)
{
	u32 i = bpf_get_prandom_u32() & 7;

	seen = *(volatile u8 *)(rq + i);
	return 0;
}
