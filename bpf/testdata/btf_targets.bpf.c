// BTF-typed programs whose target the kernel's BTF may lack: a tracepoint viotrace does not fire (Linux has btf_trace_sched_switch; the simulator's BTF does not), a function no kernel has, and one the hook table declares.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

u64 seen = 0;

SEC("tp_btf/sched_switch")
int BPF_PROG(switches, bool preempt, void *prev, void *next)
{
	seen++;
	return 0;
}

SEC("fentry/no_such_function_xyz")
int BPF_PROG(no_function, void *arg)
{
	seen++;
	return 0;
}

SEC("fentry/blk_mq_start_request")
int BPF_PROG(starts, void *rq)
{
	seen++;
	return 0;
}
