/* Streaming .heapsnapshot parser: see the design notes in snapshot.h. */
#include "core/snapshot_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_BYTES ((size_t)16 << 30)
#define HEADER_MAX (1u << 20)   /* the "snapshot" header is a few KiB */
#define SKIP_DEPTH_MAX 4096     /* nesting of skipped values */
#define MAX_FIELDS 64           /* node/edge fields per row */

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

/* ---- the streaming parser ------------------------------------------------- */

enum top_state {
  T_BEGIN, T_OBJ_FIRST, T_EXPECT_KEY, T_KEY, T_COLON, T_VALUE,
  T_INTS, T_STRS, T_RAW, T_AFTER_VALUE, T_DONE
};

enum section { SEC_NONE, SEC_HEADER, SEC_NODES, SEC_EDGES, SEC_STRINGS, SEC_SKIP };

enum int_stage { I_OPEN, I_FIRST, I_NUM, I_AFTER_NUM, I_EXPECT };

enum str_stage { S_OPEN, S_FIRST, S_EXPECT, S_IN, S_ESC, S_HEX, S_AFTER };

enum role {
  R_IGNORE, R_NTYPE, R_NNAME, R_NID, R_NSELF, R_NEDGES, R_ETYPE, R_ENAME, R_ETO
};

struct mc_snap_parser {
  mc_snap *s;                 /* being filled; NULL after finish */
  mc_snap_status status;
  char msg[200];
  uint64_t fed;
  int state, section;
  int seen_header, seen_nodes, seen_edges, seen_strings;
  /* key */
  char key[24];
  uint32_t key_len;
  int key_esc, key_long;
  /* raw scanner (skip / header capture) */
  uint32_t raw_depth;
  uint8_t raw_in_str, raw_esc, raw_scalar;
  uint8_t raw_stack[SKIP_DEPTH_MAX / 8];
  char *hdr;
  size_t hdr_len, hdr_cap;
  /* header facts */
  uint32_t nf, ef;            /* node / edge field counts */
  uint8_t nrole[MAX_FIELDS], erole[MAX_FIELDS];
  uint32_t ncol[5], ecol[3];  /* column of type, name, id, self_size, edge_count / type, name, to */
  uint32_t width;             /* fields per row of the current section */
  uint64_t rowbuf[MAX_FIELDS];
  int64_t decl_nodes, decl_edges; /* -1 when absent */
  int64_t root_index;
  /* integer arrays */
  int istage;
  uint64_t acc;
  uint32_t ndig;
  uint32_t col;
  uint64_t row;               /* current row in nodes / edges */
  uint64_t ncap, ecap;        /* capacity in rows */
  uint64_t magic;             /* for to_node / nf when nf > 1 */
  /* nodes-only mode: the largest to_node ordinal and string-named edge name
   * seen, checked against the counts in validate() */
  uint32_t max_to, max_ename;
  int any_named_edge;
  /* strings */
  int sstage;
  uint32_t hex, hexn, hi;
  size_t swpos;               /* write position in sbytes */
};

static mc_snap_status fail(mc_snap_parser *p, mc_snap_status st, const char *fmt, ...) {
  if (p->status != MC_SNAP_OK) return p->status;
  p->status = st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->msg, sizeof p->msg, fmt, ap);
  va_end(ap);
  return st;
}

