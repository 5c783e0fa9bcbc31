/* array_counts.h: the four-slot array the array_* lookup tests read, one definition for each object. */
#ifndef VIOTRACE_ARRAY_COUNTS_H
#define VIOTRACE_ARRAY_COUNTS_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

#endif
