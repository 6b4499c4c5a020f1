/* Streaming parser and analyzer for V8 .heapsnapshot files.
 *
 * Design notes
 * ------------
 * Format. A .heapsnapshot is one JSON object:
 *   {"snapshot":{"meta":{...},"node_count":N,"edge_count":M,...},
 *    "nodes":[...], "edges":[...], "trace_function_infos":[...],
 *    "trace_tree":[...], "samples":[...], "locations":[...], "strings":[...]}
 * The parser is a byte-level state machine fed in chunks of any size (a chunk
 * may end anywhere: inside a number, a string, an escape or a key). It never
 * builds the document:
 *   - "snapshot" (the header, a few KiB) is captured raw (capped at 1 MiB) and
 *     parsed with a small recursive parser; meta.node_fields/node_types/
 *     edge_fields/edge_types give the column of each field, so any field order
 *     and any extra field (trace_node_id, detachedness, future ones) work.
 *     Required: node fields type, name, id, self_size, edge_count; edge fields
 *     type, name_or_index, to_node. It must come before nodes and edges (V8
 *     and every writer we know put it first).
 *   - "nodes"/"edges" are decoded by a tight digit loop straight into column
 *     arrays (structure of arrays): node type (u8), name (u32 string index),
 *     id (u32), self size (u64), edge count -> first-edge index (u32, N+1);
 *     edge type (u8), name_or_index (u32), target node ORDINAL (u32, to_node
 *     divided by the node field count). Unused columns are dropped. Arrays
 *     are sized from snapshot.node_count/edge_count (grown if absent).
 *   - "strings" are unescaped (all JSON escapes, \uXXXX, surrogate pairs; a
 *     lone surrogate becomes U+FFFD) into one byte arena with an offset table.
 *   - every other key is skipped by a depth/string tracker, never stored.
 * Memory: 25 bytes per node (21 of columns + a u32 class index) + 9 bytes
 * per edge + the string bytes, then the
 * dominator pass needs temporarily ~4 bytes per counted edge + ~26 bytes per
 * node (freed before returning), and keeps 12 bytes per node (dominator and
 * retained size). Every allocation is counted against limits.max_bytes.
 *
 * Validation (never trusts the input): JSON syntax (strict numbers: unsigned
 * integers only in nodes/edges), value ranges (u32 except self size < 2^53),
 * to_node a multiple of the node field count and < node count, node/edge
 * counts equal to the header and to the sum of edge_count, type indexes
 * within meta's type lists, string indexes within strings.
 *
 * Classes, as the DevTools Summary view groups them (JSHeapSnapshotNode
 * .className): 'object' and 'native' nodes by their name; 'hidden' ->
 * "(system)"; 'code' -> "(compiled code)"; any other type T -> "(T)".
 * Histograms skip nodes whose self size is 0 unless they are 'native'
 * (HeapSnapshot._buildAggregates). Classes with equal names are one class.
 *
 * Dominators: the algorithm of DevTools (HeapSnapshot._buildPostOrderIndex,
 * _buildDominatorTree: Cooper-Harvey-Kennedy iterations over a DFS post
 * order), with the same edges: weak edges never count, shortcut edges only
 * from the root; in DEVTOOLS mode also JSHeapSnapshot's page-owned rule
 * (nodes reachable over non-weak edges from the root's shortcut children -
 * the global objects - ignore retainers that are not page-owned, except the
 * root). Unreachable nodes are handled as DevTools does (the ones with only
 * weak retainers start extra DFS trees; a node whose dominator is never
 * found gets the root). One deliberate difference: DevTools only recomputes
 * nodes whose retainers' dominators changed, which can stop before the
 * fixpoint (a chain can shorten above a retainer without its immediate
 * dominator changing; test_dominators_match_definition_on_random_graphs found
 * such graphs) and leave some dominators too deep. After DevTools' pass we
 * sweep all nodes until nothing changes, so the result is the true dominator
 * tree; where DevTools' pass was already exact the extra sweep changes
 * nothing. The iteration is bounded: on pathological input it stops with
 * MC_SNAP_ECORRUPT instead of hanging.
 * Class retained size = sum of the retained sizes of the members with no
 * counted ancestor of the same class in the dominator tree
 * (HeapSnapshot._calculateClassesRetainedSize).
 */
#ifndef MEMCTL_CORE_SNAPSHOT_H
#define MEMCTL_CORE_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  MC_SNAP_OK = 0,
  MC_SNAP_ETRUNCATED,     /* input ended inside the document */
  MC_SNAP_ECORRUPT,       /* malformed JSON or a value of the wrong kind */
  MC_SNAP_ENOTSNAPSHOT,   /* JSON but not a heap snapshot */
  MC_SNAP_EBADMETA,       /* meta lacks a required field / is inconsistent */
  MC_SNAP_EBADINDEX,      /* index or count out of range */
  MC_SNAP_ETOOLARGE,      /* over limits.max_bytes */
  MC_SNAP_ENOMEM,         /* malloc failed */
  MC_SNAP_EINVAL,         /* API misuse (parser already failed/finished) */
  MC_SNAP_EIO             /* open()/read() failed: see the errno it returns */
} mc_snap_status;

