/* Internal layout of a parsed snapshot, shared by the files of the snapshot
 * core. Not part of the API (that is snapshot.h). The files:
 *   snapshot.c          accounting, the top-level state machine, validation,
 *                       read access; its scanners are snapshot_raw.c,
 *                       snapshot_header.c, snapshot_ints.c and
 *                       snapshot_strings.c (see snapshot_parser.h)
 *   snapshot_meta.c     the "snapshot" header as a tiny JSON tree
 *   snapshot_classes.c  class building and the name index
 *   snapshot_graph.c    dominators, retained sizes, diff, leaks, paths
 *   snapshot_file.c     reading a file (reader thread) and mc_snap_job_run */
#ifndef MEMCTL_CORE_SNAPSHOT_INTERNAL_H
#define MEMCTL_CORE_SNAPSHOT_INTERNAL_H

#include "core/snapshot.h"

#define MC_SNAP_NONE UINT32_MAX

/* Byte accounting against a cap; peak is the high-water mark. */
typedef struct {
  size_t bytes, peak, max;
  int failed; /* 1: ETOOLARGE, 2: ENOMEM */
} mc_snap_acct;

void *mc_snap_acct_alloc(mc_snap_acct *a, size_t n);
void *mc_snap_acct_calloc(mc_snap_acct *a, size_t n);
void *mc_snap_acct_realloc(mc_snap_acct *a, void *p, size_t old_n, size_t new_n);
void mc_snap_acct_free(mc_snap_acct *a, void *p, size_t n);
/* Overflow-checked n * size (SIZE_MAX on overflow: fails the allocation). */
size_t mc_snap_mul(size_t n, size_t size);

struct mc_snap {
  mc_snap_acct acct;
  uint32_t node_count, edge_count;
  uint32_t root;            /* root ordinal (snapshot.root_index / F, else 0) */
  /* node columns */
  uint8_t *ntype;
  uint32_t *nname, *nid;
  uint64_t *nself;
  uint32_t *first_edge;     /* node_count + 1 entries */
  /* edge columns */
  uint8_t *etype;
  uint32_t *ename;          /* string index, or the index of element/hidden edges */
  uint32_t *edge_to;        /* target node ordinal */
  /* strings: string i is sbytes[string_offset[i] .. string_offset[i+1]-1),
   * NUL at string_offset[i+1]-1 */
  char *sbytes;
  size_t *string_offset;
  uint32_t scount;
  size_t sbytes_cap, string_offset_cap;
  /* meta */
  char **ntype_names, **etype_names;
  uint32_t ntypes, etypes;
  int t_object, t_native, t_hidden, t_code, t_synthetic, t_shape;
  int e_weak, e_shortcut, e_element, e_hidden;
  uint64_t total;
  /* classes */
  uint32_t *node_class;     /* class per node */
  mc_snap_class *cls;
  uint32_t class_count;
  char **cls_owned;         /* names built here ("(string)"), freed with s */
  uint32_t cls_owned_count;
  /* analysis */
  int has_ret, dom_mode;
  uint32_t *dom;            /* immediate dominator ordinal */
  uint64_t *ret;            /* retained size */
  uint32_t *bfs_edge;       /* BFS parent edge per node (NONE: root/unreached) */
  int nodes_only;           /* parsed without edge columns (mc_snap_parser_nodes_only) */
};

/* ---- JSON text helpers shared by the header tree and the string parser ---- */
/* The value of a hex digit, or -1. */
static inline int mc_snap_hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Writes code point cp as UTF-8 into out (room for 4 bytes); returns the length. */
static inline size_t mc_snap_utf8_put(char *out, uint32_t cp) {
  if (cp < 0x80) { out[0] = (char)cp; return 1; }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* ---- the header as a JSON tree (snapshot_meta.c) ---------------------------- */
enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

typedef struct mc_snap_json {
  int type;
  double num;
  char *str;          /* JV_STR: NUL-terminated UTF-8 */
  size_t len;
  struct mc_snap_json *kids;    /* JV_ARR / JV_OBJ values */
  char **keys;        /* JV_OBJ keys */
  size_t nkids;
} mc_snap_json;

/* Parses one JSON value from text into *out (free with mc_snap_json_free,
 * also after a failure); returns 0 when the text is not valid JSON. */
int mc_snap_json_parse(const char *text, size_t len, mc_snap_json *out);
void mc_snap_json_free(mc_snap_json *v);
/* The member `key` of an object, or NULL. */
const mc_snap_json *mc_snap_json_get(const mc_snap_json *o, const char *key);

/* ---- name index (snapshot_classes.c) ---------------------------------------
 * An open-addressing set of names (FNV-1a, linear probing, at most half
 * full) over the caller's array of entries: slots hold an entry number + 1
 * (0: empty), names are read back through name_of. Used for the class table
 * and for the diff's rows. Memory comes from acct (NULL: malloc). */
typedef const char *(*mc_snap_name_of)(const void *entries, uint32_t i, uint32_t *len);
typedef struct {
  uint32_t *slots;
  uint32_t mask;          /* slots - 1 (a power of two minus one) */
  uint32_t count;         /* entries indexed: 0 .. count-1 */
  mc_snap_acct *acct;
} mc_snap_names;
/* size: a power of two. Returns 0 when out of memory. */
int mc_snap_names_init(mc_snap_names *t, mc_snap_acct *acct, uint32_t size);
void mc_snap_names_free(mc_snap_names *t);
/* The entry named name, or MC_SNAP_NONE. */
uint32_t mc_snap_names_find(const mc_snap_names *t, const char *name, uint32_t len, mc_snap_name_of name_of,
                            const void *entries);
/* Indexes entry number t->count (already stored in entries, and not in the
 * index yet); returns 0 when out of memory. */
int mc_snap_names_add(mc_snap_names *t, mc_snap_name_of name_of, const void *entries);

/* Builds the class table (snapshot_classes.c). */
mc_snap_status mc_snap_build_classes(mc_snap *s);
/* An edge that counts for dominators and retainer paths. */
static inline int mc_snap_essential(const mc_snap *s, uint32_t from, uint8_t type) {
  return (int)type != s->e_weak && ((int)type != s->e_shortcut || from == s->root);
}

#endif
