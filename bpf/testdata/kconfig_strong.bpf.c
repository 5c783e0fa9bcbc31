// A strong (not __weak) .kconfig extern: libbpf refuses to load the object when it finds no value for it.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern int CONFIG_HZ __kconfig;

u64 hz = 0;

SEC("raw_tp/block_rq_issue")
int read_hz(void *ctx)
{
	hz = CONFIG_HZ;
	return 0;
}
