// A ring-buffer event emitter: reserve/submit, a discard path, and bpf_ringbuf_output of a stack copy.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct event {
	u64 ts;
	u64 sector;
	u32 bytes;
	u32 pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

// Reserves a record in place; requests of zero bytes are discarded after the reservation.
SEC("kprobe/submit_bio")
int BPF_KPROBE(reserve, u64 sector, u32 bytes)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->sector = sector;
	e->bytes = bytes;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	if (bytes == 0) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

// Builds the record on the stack and copies it in.
SEC("kprobe/bio_endio")
int BPF_KPROBE(output, u64 sector, u32 bytes)
{
	struct event e = {};
	e.ts = bpf_ktime_get_ns();
	e.sector = sector;
	e.bytes = bytes;
	e.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	return 0;
}