static mc_snap_status fail_alloc(mc_snap_parser *p) {
  if (p->s->acct.failed == 2) return fail(p, MC_SNAP_ENOMEM, "out of memory");
  return fail(p, MC_SNAP_ETOOLARGE, "the snapshot needs more than %zu bytes (maxMemory)", p->s->acct.max);
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
  if (!p->s || p->fed || p->state != T_BEGIN) return fail(p, MC_SNAP_EINVAL, "nodes-only mode must be set before the first chunk");
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

static int is_ws(unsigned c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* ---- header -------------------------------------------------------------- */

static int find_str(const mc_snap_json *arr, const char *name) {
  for (size_t i = 0; i < arr->nkids; i++)
    if (arr->kids[i].type == JV_STR && strcmp(arr->kids[i].str, name) == 0) return (int)i;
  return -1;
}

static mc_snap_status copy_names(mc_snap_parser *p, const mc_snap_json *list, char ***out, uint32_t *count,
                                 const char *what) {
  if (!list || list->type != JV_ARR || list->nkids == 0 || list->nkids > 255)
    return fail(p, MC_SNAP_EBADMETA, "meta.%s: the type list must be an array of 1 to 255 names", what);
  char **names = calloc(list->nkids, sizeof(char *));
  if (!names) return fail(p, MC_SNAP_ENOMEM, "out of memory");
  *out = names;
  *count = (uint32_t)list->nkids;
  for (size_t i = 0; i < list->nkids; i++) {
    if (list->kids[i].type != JV_STR)
      return fail(p, MC_SNAP_EBADMETA, "meta.%s: type names must be strings", what);
    names[i] = strdup(list->kids[i].str);
    if (!names[i]) return fail(p, MC_SNAP_ENOMEM, "out of memory");
  }
  return MC_SNAP_OK;
}

static int name_index(char **names, uint32_t n, const char *name) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) return (int)i;
  return -1;
}

/* Maps each field name to a role; returns the field count or 0 on error. */
static mc_snap_status fields(mc_snap_parser *p, const mc_snap_json *list, const char *what,
                             const char *const *names, const uint8_t *roles, int nreq,
                             uint8_t *out_roles, uint32_t *out_cols, uint32_t *out_count, int *type_col) {
  if (!list || list->type != JV_ARR || list->nkids == 0 || list->nkids > MAX_FIELDS)
    return fail(p, MC_SNAP_EBADMETA, "meta.%s must be an array of 1 to %d field names", what, MAX_FIELDS);
  for (size_t i = 0; i < list->nkids; i++) {
    if (list->kids[i].type != JV_STR) return fail(p, MC_SNAP_EBADMETA, "meta.%s: field names must be strings", what);
    out_roles[i] = R_IGNORE;
  }
  for (int r = 0; r < nreq; r++) {
    int at = find_str(list, names[r]);
    if (at < 0) return fail(p, MC_SNAP_EBADMETA, "meta.%s lacks the field \"%s\"", what, names[r]);
    out_roles[at] = roles[r];
    out_cols[r] = (uint32_t)at;
    if (r == 0) *type_col = at;
  }
  *out_count = (uint32_t)list->nkids;
  return MC_SNAP_OK;
}

static int64_t count_field(const mc_snap_json *hdr, const char *key) {
  const mc_snap_json *v = mc_snap_json_get(hdr, key);
  if (!v || v->type != JV_NUM || v->num < 0 || v->num > 4294967295.0 || v->num != (double)(uint64_t)v->num)
    return -1;
  return (int64_t)v->num;
}

