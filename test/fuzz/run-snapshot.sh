#!/usr/bin/env bash
# Bounded fuzz run of the heap-snapshot parser (src/core/snapshot*.c):
# libFuzzer with ASan+UBSan when clang has it, else a plain mutation driver
# under ASan+UBSan with gcc. Exits 0 when nothing crashed, non-zero on a crash.
# MEMCTL_FUZZ_SECONDS sets the time budget (default 20).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${MEMCTL_FUZZ_SECONDS:-20}
out=test/fuzz/build/snapshot
mkdir -p "$out/seeds" "$out/corpus"
srcs="src/core/snapshot.c src/core/snapshot_raw.c src/core/snapshot_header.c src/core/snapshot_ints.c src/core/snapshot_strings.c src/core/snapshot_meta.c src/core/snapshot_classes.c src/core/snapshot_graph.c"
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

cc -std=c11 -D_GNU_SOURCE -O1 -Isrc -Itest/core test/fuzz/snapshot_seeds.c -o "$out/make-seeds"
"$out/make-seeds" "$out/seeds"

have_libfuzzer() {
  command -v clang >/dev/null || return 1
  echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' > "$out/probe.c"
  clang -fsanitize=fuzzer "$out/probe.c" -o "$out/probe" >/dev/null 2>&1
}

if ! have_libfuzzer && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "memctl: installing clang for libFuzzer"
  (apt-get install -y clang >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y clang >/dev/null 2>&1; }) || true
fi

if have_libfuzzer; then
  clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer $san -Isrc test/fuzz/snapshot_fuzz.c $srcs -o "$out/fuzz"
  echo "# libFuzzer, ${secs}s"
  "$out/fuzz" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/" -print_final_stats=1 "$out/corpus" "$out/seeds" 2>&1 | tail -n 12
  exit "${PIPESTATUS[0]}"
else
  echo "# libFuzzer not available: mutation driver under ASan, ${secs}s"
  cc -std=c11 -D_GNU_SOURCE -g -O1 $san -Isrc test/fuzz/snapshot_fuzz.c test/fuzz/fuzz_main.c $srcs -o "$out/fuzz-plain"
  "$out/fuzz-plain" "$out/seeds" "$secs"
fi
