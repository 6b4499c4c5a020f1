#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <unistd.h>

#include "core/snapshot.h"
#include "snapgen.h"

/* ---- helpers ------------------------------------------------------------- */

static mc_snap_status parse_chunks(const char *text, size_t len, size_t chunk, size_t max_bytes, mc_snap **out,
                                   char *msg, size_t msg_len) {
  mc_snap_parser *p = mc_snap_parser_new(max_bytes);
  assert_non_null(p);
  mc_snap_status st = MC_SNAP_OK;
  for (size_t i = 0; i < len && st == MC_SNAP_OK; i += chunk)
    st = mc_snap_parser_feed(p, text + i, len - i < chunk ? len - i : chunk);
  if (st == MC_SNAP_OK) st = mc_snap_parser_finish(p, out);
  else *out = NULL;
  if (msg) snprintf(msg, msg_len, "%s", mc_snap_parser_error(p));
  mc_snap_parser_free(p);
  return st;
}

static mc_snap *parse_ok(const char *text, size_t len) {
  mc_snap *s = NULL;
  char msg[256];
  mc_snap_status st = parse_chunks(text, len, len ? len : 1, 0, &s, msg, sizeof msg);
  if (st != MC_SNAP_OK) fail_msg("parse failed: %s: %s", mc_snap_status_code(st), msg);
  return s;
}

static mc_snap_status parse_status(const char *text) {
  mc_snap *s = NULL;
  mc_snap_status st = parse_chunks(text, strlen(text), strlen(text) ? strlen(text) : 1, 0, &s, NULL, 0);
  mc_snap_free(s);
  return st;
}

static const mc_snap_class *class_named(const mc_snap *s, const char *name) {
  for (uint32_t c = 0; c < mc_snap_class_count(s); c++)
    if (strcmp(mc_snap_classes(s)[c].name, name) == 0) return &mc_snap_classes(s)[c];
  return NULL;
}

/* A graph with every rule the dominator code has to get right:
 *   0 root (synthetic)  -element-> 1 A, 2 B; -shortcut-> 7 G ("global")
 *   A -> C, B -> C, C -> D, A -shortcut-> D (a shortcut off the root: ignored)
 *   A -weak-> E, E -> F       (E is only weakly held: a child of the root)
 *   G -> H, B -> H            (DevTools mode ignores B -> H: H is page-owned, B is not)
 *   H -> I, I -> J, J -> K    (a chain of class "Link": class retained counts I only)
 *   9 (code), 10 (string), 11 (hidden), 12 native with self size 0, 13 object with size 0 */
static const char *const g_strings[] = { "", "A", "B", "C", "D", "E", "F", "global", "H", "Link", "x", "p", "q",
                                         "Doc", "y\\n\\u00e9" };
static const sg_node g_nodes[] = {
  { NT_SYNTHETIC, 0, 1, 0 },  { NT_OBJECT, 1, 3, 10 },   { NT_OBJECT, 2, 5, 20 },  { NT_OBJECT, 3, 7, 30 },
  { NT_OBJECT, 4, 9, 40 },    { NT_OBJECT, 5, 11, 50 },  { NT_OBJECT, 6, 13, 60 }, { NT_OBJECT, 7, 15, 70 },
  { NT_OBJECT, 8, 17, 80 },   { NT_CODE, 10, 19, 90 },   { NT_STRING, 14, 21, 100 }, { NT_HIDDEN, 10, 23, 110 },
  { NT_NATIVE, 13, 25, 0 },   { NT_OBJECT, 10, 27, 0 },  { NT_OBJECT, 9, 29, 5 },  { NT_OBJECT, 9, 31, 6 },
  { NT_OBJECT, 9, 33, 7 },
};
enum { A = 1, B, C, D, E, F, G, H, CODE, STR, HID, NAT, ZERO, I1, I2, I3 };
static const sg_edge g_edges[] = {
  { 0, ET_ELEMENT, 1, A },        { 0, ET_ELEMENT, 2, B },       { 0, ET_SHORTCUT, 7, G },
  { 0, ET_ELEMENT, 3, CODE },     { 0, ET_ELEMENT, 4, STR },     { 0, ET_ELEMENT, 5, HID },
  { 0, ET_ELEMENT, 6, NAT },      { 0, ET_ELEMENT, 7, ZERO },
  { A, ET_PROPERTY, 11, C },      { A, ET_SHORTCUT, 12, D },     { A, ET_WEAK, 11, E },
  { B, ET_PROPERTY, 11, C },      { B, ET_INTERNAL, 12, H },
  { C, ET_HIDDEN, 0, D },
  { E, ET_CONTEXT, 11, F },
  { G, ET_PROPERTY, 8, H },
  { H, ET_PROPERTY, 9, I1 },      { I1, ET_PROPERTY, 9, I2 },    { I2, ET_PROPERTY, 9, I3 },
};
#define NN ((int)(sizeof g_nodes / sizeof g_nodes[0]))
#define NE ((int)(sizeof g_edges / sizeof g_edges[0]))
#define NS ((int)(sizeof g_strings / sizeof g_strings[0]))

static char *graph_text(int permuted, size_t *len) {
  return sg_write(g_nodes, NN, g_edges, NE, g_strings, NS, permuted, len);
}

/* ---- parsing --------------------------------------------------------------- */

static void test_parses_nodes_edges_and_strings(void **state) {
  (void)state;
  size_t len;
  char *text = graph_text(0, &len);
  mc_snap *s = parse_ok(text, len);
  assert_int_equal(mc_snap_node_count(s), NN);
  assert_int_equal(mc_snap_edge_count(s), NE);
  assert_int_equal(mc_snap_string_count(s), NS);
  uint64_t total = 0;
  for (int i = 0; i < NN; i++) total += g_nodes[i].self;
  assert_int_equal(mc_snap_total_size(s), total);
  size_t nlen;
  assert_string_equal(mc_snap_node_name(s, B, &nlen), "B");
  assert_int_equal(nlen, 1);
  assert_string_equal(mc_snap_node_type(s, CODE), "code");
  assert_int_equal(mc_snap_node_id(s, G), 15);
  assert_int_equal(mc_snap_node_self_size(s, H), 80);
  /* edges: node B's first edge goes to C with name "p" */
  uint32_t e = mc_snap_node_first_edge(s, B);
  char buf[16];
  assert_int_equal(mc_snap_edge_to(s, e), C);
  assert_string_equal(mc_snap_edge_name(s, e, buf, NULL), "p");
  assert_string_equal(mc_snap_edge_type(s, e), "property");
  assert_int_equal(mc_snap_edge_from(s, e), B);
  /* element and hidden edges carry an index, not a string */
  assert_string_equal(mc_snap_edge_name(s, 1, buf, NULL), "2");
  /* escapes in strings: "y\n\u00e9" */
  assert_string_equal(mc_snap_string(s, 14, &nlen), "y\n\xc3\xa9");
  assert_int_equal(nlen, 4);
  mc_snap_free(s);
  free(text);
}

