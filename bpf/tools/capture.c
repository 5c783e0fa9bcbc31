// capture: loads one of viotrace's paired objects into the running kernel with libbpf, attaches its programs to their real hooks and streams its ring buffers' records to stdout, for `viotrace capture`.
//
// Usage: capture [-r BYTES] OBJECT.o
//   -r sets every ring buffer's size (a power of two, at least a page) before loading: the
//   object's own is sized for the simulator's drains, and a real consumer can fall further behind.
//   Opens, relocates (CO-RE against the running kernel's BTF) and loads every program of the
//   object, attaches each by its SEC name (libbpf's auto-attach), then drains every ring-buffer
//   map until SIGINT, SIGTERM or the end of stdin when it is a pipe or socket, and drains once more after
//   detaching.
// stdout is a stream of frames, little-endian: u32 tag, u32 length, then length bytes padded to a
// multiple of 8 with zeros.
//   tag 1 READY    (empty) every program is attached: the workload may start.
//   tag 2 RECORD   one ring-buffer record as the program wrote it.
//   tag 3 PROGRAM  u64 run count, u64 recursion misses, then the program's name: one per program,
//                  at the end (the kernel skips a program that fires inside another on its CPU,
//                  e.g. block_rq_complete in an interrupt while block_rq_issue runs; each skip is
//                  a record that may be missing).
//   tag 4 END      (empty) the last frame.
//   tag 5 ATTACHED the name of a program attached to its hook, a NUL, its SEC name (before READY).
//   tag 6 SKIPPED  i32 errno, then name, NUL, SEC name of a program that did not attach (before READY):
//                  its hook is not in this kernel (no kprobes, a function inlined away); the
//                  others run without it.
//   tag 7 LOST     u64: the object's own count of records its ring buffers refused (its "lost"
//                  array map, bpf/include/lost.h; the kernel counts none), at the end; absent when
//                  the object has no such map.
// Errors go to stderr as "capture: ..." lines, with libbpf's own message; exit 1 when the object
// does not load or no program attaches, 2 on a usage error. Needs root (or CAP_BPF and
// CAP_PERFMON), libbpf and a kernel with BTF (/sys/kernel/btf/vmlinux).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { READY = 1, RECORD = 2, PROGRAM = 3, END = 4, ATTACHED = 5, SKIPPED = 6, LOST = 7 };

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void frame(uint32_t tag, const void *a, uint32_t alen, const void *b, uint32_t blen)
{
	static const uint8_t zeros[8];
	uint32_t len = alen + blen;
	uint32_t head[2] = { tag, len };

	if (fwrite(head, sizeof(head), 1, stdout) != 1 || (alen && fwrite(a, alen, 1, stdout) != 1) ||
	    (blen && fwrite(b, blen, 1, stdout) != 1) || (len % 8 && fwrite(zeros, 8 - len % 8, 1, stdout) != 1)) {
		// The reader went away: nothing more can be delivered.
		fprintf(stderr, "capture: writing to stdout: %s\n", strerror(errno));
		exit(1);
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	frame(RECORD, data, (uint32_t)size, NULL, 0);
	return 0;
}

/* Set while attaching: a hook the kernel lacks is reported in a SKIPPED frame instead. */
static int attaching;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	// libbpf's warnings name what failed to load (a CO-RE relocation, the verifier log).
	if (level == LIBBPF_DEBUG || attaching)
		return 0;
	fputs("capture: libbpf: ", stderr);
	return vfprintf(stderr, fmt, args);
}

