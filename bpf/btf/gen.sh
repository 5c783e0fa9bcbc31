#!/usr/bin/env bash
# Regenerates linux-6.18.min.btf: the part of a real Linux 6.18 kernel's BTF that the paired programs'
# CO-RE reads touch (bpftool gen min_core_btf), the target viotrace's loader and simulator use.
# Run on a 6.18 kernel after bpf/build.sh.
set -euo pipefail
cd "$(dirname "$0")"
# testdata/biolat_raw.bpf.o stands for the tools users run beside them (viotrace prog run): the fields of
# struct request and struct gendisk the simulator keeps for them.
# tools.bpf.c names what users' tools read that neither of those does (struct pt_regs, for kprobes built on vmlinux.h).
tools=$(mktemp --suffix=.bpf.o)
trap 'rm -f "$tools"' EXIT
clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -c tools.bpf.c -o "$tools"
bpftool gen min_core_btf /sys/kernel/btf/vmlinux linux-6.18.min.btf ../guest.bpf.o ../testdata/biolat_raw.bpf.o "$tools"

