/* Streaming .heapsnapshot parser: see the design notes in snapshot.h, and
 * snapshot_parser.h for how the parser is split over files. This file:
 * accounting, status codes, the top-level state machine, validation at
 * finish and read access. */
#include "core/snapshot_parser.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_BYTES ((size_t)16 << 30)

/* ---- accounting ---------------------------------------------------------- */

size_t mc_snap_mul(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return SIZE_MAX;
  return n * size;
}

static int acct_reserve(mc_snap_acct *a, size_t n) {
  if (n == SIZE_MAX || a->bytes + n > a->max || a->bytes + n < a->bytes) {
    a->failed = 1;
    return 0;
  }
  return 1;
}

static void acct_add(mc_snap_acct *a, size_t n) {
  a->bytes += n;
  if (a->bytes > a->peak) a->peak = a->bytes;
}

void *mc_snap_acct_alloc(mc_snap_acct *a, size_t n) {
  if (!acct_reserve(a, n)) return NULL;
  void *p = malloc(n ? n : 1);
  if (!p) { a->failed = 2; return NULL; }
  acct_add(a, n);
  return p;
}

void *mc_snap_acct_calloc(mc_snap_acct *a, size_t n) {
  if (!acct_reserve(a, n)) return NULL;
  void *p = calloc(1, n ? n : 1);
  if (!p) { a->failed = 2; return NULL; }
  acct_add(a, n);
  return p;
}

void *mc_snap_acct_realloc(mc_snap_acct *a, void *p, size_t old_n, size_t new_n) {
  if (new_n > old_n && !acct_reserve(a, new_n - old_n)) return NULL;
  void *q = realloc(p, new_n ? new_n : 1);
  if (!q) { a->failed = 2; return NULL; }
  a->bytes -= old_n;
  acct_add(a, new_n);
  return q;
}

void mc_snap_acct_free(mc_snap_acct *a, void *p, size_t n) {
  if (!p) return;
  free(p);
  a->bytes -= n;
}

/* ---- status codes -------------------------------------------------------- */

const char *mc_snap_status_code(mc_snap_status st) {
  switch (st) {
    case MC_SNAP_OK: return "OK";
    case MC_SNAP_ETRUNCATED: return "ERR_MEMCTL_SNAPSHOT_TRUNCATED";
    case MC_SNAP_ECORRUPT: return "ERR_MEMCTL_SNAPSHOT_CORRUPT";
    case MC_SNAP_ENOTSNAPSHOT: return "ERR_MEMCTL_SNAPSHOT_NOT_A_SNAPSHOT";
    case MC_SNAP_EBADMETA: return "ERR_MEMCTL_SNAPSHOT_BAD_META";
    case MC_SNAP_EBADINDEX: return "ERR_MEMCTL_SNAPSHOT_BAD_INDEX";
    case MC_SNAP_ETOOLARGE: return "ERR_MEMCTL_SNAPSHOT_TOO_LARGE";
    case MC_SNAP_ENOMEM: return "ERR_MEMCTL_NO_MEMORY";
    case MC_SNAP_EINVAL: return "ERR_MEMCTL_INVALID_STATE";
    case MC_SNAP_EIO: return "ERR_MEMCTL_SNAPSHOT_IO";
  }
  return "ERR_MEMCTL_SNAPSHOT_CORRUPT";
}

/* ---- the parser's life ----------------------------------------------------- */

mc_snap_status mc_snap_fail(mc_snap_parser *p, mc_snap_status st, const char *fmt, ...) {
  if (p->status != MC_SNAP_OK) return p->status;
  p->status = st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->msg, sizeof p->msg, fmt, ap);
  va_end(ap);
  return st;
}

mc_snap_status mc_snap_fail_alloc(mc_snap_parser *p) {
  if (p->s->acct.failed == 2) return mc_snap_fail(p, MC_SNAP_ENOMEM, "out of memory");
  return mc_snap_fail(p, MC_SNAP_ETOOLARGE, "the snapshot needs more than %zu bytes (maxMemory)", p->s->acct.max);
}

mc_snap_parser *mc_snap_parser_new(size_t max_bytes) {
  mc_snap_parser *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->s = calloc(1, sizeof *p->s);
  if (!p->s) { free(p); return NULL; }
  p->s->acct.max = max_bytes ? max_bytes : DEFAULT_MAX_BYTES;
  p->decl_nodes = p->decl_edges = -1;
  return p;
}

