/* "nodes" and "edges": arrays of unsigned integers, stored row by row into
 * the snapshot's columns (fields the analysis does not use are dropped). */
#include "core/snapshot_parser.h"

#include <string.h>

/* Resizes column col from old_n to new_n bytes, or returns 0 from the
 * calling function (the column unchanged) when the memory is refused. */
#define GROW_COLUMN(a, col, old_n, new_n)                                 \
  do {                                                                    \
    void *grown_ = mc_snap_acct_realloc((a), (col), (old_n), (new_n));    \
    if (!grown_) return 0;                                                \
    (col) = grown_;                                                       \
  } while (0)

/* Grows the node (nodes = 1) or edge columns by half plus 1024 rows, up to
 * 2^32-2 rows; 0 when that is no growth or the memory is refused. Invariant:
 * every column of the section holds p->ncap (p->ecap) rows, first_edge one
 * more. */
static int grow_rows(mc_snap_parser *p, int nodes) {
  mc_snap *s = p->s;
  uint64_t cap = nodes ? p->ncap : p->ecap;
  uint64_t ncap = cap ? cap + cap / 2 + 1024 : 1024;
  if (ncap > UINT32_MAX - 1) ncap = UINT32_MAX - 1;
  if (ncap <= cap) return 0;
  mc_snap_acct *a = &s->acct;
  if (nodes) {
    GROW_COLUMN(a, s->ntype, cap, ncap);
    GROW_COLUMN(a, s->nname, cap * 4, ncap * 4);
    GROW_COLUMN(a, s->nid, cap * 4, ncap * 4);
    GROW_COLUMN(a, s->nself, cap * 8, ncap * 8);
    GROW_COLUMN(a, s->first_edge, cap ? (cap + 1) * 4 : 0, (ncap + 1) * 4);
    p->ncap = ncap;
  } else {
    GROW_COLUMN(a, s->etype, cap, ncap);
    GROW_COLUMN(a, s->ename, cap * 4, ncap * 4);
    GROW_COLUMN(a, s->edge_to, cap * 4, ncap * 4);
    p->ecap = ncap;
  }
  return 1;
}

/* The first allocation uses the declared count so arrays are exact. */
static int reserve_declared(mc_snap_parser *p, int nodes) {
  if (!nodes && p->s->nodes_only) return 1; /* no edge columns */
  int64_t decl = nodes ? p->decl_nodes : p->decl_edges;
  if (decl <= 0) return 1;
  uint64_t per_row = nodes ? 21 : 9;
  if ((uint64_t)decl * per_row > p->s->acct.max - p->s->acct.bytes) return 1; /* grow lazily */
  if (nodes) p->ncap = 0; else p->ecap = 0;
  /* grow_rows adds cap/2 + 1024 to cap; emulate an exact first size */
  mc_snap *s = p->s;
  mc_snap_acct *a = &s->acct;
  uint64_t n = (uint64_t)decl;
  if (nodes) {
    if (!(s->ntype = mc_snap_acct_alloc(a, n)) || !(s->nname = mc_snap_acct_alloc(a, n * 4)) ||
        !(s->nid = mc_snap_acct_alloc(a, n * 4)) || !(s->nself = mc_snap_acct_alloc(a, n * 8)) ||
        !(s->first_edge = mc_snap_acct_alloc(a, (n + 1) * 4)))
      return 0;
    p->ncap = n;
  } else {
    if (!(s->etype = mc_snap_acct_alloc(a, n)) || !(s->ename = mc_snap_acct_alloc(a, n * 4)) ||
        !(s->edge_to = mc_snap_acct_alloc(a, n * 4)))
      return 0;
    p->ecap = n;
  }
  return 1;
}


int mc_snap_ints_begin(mc_snap_parser *p, int nodes) {
  if (!reserve_declared(p, nodes)) return 0;
  p->istage = I_OPEN;
  p->acc = 0;
  p->ndig = 0;
  p->col = 0;
  p->row = 0;
  p->width = nodes ? p->nf : p->ef;
  return 1;
}

/* to / nf for to < 2^32, by one 64x64->128 multiplication (nf > 1: the
 * magic fits 64 bits; the error term stays below 1 / nf). */
