#!/usr/bin/env bash
# Bounded fuzz run of the cache core (src/core/cache.c): libFuzzer with
# ASan+UBSan when clang provides it, else a random-input driver under the
# same sanitizers. MEMCTL_FUZZ_SECONDS sets the budget (default 15).
set -euo pipefail
cd "$(dirname "$0")"
secs=${MEMCTL_FUZZ_SECONDS:-15}
out=build
mkdir -p "$out"
src="fuzz_cache.c ../../src/core/cache.c"
flags="-std=c11 -D_GNU_SOURCE -g -O1 -I../../src -fno-sanitize-recover=all"
if command -v clang >/dev/null && echo 'int LLVMFuzzerTestOneInput(const char*d,long n){return 0;}' |
   clang -x c -fsanitize=fuzzer - -o "$out/.probe" >/dev/null 2>&1; then
  clang $flags -fsanitize=fuzzer,address,undefined $src -o "$out/fuzz_cache"
  mkdir -p "$out/corpus-cache"
  if ! "$out/fuzz_cache" -max_total_time="$secs" -max_len=4096 "$out/corpus-cache" >"$out/fuzz_cache.log" 2>&1; then
    tail -n 60 "$out/fuzz_cache.log"
    echo "fuzz_cache: FAILED (crash input saved in test/fuzz/crash-* or ./crash-*)" >&2
    exit 1
  fi
  grep -E "^Done [0-9]+ runs" "$out/fuzz_cache.log" | sed 's/^/fuzz_cache: /'
else
  cc $flags -DMC_FUZZ_DRIVER -fsanitize=address,undefined $src -o "$out/fuzz_cache_driver"
  "$out/fuzz_cache_driver" "$secs"
fi