/* "ERR_MEMCTL_SNAPSHOT_TRUNCATED", ... ("ERR_MEMCTL_NO_MEMORY" for ENOMEM). */
const char *mc_snap_status_code(mc_snap_status st);

typedef struct mc_snap_parser mc_snap_parser;
typedef struct mc_snap mc_snap;

/* max_bytes: cap on the native memory of the parsed structures (0: 16 GiB). */
mc_snap_parser *mc_snap_parser_new(size_t max_bytes);
/* Nodes-only mode, for analyses that need no edges (the class histogram and
 * the diff): "edges" is still read and checked (syntax, value ranges,
 * to_node a multiple of the node field count and below the node count,
 * string indexes, the counts) but not stored, which saves 9 bytes per edge
 * and the stores. The snapshot then has its edge count and no edge columns:
 * mc_snap_compute_retained, mc_snap_path_to and mc_snap_leaks_compute (as
 * final) return MC_SNAP_EINVAL, and the mc_snap_edge_* readers must not be
 * called. Call before the first chunk (MC_SNAP_EINVAL after). */
mc_snap_status mc_snap_parser_nodes_only(mc_snap_parser *p);
/* True if s was parsed in nodes-only mode. */
int mc_snap_is_nodes_only(const mc_snap *s);
/* Feeds the next chunk. On error the parser stays failed (later calls return
 * the same status); mc_snap_parser_error() gives a message. */
mc_snap_status mc_snap_parser_feed(mc_snap_parser *p, const void *data, size_t len);
/* Ends the input, validates, builds first-edge indexes and classes. On
 * success *out owns everything (the parser becomes empty). */
mc_snap_status mc_snap_parser_finish(mc_snap_parser *p, mc_snap **out);
const char *mc_snap_parser_error(const mc_snap_parser *p);
uint64_t mc_snap_parser_bytes(const mc_snap_parser *p); /* bytes fed */
void mc_snap_parser_free(mc_snap_parser *p);
/* Feeds the whole file at path, read in large blocks (snapshot_file.c).
 * *progress (if not NULL) holds the bytes fed so far, stored atomically
 * (__atomic, relaxed) so another thread may poll it. Returns the parser's
 * status, or MC_SNAP_EIO with *sys_errno set when open() or read() fails
 * (*syscall: "open" or "read"). Does not finish the parse: call
 * mc_snap_parser_finish afterwards. */
mc_snap_status mc_snap_parser_feed_file(mc_snap_parser *p, const char *path, uint64_t *progress, int *sys_errno,
                                        const char **syscall);

void mc_snap_free(mc_snap *s);

/* ---- one whole parse, as a background job runs it ----------------------
 * mc_snap_job_run feeds the file at `path` (when not NULL; the chunks of a
 * stream were fed before), finishes the parse and, when `retained` is set,
 * computes the dominator tree: everything after the last chunk that may run
 * off the JS thread, with no Node-API in between (snapshot_file.c). */
typedef struct {
  /* in */
  const char *path;        /* NULL: the input was fed already */
  int retained;            /* compute retained sizes now */
  int mode;                /* mc_snap_dom_mode */
  uint64_t *progress;      /* path only: bytes read so far (atomic), may be NULL */
  uint32_t *read_done;     /* path only: set to 1 (atomic, release) once read */
  /* out */
  mc_snap *snap;           /* the snapshot on MC_SNAP_OK, else NULL */
  int sys_errno;           /* MC_SNAP_EIO: errno of the failed call */
  const char *syscall;     /* MC_SNAP_EIO: "open" or "read" */
  const char *message;     /* on failure: why (valid until p is freed) */
} mc_snap_job;
mc_snap_status mc_snap_job_run(mc_snap_parser *p, mc_snap_job *job);
/* Why mc_snap_compute_retained failed with st (a static string). */
const char *mc_snap_retained_error(mc_snap_status st);

/* ---- read access -------------------------------------------------------- */
uint32_t mc_snap_node_count(const mc_snap *s);
uint32_t mc_snap_edge_count(const mc_snap *s);
uint64_t mc_snap_total_size(const mc_snap *s);
size_t mc_snap_memory(const mc_snap *s);       /* bytes held now */
size_t mc_snap_peak_memory(const mc_snap *s);  /* most bytes held at once */

