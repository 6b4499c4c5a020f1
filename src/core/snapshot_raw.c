/* Values the parser does not store column-wise: skipped ("locations",
 * "samples", unknown keys) or captured byte for byte (the "snapshot"
 * header). A depth stack of one bit per level checks brackets match. */
#include "core/snapshot_parser.h"

#include <stdlib.h>
#include <string.h>

void mc_snap_raw_start(mc_snap_parser *p) {
  p->raw_depth = 0;
  p->raw_in_str = p->raw_esc = p->raw_scalar = 0;
}

static int raw_push(mc_snap_parser *p, int is_obj) {
  if (p->raw_depth >= SKIP_DEPTH_MAX) return 0;
  uint32_t d = p->raw_depth++;
  if (is_obj) p->raw_stack[d >> 3] |= (uint8_t)(1u << (d & 7));
  else p->raw_stack[d >> 3] &= (uint8_t)~(1u << (d & 7));
  return 1;
}

/* The byte classes of the scanner, each written once: as a test on c, and
 * as a 256-entry table of it for the loops over runs of ordinary bytes. */
#define IS_WS(c) ((c) == ' ' || (c) == '\n' || (c) == '\r' || (c) == '\t')
/* Bytes that may continue a scalar (number, true, false, null). */
#define SCALAR_BYTE(c) \
  (((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z') || (c) == '.' || (c) == '+' || (c) == '-' || (c) == 'E')
/* Bytes a skipped container passes over without a state change. */
#define RAW_PLAIN_BYTE(c) (IS_WS(c) || (c) == ',' || (c) == ':' || SCALAR_BYTE(c))
/* Bytes inside a string that need no attention: not '"', '\\' or a control. */
#define STR_PLAIN_BYTE(c) ((c) >= 0x20 && (c) != '"' && (c) != '\\')

#define TABLE16(IS, c)                                                                            \
  IS((c) + 0), IS((c) + 1), IS((c) + 2), IS((c) + 3), IS((c) + 4), IS((c) + 5), IS((c) + 6),     \
      IS((c) + 7), IS((c) + 8), IS((c) + 9), IS((c) + 10), IS((c) + 11), IS((c) + 12),          \
      IS((c) + 13), IS((c) + 14), IS((c) + 15)
#define TABLE256(IS)                                                                               \
  TABLE16(IS, 0), TABLE16(IS, 16), TABLE16(IS, 32), TABLE16(IS, 48), TABLE16(IS, 64),            \
      TABLE16(IS, 80), TABLE16(IS, 96), TABLE16(IS, 112), TABLE16(IS, 128), TABLE16(IS, 144),    \
      TABLE16(IS, 160), TABLE16(IS, 176), TABLE16(IS, 192), TABLE16(IS, 208), TABLE16(IS, 224),  \
      TABLE16(IS, 240)

static const uint8_t RAW_PLAIN[256] = { TABLE256(RAW_PLAIN_BYTE) };
static const uint8_t STR_PLAIN[256] = { TABLE256(STR_PLAIN_BYTE) };

/* Invariants: raw_depth counts the open containers (bit d of raw_stack: 1
 * for an object); raw_in_str / raw_esc / raw_scalar say where inside a
 * string or a scalar the previous chunk stopped. */
size_t mc_snap_raw_scan(mc_snap_parser *p, const unsigned char *b, size_t n, int *done) {
  size_t i = 0;
  *done = 0;
  if (p->raw_depth == 0 && !p->raw_in_str && !p->raw_scalar) {
    /* first byte of the value (whitespace already skipped) */
    unsigned c = b[0];
    if (c == '{' || c == '[') {
      raw_push(p, c == '{');
    } else if (c == '"') {
      p->raw_in_str = 1;
    } else if ((c >= '0' && c <= '9') || c == '-' || c == 't' || c == 'f' || c == 'n') {
      p->raw_scalar = 1;
    } else {
      mc_snap_fail(p, MC_SNAP_ECORRUPT, "unexpected '%c' at byte %llu", c, (unsigned long long)p->fed);
      return 0;
    }
    i = 1;
  }
  for (; i < n; i++) {
    /* runs of ordinary bytes (most of "locations", "samples"...) in one loop */
    if (p->raw_in_str) {
      if (!p->raw_esc) while (i < n && STR_PLAIN[b[i]]) i++;
    } else if (!p->raw_scalar) {
      while (i < n && RAW_PLAIN[b[i]]) i++;
    }
    if (i >= n) break;
    unsigned c = b[i];
    if (p->raw_in_str) {
      if (p->raw_esc) p->raw_esc = 0;
      else if (c == '\\') p->raw_esc = 1;
      else if (c == '"') {
        p->raw_in_str = 0;
        if (p->raw_depth == 0) { *done = 1; return i + 1; }
      } else if (c < 0x20) {
        mc_snap_fail(p, MC_SNAP_ECORRUPT, "control character in a string at byte %llu", (unsigned long long)(p->fed + i));
        return i;
      }
      continue;
    }
    if (p->raw_scalar) {
      if (SCALAR_BYTE(c)) continue;
      p->raw_scalar = 0;
      *done = 1;
      return i;
    }
    if (c == '"') p->raw_in_str = 1;
    else if (c == '{' || c == '[') {
      if (!raw_push(p, c == '{')) {
        mc_snap_fail(p, MC_SNAP_ECORRUPT, "values nested deeper than %d", SKIP_DEPTH_MAX);
        return i;
      }
    } else if (c == '}' || c == ']') {
      uint32_t d = p->raw_depth - 1;
      int top_obj = (p->raw_stack[d >> 3] >> (d & 7)) & 1;
      if (top_obj != (c == '}')) {
        mc_snap_fail(p, MC_SNAP_ECORRUPT, "mismatched '%c' at byte %llu", c, (unsigned long long)(p->fed + i));
        return i;
      }
      if (--p->raw_depth == 0) { *done = 1; return i + 1; }
    } else if (!RAW_PLAIN[c]) {
      mc_snap_fail(p, MC_SNAP_ECORRUPT, "unexpected '%c' at byte %llu", c, (unsigned long long)(p->fed + i));
      return i;
    }
  }
  return n;
}

int mc_snap_hdr_append(mc_snap_parser *p, const unsigned char *b, size_t n) {
  if (p->hdr_len + n > HEADER_MAX) return 0;
  if (p->hdr_len + n > p->hdr_cap) {
    size_t cap = p->hdr_cap ? p->hdr_cap : 4096;
    while (cap < p->hdr_len + n) cap *= 2;
    char *nh = realloc(p->hdr, cap);
    if (!nh) return 0;
    p->hdr = nh;
    p->hdr_cap = cap;
  }
  memcpy(p->hdr + p->hdr_len, b, n);
  p->hdr_len += n;
  return 1;
}
