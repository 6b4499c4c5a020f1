#!/usr/bin/env bash
# npm test: the C core tests (cmocka, under ASan+UBSan), the bounded fuzz runs,
# then the JavaScript tests (node --test). `scripts/test.sh core|fuzz|js` runs one part.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}

ensure_cmocka() {
  if [ -f /usr/include/cmocka.h ]; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "memctl: installing libcmocka-dev for the C tests"
    (apt-get install -y libcmocka-dev >/dev/null 2>&1 ||
      { apt-get update >/dev/null 2>&1 && apt-get install -y libcmocka-dev >/dev/null; })
  fi
  if [ ! -f /usr/include/cmocka.h ]; then
    echo "memctl: the C tests need cmocka: install Debian's libcmocka-dev (apt-get install libcmocka-dev)" >&2
    exit 1
  fi
}

# The TieredCache tests start their own redis-server (and a 3-node cluster).
ensure_redis() {
  if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "memctl: installing redis-server for the TieredCache tests"
    (apt-get install -y redis-server redis-tools >/dev/null 2>&1 ||
      { apt-get update >/dev/null 2>&1 && apt-get install -y redis-server redis-tools >/dev/null; })
  fi
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "memctl: the TieredCache tests need Redis: install Debian's redis-server (apt-get install redis-server redis-tools)" >&2
    exit 1
  fi
}

run_core() {
  ensure_cmocka
  make -s -C test/core -j2
  local failed=0
  for t in test/core/build/test_*; do
    [ -x "$t" ] || continue
    echo "# $t"
    "$t" || failed=1
  done
  return $failed
}

run_fuzz() {
  for f in test/fuzz/run-*.sh; do
    [ -f "$f" ] || continue
    echo "# $f"
    bash "$f"
  done
}

run_js() {
  [ -f build/Release/memctl.node ] || node scripts/build.js
  ensure_redis
  node --test test/js/
}

case "$what" in
  core) run_core ;;
  fuzz) run_fuzz ;;
  js) run_js ;;
  all) run_core; run_fuzz; run_js ;;
  *) echo "usage: scripts/test.sh [core|fuzz|js|all]" >&2; exit 2 ;;
esac