mc_snap_status mc_snap_parser_nodes_only(mc_snap_parser *p) {
  if (p->status != MC_SNAP_OK) return p->status;
  if (!p->s || p->fed || p->state != T_BEGIN)
    return mc_snap_fail(p, MC_SNAP_EINVAL, "nodes-only mode must be set before the first chunk");
  p->s->nodes_only = 1;
  return MC_SNAP_OK;
}

int mc_snap_is_nodes_only(const mc_snap *s) { return s->nodes_only; }

const char *mc_snap_parser_error(const mc_snap_parser *p) {
  return p->status == MC_SNAP_OK ? "" : p->msg;
}

uint64_t mc_snap_parser_bytes(const mc_snap_parser *p) { return p->fed; }

void mc_snap_parser_free(mc_snap_parser *p) {
  if (!p) return;
  mc_snap_free(p->s);
  free(p->hdr);
  free(p);
}


/* ---- top level ----------------------------------------------------------- */

/* The states, in the order a snapshot goes through them:
 *   T_BEGIN -'{'-> T_OBJ_FIRST -'"'-> T_KEY -'"'-> T_COLON -':'-> T_VALUE
 *   T_VALUE -> T_INTS ("nodes", "edges") | T_STRS ("strings") | T_RAW (any
 *   other key; "snapshot" is captured) -> T_AFTER_VALUE
 *   T_AFTER_VALUE -','-> T_EXPECT_KEY -'"'-> T_KEY ...   -'}'-> T_DONE
 * Invariants: each of the four known keys is seen at most once; "nodes" and
 * "edges" come after "snapshot" (their row width is read from it); the key
 * being read is kept only up to sizeof p->key - 1 bytes (a longer or escaped
 * key matches no section). */

/* States between tokens, where whitespace is passed over. */
static int between_tokens(int state) {
  return state != T_KEY && state != T_INTS && state != T_STRS && state != T_RAW;
}

/* The section the key just read opens, and the flag that says it was seen. */
static int section_of_key(mc_snap_parser *p, const char *k, int **seen) {
  *seen = NULL;
  if (strcmp(k, "snapshot") == 0) { *seen = &p->seen_header; return SEC_HEADER; }
  if (strcmp(k, "nodes") == 0) { *seen = &p->seen_nodes; return SEC_NODES; }
  if (strcmp(k, "edges") == 0) { *seen = &p->seen_edges; return SEC_EDGES; }
  if (strcmp(k, "strings") == 0) { *seen = &p->seen_strings; return SEC_STRINGS; }
  return SEC_SKIP;
}

/* The first byte of a value: hands it to the scanner of its section. */
static mc_snap_status begin_value(mc_snap_parser *p) {
  const char *k = p->key_esc || p->key_long ? "" : p->key;
  int *seen;
  int sec = section_of_key(p, k, &seen);
  if (seen) {
    if (*seen) return mc_snap_fail(p, MC_SNAP_ECORRUPT, "\"%s\" appears twice", k);
    *seen = 1;
  }
  if ((sec == SEC_NODES || sec == SEC_EDGES) && !p->seen_header)
    return mc_snap_fail(p, MC_SNAP_ENOTSNAPSHOT, "\"%s\" comes before the \"snapshot\" header with meta", k);
  p->section = sec;
  if (sec == SEC_NODES || sec == SEC_EDGES) {
    if (!mc_snap_ints_begin(p, sec == SEC_NODES)) return mc_snap_fail_alloc(p);
    p->state = T_INTS;
  } else if (sec == SEC_STRINGS) {
    if (!mc_snap_strs_begin(p)) return mc_snap_fail_alloc(p);
    p->state = T_STRS;
  } else {
    mc_snap_raw_start(p);
    p->hdr_len = 0;
    p->state = T_RAW;
  }
  return MC_SNAP_OK;
}

/* "nodes" or "edges" ended: the row count, which must be whole rows. */
static mc_snap_status end_rows(mc_snap_parser *p, int nodes) {
  if (nodes) p->s->node_count = (uint32_t)p->row;
  else p->s->edge_count = (uint32_t)p->row;
  if (p->col)
    return mc_snap_fail(p, MC_SNAP_EBADINDEX, "\"%s\" length is not a multiple of the %u %s fields",
                        nodes ? "nodes" : "edges", nodes ? p->nf : p->ef, nodes ? "node" : "edge");
  return MC_SNAP_OK;
}