int main(int argc, char **argv)
{
	unsigned long ring_size = 0;
	if (argc == 4 && strcmp(argv[1], "-r") == 0) {
		char *end;
		ring_size = strtoul(argv[2], &end, 0);
		long page = sysconf(_SC_PAGESIZE);
		if (*end || ring_size < (unsigned long)page || (ring_size & (ring_size - 1)) || ring_size > (1UL << 31)) {
			fprintf(stderr, "capture: -r %s: a ring buffer's size is a power of two from the page size (%ld) to 2 GiB\n", argv[2], page);
			return 2;
		}
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: capture [-r BYTES] OBJECT.o\n");
		return 2;
	}
	libbpf_set_print(print_libbpf);
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "capture: %s: cannot open: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct bpf_map *map;
	if (ring_size) {
		bpf_object__for_each_map(map, obj) {
			if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF && bpf_map__set_max_entries(map, (uint32_t)ring_size)) {
				fprintf(stderr, "capture: %s: ring buffer %s: cannot set its size: %s\n", argv[1], bpf_map__name(map), strerror(errno));
				return 1;
			}
		}
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "capture: %s: the kernel did not load it: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct bpf_program *prog;
	int nlinks = 0;
	struct bpf_link *links[256];
	attaching = 1;
	bpf_object__for_each_program(prog, obj) {
		if (nlinks == 256) {
			fprintf(stderr, "capture: %s: more than 256 programs\n", argv[1]);
			return 1;
		}
		struct bpf_link *l = bpf_program__attach(prog);
		int err = errno;
		char what[512];
		int n = snprintf(what, sizeof(what), "%s%c%s", bpf_program__name(prog), 0, bpf_program__section_name(prog));
		uint32_t wlen = n < 0 ? 0 : n >= (int)sizeof(what) ? sizeof(what) - 1 : (uint32_t)n;
		if (!l) {
			// A kernel without the hook (no kprobes, the function inlined) runs the others.
			int32_t e = err;
			frame(SKIPPED, &e, sizeof(e), what, wlen);
			continue;
		}
		frame(ATTACHED, NULL, 0, what, wlen);
		links[nlinks++] = l;
	}
	attaching = 0;
	if (!nlinks) {
		fprintf(stderr, "capture: %s: no program attached\n", argv[1]);
		return 1;
	}
	struct ring_buffer *rb = NULL;
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_RINGBUF)
			continue;
		if (!rb)
			rb = ring_buffer__new(bpf_map__fd(map), on_record, NULL, NULL);
		else if (ring_buffer__add(rb, bpf_map__fd(map), on_record, NULL))
			rb = NULL;
		if (!rb) {
			fprintf(stderr, "capture: %s: ring buffer %s: %s\n", argv[1], bpf_map__name(map), strerror(errno));
			return 1;
		}
	}
	if (!rb) {
		fprintf(stderr, "capture: %s: no ring buffer to drain\n", argv[1]);
		return 1;
	}
	// Run counts for the PROGRAM frames, for as long as this process holds the fd (the kernel
	// counts nothing by default); without it they read 0.
	int stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0)
		fprintf(stderr, "capture: run counts unavailable: %s\n", strerror(-stats));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	frame(READY, NULL, 0, NULL, 0);
	fflush(stdout);
	// A pipe or socket on stdin closing (the parent gone, or done) stops the capture as a signal does.
	struct stat st;
	int watch_stdin = fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	struct pollfd in = { .fd = 0, .events = POLLIN };
	while (!stopping) {
		int n = ring_buffer__poll(rb, 100);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "capture: polling the ring buffers: %s\n", strerror(-n));
			return 1;
		}
		fflush(stdout);
		if (watch_stdin && poll(&in, 1, 0) > 0) {
			char b[256];
			if (read(0, b, sizeof(b)) <= 0)
				stopping = 1;
		}
	}
	for (int i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	// What the programs wrote before they were detached.
	ring_buffer__consume(rb);
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		uint64_t counts[2] = { info.run_cnt, info.recursion_misses };
		const char *name = bpf_program__name(prog);
		frame(PROGRAM, counts, sizeof(counts), name, (uint32_t)strlen(name));
	}
	struct bpf_map *lost = bpf_object__find_map_by_name(obj, "lost");
	if (lost && bpf_map__type(lost) == BPF_MAP_TYPE_ARRAY && bpf_map__value_size(lost) == 8) {
		uint32_t zero = 0;
		uint64_t n = 0;
		if (bpf_map__lookup_elem(lost, &zero, sizeof(zero), &n, sizeof(n), 0) == 0)
			frame(LOST, &n, sizeof(n), NULL, 0);
	}
	frame(END, NULL, 0, NULL, 0);
	fflush(stdout);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}
