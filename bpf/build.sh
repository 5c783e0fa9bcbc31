#!/usr/bin/env bash
# Builds every bpf/*.bpf.c into the committed bpf/*.bpf.o (as cilium/ebpf's bpf2go commits its objects),
# so that neither users nor tests need clang. testdata/ holds the small objects the loader and
# verifier tests use. OUT=dir writes elsewhere (the staleness check uses it).
set -euo pipefail
cd "$(dirname "$0")"
out="${OUT:-.}"
mkdir -p "$out/testdata"
for src in *.bpf.c testdata/*.bpf.c; do
  obj="$out/${src%.c}.o"
  # -g: BTF and line info (maps, CO-RE, source lines). clang writes the absolute source path into the
  # line info; -fdebug-prefix-map makes it relative, so the object is the same wherever it is built.
  clang -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -fdebug-prefix-map="$PWD"=. -I. -c "$src" -o "$obj"
  llvm-strip -g "$obj" 2>/dev/null || true
done