/* A section's value ended: the header is read, row counts are checked. */
static mc_snap_status end_value(mc_snap_parser *p) {
  if (p->section == SEC_HEADER) {
    if (p->hdr_len == 0 || p->hdr[0] != '{')
      return mc_snap_fail(p, MC_SNAP_ENOTSNAPSHOT, "\"snapshot\" is not an object");
    if (mc_snap_parse_header(p) != MC_SNAP_OK) return p->status;
  } else if (p->section == SEC_NODES || p->section == SEC_EDGES) {
    if (end_rows(p, p->section == SEC_NODES) != MC_SNAP_OK) return p->status;
  }
  p->section = SEC_NONE;
  p->state = T_AFTER_VALUE;
  return MC_SNAP_OK;
}

/* The steps below each read from one byte c (or a run b[0..n)) in their
 * state; at is c's offset in the input.  They return the bytes consumed; an
 * error is left in p->status (what they consumed then no longer matters). */

static size_t open_object(mc_snap_parser *p, unsigned c) {
  if (c != '{') {
    mc_snap_fail(p, MC_SNAP_ENOTSNAPSHOT, "not a heap snapshot: the input does not start with a JSON object");
    return 0;
  }
  p->state = T_OBJ_FIRST;
  return 1;
}

static size_t open_key(mc_snap_parser *p, unsigned c, uint64_t at) {
  if (c == '}' && p->state == T_OBJ_FIRST) {
    p->state = T_DONE;  /* {} : an empty object, reported at finish */
    return 1;
  }
  if (c != '"') {
    mc_snap_fail(p, MC_SNAP_ECORRUPT, "expected a key at byte %llu", (unsigned long long)at);
    return 0;
  }
  p->key_len = 0;
  p->key_esc = p->key_long = 0;
  p->raw_esc = 0;
  p->state = T_KEY;
  return 1;
}

/* A byte of a key (raw_esc: the previous byte was a backslash). */
static size_t key_byte(mc_snap_parser *p, unsigned c) {
  if (p->raw_esc) { p->raw_esc = 0; return 1; }
  if (c == '\\') { p->raw_esc = 1; p->key_esc = 1; return 1; }
  if (c < 0x20) {
    mc_snap_fail(p, MC_SNAP_ECORRUPT, "control character in a key");
    return 1;
  }
  if (c == '"') { p->key[p->key_len] = 0; p->state = T_COLON; return 1; }
  if (p->key_len + 1 < sizeof p->key) p->key[p->key_len++] = (char)c;
  else p->key_long = 1;
  return 1;
}

static size_t colon(mc_snap_parser *p, unsigned c, uint64_t at) {
  if (c != ':') {
    mc_snap_fail(p, MC_SNAP_ECORRUPT, "expected ':' at byte %llu", (unsigned long long)at);
    return 0;
  }
  p->state = T_VALUE;
  return 1;
}

/* A run of a section's value, by its scanner. */
static size_t value_run(mc_snap_parser *p, const unsigned char *b, size_t n) {
  int done = 0;
  size_t used;
  if (p->state == T_INTS) {
    used = mc_snap_ints_run(p, b, n, &done);
  } else if (p->state == T_STRS) {
    used = mc_snap_strs_run(p, b, n, &done);
  } else {
    used = mc_snap_raw_scan(p, b, n, &done);
    if (p->status == MC_SNAP_OK && p->section == SEC_HEADER && !mc_snap_hdr_append(p, b, used))
      mc_snap_fail(p, MC_SNAP_ENOTSNAPSHOT, "the \"snapshot\" header is larger than %u bytes", HEADER_MAX);
  }
  if (done && p->status == MC_SNAP_OK) end_value(p);
  return used;
}

static size_t after_value(mc_snap_parser *p, unsigned c, uint64_t at) {
  if (c == ',') { p->state = T_EXPECT_KEY; return 1; }
  if (c == '}') { p->state = T_DONE; return 1; }
  mc_snap_fail(p, MC_SNAP_ECORRUPT, "expected ',' or '}' at byte %llu", (unsigned long long)at);
  return 0;
}

static size_t step(mc_snap_parser *p, const unsigned char *b, size_t n, uint64_t at) {
  switch (p->state) {
    case T_BEGIN: return open_object(p, b[0]);
    case T_OBJ_FIRST:
    case T_EXPECT_KEY: return open_key(p, b[0], at);
    case T_KEY: return key_byte(p, b[0]);
    case T_COLON: return colon(p, b[0], at);
    case T_VALUE: begin_value(p); return 0;  /* the scanner reads this byte */
    case T_AFTER_VALUE: return after_value(p, b[0], at);
    case T_DONE:
      mc_snap_fail(p, MC_SNAP_ECORRUPT, "data after the end of the snapshot at byte %llu", (unsigned long long)at);
      return 0;
    default: return value_run(p, b, n);
  }
}