static inline uint32_t to_ordinal(const mc_snap_parser *p, uint64_t to) {
  if (p->magic == 0) return (uint32_t)to;
  return (uint32_t)(((unsigned __int128)to * p->magic) >> 64);
}

/* Room for row p->row of the nodes (nodes = 1) or edges: never more rows
 * than the header declares, and the columns grow when full. */
static inline mc_snap_status room_for_row(mc_snap_parser *p, int nodes) {
  int skip = !nodes && p->s->nodes_only; /* edges are checked, not stored */
  if (!skip && p->row < (nodes ? p->ncap : p->ecap)) return MC_SNAP_OK;
  int64_t decl = nodes ? p->decl_nodes : p->decl_edges;
  if (decl >= 0 && p->row >= (uint64_t)decl)
    return mc_snap_fail(p, MC_SNAP_EBADINDEX, "more %s than snapshot.%s_count (%lld)", nodes ? "nodes" : "edges",
                        nodes ? "node" : "edge", (long long)decl);
  if (skip) {
    if (p->row >= UINT32_MAX - 1) return mc_snap_fail(p, MC_SNAP_ETOOLARGE, "more than 2^32-2 edges");
    return MC_SNAP_OK;
  }
  if (!grow_rows(p, nodes)) return mc_snap_fail_alloc(p);
  return MC_SNAP_OK;
}

/* Nodes-only mode: what validate() needs of an edge instead of its columns. */
static inline void note_skipped_edge(mc_snap_parser *p, uint64_t type, uint32_t name, uint32_t q) {
  if (q > p->max_to) p->max_to = q;
  if ((int)type != p->s->e_element && (int)type != p->s->e_hidden) {
    p->any_named_edge = 1;
    if (name > p->max_ename) p->max_ename = name;
  }
}

/* Store a whole row. Inlined into the fast loop, they return 0 when the row
 * needs the full path (flush_node/flush_edge: growth, or an error to
 * report), which checks everything again and then stores through them. */
static inline int store_node_fast(mc_snap_parser *p, const uint64_t *r) {
  mc_snap *s = p->s;
  uint64_t row = p->row;
  uint64_t type = r[p->ncol[0]], name = r[p->ncol[1]], id = r[p->ncol[2]], ec = r[p->ncol[4]];
  if (row >= p->ncap || ((name | id | ec) >> 32) || type >= s->ntypes) return 0;
  s->ntype[row] = (uint8_t)type;
  s->nname[row] = (uint32_t)name;
  s->nid[row] = (uint32_t)id;
  s->nself[row] = r[p->ncol[3]];
  s->first_edge[row] = (uint32_t)ec;
  p->row = row + 1;
  return 1;
}

static inline int store_edge_fast(mc_snap_parser *p, const uint64_t *r) {
  mc_snap *s = p->s;
  uint64_t row = p->row;
  uint64_t type = r[p->ecol[0]], name = r[p->ecol[1]], to = r[p->ecol[2]];
  if (((name | to) >> 32) || type >= s->etypes) return 0;
  uint32_t q = to_ordinal(p, to);
  if ((uint64_t)q * p->nf != to) return 0;
  if (s->nodes_only) {
    if (p->decl_edges >= 0 ? row >= (uint64_t)p->decl_edges : row >= UINT32_MAX - 1) return 0;
    note_skipped_edge(p, type, (uint32_t)name, q);
    p->row = row + 1;
    return 1;
  }
  if (row >= p->ecap) return 0;
  s->etype[row] = (uint8_t)type;
  s->ename[row] = (uint32_t)name;
  s->edge_to[row] = q;
  p->row = row + 1;
  return 1;
}

/* Rows are collected in p->rowbuf and stored whole: one check per row
 * instead of a switch per value. */
