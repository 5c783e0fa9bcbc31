// VM exits as kvm_stat and perf kvm stat count them: exits by reason, and each vCPU's time from kvm_exit to its next kvm_entry, as a log2 histogram in ns and a sum.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define MAX_VCPUS 64

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, u32);
	__type(value, u64);
} exits SEC(".maps");

// The time of each vCPU's last exit, 0 once it entered the guest again.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_VCPUS);
	__type(key, u32);
	__type(value, u64);
} exited_at SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, u32);
	__type(value, u64);
} exit_ns SEC(".maps");

u64 entries = 0;
u64 exit_ns_total = 0;
u64 fast_mmio = 0;
u64 pio = 0;
// What the last exit said: its RIP and qualification (info1), and where the guest resumed.
u64 last_rip = 0;
u64 last_info1 = 0;
u64 last_entry_rip = 0;

SEC("tracepoint/kvm/kvm_exit")
int on_exit(struct trace_event_raw_kvm_exit *ctx)
{
	u32 reason = ctx->exit_reason, vcpu = ctx->vcpu_id;
	u64 one = 1, now = bpf_ktime_get_ns(), *n = bpf_map_lookup_elem(&exits, &reason);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&exits, &reason, &one, BPF_NOEXIST);
	if (vcpu < MAX_VCPUS)
		bpf_map_update_elem(&exited_at, &vcpu, &now, BPF_ANY);
	last_rip = ctx->guest_rip;
	last_info1 = ctx->info1;
	return 0;
}

SEC("tracepoint/kvm/kvm_entry")
int on_entry(struct trace_event_raw_kvm_entry *ctx)
{
	u32 vcpu = ctx->vcpu_id;
	u64 *t = bpf_map_lookup_elem(&exited_at, &vcpu);
	if (!t || !*t)
		return 0;
	u64 ns = bpf_ktime_get_ns() - *t;
	*t = 0;
	u32 slot = 0;
	for (u64 v = ns; v > 1 && slot < 31; v >>= 1)
		slot++;
	u64 *c = bpf_map_lookup_elem(&exit_ns, &slot);
	if (c)
		__sync_fetch_and_add(c, 1);
	__sync_fetch_and_add(&entries, 1);
	__sync_fetch_and_add(&exit_ns_total, ns);
	last_entry_rip = ctx->rip;
	return 0;
}

SEC("tracepoint/kvm/kvm_fast_mmio")
int on_fast_mmio(void *ctx)
{
	__sync_fetch_and_add(&fast_mmio, 1);
	return 0;
}

SEC("tracepoint/kvm/kvm_pio")
int on_pio(void *ctx)
{
	__sync_fetch_and_add(&pio, 1);
	return 0;
}
