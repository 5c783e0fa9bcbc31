// A tp_btf program that reads 4 bytes of a pointer member (struct request's q): the kernel refuses a partial read of a pointer.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

u64 seen = 0;

SEC("tp_btf/block_rq_issue")
int BPF_PROG(half_pointer, void *rq)
{
	seen = *(volatile u32 *)rq;
	return 0;
}