static void compare_snapshots(const mc_snap *a, const mc_snap *b) {
  assert_int_equal(mc_snap_node_count(a), mc_snap_node_count(b));
  assert_int_equal(mc_snap_edge_count(a), mc_snap_edge_count(b));
  assert_int_equal(mc_snap_total_size(a), mc_snap_total_size(b));
  for (uint32_t i = 0; i < mc_snap_node_count(a); i++) {
    assert_int_equal(mc_snap_node_id(a, i), mc_snap_node_id(b, i));
    assert_string_equal(mc_snap_node_type(a, i), mc_snap_node_type(b, i));
    assert_string_equal(mc_snap_node_name(a, i, NULL), mc_snap_node_name(b, i, NULL));
    assert_int_equal(mc_snap_node_first_edge(a, i), mc_snap_node_first_edge(b, i));
    assert_int_equal(mc_snap_node_retained(a, i), mc_snap_node_retained(b, i));
  }
  for (uint32_t e = 0; e < mc_snap_edge_count(a); e++) {
    char b1[16], b2[16];
    assert_int_equal(mc_snap_edge_to(a, e), mc_snap_edge_to(b, e));
    assert_string_equal(mc_snap_edge_type(a, e), mc_snap_edge_type(b, e));
    assert_string_equal(mc_snap_edge_name(a, e, b1, NULL), mc_snap_edge_name(b, e, b2, NULL));
  }
  for (uint32_t i = 0; i < mc_snap_string_count(a); i++) {
    size_t l1, l2;
    const char *s1 = mc_snap_string(a, i, &l1), *s2 = mc_snap_string(b, i, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(s1, s2, l1);
  }
}

static void test_field_order_comes_from_meta(void **state) {
  (void)state;
  size_t l1, l2;
  char *t1 = graph_text(0, &l1), *t2 = graph_text(1, &l2);
  mc_snap *a = parse_ok(t1, l1), *b = parse_ok(t2, l2);
  assert_int_equal(mc_snap_compute_retained(a, MC_SNAP_DOM_DEVTOOLS), MC_SNAP_OK);
  assert_int_equal(mc_snap_compute_retained(b, MC_SNAP_DOM_DEVTOOLS), MC_SNAP_OK);
  compare_snapshots(a, b);
  mc_snap_free(a);
  mc_snap_free(b);
  free(t1);
  free(t2);
}

static void test_chunks_split_anywhere(void **state) {
  (void)state;
  size_t len;
  char *text = graph_text(0, &len);
  mc_snap *whole = parse_ok(text, len);
  assert_int_equal(mc_snap_compute_retained(whole, MC_SNAP_DOM_DEVTOOLS), MC_SNAP_OK);
  /* two chunks split at every offset */
  for (size_t cut = 0; cut <= len; cut++) {
    mc_snap_parser *p = mc_snap_parser_new(0);
    assert_int_equal(mc_snap_parser_feed(p, text, cut), MC_SNAP_OK);
    assert_int_equal(mc_snap_parser_feed(p, text + cut, len - cut), MC_SNAP_OK);
    mc_snap *s;
    assert_int_equal(mc_snap_parser_finish(p, &s), MC_SNAP_OK);
    assert_int_equal(mc_snap_compute_retained(s, MC_SNAP_DOM_DEVTOOLS), MC_SNAP_OK);
    compare_snapshots(whole, s);
    mc_snap_free(s);
    mc_snap_parser_free(p);
  }
  /* fixed chunk sizes, down to one byte at a time */
  for (size_t chunk = 1; chunk <= 13; chunk++) {
    mc_snap *s;
    assert_int_equal(parse_chunks(text, len, chunk, 0, &s, NULL, 0), MC_SNAP_OK);
    assert_int_equal(mc_snap_compute_retained(s, MC_SNAP_DOM_DEVTOOLS), MC_SNAP_OK);
    compare_snapshots(whole, s);
    mc_snap_free(s);
  }
  mc_snap_free(whole);
  free(text);
}

/* mc_snap_job_run: a file parsed whole (read flag and progress set, retained
 * sizes computed when asked), and each failure with its status and message. */
static void test_job_run(void **state) {
  (void)state;
  size_t len;
  char *text = graph_text(0, &len);
  char path[] = "/tmp/memctl-test-job-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, len), (ssize_t)len);
  close(fd);
  uint64_t progress = 0;
  uint32_t read_done = 0;
  mc_snap_job job = {.path = path, .retained = 1, .mode = MC_SNAP_DOM_DEVTOOLS,
                     .progress = &progress, .read_done = &read_done};
  mc_snap_parser *p = mc_snap_parser_new(0);
  assert_int_equal(mc_snap_job_run(p, &job), MC_SNAP_OK);
  assert_non_null(job.snap);
  assert_null(job.message);
  assert_int_equal(progress, len);
  assert_int_equal(read_done, 1);
  assert_true(mc_snap_has_retained(job.snap));
  mc_snap_free(job.snap);
  mc_snap_parser_free(p);
  /* fed already (a stream), without retained sizes */
  p = mc_snap_parser_new(0);
  assert_int_equal(mc_snap_parser_feed(p, text, len), MC_SNAP_OK);
  mc_snap_job fed = {.path = NULL, .retained = 0};
  assert_int_equal(mc_snap_job_run(p, &fed), MC_SNAP_OK);
  assert_false(mc_snap_has_retained(fed.snap));
  mc_snap_free(fed.snap);
  mc_snap_parser_free(p);
  /* a missing file: EIO with the errno; a truncated input: the parser's message */
  unlink(path);
  p = mc_snap_parser_new(0);
  assert_int_equal(mc_snap_job_run(p, &job), MC_SNAP_EIO);
  assert_null(job.snap);
  assert_int_equal(job.sys_errno, ENOENT);
  assert_string_equal(job.syscall, "open");
  mc_snap_parser_free(p);
  p = mc_snap_parser_new(0);
  assert_int_equal(mc_snap_parser_feed(p, text, len / 2), MC_SNAP_OK);
  assert_int_equal(mc_snap_job_run(p, &fed), MC_SNAP_ETRUNCATED);
  assert_null(fed.snap);
  assert_non_null(fed.message);
  assert_true(strlen(fed.message) > 0);
  mc_snap_parser_free(p);
  assert_true(strlen(mc_snap_retained_error(MC_SNAP_ECORRUPT)) > 0);
  assert_true(strlen(mc_snap_retained_error(MC_SNAP_ETOOLARGE)) > 0);
  free(text);
}

/* A file fed by mc_snap_parser_feed_file parses as the same text in memory;
 * open/read failures give MC_SNAP_EIO with errno and the syscall. */
static void test_feed_file(void **state) {
  (void)state;
  size_t len;
  char *text = graph_text(0, &len);
  mc_snap *whole = parse_ok(text, len);
  char path[] = "/tmp/memctl-test-snapshot-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, len), (ssize_t)len);
  close(fd);
  mc_snap_parser *p = mc_snap_parser_new(0);
  uint64_t progress = 0;
  int err = -1;
  const char *syscall = NULL;
  assert_int_equal(mc_snap_parser_feed_file(p, path, &progress, &err, &syscall), MC_SNAP_OK);
  assert_int_equal(err, 0);
  assert_int_equal(progress, len);
  mc_snap *s;
  assert_int_equal(mc_snap_parser_finish(p, &s), MC_SNAP_OK);
  compare_snapshots(whole, s);
  mc_snap_free(s);
  mc_snap_parser_free(p);
  unlink(path);
  p = mc_snap_parser_new(0);
  assert_int_equal(mc_snap_parser_feed_file(p, path, NULL, &err, &syscall), MC_SNAP_EIO);
  assert_int_equal(err, ENOENT);
  assert_string_equal(syscall, "open");
  mc_snap_parser_free(p);
  p = mc_snap_parser_new(0);
  assert_int_equal(mc_snap_parser_feed_file(p, "/tmp", NULL, &err, &syscall), MC_SNAP_EIO);
  assert_int_equal(err, EISDIR);
  assert_string_equal(syscall, "read");
  mc_snap_parser_free(p);
  /* a truncated file: the parser's status, no errno */
  memcpy(path + strlen(path) - 6, "XXXXXX", 6);
  fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "{\"snapshot\":[", 13), 13);
  close(fd);
  p = mc_snap_parser_new(0);
  assert_int_equal(mc_snap_parser_feed_file(p, path, NULL, &err, &syscall), MC_SNAP_OK);
  assert_int_equal(err, 0);
  assert_int_equal(mc_snap_parser_finish(p, &s), MC_SNAP_ETRUNCATED);
  mc_snap_parser_free(p);
  unlink(path);
  /* the parse fails on the first block of a file longer than the reader's
   * ring: the reader thread is stopped and joined (no hang, no leak) */
  memcpy(path + strlen(path) - 6, "XXXXXX", 6);
  fd = mkstemp(path);
  assert_true(fd >= 0);
  size_t big = (size_t)9 << 20;
  char *junk = malloc(big);
  assert_non_null(junk);
  memset(junk, '[', big);
  assert_int_equal(write(fd, junk, big), (ssize_t)big);
  close(fd);
  free(junk);
  p = mc_snap_parser_new(0);
  progress = 0;
  assert_int_equal(mc_snap_parser_feed_file(p, path, &progress, &err, &syscall), MC_SNAP_ENOTSNAPSHOT);
  assert_int_equal(err, 0);
  assert_true(progress > 0 && progress < big);
  mc_snap_parser_free(p);
  unlink(path);
  mc_snap_free(whole);
  free(text);
}