static mc_snap_status feed_top(mc_snap_parser *p, const unsigned char *b, size_t n) {
  size_t i = 0;
  while (i < n && p->status == MC_SNAP_OK) {
    if (between_tokens(p->state) && mc_snap_is_ws(b[i])) { i++; continue; }
    i += step(p, b + i, n - i, p->fed + i);
  }
  return p->status;
}

mc_snap_status mc_snap_parser_feed(mc_snap_parser *p, const void *data, size_t len) {
  if (p->status != MC_SNAP_OK) return p->status;
  if (!p->s) return mc_snap_fail(p, MC_SNAP_EINVAL, "the parser has finished");
  mc_snap_status st = feed_top(p, data, len);
  p->fed += len;
  return st;
}

/* ---- finish: validation and first-edge indexes ---------------------------- */

static mc_snap_status validate(mc_snap_parser *p) {
  mc_snap *s = p->s;
  uint32_t n = s->node_count, m = s->edge_count;
  if (n == 0) return mc_snap_fail(p, MC_SNAP_EBADINDEX, "the snapshot has no nodes");
  if (p->decl_nodes >= 0 && (uint64_t)p->decl_nodes != n)
    return mc_snap_fail(p, MC_SNAP_EBADINDEX, "%u nodes, but snapshot.node_count is %lld", n, (long long)p->decl_nodes);
  if (p->decl_edges >= 0 && (uint64_t)p->decl_edges != m)
    return mc_snap_fail(p, MC_SNAP_EBADINDEX, "%u edges, but snapshot.edge_count is %lld", m, (long long)p->decl_edges);
  uint64_t root = (uint64_t)p->root_index / p->nf;
  if (root >= n) return mc_snap_fail(p, MC_SNAP_EBADINDEX, "snapshot.root_index is past the last node");
  s->root = (uint32_t)root;
  uint64_t sum = 0, total = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t c = s->first_edge[i];
    s->first_edge[i] = (uint32_t)sum;
    sum += c;
    if (sum > m) return mc_snap_fail(p, MC_SNAP_EBADINDEX, "the edge_count of the nodes add up to more than the %u edges", m);
    if (s->nname[i] >= s->scount)
      return mc_snap_fail(p, MC_SNAP_EBADINDEX, "node %u: name %u is not a string index (%u strings)", i, s->nname[i], s->scount);
    total += s->nself[i];
  }
  if (sum != m) return mc_snap_fail(p, MC_SNAP_EBADINDEX, "the edge_count of the nodes add up to %llu, not to the %u edges", (unsigned long long)sum, m);
  s->first_edge[n] = m;
  s->total = total;
  if (s->nodes_only) {
    if (m && p->max_to >= n) return mc_snap_fail(p, MC_SNAP_EBADINDEX, "an edge's to_node is past the last node");
    if (p->any_named_edge && p->max_ename >= s->scount)
      return mc_snap_fail(p, MC_SNAP_EBADINDEX, "an edge's name %u is not a string index (%u strings)", p->max_ename, s->scount);
    return MC_SNAP_OK;
  }
  for (uint32_t e = 0; e < m; e++) {
    if (s->edge_to[e] >= n) return mc_snap_fail(p, MC_SNAP_EBADINDEX, "edge %u: to_node is past the last node", e);
    int t = s->etype[e];
    if (t != s->e_element && t != s->e_hidden && s->ename[e] >= s->scount)
      return mc_snap_fail(p, MC_SNAP_EBADINDEX, "edge %u: name %u is not a string index (%u strings)", e, s->ename[e], s->scount);
  }
  return MC_SNAP_OK;
}