static mc_snap_status flush_node(mc_snap_parser *p) {
  mc_snap *s = p->s;
  uint64_t row = p->row;
  const uint64_t *r = p->rowbuf;
  if (room_for_row(p, 1) != MC_SNAP_OK) return p->status;
  uint64_t type = r[p->ncol[0]], name = r[p->ncol[1]], id = r[p->ncol[2]], ec = r[p->ncol[4]];
  if ((name | id | ec) >> 32)
    return mc_snap_fail(p, MC_SNAP_EBADINDEX, "node %llu: a field value is above 2^32-1", (unsigned long long)row);
  if (type >= s->ntypes)
    return mc_snap_fail(p, MC_SNAP_EBADINDEX, "node %llu: type %llu is not in meta.node_types", (unsigned long long)row, (unsigned long long)type);
  store_node_fast(p, r);  /* every check it makes has passed: it stores */
  return MC_SNAP_OK;
}

static mc_snap_status flush_edge(mc_snap_parser *p) {
  mc_snap *s = p->s;
  uint64_t row = p->row;
  const uint64_t *r = p->rowbuf;
  if (room_for_row(p, 0) != MC_SNAP_OK) return p->status;
  uint64_t type = r[p->ecol[0]], name = r[p->ecol[1]], to = r[p->ecol[2]];
  if ((name | to) >> 32)
    return mc_snap_fail(p, MC_SNAP_EBADINDEX, "edge %llu: a field value is above 2^32-1", (unsigned long long)row);
  if (type >= s->etypes)
    return mc_snap_fail(p, MC_SNAP_EBADINDEX, "edge %llu: type %llu is not in meta.edge_types", (unsigned long long)row, (unsigned long long)type);
  uint32_t q = to_ordinal(p, to);
  if ((uint64_t)q * p->nf != to)
    return mc_snap_fail(p, MC_SNAP_EBADINDEX, "edge %llu: to_node %llu is not a multiple of the node field count %u",
                (unsigned long long)row, (unsigned long long)to, p->nf);
  store_edge_fast(p, r);  /* every check it makes has passed: it stores */
  return MC_SNAP_OK;
}

static inline mc_snap_status push_value(mc_snap_parser *p, uint64_t v) {
  p->rowbuf[p->col++] = v;
  if (p->col < p->width) return MC_SNAP_OK;
  p->col = 0;
  return p->section == SEC_NODES ? flush_node(p) : flush_edge(p);
}

static const uint64_t POW10[17] = {
  1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull,
  1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull,
  100000000000000ull, 1000000000000000ull, 10000000000000000ull
};

static mc_snap_status commit_value(mc_snap_parser *p, uint64_t v, uint32_t nd) {
  if (nd > 16) return mc_snap_fail(p, MC_SNAP_EBADINDEX, "a number in %s is too large", p->section == SEC_NODES ? "nodes" : "edges");
  if (nd > 1 && v < POW10[nd - 1]) return mc_snap_fail(p, MC_SNAP_ECORRUPT, "a number with a leading zero at byte %llu", (unsigned long long)p->fed);
  return push_value(p, v);
}

/* The value of nd (1..8) digits held as bytes minus '0' in the low bytes of
 * x (first digit lowest): shifted to the top (zeros below) and combined by
 * three multiplications. */
static inline uint64_t swar_digits(uint64_t x, size_t nd) {
  uint64_t y = x << (8 * (8 - nd));
  y = ((y & 0x0F0F0F0F0F0F0F0Full) * 2561) >> 8;
  y = ((y & 0x00FF00FF00FF00FFull) * 6553601) >> 16;
  return ((y & 0x0000FFFF0000FFFFull) * 42949672960001ull) >> 32;
}

/* Bytes minus '0' of the 8 bytes at b; *nd = digits before the first
 * non-digit (8 if all are digits). A byte is a digit iff it is < 10 after
 * the subtraction, so the first high bit of `stop` marks the first
 * non-digit (borrows and carries only move toward later bytes, which are
 * past it). */
static inline uint64_t swar_load(const unsigned char *b, size_t *nd) {
  uint64_t w;
  memcpy(&w, b, 8);
  uint64_t x = w - 0x3030303030303030ull;
  uint64_t stop = (x | (x + 0x7676767676767676ull)) & 0x8080808080808080ull;
  *nd = stop ? (size_t)__builtin_ctzll(stop) >> 3 : 8;
  return x;
}

/* Fast path, entered between values (after '[' or ','): whole numbers
 * followed by optional whitespace and a comma. Anything else (a chunk end,
 * ']', a long or zero-led number, a syntax error) is left to the byte-wise
 * path, which starts again at the same number. Returns bytes consumed. */
