/* "strings": JSON strings decoded to UTF-8 into one buffer, each followed
 * by a NUL, with their start offsets. */
#include "core/snapshot_parser.h"

#include <string.h>

static int str_reserve(mc_snap_parser *p, size_t extra) {
  mc_snap *s = p->s;
  size_t need = p->swpos + extra;
  if (need <= s->sbytes_cap) return 1;
  size_t cap = s->sbytes_cap ? s->sbytes_cap : 65536;
  while (cap < need) cap = cap + cap / 2;
  char *nb = mc_snap_acct_realloc(&s->acct, s->sbytes, s->sbytes_cap, cap);
  if (!nb) return 0;
  s->sbytes = nb;
  s->sbytes_cap = cap;
  return 1;
}

/* Invariant: string_offset[scount] == swpos == where the next string starts. */
static int str_begin(mc_snap_parser *p) {
  mc_snap *s = p->s;
  if ((size_t)s->scount + 2 > s->string_offset_cap) {
    if (s->scount >= UINT32_MAX - 2) return 0;
    size_t cap = s->string_offset_cap ? s->string_offset_cap * 2 : 4096;
    size_t *no = mc_snap_acct_realloc(&s->acct, s->string_offset, s->string_offset_cap * sizeof(size_t), cap * sizeof(size_t));
    if (!no) return 0;
    if (!s->string_offset_cap) no[0] = 0;
    s->string_offset = no;
    s->string_offset_cap = cap;
  }
  return 1;
}

int mc_snap_strs_begin(mc_snap_parser *p) {
  if (!str_begin(p)) return 0;
  p->sstage = S_OPEN;
  return 1;
}

static int str_put(mc_snap_parser *p, const void *data, size_t n) {
  if (!str_reserve(p, n)) return 0;
  memcpy(p->s->sbytes + p->swpos, data, n);
  p->swpos += n;
  return 1;
}

static int str_cp(mc_snap_parser *p, uint32_t cp) {
  char tmp[4];
  return str_put(p, tmp, mc_snap_utf8_put(tmp, cp));
}

/* A pending high surrogate not followed by its low half becomes U+FFFD. */
static int str_flush_hi(mc_snap_parser *p) {
  if (!p->hi) return 1;
  p->hi = 0;
  return str_cp(p, 0xFFFD);
}

static int str_code_unit(mc_snap_parser *p, uint32_t cu) {
  if (p->hi) {
    if (cu >= 0xDC00 && cu < 0xE000) {
      uint32_t cp = 0x10000 + ((p->hi - 0xD800) << 10) + (cu - 0xDC00);
      p->hi = 0;
      return str_cp(p, cp);
    }
    if (!str_flush_hi(p)) return 0;
  }
  if (cu >= 0xD800 && cu < 0xDC00) { p->hi = cu; return 1; }
  if (cu >= 0xDC00 && cu < 0xE000) return str_cp(p, 0xFFFD);
  return str_cp(p, cu);
}

/* Terminates the current string with a NUL and records where the next starts. */
static int str_end(mc_snap_parser *p) {
  static const char nul = 0;
  if (!str_flush_hi(p) || !str_put(p, &nul, 1)) return 0;
  mc_snap *s = p->s;
  s->scount++;
  s->string_offset[s->scount] = p->swpos;
  return 1;
}

size_t mc_snap_strs_run(mc_snap_parser *p, const unsigned char *b, size_t n, int *done) {
  mc_snap *s = p->s;
  size_t i = 0;
  *done = 0;
  while (i < n) {
    unsigned c = b[i];
    switch (p->sstage) {
      case S_OPEN:
        if (c != '[') { mc_snap_fail(p, MC_SNAP_ENOTSNAPSHOT, "\"strings\" is not an array"); return i; }
        p->sstage = S_FIRST;
        i++;
        break;
      case S_FIRST:
      case S_EXPECT:
        if (mc_snap_is_ws(c)) { i++; break; }
        if (c == ']' && p->sstage == S_FIRST) { *done = 1; return i + 1; }
        if (c != '"') goto bad;
        if (!str_begin(p)) goto nomem;
        p->sstage = S_IN;
        i++;
        break;
      case S_IN: {
        size_t j = i;
        while (j < n && b[j] != '"' && b[j] != '\\' && b[j] >= 0x20) j++;
        if (j > i) {
          if (p->hi && !str_flush_hi(p)) goto nomem;
          if (!str_put(p, b + i, j - i)) goto nomem;
        }
        i = j;
        if (i == n) break;
        c = b[i++];
        if (c == '"') {
          if (!str_end(p)) goto nomem;
          p->sstage = S_AFTER;
        } else if (c == '\\') {
          p->sstage = S_ESC;
        } else {
          i--;
          goto bad;
        }
        break;
      }
      case S_ESC: {
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        i++;
        if (c == 'u') { p->sstage = S_HEX; p->hex = 0; p->hexn = 0; break; }
        const char *at = memchr(from, (int)c, sizeof from - 1);
        if (!at || !c) { i--; goto bad; }
        if (!str_flush_hi(p) || !str_put(p, &to[at - from], 1)) goto nomem;
        p->sstage = S_IN;
        break;
      }
      case S_HEX: {
        int h = mc_snap_hexval((int)c);
        if (h < 0) goto bad;
        i++;
        p->hex = p->hex * 16 + (uint32_t)h;
        if (++p->hexn == 4) {
          if (!str_code_unit(p, p->hex)) goto nomem;
          p->sstage = S_IN;
        }
        break;
      }
      case S_AFTER:
        if (mc_snap_is_ws(c)) { i++; break; }
        if (c == ',') { p->sstage = S_EXPECT; i++; break; }
        if (c == ']') { *done = 1; return i + 1; }
        goto bad;
    }
  }
  return i;
bad:
  mc_snap_fail(p, MC_SNAP_ECORRUPT, "unexpected '%c' in \"strings\" at byte %llu",
       b[i] >= 0x20 && b[i] < 0x7F ? b[i] : '?', (unsigned long long)(p->fed + i));
  return i;
nomem:
  if (s->scount >= UINT32_MAX - 2) mc_snap_fail(p, MC_SNAP_ETOOLARGE, "more than 2^32-2 strings");
  else mc_snap_fail_alloc(p);
  return i;
}
