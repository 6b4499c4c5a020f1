/* libFuzzer target for the heap-snapshot parser and analyses. The first two
 * bytes choose the chunk sizes, so splits land anywhere (inside numbers,
 * strings, escapes, keys); a parsed snapshot then goes through every
 * analysis. Memory is capped so huge declared counts fail cleanly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/snapshot.h"

static void analyze(mc_snap *s) {
  uint32_t n = mc_snap_node_count(s);
  for (int mode = 0; mode < 2; mode++) {
    if (mc_snap_compute_retained(s, (mc_snap_dom_mode)mode) != MC_SNAP_OK) return;
    uint32_t idx[8];
    uint32_t k = mc_snap_sorted_classes(s, 1, idx, 8);
    for (uint32_t i = 0; i < k; i++) (void)mc_snap_classes(s)[idx[i]].retained_size;
  }
  mc_snap_diff d;
  if (mc_snap_diff_compute(s, s, &d) == MC_SNAP_OK) mc_snap_diff_free(&d);
  mc_snap_leaks l;
  if (mc_snap_leaks_compute(s, s, s, &l) == MC_SNAP_OK) mc_snap_leaks_free(&l);
  uint32_t path[16];
  mc_snap_status st;
  for (uint32_t v = 0; v < n && v < 64; v++) {
    uint32_t len = mc_snap_path_to(s, v, path, 16, &st);
    if (st != MC_SNAP_OK || len == UINT32_MAX) continue;
    for (uint32_t i = 0; i < len && i < 16; i++) {
      char buf[16];
      (void)mc_snap_edge_name(s, path[i], buf, NULL);
      (void)mc_snap_edge_from(s, path[i]);
    }
    (void)mc_snap_node_name(s, v, NULL);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint32_t seed = (uint32_t)data[0] << 8 | data[1];
  data += 2;
  size -= 2;
  mc_snap_parser *p = mc_snap_parser_new(64u << 20);
  if (!p) return 0;
  size_t off = 0;
  mc_snap_status st = MC_SNAP_OK;
  while (off < size && st == MC_SNAP_OK) {
    seed = seed * 1103515245u + 12345u;
    /* a quarter of the inputs go in whole, so the 8-byte number path runs */
    size_t chunk = (seed >> 12 & 3) == 0 ? size - off : 1 + (seed >> 16) % 97;
    if (chunk > size - off) chunk = size - off;
    st = mc_snap_parser_feed(p, data + off, chunk);
    off += chunk;
  }
  mc_snap *s = NULL;
  if (st == MC_SNAP_OK && mc_snap_parser_finish(p, &s) == MC_SNAP_OK) {
    analyze(s);
    mc_snap_free(s);
  }
  (void)mc_snap_parser_error(p);
  mc_snap_parser_free(p);
  return 0;
}