static void test_string_escapes_and_surrogates(void **state) {
  (void)state;
  static const char *const strs[] = {
    "plain", "q\\\"b\\\\s\\/", "\\b\\f\\n\\r\\t", "\\u0041\\u00e9\\u20ac", "\\ud83d\\ude00",
    "\\ud800", "\\udc00x", "\\ud800\\u0041", "\\ud800\\n", "", "\xc3\xa9 raw utf-8",
  };
  static const char *const want[] = {
    "plain", "q\"b\\s/", "\b\f\n\r\t", "A\xc3\xa9\xe2\x82\xac", "\xf0\x9f\x98\x80",
    "\xef\xbf\xbd", "\xef\xbf\xbdx", "\xef\xbf\xbd" "A", "\xef\xbf\xbd\n", "", "\xc3\xa9 raw utf-8",
  };
  sg_node nodes[] = { { NT_SYNTHETIC, 0, 1, 0 } };
  size_t len;
  char *text = sg_write(nodes, 1, NULL, 0, strs, 11, 0, &len);
  for (size_t chunk = 1; chunk <= len; chunk += (chunk < 8 ? 1 : 37)) {
    mc_snap *s;
    assert_int_equal(parse_chunks(text, len, chunk, 0, &s, NULL, 0), MC_SNAP_OK);
    assert_int_equal(mc_snap_string_count(s), 11);
    for (int i = 0; i < 11; i++) {
      size_t l;
      const char *got = mc_snap_string(s, (uint32_t)i, &l);
      assert_int_equal(l, strlen(want[i]));
      assert_memory_equal(got, want[i], l);
    }
    mc_snap_free(s);
  }
  free(text);
}

/* Numbers of every length, whole (the 8-byte path) and byte by byte. */
static void test_numbers_of_every_length(void **state) {
  (void)state;
  static const char *const strs[] = { "" };
  sg_node nodes[40];
  uint64_t self = 0;
  int n = 0;
  for (int digits = 1; digits <= 16; digits++) {
    self = self * 10 + (uint64_t)(digits % 10);
    uint64_t p10 = 1;
    for (int k = 1; k < digits; k++) p10 *= 10;
    nodes[n++] = (sg_node){ NT_OBJECT, 0, (uint32_t)(digits <= 9 ? p10 * 4 - 1 + (digits == 1) : 4294967295u - (uint32_t)digits), self };
    nodes[n++] = (sg_node){ NT_OBJECT, 0, (uint32_t)p10 % 4294967295u, p10 * 9 + (p10 - 1) };
  }
  nodes[0].type = NT_SYNTHETIC;
  size_t len;
  char *text = sg_write(nodes, n, NULL, 0, strs, 1, 0, &len);
  for (size_t chunk = 1; chunk <= len; chunk = chunk < 4 ? chunk + 1 : chunk * 3) {
    mc_snap *s;
    assert_int_equal(parse_chunks(text, len, chunk, 0, &s, NULL, 0), MC_SNAP_OK);
    for (int i = 0; i < n; i++) {
      assert_int_equal(mc_snap_node_id(s, (uint32_t)i), nodes[i].id);
      assert_int_equal(mc_snap_node_self_size(s, (uint32_t)i), nodes[i].self);
    }
    mc_snap_free(s);
  }
  free(text);
}

