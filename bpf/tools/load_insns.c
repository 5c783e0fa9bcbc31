// load_insns: loads raw eBPF instructions into the running kernel and prints its verifier log, so tests can hold our verifier's verdicts against Linux's.
//
// Usage: load_insns [-2] TYPE < program.bin
//   -2 asks for the level-2 log (every instruction walked, with the registers after it), not the
//   level-1 one (the failing path alone). TYPE is kprobe, tracepoint or raw_tracepoint; program.bin holds 8-byte instructions as the
//   ELF's .text would. An ld_imm64 of a map (src 1 or 5, a map; src 2 or 6, an address in its
//   value) names one of the verifier corpus's maps by index in imm; it is given the fd of a map
//   created here: 0 hash (key 8, value 8, 64 entries), 1 array (key 4, value 64, 4 entries),
//   2 ring buffer (4096 bytes), 3 .rodata (array of one 16-byte value, read-only for programs and
//   frozen), 4 perf event array (2 entries). A program with functions besides its main one (local
//   calls, callbacks) gets the BTF func_info the kernel asks for then: each function a static FUNC
//   of type void(void), as clang's BTF would name them with no more said.
// Prints the log, then "accepted" or "refused: ERRNO"; exits 0 when loaded, 1 when refused, 2 on
// a usage or setup error. Needs root (or CAP_BPF and CAP_PERFMON) and Linux headers.
#include <errno.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_INSNS 100000
#define LOG_SIZE (16 << 20)

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int map_create(__u32 type, __u32 key, __u32 value, __u32 entries, __u32 flags, const char *name)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key;
	a.value_size = value;
	a.max_entries = entries;
	a.map_flags = flags;
	strncpy(a.map_name, name, sizeof(a.map_name) - 1);
	int fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0) {
		fprintf(stderr, "load_insns: creating map %s: %s\n", name, strerror(errno));
		exit(2);
	}
	return fd;
}

/* The .rodata map: one zeroed 16-byte value, then frozen, as libbpf leaves a read-only section. */
static int rodata(void)
{
	int fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 16, 1, BPF_F_RDONLY_PROG, ".rodata");
	__u32 key = 0;
	__u8 value[16] = {0};
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (__u64)(uintptr_t)&key;
	a.value = (__u64)(uintptr_t)value;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0 || (memset(&a, 0, sizeof(a)), a.map_fd = fd, sys_bpf(BPF_MAP_FREEZE, &a) < 0)) {
		fprintf(stderr, "load_insns: filling .rodata: %s\n", strerror(errno));
		exit(2);
	}
	return fd;
}

/*
 * A BTF blob of [1] FUNC_PROTO void(void) and [2..n+1] static FUNCs f0..f<n-1> of that type, for
 * the func_info of a program with n functions.
 */
static int load_btf(__u32 n)
{
	static __u8 blob[1 << 20];
	static char strs[1 << 16];
	__u32 slen = 1, types[3 * (MAX_INSNS + 1)], nt = 0;
	strs[0] = 0;
	/* FUNC_PROTO: name 0, info kind 13 vlen 0, type 0 (void). */
	types[nt++] = 0, types[nt++] = 13u << 24, types[nt++] = 0;
	for (__u32 k = 0; k < n && slen < sizeof(strs) - 16; k++) {
		__u32 name = slen;
		slen += (__u32)snprintf(strs + slen, 16, "f%u", k) + 1;
		/* FUNC: kind 12, vlen = linkage 0 (static), type 1. */
		types[nt++] = name, types[nt++] = 12u << 24, types[nt++] = 1;
	}
	struct btf_header h = { .magic = 0xeB9F, .version = 1, .hdr_len = sizeof(h), .type_off = 0, .type_len = nt * 4, .str_off = nt * 4, .str_len = slen };
	memcpy(blob, &h, sizeof(h));
	memcpy(blob + sizeof(h), types, nt * 4);
	memcpy(blob + sizeof(h) + nt * 4, strs, slen);
	static char log[1 << 16];
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.btf = (__u64)(uintptr_t)blob;
	a.btf_size = (__u32)(sizeof(h) + nt * 4 + slen);
	a.btf_log_buf = (__u64)(uintptr_t)log;
	a.btf_log_size = sizeof(log);
	a.btf_log_level = 1;
	int fd = (int)sys_bpf(BPF_BTF_LOAD, &a);
	if (fd < 0) {
		fprintf(stderr, "load_insns: loading func_info BTF: %s\n%s", strerror(errno), log);
		exit(2);
	}
	return fd;
}