static size_t ints_fast(mc_snap_parser *p, const unsigned char *b, size_t n) {
  size_t i = 0;
  if (n < 64) return 0;
  size_t limit = n - 32;
  /* col and width live in registers here: p->rowbuf stores would otherwise
   * force a reload of p->col after every value */
  uint32_t col = p->col, width = p->width;
  uint64_t *row = p->rowbuf;
  int nodes = p->section == SEC_NODES;
  while (i < limit) {
    size_t start = i, nd;
    uint64_t v;
    /* Sixteen bytes at most (i + 16 < n here); a 17th digit fails the ','
     * test below and goes to the byte-wise path, which reports it. */
    uint64_t x = swar_load(b + i, &nd);
    if (nd == 0) break;
    v = swar_digits(x, nd);
    if (nd == 8) {
      size_t nd2;
      uint64_t x2 = swar_load(b + i + 8, &nd2);
      if (nd2) v = v * POW10[nd2] + swar_digits(x2, nd2);
      nd += nd2;
    }
    i += nd;
    if (nd > 1 && b[start] == '0') { i = start; break; }
    if (b[i] != ',') {
      while (i < n && mc_snap_is_ws(b[i])) i++;
      if (i >= n || b[i] != ',') { i = start; break; }
    }
    i++;
    row[col++] = v;
    if (col == width) {
      col = 0;
      if (nodes ? store_node_fast(p, row) : store_edge_fast(p, row)) continue;
      if ((nodes ? flush_node(p) : flush_edge(p)) != MC_SNAP_OK) break;
    }
  }
  p->col = col;
  return i;
}

/* The byte-wise loop of "nodes" / "edges"; it keeps a number cut by a chunk
 * end in p->acc / p->ndig. */
size_t mc_snap_ints_run(mc_snap_parser *p, const unsigned char *b, size_t n, int *done) {
  uint64_t acc = p->acc;
  uint32_t nd = p->ndig;
  int st = p->istage;
  size_t i = 0;
  *done = 0;
  if (st == I_OPEN) {
    if (b[0] != '[') {
      mc_snap_fail(p, MC_SNAP_ENOTSNAPSHOT, "\"%s\" is not an array", p->section == SEC_NODES ? "nodes" : "edges");
      return 0;
    }
    st = I_FIRST;
    i = 1;
  }
  for (;;) {
    if (st == I_FIRST || st == I_EXPECT) {
      size_t k = ints_fast(p, b + i, n - i);
      if (p->status != MC_SNAP_OK) return i + k;
      if (k) { i += k; st = I_EXPECT; }
    }
    if (i >= n) break;
    unsigned c = b[i];
    unsigned d = c - '0';
    if (d < 10) {
      if (st == I_AFTER_NUM) goto bad;
      acc = acc * 10 + d;
      if (nd < 100) nd++;
      st = I_NUM;
      i++;
      continue;
    }
    if (c == ',') {
      if (st != I_NUM && st != I_AFTER_NUM) goto bad;
      if (commit_value(p, acc, nd) != MC_SNAP_OK) return i;
      acc = 0;
      nd = 0;
      st = I_EXPECT;
      i++;
      continue;
    }
    if (mc_snap_is_ws(c)) {
      if (st == I_NUM) st = I_AFTER_NUM;
      i++;
      continue;
    }
    if (c == ']') {
      if (st == I_NUM || st == I_AFTER_NUM) {
        if (commit_value(p, acc, nd) != MC_SNAP_OK) return i;
      } else if (st == I_EXPECT) {
        goto bad;
      }
      acc = 0;
      nd = 0;
      *done = 1;
      i++;
      break;
    }
    goto bad;
  }
  p->acc = acc;
  p->ndig = nd;
  p->istage = st;
  return i;
bad:
  mc_snap_fail(p, MC_SNAP_ECORRUPT, "unexpected '%c' in \"%s\" at byte %llu (only unsigned integers are allowed)",
       b[i] >= 0x20 && b[i] < 0x7F ? b[i] : '?', p->section == SEC_NODES ? "nodes" : "edges",
       (unsigned long long)(p->fed + i));
  return i;
}