/* ---- classes and retained sizes ------------------------------------------------ */

static void test_class_histogram_follows_devtools(void **state) {
  (void)state;
  size_t len;
  char *text = graph_text(0, &len);
  mc_snap *s = parse_ok(text, len);
  const mc_snap_class *c;
  assert_non_null(c = class_named(s, "A"));
  assert_int_equal(c->count, 1);
  assert_int_equal(c->self_size, 10);
  assert_non_null(c = class_named(s, "(compiled code)"));
  assert_int_equal(c->self_size, 90);
  assert_non_null(c = class_named(s, "(string)"));
  assert_int_equal(c->count, 1);
  assert_non_null(c = class_named(s, "(system)"));
  assert_int_equal(c->self_size, 110);
  assert_non_null(c = class_named(s, "Doc"));   /* native with size 0 still counts */
  assert_int_equal(c->count, 1);
  assert_non_null(c = class_named(s, "x"));     /* the object of size 0 does not */
  assert_int_equal(c->count, 0);
  assert_non_null(c = class_named(s, "(synthetic)"));
  assert_int_equal(c->count, 0);
  assert_non_null(c = class_named(s, "Link"));
  assert_int_equal(c->count, 3);
  assert_int_equal(c->self_size, 18);
  /* sorted by self size: (system) 110 first, then (string) 100 */
  uint32_t idx[4];
  assert_int_equal(mc_snap_sorted_classes(s, 0, idx, 2), 2);
  assert_string_equal(mc_snap_classes(s)[idx[0]].name, "(system)");
  assert_string_equal(mc_snap_classes(s)[idx[1]].name, "(string)");
  mc_snap_free(s);
  free(text);
}

static void test_dominators_devtools_rules(void **state) {
  (void)state;
  size_t len;
  char *text = graph_text(0, &len);
  mc_snap *s = parse_ok(text, len);
  assert_int_equal(mc_snap_compute_retained(s, MC_SNAP_DOM_DEVTOOLS), MC_SNAP_OK);
  assert_int_equal(mc_snap_node_dominator(s, A), 0);
  assert_int_equal(mc_snap_node_dominator(s, C), 0);      /* two retainers */
  assert_int_equal(mc_snap_node_dominator(s, D), C);      /* A's shortcut to D does not count */
  assert_int_equal(mc_snap_node_dominator(s, E), 0);      /* only weakly held */
  assert_int_equal(mc_snap_node_dominator(s, F), E);
  assert_int_equal(mc_snap_node_dominator(s, H), G);      /* B -> H ignored: page-owned rule */
  assert_int_equal(mc_snap_node_dominator(s, I3), I2);
  assert_int_equal(mc_snap_node_retained(s, D), 40);
  assert_int_equal(mc_snap_node_retained(s, C), 70);
  assert_int_equal(mc_snap_node_retained(s, A), 10);
  assert_int_equal(mc_snap_node_retained(s, E), 110);
  assert_int_equal(mc_snap_node_retained(s, I1), 18);
  assert_int_equal(mc_snap_node_retained(s, H), 98);
  assert_int_equal(mc_snap_node_retained(s, G), 168);
  assert_int_equal(mc_snap_node_retained(s, 0), mc_snap_total_size(s));
  /* class retained: nested members of one class count once */
  assert_int_equal(class_named(s, "Link")->retained_size, 18);
  assert_int_equal(class_named(s, "global")->retained_size, 168);
  assert_int_equal(class_named(s, "H")->retained_size, 98);
  /* plain mode: B -> H counts, so H hangs off the root */
  assert_int_equal(mc_snap_compute_retained(s, MC_SNAP_DOM_PLAIN), MC_SNAP_OK);
  assert_int_equal(mc_snap_node_dominator(s, H), 0);
  assert_int_equal(mc_snap_node_retained(s, G), 70);
  assert_int_equal(mc_snap_node_retained(s, 0), mc_snap_total_size(s));
  mc_snap_free(s);
  free(text);
}

/* Random graphs, all reachable from the root: compare with the definition
 * (w is dominated by v iff w is unreachable from the root once v is gone). */
static uint32_t rng_state = 12345;
static uint32_t rnd(uint32_t n) {
  rng_state = rng_state * 1103515245u + 12345u;
  return (rng_state >> 8) % n;
}

static void reach(int n, const sg_edge *edges, int ne, int removed, char *seen) {
  int stack[64], top = 0;
  memset(seen, 0, (size_t)n);
  seen[0] = 1;
  stack[top++] = 0;
  while (top) {
    int u = stack[--top];
    for (int e = 0; e < ne; e++) {
      const sg_edge *x = &edges[e];
      if (x->from != u || x->type == ET_WEAK || (x->type == ET_SHORTCUT && u != 0)) continue;
      if (x->to == removed || seen[x->to]) continue;
      seen[x->to] = 1;
      stack[top++] = x->to;
    }
  }
}