static mc_snap_status parse_header(mc_snap_parser *p) {
  mc_snap_json root;
  mc_snap_status st = MC_SNAP_OK;
  if (!mc_snap_json_parse(p->hdr, p->hdr_len, &root)) {
    mc_snap_json_free(&root);
    return fail(p, MC_SNAP_ECORRUPT, "the \"snapshot\" header is not valid JSON");
  }
  const mc_snap_json *meta = mc_snap_json_get(&root, "meta");
  if (root.type != JV_OBJ || !meta || meta->type != JV_OBJ) {
    mc_snap_json_free(&root);
    return fail(p, MC_SNAP_ENOTSNAPSHOT, "\"snapshot\" has no \"meta\" object");
  }
  static const char *const nnames[] = { "type", "name", "id", "self_size", "edge_count" };
  static const uint8_t nroles[] = { R_NTYPE, R_NNAME, R_NID, R_NSELF, R_NEDGES };
  static const char *const enames[] = { "type", "name_or_index", "to_node" };
  static const uint8_t eroles[] = { R_ETYPE, R_ENAME, R_ETO };
  int ntc = -1, etc = -1;
  mc_snap *s = p->s;
  const mc_snap_json *nt = mc_snap_json_get(meta, "node_types"), *et = mc_snap_json_get(meta, "edge_types");
  if ((st = fields(p, mc_snap_json_get(meta, "node_fields"), "node_fields", nnames, nroles, 5, p->nrole, p->ncol, &p->nf, &ntc)) ||
      (st = fields(p, mc_snap_json_get(meta, "edge_fields"), "edge_fields", enames, eroles, 3, p->erole, p->ecol, &p->ef, &etc)))
    goto out;
  if (!nt || nt->type != JV_ARR || nt->nkids <= (size_t)ntc || !et || et->type != JV_ARR || et->nkids <= (size_t)etc) {
    st = fail(p, MC_SNAP_EBADMETA, "meta.node_types/edge_types must list the types of the \"type\" fields");
    goto out;
  }
  if ((st = copy_names(p, &nt->kids[ntc], &s->ntype_names, &s->ntypes, "node_types")) ||
      (st = copy_names(p, &et->kids[etc], &s->etype_names, &s->etypes, "edge_types")))
    goto out;
  s->t_object = name_index(s->ntype_names, s->ntypes, "object");
  s->t_native = name_index(s->ntype_names, s->ntypes, "native");
  s->t_hidden = name_index(s->ntype_names, s->ntypes, "hidden");
  s->t_code = name_index(s->ntype_names, s->ntypes, "code");
  s->t_synthetic = name_index(s->ntype_names, s->ntypes, "synthetic");
  s->t_shape = name_index(s->ntype_names, s->ntypes, "object shape");
  s->e_weak = name_index(s->etype_names, s->etypes, "weak");
  s->e_shortcut = name_index(s->etype_names, s->etypes, "shortcut");
  s->e_element = name_index(s->etype_names, s->etypes, "element");
  s->e_hidden = name_index(s->etype_names, s->etypes, "hidden");
  p->decl_nodes = count_field(&root, "node_count");
  p->decl_edges = count_field(&root, "edge_count");
  p->root_index = mc_snap_json_get(&root, "root_index") ? count_field(&root, "root_index") : 0;
  if (p->root_index < 0 || p->root_index % p->nf) {
    st = fail(p, MC_SNAP_EBADINDEX, "snapshot.root_index is not a node index");
    goto out;
  }
  /* q = v / nf for every v < 2^32: v * ceil(2^64 / nf) >> 64 (see the proof
   * sketch in the notes: the error term stays below 1 / nf). */
  p->magic = p->nf > 1 ? (uint64_t)(((((unsigned __int128)1) << 64) / p->nf) + 1) : 0;
out:
  mc_snap_json_free(&root);
  return st;
}

/* ---- raw values (skipped or captured) ------------------------------------ */

static void raw_start(mc_snap_parser *p) {
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

/* Bytes a skipped container passes over without a state change: whitespace,
 * ',', ':', digits, a-z, '.', '+', '-', 'E' (the same set raw_scan accepts). */
static const uint8_t RAW_PLAIN[256] = {
  0,0,0,0,0,0,0,0,0,1,1,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
  1,0,0,0,0,0,0,0,0,0,0,1,1,1,1,0,1,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,
  0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
  0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,
  0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
  0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
  0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
  0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
};
/* Bytes inside a string that need no attention: not '"', '\\' or a control. */
static const uint8_t STR_PLAIN[256] = {
  0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
  1,1,0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
  1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,1,1,1,
  1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
  1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
  1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
  1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
  1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
};

/* Scans one value; returns bytes consumed, sets *done at its end. A scalar
 * ends at the first byte that cannot belong to it (not consumed). */
static size_t raw_scan(mc_snap_parser *p, const unsigned char *b, size_t n, int *done) {
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
      fail(p, MC_SNAP_ECORRUPT, "unexpected '%c' at byte %llu", c, (unsigned long long)p->fed);
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
        fail(p, MC_SNAP_ECORRUPT, "control character in a string at byte %llu", (unsigned long long)(p->fed + i));
        return i;
      }
      continue;
    }
    if (p->raw_scalar) {
      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '.' || c == '+' || c == '-' || c == 'E') continue;
      p->raw_scalar = 0;
      *done = 1;
      return i;
    }
    if (c == '"') p->raw_in_str = 1;
    else if (c == '{' || c == '[') {
      if (!raw_push(p, c == '{')) {
        fail(p, MC_SNAP_ECORRUPT, "values nested deeper than %d", SKIP_DEPTH_MAX);
        return i;
      }
    } else if (c == '}' || c == ']') {
      uint32_t d = p->raw_depth - 1;
      int top_obj = (p->raw_stack[d >> 3] >> (d & 7)) & 1;
      if (top_obj != (c == '}')) {
        fail(p, MC_SNAP_ECORRUPT, "mismatched '%c' at byte %llu", c, (unsigned long long)(p->fed + i));
        return i;
      }
      if (--p->raw_depth == 0) { *done = 1; return i + 1; }
    } else if (!(is_ws(c) || c == ',' || c == ':' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                 c == '.' || c == '+' || c == '-' || c == 'E')) {
      fail(p, MC_SNAP_ECORRUPT, "unexpected '%c' at byte %llu", c, (unsigned long long)(p->fed + i));
      return i;
    }
  }
  return n;
}