mc_snap_status mc_snap_parser_finish(mc_snap_parser *p, mc_snap **out) {
  *out = NULL;
  if (p->status != MC_SNAP_OK) return p->status;
  if (!p->s) return mc_snap_fail(p, MC_SNAP_EINVAL, "the parser has finished");
  if (p->state == T_BEGIN) return mc_snap_fail(p, MC_SNAP_ENOTSNAPSHOT, "not a heap snapshot: the input is empty");
  if (p->state != T_DONE)
    return mc_snap_fail(p, MC_SNAP_ETRUNCATED, "the snapshot is truncated: the input ends inside it after %llu bytes",
                (unsigned long long)p->fed);
  if (!p->seen_header) return mc_snap_fail(p, MC_SNAP_ENOTSNAPSHOT, "not a heap snapshot: no \"snapshot\" header");
  if (!p->seen_nodes || !p->seen_edges || !p->seen_strings)
    return mc_snap_fail(p, MC_SNAP_ENOTSNAPSHOT, "not a heap snapshot: \"%s\" is missing",
                !p->seen_nodes ? "nodes" : !p->seen_edges ? "edges" : "strings");
  if (validate(p) != MC_SNAP_OK) return p->status;
  mc_snap_status st = mc_snap_build_classes(p->s);
  if (st != MC_SNAP_OK) return mc_snap_fail(p, st, st == MC_SNAP_ENOMEM ? "out of memory" : "the classes need more than maxMemory");
  *out = p->s;
  p->s = NULL;
  free(p->hdr);
  p->hdr = NULL;
  return MC_SNAP_OK;
}

/* ---- read access ---------------------------------------------------------- */

void mc_snap_free(mc_snap *s) {
  if (!s) return;
  free(s->ntype); free(s->nname); free(s->nid); free(s->nself); free(s->first_edge);
  free(s->etype); free(s->ename); free(s->edge_to);
  free(s->sbytes); free(s->string_offset);
  for (uint32_t i = 0; i < s->ntypes && s->ntype_names; i++) free(s->ntype_names[i]);
  for (uint32_t i = 0; i < s->etypes && s->etype_names; i++) free(s->etype_names[i]);
  free(s->ntype_names); free(s->etype_names);
  for (uint32_t i = 0; i < s->cls_owned_count; i++) free(s->cls_owned[i]);
  free(s->cls_owned);
  free(s->node_class); free(s->cls);
  free(s->dom); free(s->ret); free(s->bfs_edge);
  free(s);
}

uint32_t mc_snap_node_count(const mc_snap *s) { return s->node_count; }
uint32_t mc_snap_edge_count(const mc_snap *s) { return s->edge_count; }
uint64_t mc_snap_total_size(const mc_snap *s) { return s->total; }
size_t mc_snap_memory(const mc_snap *s) { return s->acct.bytes; }
size_t mc_snap_peak_memory(const mc_snap *s) { return s->acct.peak; }
uint32_t mc_snap_node_id(const mc_snap *s, uint32_t node) { return s->nid[node]; }
uint64_t mc_snap_node_self_size(const mc_snap *s, uint32_t node) { return s->nself[node]; }
const char *mc_snap_node_type(const mc_snap *s, uint32_t node) { return s->ntype_names[s->ntype[node]]; }
uint32_t mc_snap_node_class(const mc_snap *s, uint32_t node) { return s->node_class[node]; }
uint32_t mc_snap_node_first_edge(const mc_snap *s, uint32_t node) { return s->first_edge[node]; }
const char *mc_snap_edge_type(const mc_snap *s, uint32_t edge) { return s->etype_names[s->etype[edge]]; }
uint32_t mc_snap_edge_to(const mc_snap *s, uint32_t edge) { return s->edge_to[edge]; }
uint32_t mc_snap_string_count(const mc_snap *s) { return s->scount; }
uint32_t mc_snap_class_count(const mc_snap *s) { return s->class_count; }
const mc_snap_class *mc_snap_classes(const mc_snap *s) { return s->cls; }

const char *mc_snap_string(const mc_snap *s, uint32_t i, size_t *len) {
  if (len) *len = s->string_offset[i + 1] - s->string_offset[i] - 1;
  return s->sbytes + s->string_offset[i];
}

const char *mc_snap_node_name(const mc_snap *s, uint32_t node, size_t *len) {
  return mc_snap_string(s, s->nname[node], len);
}

const char *mc_snap_edge_name(const mc_snap *s, uint32_t edge, char *buf, size_t *len) {
  int t = s->etype[edge];
  if (t == s->e_element || t == s->e_hidden) {
    int n = snprintf(buf, 12, "%u", s->ename[edge]);
    if (len) *len = (size_t)n;
    return buf;
  }
  return mc_snap_string(s, s->ename[edge], len);
}

int mc_snap_node_counted(const mc_snap *s, uint32_t node) {
  return s->nself[node] != 0 || (int)s->ntype[node] == s->t_native;
}