static void test_dominators_match_definition_on_random_graphs(void **state) {
  (void)state;
  static const char *const strs[] = { "", "a", "b", "c" };
  for (int round = 0; round < 300; round++) {
    int n = 2 + (int)rnd(30);
    sg_node nodes[32];
    sg_edge edges[200];
    int ne = 0;
    for (int i = 0; i < n; i++) {
      nodes[i].type = i == 0 ? NT_SYNTHETIC : (int)rnd(2) ? NT_OBJECT : NT_ARRAY;
      nodes[i].name = rnd(4);
      nodes[i].id = (uint32_t)i * 2 + 1;
      nodes[i].self = i == 0 ? 0 : 1 + rnd(100);
    }
    /* a random tree keeps everything reachable; extra edges of every type */
    int parent[32];
    for (int i = 1; i < n; i++) parent[i] = (int)rnd((uint32_t)i);
    int extra = (int)rnd((uint32_t)(3 * n));
    for (int u = 0; u < n; u++) {
      for (int i = 1; i < n; i++)
        if (parent[i] == u) edges[ne++] = (sg_edge){ u, (int)rnd(2) ? ET_PROPERTY : ET_ELEMENT, 1, i };
      for (int k = 0; k < extra / n + 1 && ne < 200; k++) {
        static const int types[] = { ET_CONTEXT, ET_ELEMENT, ET_PROPERTY, ET_INTERNAL, ET_HIDDEN, ET_SHORTCUT, ET_WEAK };
        int t = types[rnd(7)];
        if (u == 0 && t == ET_SHORTCUT) t = ET_ELEMENT; /* no user roots: both modes agree */
        edges[ne++] = (sg_edge){ u, t, 2, (int)rnd((uint32_t)n) };
      }
    }
    size_t len;
    char *text = sg_write(nodes, n, edges, ne, strs, 4, (int)rnd(2), &len);
    mc_snap *s = parse_ok(text, len);
    assert_int_equal(mc_snap_compute_retained(s, (mc_snap_dom_mode)rnd(2)), MC_SNAP_OK);
    char seen[32];
    for (int v = 0; v < n; v++) {
      uint64_t want = nodes[v].self;
      reach(n, edges, ne, v, seen);
      for (int w = 0; w < n; w++)
        if (w != v && !seen[w] && v != 0) want += nodes[w].self;
      if (v == 0) want = mc_snap_total_size(s);
      if (mc_snap_node_retained(s, (uint32_t)v) != want) {
        fprintf(stderr, "round %d node %d: got %llu want %llu (dom %u)\n%.*s\n", round, v,
                (unsigned long long)mc_snap_node_retained(s, (uint32_t)v), (unsigned long long)want,
                mc_snap_node_dominator(s, (uint32_t)v), (int)len, text);
        for (int w = 0; w < n; w++) fprintf(stderr, "dom(%d)=%u ", w, mc_snap_node_dominator(s, (uint32_t)w));
      }
      assert_int_equal(mc_snap_node_retained(s, (uint32_t)v), want);
    }
    mc_snap_free(s);
    free(text);
  }
}

/* ---- diff and leaks ------------------------------------------------------------ */

/* The text of a snapshot with a root and n objects (ids, names 1 = Foo,
 * 2 = Bar, self size 8 * name), each a property 'leak' of the root. */
static char *small_text(const uint32_t *ids, const uint32_t *names, int n, size_t *len) {
  static const char *const strs[] = { "", "Foo", "Bar", "leak" };
  sg_node nodes[16];
  sg_edge edges[16];
  nodes[0] = (sg_node){ NT_SYNTHETIC, 0, 1, 0 };
  for (int i = 1; i <= n; i++) {
    nodes[i] = (sg_node){ NT_OBJECT, names[i - 1], ids[i - 1], 8u * names[i - 1] };
    edges[i - 1] = (sg_edge){ 0, ET_PROPERTY, 3, i };
  }
  return sg_write(nodes, n + 1, edges, n, strs, 4, 0, len);
}

static mc_snap *small_snapshot(const uint32_t *ids, const uint32_t *names, int n) {
  size_t len;
  char *text = small_text(ids, names, n, &len);
  mc_snap *s = parse_ok(text, len);
  free(text);
  return s;
}

static void test_diff_by_node_id(void **state) {
  (void)state;
  const uint32_t ia[] = { 3, 5, 7, 9 }, na[] = { 1, 1, 2, 2 };
  const uint32_t ib[] = { 5, 9, 11, 13, 15 }, nb[] = { 1, 2, 1, 1, 2 };
  mc_snap *a = small_snapshot(ia, na, 4), *b = small_snapshot(ib, nb, 5);
  mc_snap_diff d;
  assert_int_equal(mc_snap_diff_compute(a, b, &d), MC_SNAP_OK);
  assert_int_equal(d.before_nodes, 4);
  assert_int_equal(d.after_nodes, 5);
  assert_int_equal(d.before_size, 8 + 8 + 16 + 16);
  assert_int_equal(d.after_size, 8 + 16 + 8 + 8 + 16);
  assert_int_equal(d.freed, 2);      /* ids 3 (Foo), 7 (Bar) */
  assert_int_equal(d.allocated, 3);  /* 11, 13 (Foo), 15 (Bar) */
  assert_int_equal(d.item_count, 2);
  /* Foo: +2 -1 -> +8 bytes; Bar: +1 -1 -> 0; sorted by |size| */
  assert_string_equal(d.items[0].name, "Foo");
  assert_int_equal(d.items[0].added, 2);
  assert_int_equal(d.items[0].removed, 1);
  assert_int_equal(d.items[0].size_delta, 8);
  assert_string_equal(d.items[1].name, "Bar");
  assert_int_equal(d.items[1].size_delta, 0);
  mc_snap_diff_free(&d);
  mc_snap_free(a);
  mc_snap_free(b);
}

static void test_leaks_from_three_snapshots(void **state) {
  (void)state;
  const uint32_t i0[] = { 3, 5 }, n0[] = { 1, 1 };
  const uint32_t i1[] = { 3, 5, 7, 9, 11 }, n1[] = { 1, 1, 2, 2, 1 };
  const uint32_t i2[] = { 3, 7, 9, 13 }, n2[] = { 1, 2, 2, 1 };
  mc_snap *s0 = small_snapshot(i0, n0, 2), *s1 = small_snapshot(i1, n1, 5), *s2 = small_snapshot(i2, n2, 4);
  mc_snap_leaks l;
  assert_int_equal(mc_snap_leaks_compute(s0, s1, s2, &l), MC_SNAP_OK);
  /* 7 and 9 (Bar): new since the baseline, seen in target, alive in final.
   * 11 was freed, 13 is newer than the target. */
  assert_int_equal(l.count, 1);
  const mc_snap_class *c = &mc_snap_classes(s2)[l.items[0].cls];
  assert_string_equal(c->name, "Bar");
  assert_int_equal(l.items[0].count, 2);
  assert_int_equal(l.items[0].self_size, 32);
  assert_int_equal(l.items[0].retained_size, 32);
  uint32_t path[4];
  mc_snap_status st;
  assert_int_equal(mc_snap_path_to(s2, l.items[0].sample, path, 4, &st), 1);
  assert_int_equal(st, MC_SNAP_OK);
  assert_int_equal(mc_snap_edge_to(s2, path[0]), l.items[0].sample);
  assert_int_equal(mc_snap_edge_from(s2, path[0]), 0);
  assert_int_equal(mc_snap_path_to(s2, 0, path, 4, &st), 0);
  mc_snap_leaks_free(&l);
  mc_snap_free(s0);
  mc_snap_free(s1);
  mc_snap_free(s2);
}

