/* Writes small .heapsnapshot documents for the tests and the fuzz seeds. */
#ifndef MEMCTL_TEST_SNAPGEN_H
#define MEMCTL_TEST_SNAPGEN_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* node types and edge types in V8's order */
enum { NT_HIDDEN, NT_ARRAY, NT_STRING, NT_OBJECT, NT_CODE, NT_CLOSURE, NT_REGEXP, NT_NUMBER,
       NT_NATIVE, NT_SYNTHETIC, NT_CONS, NT_SLICED, NT_SYMBOL, NT_BIGINT, NT_SHAPE, NT_COUNT };
enum { ET_CONTEXT, ET_ELEMENT, ET_PROPERTY, ET_INTERNAL, ET_HIDDEN, ET_SHORTCUT, ET_WEAK, ET_COUNT };

static const char *const sg_ntypes[NT_COUNT] = {
  "hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native",
  "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape" };
static const char *const sg_etypes[ET_COUNT] = {
  "context", "element", "property", "internal", "hidden", "shortcut", "weak" };

typedef struct { int type; uint32_t name; uint32_t id; uint64_t self; } sg_node;
typedef struct { int from; int type; uint32_t name; int to; } sg_edge; /* grouped by from, ascending */

typedef struct { char *buf; size_t len, cap; } sg_buf;

static void sg_printf(sg_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (b->len + (size_t)n + 1 > b->cap) {
    b->cap = (b->len + (size_t)n + 1) * 2;
    b->buf = realloc(b->buf, b->cap);
  }
  va_start(ap, fmt);
  vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* permuted = 0: V8's field order. permuted = 1: other field orders, extra
 * fields and reversed type lists (the same graph). strings are written raw
 * (callers pass JSON-escaped text). */
static char *sg_write(const sg_node *nodes, int nn, const sg_edge *edges, int ne,
                      const char *const *strings, int ns, int permuted, size_t *len) {
  sg_buf b = { 0 };
  int nf = permuted ? 8 : 7;
  sg_printf(&b, "{\"snapshot\":{\"meta\":{");
  if (!permuted) {
    sg_printf(&b, "\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\",\"trace_node_id\",\"detachedness\"],");
    sg_printf(&b, "\"node_types\":[[");
    for (int t = 0; t < NT_COUNT; t++) sg_printf(&b, "%s\"%s\"", t ? "," : "", sg_ntypes[t]);
    sg_printf(&b, "],\"string\",\"number\",\"number\",\"number\",\"number\",\"number\"],");
    sg_printf(&b, "\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\"edge_types\":[[");
    for (int t = 0; t < ET_COUNT; t++) sg_printf(&b, "%s\"%s\"", t ? "," : "", sg_etypes[t]);
    sg_printf(&b, "],\"string_or_number\",\"node\"],");
  } else {
    sg_printf(&b, "\"node_fields\":[\"id\",\"trace_node_id\",\"edge_count\",\"self_size\",\"extra\",\"name\",\"type\",\"detachedness\"],");
    sg_printf(&b, "\"node_types\":[\"number\",\"number\",\"number\",\"number\",\"number\",\"string\",[");
    for (int t = NT_COUNT - 1; t >= 0; t--) sg_printf(&b, "%s\"%s\"", t != NT_COUNT - 1 ? "," : "", sg_ntypes[t]);
    sg_printf(&b, "],\"number\"],");
    sg_printf(&b, "\"edge_fields\":[\"to_node\",\"type\",\"name_or_index\"],\"edge_types\":[\"node\",[");
    for (int t = ET_COUNT - 1; t >= 0; t--) sg_printf(&b, "%s\"%s\"", t != ET_COUNT - 1 ? "," : "", sg_etypes[t]);
    sg_printf(&b, "],\"string_or_number\"],");
  }
  sg_printf(&b, "\"trace_function_info_fields\":[\"function_id\",\"name\"],\"location_fields\":[\"object_index\",\"script_id\"]},");
  sg_printf(&b, "\"node_count\":%d,\"edge_count\":%d,\"trace_function_count\":0},\n\"nodes\":[", nn, ne);
  for (int i = 0; i < nn; i++) {
    int ec = 0;
    for (int e = 0; e < ne; e++) ec += edges[e].from == i;
    const sg_node *n = &nodes[i];
    if (!permuted)
      sg_printf(&b, "%s%d,%u,%u,%llu,%d,0,0\n", i ? "," : "", n->type, n->name, n->id, (unsigned long long)n->self, ec);
    else
      sg_printf(&b, "%s%u,0,%d,%llu,7,%u,%d,0\n", i ? "," : "", n->id, ec, (unsigned long long)n->self, n->name,
                NT_COUNT - 1 - n->type);
  }
  sg_printf(&b, "],\n\"edges\":[");
  for (int e = 0; e < ne; e++) {
    const sg_edge *x = &edges[e];
    if (!permuted)
      sg_printf(&b, "%s%d,%u,%d\n", e ? "," : "", x->type, x->name, x->to * nf);
    else
      sg_printf(&b, "%s%d,%d,%u\n", e ? "," : "", x->to * nf, ET_COUNT - 1 - x->type, x->name);
  }
  sg_printf(&b, "],\n\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[{\"x\":[1,{\"y\":\"]}\"}]}],\n\"strings\":[");
  for (int i = 0; i < ns; i++) sg_printf(&b, "%s\"%s\"\n", i ? "," : "", strings[i]);
  sg_printf(&b, "]}");
  *len = b.len;
  return b.buf;
}

#endif
