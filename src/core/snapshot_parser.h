/* The streaming parser's state, shared by the files that implement it. Not
 * part of the API (that is snapshot.h). The parser is a byte-at-a-time state
 * machine over the top-level object of a .heapsnapshot; each section's value
 * is consumed by its own scanner, which works on whole runs of a chunk:
 *   snapshot.c          top level: keys, sections, finish and validation
 *   snapshot_raw.c      values that are skipped, or captured (the header)
 *   snapshot_header.c   the captured "snapshot" header: field layout, types
 *   snapshot_ints.c     "nodes" and "edges": unsigned integers into columns
 *   snapshot_strings.c  "strings": JSON strings into one NUL-separated buffer
 * Invariants kept between chunks:
 *   - every scanner stops at any byte and resumes in the next chunk from its
 *     stage fields alone (nothing points into a previous chunk);
 *   - p->fed is the offset of the chunk being fed, so p->fed + i is the byte
 *     offset of b[i] in error messages;
 *   - once p->status is not MC_SNAP_OK it never changes (mc_snap_fail keeps
 *     the first error) and no scanner consumes more input. */
#ifndef MEMCTL_CORE_SNAPSHOT_PARSER_H
#define MEMCTL_CORE_SNAPSHOT_PARSER_H

#include "core/snapshot_internal.h"

#define HEADER_MAX (1u << 20)   /* the "snapshot" header is a few KiB */
#define SKIP_DEPTH_MAX 4096     /* nesting of skipped values */
#define MAX_FIELDS 64           /* node/edge fields per row */

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

/* Records the first error (later ones are ignored); returns p->status. */
mc_snap_status mc_snap_fail(mc_snap_parser *p, mc_snap_status st, const char *fmt, ...);
/* The error for a failed accounted allocation: ENOMEM or ETOOLARGE. */
mc_snap_status mc_snap_fail_alloc(mc_snap_parser *p);

static inline int mc_snap_is_ws(unsigned c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* ---- snapshot_raw.c: a value skipped, or captured as the header ------------ */
void mc_snap_raw_start(mc_snap_parser *p);
/* Scans one value; returns bytes consumed, sets *done at its end. A scalar
 * ends at the first byte that cannot belong to it (not consumed). */
size_t mc_snap_raw_scan(mc_snap_parser *p, const unsigned char *b, size_t n, int *done);
/* Appends captured header bytes; 0 when over HEADER_MAX or out of memory. */
int mc_snap_hdr_append(mc_snap_parser *p, const unsigned char *b, size_t n);

/* ---- snapshot_header.c ------------------------------------------------------ */
/* Reads the captured header: node/edge field layout, type names, declared
 * counts, root index. */
mc_snap_status mc_snap_parse_header(mc_snap_parser *p);

/* ---- snapshot_ints.c -------------------------------------------------------- */
/* Starts "nodes" (nodes = 1) or "edges"; 0 when out of memory. */
int mc_snap_ints_begin(mc_snap_parser *p, int nodes);
/* Consumes integers of the array; sets *done after its closing ']'. */
size_t mc_snap_ints_run(mc_snap_parser *p, const unsigned char *b, size_t n, int *done);

/* ---- snapshot_strings.c ----------------------------------------------------- */
/* Starts "strings"; 0 when out of memory. */
int mc_snap_strs_begin(mc_snap_parser *p);
/* Consumes strings of the array; sets *done after its closing ']'. */
size_t mc_snap_strs_run(mc_snap_parser *p, const unsigned char *b, size_t n, int *done);

#endif