/* Random id sets against set arithmetic: diff counts and leak groups. */
static mc_snap *random_ids_snapshot(const uint8_t *present, const uint8_t *cls, int universe, int *count) {
  static const char *const strs[] = { "", "Foo", "Bar", "Baz", "p" };
  sg_node nodes[64];
  sg_edge edges[64];
  int n = 1;
  nodes[0] = (sg_node){ NT_SYNTHETIC, 0, 1, 0 };
  for (int id = 0; id < universe; id++) {
    if (!present[id]) continue;
    nodes[n] = (sg_node){ NT_OBJECT, 1u + cls[id], 3u + 2u * (uint32_t)id, 1u + cls[id] };
    edges[n - 1] = (sg_edge){ 0, ET_PROPERTY, 4, n };
    n++;
  }
  size_t len;
  char *text = sg_write(nodes, n, edges, n - 1, strs, 5, 0, &len);
  mc_snap *s = parse_ok(text, len);
  free(text);
  *count = n - 1;
  return s;
}

static void test_diff_and_leaks_match_set_arithmetic(void **state) {
  (void)state;
  enum { U = 60 };
  for (int round = 0; round < 200; round++) {
    uint8_t in[3][U], cls[U];
    for (int id = 0; id < U; id++) {
      cls[id] = (uint8_t)rnd(3);
      for (int k = 0; k < 3; k++) in[k][id] = (uint8_t)rnd(2);
    }
    int cnt[3];
    mc_snap *s[3];
    for (int k = 0; k < 3; k++) s[k] = random_ids_snapshot(in[k], cls, U, &cnt[k]);
    /* diff of 0 -> 1 */
    uint32_t added[3] = { 0 }, removed[3] = { 0 }, freed = 0, allocated = 0;
    uint32_t leaked[3] = { 0 };
    for (int id = 0; id < U; id++) {
      if (in[1][id] && !in[0][id]) { added[cls[id]]++; allocated++; }
      if (in[0][id] && !in[1][id]) { removed[cls[id]]++; freed++; }
      if (!in[0][id] && in[1][id] && in[2][id]) leaked[cls[id]]++;
    }
    mc_snap_diff d;
    assert_int_equal(mc_snap_diff_compute(s[0], s[1], &d), MC_SNAP_OK);
    assert_int_equal(d.allocated, allocated);
    assert_int_equal(d.freed, freed);
    assert_int_equal(d.before_nodes, cnt[0]);
    assert_int_equal(d.after_nodes, cnt[1]);
    static const char *const names[] = { "Foo", "Bar", "Baz" };
    uint32_t seen = 0;
    for (int c = 0; c < 3; c++) {
      if (!added[c] && !removed[c]) continue;
      seen++;
      int found = 0;
      for (uint32_t i = 0; i < d.item_count; i++) {
        if (strcmp(d.items[i].name, names[c]) != 0) continue;
        found = 1;
        assert_int_equal(d.items[i].added, added[c]);
        assert_int_equal(d.items[i].removed, removed[c]);
        assert_int_equal(d.items[i].size_delta, ((int64_t)added[c] - (int64_t)removed[c]) * (1 + c));
      }
      assert_true(found);
    }
    assert_int_equal(d.item_count, seen);
    mc_snap_diff_free(&d);
    mc_snap_leaks l;
    assert_int_equal(mc_snap_leaks_compute(s[0], s[1], s[2], &l), MC_SNAP_OK);
    uint32_t groups = 0;
    for (int c = 0; c < 3; c++) groups += leaked[c] > 0;
    assert_int_equal(l.count, groups);
    for (uint32_t i = 0; i < l.count; i++) {
      const char *name = mc_snap_classes(s[2])[l.items[i].cls].name;
      int c = name[2] == 'o' ? 0 : name[2] == 'r' ? 1 : 2;
      assert_int_equal(l.items[i].count, leaked[c]);
      assert_int_equal(l.items[i].self_size, (uint64_t)leaked[c] * (1 + (uint64_t)c));
      assert_int_equal(l.items[i].retained_size, l.items[i].self_size);
    }
    mc_snap_leaks_free(&l);
    for (int k = 0; k < 3; k++) mc_snap_free(s[k]);
  }
}

/* ---- bad input ------------------------------------------------------------------ */

#define META "{\"snapshot\":{\"meta\":{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\"]," \
  "\"node_types\":[[\"synthetic\",\"object\"],\"string\",\"number\",\"number\",\"number\"]," \
  "\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\"edge_types\":[[\"element\",\"property\",\"weak\"],\"string_or_number\",\"node\"]}"
#define OKDOC META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}"

static void test_bad_inputs_have_codes(void **state) {
  (void)state;
  static const struct { const char *text; mc_snap_status want; } cases[] = {
    { OKDOC, MC_SNAP_OK },
    { "", MC_SNAP_ENOTSNAPSHOT },
    { "hello", MC_SNAP_ENOTSNAPSHOT },
    { "[1,2,3]", MC_SNAP_ENOTSNAPSHOT },
    { "{}", MC_SNAP_ENOTSNAPSHOT },
    { "{\"a\":1}", MC_SNAP_ENOTSNAPSHOT },
    { "{\"snapshot\":{}}", MC_SNAP_ENOTSNAPSHOT },
    { "{\"snapshot\":5,\"nodes\":[]}", MC_SNAP_ENOTSNAPSHOT },
    { "{\"nodes\":[0]}", MC_SNAP_ENOTSNAPSHOT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5]}", MC_SNAP_ENOTSNAPSHOT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":{},\"edges\":[1,1,5],\"strings\":[]}", MC_SNAP_ENOTSNAPSHOT },
    /* meta */
    { "{\"snapshot\":{\"meta\":{\"node_fields\":[\"type\",\"name\",\"id\",\"edge_count\"],\"node_types\":[[\"object\"]],"
      "\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\"edge_types\":[[\"weak\"]]}},\"nodes\":[],\"edges\":[],\"strings\":[]}",
      MC_SNAP_EBADMETA },
    { "{\"snapshot\":{\"meta\":{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\"],\"node_types\":[\"x\"],"
      "\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\"edge_types\":[[\"weak\"]]}},\"nodes\":[],\"edges\":[],\"strings\":[]}",
      MC_SNAP_EBADMETA },
    { "{\"snapshot\":{\"meta\":{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\"],\"node_types\":[[1]],"
      "\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\"edge_types\":[[\"weak\"]]}},\"nodes\":[],\"edges\":[],\"strings\":[]}",
      MC_SNAP_EBADMETA },
    { "{\"snapshot\":{\"meta\":{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\"],\"node_types\":[[\"object\"]],"
      "\"edge_fields\":[\"type\",\"to_node\"],\"edge_types\":[[\"weak\"]]}},\"nodes\":[],\"edges\":[],\"strings\":[]}",
      MC_SNAP_EBADMETA },
    { "{\"snapshot\":{\"meta\":[1]}}", MC_SNAP_ENOTSNAPSHOT },
    { "{\"snapshot\":{\"meta\":{,}}}", MC_SNAP_ECORRUPT },
    /* indexes and counts */
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,4],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,10],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":3,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":1,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":2,\"edge_count\":2},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,2,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,2,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,2,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,2,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[3,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,4294967296,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,99999999999999999,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":0,\"edge_count\":0},\"nodes\":[],\"edges\":[],\"strings\":[]}", MC_SNAP_EBADINDEX },
    /* JSON syntax */
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,-3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3.5,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3 3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0,],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,03,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"F\\xo\"]}", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"F\\u00zz\"]}", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"F\no\"]}", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\" \"Foo\"]}", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}x", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"nodes\":[],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1},\"x\":[1,2}],\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_ECORRUPT },
    { META ",\"node_count\":2,\"edge_count\":1} \"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_ECORRUPT },
    /* skipped sections of any shape are fine */
    { META ",\"node_count\":2,\"edge_count\":1},\"samples\":[{\"a\":[\"]\",null,true,-1.5e3]}],\"x\":\"}\",\"y\":false,"
      "\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_OK },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mc_snap_status got = parse_status(cases[i].text);
    if (got != cases[i].want)
      fail_msg("case %zu: got %s, want %s", i, mc_snap_status_code(got), mc_snap_status_code(cases[i].want));
  }
}