int main(int argc, char **argv)
{
	int level = 1;
	if (argc == 3 && !strcmp(argv[1], "-2")) {
		level = 2;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: load_insns [-2] kprobe|tracepoint|raw_tracepoint < program.bin\n");
		return 2;
	}
	__u32 type;
	if (!strcmp(argv[1], "kprobe"))
		type = BPF_PROG_TYPE_KPROBE;
	else if (!strcmp(argv[1], "tracepoint"))
		type = BPF_PROG_TYPE_TRACEPOINT;
	else if (!strcmp(argv[1], "raw_tracepoint"))
		type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	else {
		fprintf(stderr, "load_insns: unknown program type %s\n", argv[1]);
		return 2;
	}
	static struct bpf_insn insns[MAX_INSNS];
	size_t n = fread(insns, sizeof(insns[0]), MAX_INSNS, stdin);
	if (n == 0) {
		fprintf(stderr, "load_insns: no instructions on stdin\n");
		return 2;
	}
	int fds[5] = {
		map_create(BPF_MAP_TYPE_HASH, 8, 8, 64, 0, "starts"),
		map_create(BPF_MAP_TYPE_ARRAY, 4, 64, 4, 0, "hist"),
		map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, "events"),
		rodata(),
		map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0, "perf"),
	};
	static __u8 starts[MAX_INSNS];
	starts[0] = 1;
	for (size_t i = 0; i < n; i++) {
		struct bpf_insn *in = &insns[i];
		long target = -1;
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL)
			target = (long)i + 1 + in->imm;
		if (in->code != (BPF_LD | BPF_IMM | BPF_DW) || i + 1 >= n) {
			if (target >= 0 && target < (long)n)
				starts[target] = 1;
			continue;
		}
		if (in->src_reg == BPF_PSEUDO_FUNC)
			target = (long)i + 1 + in->imm;
		if (target >= 0 && target < (long)n)
			starts[target] = 1;
		if (in->imm >= 0 && in->imm < 5) {
			if (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_IDX)
				in->src_reg = BPF_PSEUDO_MAP_FD, in->imm = fds[in->imm];
			else if (in->src_reg == BPF_PSEUDO_MAP_VALUE || in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE)
				in->src_reg = BPF_PSEUDO_MAP_VALUE, in->imm = fds[in->imm];
		}
		i++;
	}
	static struct bpf_func_info funcs[MAX_INSNS];
	__u32 nfuncs = 0;
	for (size_t i = 0; i < n; i++)
		if (starts[i])
			funcs[nfuncs] = (struct bpf_func_info){ .insn_off = (__u32)i, .type_id = 2 + nfuncs }, nfuncs++;
	int btf_fd = nfuncs > 1 ? load_btf(nfuncs) : -1;
	static char log[LOG_SIZE];
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (__u64)(uintptr_t)insns;
	a.insn_cnt = (__u32)n;
	a.license = (__u64)(uintptr_t) "GPL";
	a.log_buf = (__u64)(uintptr_t)log;
	a.log_size = LOG_SIZE;
	a.log_level = level;
	strncpy(a.prog_name, "corpus", sizeof(a.prog_name) - 1);
	if (btf_fd >= 0) {
		a.prog_btf_fd = (__u32)btf_fd;
		a.func_info = (__u64)(uintptr_t)funcs;
		a.func_info_cnt = nfuncs;
		a.func_info_rec_size = sizeof(funcs[0]);
	}
	int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	int err = errno;
	fputs(log, stdout);
	if (fd < 0) {
		printf("refused: %s\n", strerror(err));
		return 1;
	}
	printf("accepted\n");
	return 0;
}