uint32_t mc_snap_node_id(const mc_snap *s, uint32_t node);
uint64_t mc_snap_node_self_size(const mc_snap *s, uint32_t node);
const char *mc_snap_node_type(const mc_snap *s, uint32_t node);
const char *mc_snap_node_name(const mc_snap *s, uint32_t node, size_t *len);
uint32_t mc_snap_node_class(const mc_snap *s, uint32_t node);
uint32_t mc_snap_node_first_edge(const mc_snap *s, uint32_t node);
const char *mc_snap_edge_type(const mc_snap *s, uint32_t edge);
/* Edge name: the string, or for element/hidden edges the decimal index
 * written into buf (>= 12 bytes). */
const char *mc_snap_edge_name(const mc_snap *s, uint32_t edge, char *buf, size_t *len);
uint32_t mc_snap_edge_to(const mc_snap *s, uint32_t edge);
uint32_t mc_snap_string_count(const mc_snap *s);
const char *mc_snap_string(const mc_snap *s, uint32_t i, size_t *len);

/* ---- classes ------------------------------------------------------------ */
typedef struct {
  const char *name;     /* NUL-terminated, owned by the snapshot */
  uint32_t name_len;
  uint32_t count;       /* histogram nodes (self size > 0 or native) */
  uint64_t self_size;
  uint64_t retained_size; /* valid after mc_snap_compute_retained */
} mc_snap_class;

uint32_t mc_snap_class_count(const mc_snap *s);
const mc_snap_class *mc_snap_classes(const mc_snap *s);
/* True if the node counts in histograms (self size > 0 or type native). */
int mc_snap_node_counted(const mc_snap *s, uint32_t node);

/* ---- dominators and retained sizes -------------------------------------- */
typedef enum {
  MC_SNAP_DOM_DEVTOOLS = 0,  /* DevTools' rules incl. page-owned flags */
  MC_SNAP_DOM_PLAIN = 1      /* without the page-owned rule (like memlab) */
} mc_snap_dom_mode;

/* Computes dominators, retained sizes and class retained sizes. Idempotent
 * (a second call with the same mode returns MC_SNAP_OK at once). */
mc_snap_status mc_snap_compute_retained(mc_snap *s, mc_snap_dom_mode mode);
int mc_snap_has_retained(const mc_snap *s);
uint64_t mc_snap_node_retained(const mc_snap *s, uint32_t node);
uint32_t mc_snap_node_dominator(const mc_snap *s, uint32_t node);

/* Class indexes sorted descending by retained size (by_retained) or self
 * size, ties by name; writes up to max entries, returns how many. */
uint32_t mc_snap_sorted_classes(const mc_snap *s, int by_retained, uint32_t *out, uint32_t max);

/* ---- diff by node id ----------------------------------------------------- */
typedef struct {
  const char *name;
  uint32_t name_len;
  uint32_t added, removed;
  int64_t size_delta;   /* self size of added - self size of removed */
} mc_snap_diff_item;

typedef struct {
  uint32_t before_nodes, after_nodes;        /* histogram nodes */
  uint64_t before_size, after_size;
  uint32_t allocated, freed;
  uint32_t item_count;
  mc_snap_diff_item *items;  /* sorted by |size_delta| desc, then name */
} mc_snap_diff;

/* Nodes that count in histograms are matched by id. Names point into a and b. */
mc_snap_status mc_snap_diff_compute(const mc_snap *a, const mc_snap *b, mc_snap_diff *out);
void mc_snap_diff_free(mc_snap_diff *d);

/* ---- leak candidates (memlab's three snapshots) ------------------------- */
typedef struct {
  uint32_t cls;           /* class index in the final snapshot */
  uint32_t count;
  uint64_t self_size;
  uint64_t retained_size; /* members without a dominator ancestor in the group */
  uint32_t sample;        /* member with the largest retained size */
} mc_snap_leak;

typedef struct {
  uint32_t count;
  mc_snap_leak *items;    /* sorted by retained_size desc, then name */
} mc_snap_leaks;

/* Nodes of final counted in histograms, reachable from the root, not of
 * type hidden/synthetic/code/object shape, whose id is in target and not in
 * baseline. Computes final's retained sizes (DEVTOOLS) if needed. */
mc_snap_status mc_snap_leaks_compute(const mc_snap *baseline, const mc_snap *target,
                                     mc_snap *final_, mc_snap_leaks *out);
void mc_snap_leaks_free(mc_snap_leaks *l);

/* Shortest path from the root to node over the dominator edges (BFS;
 * computed once per snapshot). Writes edge indexes from the root outward into
 * edges (up to max); returns the path length, 0 for the root, UINT32_MAX if
 * unreachable, or sets *st on allocation failure. */
uint32_t mc_snap_path_to(mc_snap *s, uint32_t node, uint32_t *edges, uint32_t max,
                         mc_snap_status *st);
/* The source node of an edge (binary search over first-edge indexes). */
uint32_t mc_snap_edge_from(const mc_snap *s, uint32_t edge);

#ifdef __cplusplus
}
#endif

#endif