/* More rows than the header declares: caught while streaming, and named. */
static void test_rows_past_the_declared_count_are_named(void **state) {
  (void)state;
  static const struct { const char *text; const char *msg; } cases[] = {
    { META ",\"node_count\":1,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}",
      "more nodes than snapshot.node_count (1)" },
    { META ",\"node_count\":2,\"edge_count\":0},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}",
      "more edges than snapshot.edge_count (0)" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mc_snap *s = NULL;
    char msg[256];
    const char *text = cases[i].text;
    assert_int_equal(parse_chunks(text, strlen(text), 7, 0, &s, msg, sizeof msg), MC_SNAP_EBADINDEX);
    assert_null(s);
    assert_string_equal(msg, cases[i].msg);
  }
}

static void test_every_truncation_is_reported(void **state) {
  (void)state;
  size_t len;
  char *text = graph_text(0, &len);
  for (size_t cut = 0; cut < len; cut++) {
    mc_snap *s = NULL;
    mc_snap_status st = parse_chunks(text, cut, cut ? cut : 1, 0, &s, NULL, 0);
    if (cut == 0) assert_int_equal(st, MC_SNAP_ENOTSNAPSHOT);
    else if (st != MC_SNAP_ETRUNCATED) fail_msg("cut at %zu: %s", cut, mc_snap_status_code(st));
    assert_null(s);
  }
  free(text);
}

static void test_memory_cap_and_failed_parser(void **state) {
  (void)state;
  size_t len;
  char *text = graph_text(0, &len);
  mc_snap *s;
  assert_int_equal(parse_chunks(text, len, len, 200, &s, NULL, 0), MC_SNAP_ETOOLARGE);
  /* a failed parser keeps its status */
  mc_snap_parser *p = mc_snap_parser_new(0);
  assert_int_equal(mc_snap_parser_feed(p, "nope", 4), MC_SNAP_ENOTSNAPSHOT);
  assert_int_equal(mc_snap_parser_feed(p, text, len), MC_SNAP_ENOTSNAPSHOT);
  assert_int_equal(mc_snap_parser_finish(p, &s), MC_SNAP_ENOTSNAPSHOT);
  assert_true(strlen(mc_snap_parser_error(p)) > 0);
  mc_snap_parser_free(p);
  /* a finished parser refuses more input */
  p = mc_snap_parser_new(0);
  assert_int_equal(mc_snap_parser_feed(p, text, len), MC_SNAP_OK);
  assert_int_equal(mc_snap_parser_finish(p, &s), MC_SNAP_OK);
  assert_int_equal(mc_snap_parser_feed(p, " ", 1), MC_SNAP_EINVAL);
  mc_snap_parser_free(p);
  mc_snap_free(s);
  free(text);
}


/* ---- nodes-only mode -------------------------------------------------------------- */

static mc_snap_status parse_nodes_only(const char *text, size_t len, size_t chunk, mc_snap **out) {
  mc_snap_parser *p = mc_snap_parser_new(0);
  assert_non_null(p);
  mc_snap_status st = mc_snap_parser_nodes_only(p);
  for (size_t i = 0; i < len && st == MC_SNAP_OK; i += chunk)
    st = mc_snap_parser_feed(p, text + i, len - i < chunk ? len - i : chunk);
  if (st == MC_SNAP_OK) st = mc_snap_parser_finish(p, out);
  else *out = NULL;
  mc_snap_parser_free(p);
  return st;
}

/* Same nodes, counts, classes and diffs as a full parse, in any chunking and
 * field order; no edge columns, so the analyses that follow edges refuse. */
static void test_nodes_only_parse_matches_full_parse(void **state) {
  (void)state;
  for (int permuted = 0; permuted < 2; permuted++) {
    size_t len;
    char *text = graph_text(permuted, &len);
    mc_snap *full = parse_ok(text, len);
    const size_t chunks[] = { 1, 3, 64, len };
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
      mc_snap *s = NULL;
      assert_int_equal(parse_nodes_only(text, len, chunks[k], &s), MC_SNAP_OK);
      assert_true(mc_snap_is_nodes_only(s));
      assert_false(mc_snap_is_nodes_only(full));
      assert_int_equal(mc_snap_node_count(s), NN);
      assert_int_equal(mc_snap_edge_count(s), NE);
      assert_int_equal(mc_snap_total_size(s), mc_snap_total_size(full));
      assert_true(mc_snap_memory(s) < mc_snap_memory(full));
      for (uint32_t i = 0; i < NN; i++) {
        assert_int_equal(mc_snap_node_id(s, i), mc_snap_node_id(full, i));
        assert_string_equal(mc_snap_node_type(s, i), mc_snap_node_type(full, i));
        assert_string_equal(mc_snap_node_name(s, i, NULL), mc_snap_node_name(full, i, NULL));
        assert_int_equal(mc_snap_node_self_size(s, i), mc_snap_node_self_size(full, i));
        assert_int_equal(mc_snap_node_first_edge(s, i), mc_snap_node_first_edge(full, i));
        assert_string_equal(mc_snap_classes(s)[mc_snap_node_class(s, i)].name,
                            mc_snap_classes(full)[mc_snap_node_class(full, i)].name);
      }
      assert_int_equal(mc_snap_class_count(s), mc_snap_class_count(full));
      for (uint32_t c = 0; c < mc_snap_class_count(s); c++) {
        const mc_snap_class *a = &mc_snap_classes(s)[c], *b = class_named(full, a->name);
        assert_non_null(b);
        assert_int_equal(a->count, b->count);
        assert_int_equal(a->self_size, b->self_size);
      }
      assert_int_equal(mc_snap_compute_retained(s, MC_SNAP_DOM_DEVTOOLS), MC_SNAP_EINVAL);
      assert_false(mc_snap_has_retained(s));
      mc_snap_status st = MC_SNAP_OK;
      assert_int_equal(mc_snap_path_to(s, C, NULL, 0, &st), 0);
      assert_int_equal(st, MC_SNAP_EINVAL);
      mc_snap_leaks l;
      assert_int_equal(mc_snap_leaks_compute(full, full, s, &l), MC_SNAP_EINVAL);
      mc_snap_free(s);
    }
    mc_snap_free(full);
    free(text);
  }
  /* the diff of two nodes-only parses equals the diff of two full ones */
  const uint32_t ia[] = { 3, 5, 7, 9 }, na[] = { 1, 1, 2, 2 };
  const uint32_t ib[] = { 5, 9, 11, 13, 15 }, nb[] = { 1, 2, 1, 1, 2 };
  mc_snap *full[2], *lite[2];
  for (int k = 0; k < 2; k++) {
    size_t len;
    char *text = k ? small_text(ib, nb, 5, &len) : small_text(ia, na, 4, &len);
    full[k] = parse_ok(text, len);
    assert_int_equal(parse_nodes_only(text, len, 5, &lite[k]), MC_SNAP_OK);
    free(text);
  }
  mc_snap_diff d1, d2;
  assert_int_equal(mc_snap_diff_compute(full[0], full[1], &d1), MC_SNAP_OK);
  assert_int_equal(mc_snap_diff_compute(lite[0], lite[1], &d2), MC_SNAP_OK);
  assert_int_equal(d1.before_nodes, d2.before_nodes);
  assert_int_equal(d1.after_nodes, d2.after_nodes);
  assert_int_equal(d1.before_size, d2.before_size);
  assert_int_equal(d1.after_size, d2.after_size);
  assert_int_equal(d1.allocated, d2.allocated);
  assert_int_equal(d1.freed, d2.freed);
  assert_int_equal(d1.item_count, d2.item_count);
  assert_int_equal(d1.item_count, 2);
  for (uint32_t i = 0; i < d1.item_count; i++) {
    assert_string_equal(d1.items[i].name, d2.items[i].name);
    assert_int_equal(d1.items[i].added, d2.items[i].added);
    assert_int_equal(d1.items[i].removed, d2.items[i].removed);
    assert_int_equal(d1.items[i].size_delta, d2.items[i].size_delta);
  }
  mc_snap_diff_free(&d1);
  mc_snap_diff_free(&d2);
  for (int k = 0; k < 2; k++) { mc_snap_free(full[k]); mc_snap_free(lite[k]); }
}