static int hdr_append(mc_snap_parser *p, const unsigned char *b, size_t n) {
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

/* ---- integer arrays ------------------------------------------------------ */

static int grow_rows(mc_snap_parser *p, int nodes) {
  mc_snap *s = p->s;
  uint64_t cap = nodes ? p->ncap : p->ecap;
  uint64_t ncap = cap ? cap + cap / 2 + 1024 : 1024;
  if (ncap > UINT32_MAX - 1) ncap = UINT32_MAX - 1;
  if (ncap <= cap) return 0;
  mc_snap_acct *a = &s->acct;
  if (nodes) {
    void *t = mc_snap_acct_realloc(a, s->ntype, cap, ncap);
    if (!t) return 0;
    s->ntype = t;
    if (!(t = mc_snap_acct_realloc(a, s->nname, cap * 4, ncap * 4))) return 0;
    s->nname = t;
    if (!(t = mc_snap_acct_realloc(a, s->nid, cap * 4, ncap * 4))) return 0;
    s->nid = t;
    if (!(t = mc_snap_acct_realloc(a, s->nself, cap * 8, ncap * 8))) return 0;
    s->nself = t;
    if (!(t = mc_snap_acct_realloc(a, s->first_edge, cap ? (cap + 1) * 4 : 0, (ncap + 1) * 4))) return 0;
    s->first_edge = t;
    p->ncap = ncap;
  } else {
    void *t = mc_snap_acct_realloc(a, s->etype, cap, ncap);
    if (!t) return 0;
    s->etype = t;
    if (!(t = mc_snap_acct_realloc(a, s->ename, cap * 4, ncap * 4))) return 0;
    s->ename = t;
    if (!(t = mc_snap_acct_realloc(a, s->edge_to, cap * 4, ncap * 4))) return 0;
    s->edge_to = t;
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


/* to / nf for to < 2^32, by one 64x64->128 multiplication (nf > 1: the
 * magic fits 64 bits; the error term stays below 1 / nf). */
static inline uint32_t to_ordinal(const mc_snap_parser *p, uint64_t to) {
  if (p->magic == 0) return (uint32_t)to;
  return (uint32_t)(((unsigned __int128)to * p->magic) >> 64);
}

/* Rows are collected in p->rowbuf and stored whole: one check per row
 * instead of a switch per value. */
static mc_snap_status flush_node(mc_snap_parser *p) {
  mc_snap *s = p->s;
  uint64_t row = p->row;
  const uint64_t *r = p->rowbuf;
  if (row >= p->ncap) {
    if (p->decl_nodes >= 0 && row >= (uint64_t)p->decl_nodes)
      return fail(p, MC_SNAP_EBADINDEX, "more nodes than snapshot.node_count (%lld)", (long long)p->decl_nodes);
    if (!grow_rows(p, 1)) return fail_alloc(p);
  }
  uint64_t type = r[p->ncol[0]], name = r[p->ncol[1]], id = r[p->ncol[2]], ec = r[p->ncol[4]];
  if ((name | id | ec) >> 32)
    return fail(p, MC_SNAP_EBADINDEX, "node %llu: a field value is above 2^32-1", (unsigned long long)row);
  if (type >= s->ntypes)
    return fail(p, MC_SNAP_EBADINDEX, "node %llu: type %llu is not in meta.node_types", (unsigned long long)row, (unsigned long long)type);
  s->ntype[row] = (uint8_t)type;
  s->nname[row] = (uint32_t)name;
  s->nid[row] = (uint32_t)id;
  s->nself[row] = r[p->ncol[3]];
  s->first_edge[row] = (uint32_t)ec;
  p->row = row + 1;
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

static mc_snap_status flush_edge(mc_snap_parser *p) {
  mc_snap *s = p->s;
  uint64_t row = p->row;
  const uint64_t *r = p->rowbuf;
  if (s->nodes_only) {
    if (p->decl_edges >= 0 && row >= (uint64_t)p->decl_edges)
      return fail(p, MC_SNAP_EBADINDEX, "more edges than snapshot.edge_count (%lld)", (long long)p->decl_edges);
    if (row >= UINT32_MAX - 1) return fail(p, MC_SNAP_ETOOLARGE, "more than 2^32-2 edges");
  } else if (row >= p->ecap) {
    if (p->decl_edges >= 0 && row >= (uint64_t)p->decl_edges)
      return fail(p, MC_SNAP_EBADINDEX, "more edges than snapshot.edge_count (%lld)", (long long)p->decl_edges);
    if (!grow_rows(p, 0)) return fail_alloc(p);
  }
  uint64_t type = r[p->ecol[0]], name = r[p->ecol[1]], to = r[p->ecol[2]];
  if ((name | to) >> 32)
    return fail(p, MC_SNAP_EBADINDEX, "edge %llu: a field value is above 2^32-1", (unsigned long long)row);
  if (type >= s->etypes)
    return fail(p, MC_SNAP_EBADINDEX, "edge %llu: type %llu is not in meta.edge_types", (unsigned long long)row, (unsigned long long)type);
  uint32_t q = to_ordinal(p, to);
  if ((uint64_t)q * p->nf != to)
    return fail(p, MC_SNAP_EBADINDEX, "edge %llu: to_node %llu is not a multiple of the node field count %u",
                (unsigned long long)row, (unsigned long long)to, p->nf);
  if (s->nodes_only) {
    note_skipped_edge(p, type, (uint32_t)name, q);
  } else {
    s->etype[row] = (uint8_t)type;
    s->ename[row] = (uint32_t)name;
    s->edge_to[row] = q;
  }
  p->row = row + 1;
  return MC_SNAP_OK;
}

/* The common case of flush_node/flush_edge, inlined into the fast loop:
 * returns 0 when the row needs the full path (growth, or an error to
 * report), which then checks everything again. */
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
  if (nd > 16) return fail(p, MC_SNAP_EBADINDEX, "a number in %s is too large", p->section == SEC_NODES ? "nodes" : "edges");
  if (nd > 1 && v < POW10[nd - 1]) return fail(p, MC_SNAP_ECORRUPT, "a number with a leading zero at byte %llu", (unsigned long long)p->fed);
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
      while (i < n && is_ws(b[i])) i++;
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
static size_t ints_run(mc_snap_parser *p, const unsigned char *b, size_t n, int *done) {
  uint64_t acc = p->acc;
  uint32_t nd = p->ndig;
  int st = p->istage;
  size_t i = 0;
  *done = 0;
  if (st == I_OPEN) {
    if (b[0] != '[') {
      fail(p, MC_SNAP_ENOTSNAPSHOT, "\"%s\" is not an array", p->section == SEC_NODES ? "nodes" : "edges");
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
    if (is_ws(c)) {
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
  fail(p, MC_SNAP_ECORRUPT, "unexpected '%c' in \"%s\" at byte %llu (only unsigned integers are allowed)",
       b[i] >= 0x20 && b[i] < 0x7F ? b[i] : '?', p->section == SEC_NODES ? "nodes" : "edges",
       (unsigned long long)(p->fed + i));
  return i;
}

/* ---- strings ------------------------------------------------------------- */

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

static size_t strs_run(mc_snap_parser *p, const unsigned char *b, size_t n, int *done) {
  mc_snap *s = p->s;
  size_t i = 0;
  *done = 0;
  while (i < n) {
    unsigned c = b[i];
    switch (p->sstage) {
      case S_OPEN:
        if (c != '[') { fail(p, MC_SNAP_ENOTSNAPSHOT, "\"strings\" is not an array"); return i; }
        p->sstage = S_FIRST;
        i++;
        break;
      case S_FIRST:
      case S_EXPECT:
        if (is_ws(c)) { i++; break; }
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
        if (is_ws(c)) { i++; break; }
        if (c == ',') { p->sstage = S_EXPECT; i++; break; }
        if (c == ']') { *done = 1; return i + 1; }
        goto bad;
    }
  }
  return i;
bad:
  fail(p, MC_SNAP_ECORRUPT, "unexpected '%c' in \"strings\" at byte %llu",
       b[i] >= 0x20 && b[i] < 0x7F ? b[i] : '?', (unsigned long long)(p->fed + i));
  return i;
nomem:
  if (s->scount >= UINT32_MAX - 2) fail(p, MC_SNAP_ETOOLARGE, "more than 2^32-2 strings");
  else fail_alloc(p);
  return i;
}

/* ---- top level ----------------------------------------------------------- */

static mc_snap_status begin_value(mc_snap_parser *p) {
  const char *k = p->key_esc || p->key_long ? "" : p->key;
  int sec = SEC_SKIP;
  int *seen = NULL;
  if (strcmp(k, "snapshot") == 0) { sec = SEC_HEADER; seen = &p->seen_header; }
  else if (strcmp(k, "nodes") == 0) { sec = SEC_NODES; seen = &p->seen_nodes; }
  else if (strcmp(k, "edges") == 0) { sec = SEC_EDGES; seen = &p->seen_edges; }
  else if (strcmp(k, "strings") == 0) { sec = SEC_STRINGS; seen = &p->seen_strings; }
  if (seen) {
    if (*seen) return fail(p, MC_SNAP_ECORRUPT, "\"%s\" appears twice", k);
    *seen = 1;
  }
  if ((sec == SEC_NODES || sec == SEC_EDGES) && !p->seen_header)
    return fail(p, MC_SNAP_ENOTSNAPSHOT, "\"%s\" comes before the \"snapshot\" header with meta", k);
  p->section = sec;
  switch (sec) {
    case SEC_NODES:
    case SEC_EDGES:
      if (!reserve_declared(p, sec == SEC_NODES)) return fail_alloc(p);
      p->istage = I_OPEN;
      p->acc = 0;
      p->ndig = 0;
      p->col = 0;
      p->row = 0;
      p->width = sec == SEC_NODES ? p->nf : p->ef;
      p->state = T_INTS;
      break;
    case SEC_STRINGS:
      if (!str_begin(p)) return fail_alloc(p);
      p->sstage = S_OPEN;
      p->state = T_STRS;
      break;
    default:
      raw_start(p);
      p->hdr_len = 0;
      p->state = T_RAW;
  }
  return MC_SNAP_OK;
}

static mc_snap_status end_value(mc_snap_parser *p) {
  if (p->section == SEC_HEADER) {
    if (p->hdr_len == 0 || p->hdr[0] != '{')
      return fail(p, MC_SNAP_ENOTSNAPSHOT, "\"snapshot\" is not an object");
    if (parse_header(p) != MC_SNAP_OK) return p->status;
  } else if (p->section == SEC_NODES) {
    p->s->node_count = (uint32_t)p->row;
    if (p->col) return fail(p, MC_SNAP_EBADINDEX, "\"nodes\" length is not a multiple of the %u node fields", p->nf);
  } else if (p->section == SEC_EDGES) {
    p->s->edge_count = (uint32_t)p->row;
    if (p->col) return fail(p, MC_SNAP_EBADINDEX, "\"edges\" length is not a multiple of the %u edge fields", p->ef);
  }
  p->section = SEC_NONE;
  p->state = T_AFTER_VALUE;
  return MC_SNAP_OK;
}

static mc_snap_status feed_top(mc_snap_parser *p, const unsigned char *b, size_t n) {
  size_t i = 0;
  while (i < n && p->status == MC_SNAP_OK) {
    unsigned c = b[i];
    int done = 0;
    size_t used;
    switch (p->state) {
      case T_BEGIN:
        if (is_ws(c)) { i++; break; }
        if (c != '{') return fail(p, MC_SNAP_ENOTSNAPSHOT, "not a heap snapshot: the input does not start with a JSON object");
        p->state = T_OBJ_FIRST;
        i++;
        break;
      case T_OBJ_FIRST:
      case T_EXPECT_KEY:
        if (is_ws(c)) { i++; break; }
        if (c == '}' && p->state == T_OBJ_FIRST) { p->state = T_DONE; i++; break; }
        if (c != '"') return fail(p, MC_SNAP_ECORRUPT, "expected a key at byte %llu", (unsigned long long)(p->fed + i));
        p->key_len = 0;
        p->key_esc = p->key_long = 0;
        p->raw_esc = 0;
        p->state = T_KEY;
        i++;
        break;
      case T_KEY:
        i++;
        if (p->raw_esc) { p->raw_esc = 0; break; }
        if (c == '\\') { p->raw_esc = 1; p->key_esc = 1; break; }
        if (c < 0x20) return fail(p, MC_SNAP_ECORRUPT, "control character in a key");
        if (c == '"') { p->key[p->key_len] = 0; p->state = T_COLON; break; }
        if (p->key_len + 1 < sizeof p->key) p->key[p->key_len++] = (char)c;
        else p->key_long = 1;
        break;
      case T_COLON:
        if (is_ws(c)) { i++; break; }
        if (c != ':') return fail(p, MC_SNAP_ECORRUPT, "expected ':' at byte %llu", (unsigned long long)(p->fed + i));
        p->state = T_VALUE;
        i++;
        break;
      case T_VALUE:
        if (is_ws(c)) { i++; break; }
        if (begin_value(p) != MC_SNAP_OK) return p->status;
        break;
      case T_INTS:
        used = ints_run(p, b + i, n - i, &done);
        i += used;
        if (done && p->status == MC_SNAP_OK) end_value(p);
        break;
      case T_STRS:
        used = strs_run(p, b + i, n - i, &done);
        i += used;
        if (done && p->status == MC_SNAP_OK) end_value(p);
        break;
      case T_RAW:
        used = raw_scan(p, b + i, n - i, &done);
        if (p->status != MC_SNAP_OK) return p->status;
        if (p->section == SEC_HEADER && !hdr_append(p, b + i, used))
          return fail(p, MC_SNAP_ENOTSNAPSHOT, "the \"snapshot\" header is larger than %u bytes", HEADER_MAX);
        i += used;
        if (done) end_value(p);
        break;
      case T_AFTER_VALUE:
        if (is_ws(c)) { i++; break; }
        if (c == ',') { p->state = T_EXPECT_KEY; i++; break; }
        if (c == '}') { p->state = T_DONE; i++; break; }
        return fail(p, MC_SNAP_ECORRUPT, "expected ',' or '}' at byte %llu", (unsigned long long)(p->fed + i));
      case T_DONE:
        if (is_ws(c)) { i++; break; }
        return fail(p, MC_SNAP_ECORRUPT, "data after the end of the snapshot at byte %llu", (unsigned long long)(p->fed + i));
    }
  }
  return p->status;
}

mc_snap_status mc_snap_parser_feed(mc_snap_parser *p, const void *data, size_t len) {
  if (p->status != MC_SNAP_OK) return p->status;
  if (!p->s) return fail(p, MC_SNAP_EINVAL, "the parser has finished");
  mc_snap_status st = feed_top(p, data, len);
  p->fed += len;
  return st;
}

/* ---- finish: validation and first-edge indexes ---------------------------- */

static mc_snap_status validate(mc_snap_parser *p) {
  mc_snap *s = p->s;
  uint32_t n = s->node_count, m = s->edge_count;
  if (n == 0) return fail(p, MC_SNAP_EBADINDEX, "the snapshot has no nodes");
  if (p->decl_nodes >= 0 && (uint64_t)p->decl_nodes != n)
    return fail(p, MC_SNAP_EBADINDEX, "%u nodes, but snapshot.node_count is %lld", n, (long long)p->decl_nodes);
  if (p->decl_edges >= 0 && (uint64_t)p->decl_edges != m)
    return fail(p, MC_SNAP_EBADINDEX, "%u edges, but snapshot.edge_count is %lld", m, (long long)p->decl_edges);
  uint64_t root = (uint64_t)p->root_index / p->nf;
  if (root >= n) return fail(p, MC_SNAP_EBADINDEX, "snapshot.root_index is past the last node");
  s->root = (uint32_t)root;
  uint64_t sum = 0, total = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t c = s->first_edge[i];
    s->first_edge[i] = (uint32_t)sum;
    sum += c;
    if (sum > m) return fail(p, MC_SNAP_EBADINDEX, "the edge_count of the nodes add up to more than the %u edges", m);
    if (s->nname[i] >= s->scount)
      return fail(p, MC_SNAP_EBADINDEX, "node %u: name %u is not a string index (%u strings)", i, s->nname[i], s->scount);
    total += s->nself[i];
  }
  if (sum != m) return fail(p, MC_SNAP_EBADINDEX, "the edge_count of the nodes add up to %llu, not to the %u edges", (unsigned long long)sum, m);
  s->first_edge[n] = m;
  s->total = total;
  if (s->nodes_only) {
    if (m && p->max_to >= n) return fail(p, MC_SNAP_EBADINDEX, "an edge's to_node is past the last node");
    if (p->any_named_edge && p->max_ename >= s->scount)
      return fail(p, MC_SNAP_EBADINDEX, "an edge's name %u is not a string index (%u strings)", p->max_ename, s->scount);
    return MC_SNAP_OK;
  }
  for (uint32_t e = 0; e < m; e++) {
    if (s->edge_to[e] >= n) return fail(p, MC_SNAP_EBADINDEX, "edge %u: to_node is past the last node", e);
    int t = s->etype[e];
    if (t != s->e_element && t != s->e_hidden && s->ename[e] >= s->scount)
      return fail(p, MC_SNAP_EBADINDEX, "edge %u: name %u is not a string index (%u strings)", e, s->ename[e], s->scount);
  }
  return MC_SNAP_OK;
}

mc_snap_status mc_snap_parser_finish(mc_snap_parser *p, mc_snap **out) {
  *out = NULL;
  if (p->status != MC_SNAP_OK) return p->status;
  if (!p->s) return fail(p, MC_SNAP_EINVAL, "the parser has finished");
  if (p->state == T_BEGIN) return fail(p, MC_SNAP_ENOTSNAPSHOT, "not a heap snapshot: the input is empty");
  if (p->state != T_DONE)
    return fail(p, MC_SNAP_ETRUNCATED, "the snapshot is truncated: the input ends inside it after %llu bytes",
                (unsigned long long)p->fed);
  if (!p->seen_header) return fail(p, MC_SNAP_ENOTSNAPSHOT, "not a heap snapshot: no \"snapshot\" header");
  if (!p->seen_nodes || !p->seen_edges || !p->seen_strings)
    return fail(p, MC_SNAP_ENOTSNAPSHOT, "not a heap snapshot: \"%s\" is missing",
                !p->seen_nodes ? "nodes" : !p->seen_edges ? "edges" : "strings");
  if (validate(p) != MC_SNAP_OK) return p->status;
  mc_snap_status st = mc_snap_build_classes(p->s);
  if (st != MC_SNAP_OK) return fail(p, st, st == MC_SNAP_ENOMEM ? "out of memory" : "the classes need more than maxMemory");
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
