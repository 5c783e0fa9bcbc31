#!/usr/bin/env bash
# Fails if a committed bpf/*.bpf.o differs from what bpf/build.sh makes of its source now.
set -euo pipefail
cd "$(dirname "$0")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
OUT="$tmp" ./build.sh
stale=0
for obj in *.bpf.o testdata/*.bpf.o; do
  if ! cmp -s "$obj" "$tmp/$obj"; then
    echo "bpf/$obj is stale: run bpf/build.sh and commit the result" >&2
    stale=1
  fi
done
exit $stale