/* The edges that are not stored are still checked. */
static void test_nodes_only_still_checks_edges(void **state) {
  (void)state;
  static const struct { const char *text; mc_snap_status want; } cases[] = {
    { OKDOC, MC_SNAP_OK },
    /* to_node past the last node */
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,10],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    /* to_node not a multiple of the node field count */
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,4],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    /* a property edge's name past the strings */
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,2,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    /* an element edge's index is not a string index */
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[0,9,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_OK },
    /* an edge type past meta.edge_types */
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[3,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    /* more edges than declared; fewer edges than the nodes' edge counts */
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,5,1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    { META ",\"node_count\":2},\"nodes\":[0,0,1,0,2,1,1,3,8,0],\"edges\":[1,1,5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_EBADINDEX },
    /* syntax inside edges */
    { META ",\"node_count\":2,\"edge_count\":1},\"nodes\":[0,0,1,0,1,1,1,3,8,0],\"edges\":[1,1,-5],\"strings\":[\"\",\"Foo\"]}", MC_SNAP_ECORRUPT },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (size_t chunk = 1; chunk <= strlen(cases[i].text); chunk += strlen(cases[i].text) - 1) {
      mc_snap *s = NULL;
      mc_snap_status st = parse_nodes_only(cases[i].text, strlen(cases[i].text), chunk, &s);
      if (st != cases[i].want) fail_msg("case %zu, chunk %zu: %s, want %s", i, chunk, mc_snap_status_code(st), mc_snap_status_code(cases[i].want));
      /* the full parse agrees */
      assert_int_equal(parse_status(cases[i].text), cases[i].want);
      mc_snap_free(s);
    }
  }
  /* the mode is set before the first chunk only */
  mc_snap_parser *p = mc_snap_parser_new(0);
  assert_int_equal(mc_snap_parser_feed(p, "{", 1), MC_SNAP_OK);
  assert_int_equal(mc_snap_parser_nodes_only(p), MC_SNAP_EINVAL);
  mc_snap_parser_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parses_nodes_edges_and_strings),
    cmocka_unit_test(test_field_order_comes_from_meta),
    cmocka_unit_test(test_chunks_split_anywhere),
    cmocka_unit_test(test_feed_file),
    cmocka_unit_test(test_job_run),
    cmocka_unit_test(test_string_escapes_and_surrogates),
    cmocka_unit_test(test_numbers_of_every_length),
    cmocka_unit_test(test_class_histogram_follows_devtools),
    cmocka_unit_test(test_dominators_devtools_rules),
    cmocka_unit_test(test_dominators_match_definition_on_random_graphs),
    cmocka_unit_test(test_diff_by_node_id),
    cmocka_unit_test(test_leaks_from_three_snapshots),
    cmocka_unit_test(test_diff_and_leaks_match_set_arithmetic),
    cmocka_unit_test(test_bad_inputs_have_codes),
    cmocka_unit_test(test_rows_past_the_declared_count_are_named),
    cmocka_unit_test(test_every_truncation_is_reported),
    cmocka_unit_test(test_memory_cap_and_failed_parser),
    cmocka_unit_test(test_nodes_only_parse_matches_full_parse),
    cmocka_unit_test(test_nodes_only_still_checks_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
