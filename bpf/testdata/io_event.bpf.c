// The event io_account.bpf.c sends, in an object's BTF as a tool's header gives it to its user space: viotrace prog run --record-struct event --record-btf io_event.bpf.o decodes the samples with it.
#include "../include/kernel.h"

struct event {
	u64 delta_ns;
	u64 sector;
	u32 len;
	u32 pid;
	char comm[16];
};

struct event event_btf;
