/* Graph analyses over a parsed snapshot: dominators and retained sizes (as
 * DevTools computes them), class retained sizes, diff by node id, leak
 * candidates and retainer paths. See the notes in snapshot.h. */
#include "core/snapshot_internal.h"

#include <stdlib.h>
#include <string.h>

#define ROOT_MARK (UINT32_MAX - 1) /* bfs_edge of the root */

static mc_snap_status acct_status(const mc_snap_acct *a) {
  return a->failed == 2 ? MC_SNAP_ENOMEM : MC_SNAP_ETOOLARGE;
}

/* ---- stable merge sort of uint32 indexes with a context comparator -------- */

typedef int (*cmp_fn)(const void *ctx, uint32_t a, uint32_t b);

static void msort_rec(uint32_t *a, uint32_t *tmp, size_t n, cmp_fn cmp, const void *ctx) {
  if (n < 2) return;
  size_t h = n / 2;
  msort_rec(a, tmp, h, cmp, ctx);
  msort_rec(a + h, tmp, n - h, cmp, ctx);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = cmp(ctx, a[j], a[i]) < 0 ? a[j++] : a[i++];
  while (i < h) tmp[k++] = a[i++];
  while (j < n) tmp[k++] = a[j++];
  memcpy(a, tmp, n * sizeof *a);
}

static int msort(uint32_t *a, size_t n, cmp_fn cmp, const void *ctx) {
  uint32_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
  if (!tmp) return 0;
  msort_rec(a, tmp, n, cmp, ctx);
  free(tmp);
  return 1;
}

static int name_cmp(const char *a, uint32_t al, const char *b, uint32_t bl) {
  int c = memcmp(a, b, al < bl ? al : bl);
  return c ? c : (al < bl ? -1 : al > bl);
}

/* ---- LSD radix sort of (id << 32 | ordinal) keys by id --------------------- */

static int radix_by_id(uint64_t *keys, size_t n) {
  uint64_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
  if (!tmp) return 0;
  for (int shift = 32; shift < 64; shift += 8) {
    size_t count[257] = { 0 };
    for (size_t i = 0; i < n; i++) count[((keys[i] >> shift) & 0xFF) + 1]++;
    for (int b = 0; b < 256; b++) count[b + 1] += count[b];
    for (size_t i = 0; i < n; i++) tmp[count[(keys[i] >> shift) & 0xFF]++] = keys[i];
    memcpy(keys, tmp, n * sizeof *keys);
  }
  free(tmp);
  return 1;
}

/* Keys of the nodes that pass `want` (or all), sorted by id. */
static uint64_t *sorted_ids(const mc_snap *s, int counted_only, size_t *out_n) {
  uint64_t *k = malloc(((size_t)s->node_count ? s->node_count : 1) * sizeof *k);
  if (!k) return NULL;
  size_t c = 0;
  for (uint32_t i = 0; i < s->node_count; i++)
    if (!counted_only || mc_snap_node_counted(s, i)) k[c++] = ((uint64_t)s->nid[i] << 32) | i;
  if (!radix_by_id(k, c)) { free(k); return NULL; }
  *out_n = c;
  return k;
}

/* ---- dominators ------------------------------------------------------------ */

typedef struct {
  mc_snap *s;
  uint8_t *flags;          /* page-owned flags (DEVTOOLS) or NULL */
  uint32_t *rfirst, *rsrc; /* essential retainers (CSR) */
  size_t rcount;
  uint32_t *post2ord, *ord2post;
} dom_work;

/* JSHeapSnapshot._markPageOwnedNodes: the root's shortcut children (the
 * global objects) and element children named "(Document DOM trees)", then
 * everything reachable from them over non-weak edges. */
static int mark_page_owned(dom_work *w) {
  mc_snap *s = w->s;
  uint32_t n = s->node_count;
  w->flags = mc_snap_acct_calloc(&s->acct, n);
  uint32_t *stack = mc_snap_acct_alloc(&s->acct, (size_t)n * 4);
  if (!w->flags || !stack) { mc_snap_acct_free(&s->acct, stack, (size_t)n * 4); return 0; }
  size_t top = 0;
  uint32_t r = s->root;
  for (uint32_t e = s->first_edge[r]; e < s->first_edge[r + 1]; e++) {
    int t = s->etype[e];
    uint32_t v = s->edge_to[e];
    if (t == s->e_element) {
      size_t len;
      const char *nm = mc_snap_node_name(s, v, &len);
      if (!((int)s->ntype[v] == s->t_synthetic && len == 20 && memcmp(nm, "(Document DOM trees)", 20) == 0)) continue;
    } else if (t != s->e_shortcut) {
      continue;
    }
    if (w->flags[v]) continue;
    w->flags[v] = 1;
    stack[top++] = v;
  }
  while (top) {
    uint32_t u = stack[--top];
    for (uint32_t e = s->first_edge[u]; e < s->first_edge[u + 1]; e++) {
      uint32_t v = s->edge_to[e];
      if (w->flags[v] || (int)s->etype[e] == s->e_weak) continue;
      w->flags[v] = 1;
      stack[top++] = v;
    }
  }
  mc_snap_acct_free(&s->acct, stack, (size_t)n * 4);
  return 1;
}

static int build_retainers(dom_work *w) {
  mc_snap *s = w->s;
  uint32_t n = s->node_count;
  w->rfirst = mc_snap_acct_calloc(&s->acct, ((size_t)n + 1) * 4);
  if (!w->rfirst) return 0;
  size_t total = 0;
  for (uint32_t u = 0; u < n; u++)
    for (uint32_t e = s->first_edge[u]; e < s->first_edge[u + 1]; e++)
      if (mc_snap_essential(s, u, s->etype[e])) { w->rfirst[s->edge_to[e] + 1]++; total++; }
  for (uint32_t v = 0; v < n; v++) w->rfirst[v + 1] += w->rfirst[v];
  w->rcount = total;
  w->rsrc = mc_snap_acct_alloc(&s->acct, total * 4);
  uint32_t *pos = mc_snap_acct_alloc(&s->acct, (size_t)n * 4);
  if (!w->rsrc || !pos) { mc_snap_acct_free(&s->acct, pos, (size_t)n * 4); return 0; }
  memcpy(pos, w->rfirst, (size_t)n * 4);
  for (uint32_t u = 0; u < n; u++)
    for (uint32_t e = s->first_edge[u]; e < s->first_edge[u + 1]; e++)
      if (mc_snap_essential(s, u, s->etype[e])) w->rsrc[pos[s->edge_to[e]]++] = u;
  mc_snap_acct_free(&s->acct, pos, (size_t)n * 4);
  return 1;
}

/* HeapSnapshot._buildPostOrderIndex, step for step (including the second
 * pass over nodes with only weak retainers and the fallback for the rest). */
static int build_post_order(dom_work *w) {
  mc_snap *s = w->s;
  uint32_t n = s->node_count, root = s->root;
  mc_snap_acct *a = &s->acct;
  w->post2ord = mc_snap_acct_alloc(a, (size_t)n * 4);
  w->ord2post = mc_snap_acct_alloc(a, (size_t)n * 4);
  uint32_t *snode = mc_snap_acct_alloc(a, (size_t)n * 4);
  uint32_t *sedge = mc_snap_acct_alloc(a, (size_t)n * 4);
  uint8_t *visited = mc_snap_acct_calloc(a, n);
  int ok = w->post2ord && w->ord2post && snode && sedge && visited;
  if (ok) {
    uint32_t post = 0;
    int64_t top = 0;
    snode[0] = root;
    sedge[0] = s->first_edge[root];
    visited[root] = 1;
    for (int iteration = 1;; iteration++) {
      while (top >= 0) {
        uint32_t u = snode[top];
        uint32_t e = sedge[top];
        if (e < s->first_edge[u + 1]) {
          sedge[top]++;
          if (!mc_snap_essential(s, u, s->etype[e])) continue;
          uint32_t v = s->edge_to[e];
          if (visited[v]) continue;
          if (w->flags && u != root && w->flags[v] && !w->flags[u]) continue;
          top++;
          snode[top] = v;
          sedge[top] = s->first_edge[v];
          visited[v] = 1;
        } else {
          w->ord2post[u] = post;
          w->post2ord[post++] = u;
          top--;
        }
      }
      if (post == n || iteration > 1) break;
      /* Orphans with only weak retainers start DFS trees of their own, visited
       * before the root, which goes back to the bottom of the stack. */
      post--;
      top = 0;
      snode[0] = root;
      sedge[0] = s->first_edge[root + 1];
      for (uint32_t i = 0; i < n; i++) {
        if (visited[i] || w->rfirst[i + 1] != w->rfirst[i]) continue;
        top++;
        snode[top] = i;
        sedge[top] = s->first_edge[i];
        visited[i] = 1;
      }
    }
    if (post != n) {
      post--;
      for (uint32_t i = 0; i < n; i++) {
        if (visited[i]) continue;
        w->ord2post[i] = post;
        w->post2ord[post++] = i;
      }
      w->ord2post[root] = post;
      w->post2ord[post++] = root;
    }
  }
  mc_snap_acct_free(a, snode, (size_t)n * 4);
  mc_snap_acct_free(a, sedge, (size_t)n * 4);
  mc_snap_acct_free(a, visited, n);
  return ok;
}

/* HeapSnapshot._buildDominatorTree (Cooper, Harvey, Kennedy), bounded: the
 * intersections of pathological graphs could cycle; the step budget turns
 * that into an error. Fills s->dom. */
static mc_snap_status build_dominators(dom_work *w) {
  mc_snap *s = w->s;
  mc_snap_acct *a = &s->acct;
  uint32_t n = s->node_count, root = s->root;
  uint32_t rootp = n - 1, none = n;
  uint32_t *dom = mc_snap_acct_alloc(a, ((size_t)n + 1) * 4);
  uint8_t *affected = mc_snap_acct_calloc(a, n);
  if (!dom || !affected) {
    mc_snap_acct_free(a, dom, ((size_t)n + 1) * 4);
    mc_snap_acct_free(a, affected, n);
    return acct_status(a);
  }
  for (uint32_t i = 0; i < n; i++) dom[i] = none;
  dom[rootp] = rootp;
  dom[none] = none;
  for (uint32_t e = s->first_edge[root]; e < s->first_edge[root + 1]; e++)
    if (mc_snap_essential(s, root, s->etype[e])) affected[w->ord2post[s->edge_to[e]]] = 1;
  uint64_t budget = 1000 * ((uint64_t)n + s->edge_count) + 100000000ull, steps = 0;
  mc_snap_status st = MC_SNAP_OK;
  /* Phase 0 is DevTools' iteration: only nodes whose retainers changed are
   * recomputed. That can stop early: a node's intersection depends on whole
   * dominator chains, and a chain can shorten without the node's retainers'
   * immediate dominators changing. Phase 1 sweeps every node until nothing
   * changes, which reaches the true fixpoint (the dominator tree). */
  for (int phase = 0; phase < 2 && st == MC_SNAP_OK; phase++) {
  int changed = 1;
  while (changed && st == MC_SNAP_OK) {
    changed = 0;
    steps += n;
    if (phase == 1) memset(affected, 1, n);
    for (uint32_t pi = rootp; pi-- > 0;) {
      if (!affected[pi]) continue;
      affected[pi] = 0;
      if (dom[pi] == rootp) continue;
      uint32_t u = w->post2ord[pi];
      int uflag = w->flags && w->flags[u]; /* page-owned rule applies */
      uint32_t nd = none;
      int orphan = 1;
      for (uint32_t r = w->rfirst[u]; r < w->rfirst[u + 1]; r++) {
        uint32_t ret = w->rsrc[r];
        orphan = 0;
        if (ret != root && uflag && !w->flags[ret]) continue;
        uint32_t rp = w->ord2post[ret];
        if (dom[rp] == none) continue;
        if (nd == none) {
          nd = rp;
        } else {
          while (rp != nd) {
            while (rp < nd) rp = dom[rp], steps++;
            while (nd < rp) nd = dom[nd], steps++;
            if (steps > budget || rp == none || nd == none) { st = MC_SNAP_ECORRUPT; goto out; }
          }
        }
        if (nd == rootp) break;
      }
      if (orphan) nd = rootp;
      if (nd != none && dom[pi] != nd) {
        dom[pi] = nd;
        changed = 1;
        for (uint32_t e = s->first_edge[u]; e < s->first_edge[u + 1]; e++) affected[w->ord2post[s->edge_to[e]]] = 1;
      }
      steps += w->rfirst[u + 1] - w->rfirst[u] + 1;
    }
    if (steps > budget) st = MC_SNAP_ECORRUPT;
  }
  }
out:
  mc_snap_acct_free(a, affected, n);
  if (st != MC_SNAP_OK) {
    mc_snap_acct_free(a, dom, ((size_t)n + 1) * 4);
    return st;
  }
  /* by ordinal now; a dominator never found means the root (DevTools maps
   * the missing entry to node 0) */
  uint32_t *byord = mc_snap_acct_alloc(a, (size_t)n * 4);
  if (!byord) { mc_snap_acct_free(a, dom, ((size_t)n + 1) * 4); return acct_status(a); }
  for (uint32_t pi = 0; pi < n; pi++) {
    uint32_t d = dom[pi];
    byord[w->post2ord[pi]] = d == none ? root : w->post2ord[d];
  }
  byord[root] = root;
  mc_snap_acct_free(a, dom, ((size_t)n + 1) * 4);
  s->dom = byord;
  return MC_SNAP_OK;
}

/* Sums, per class, the retained sizes of the nodes (passing `filter` when
 * given, and counted) with no such node of the same class above them in the
 * dominator tree (HeapSnapshot._calculateClassesRetainedSize). */
static mc_snap_status class_retained(mc_snap *s, const uint8_t *filter, uint64_t *sums) {
  mc_snap_acct *a = &s->acct;
  uint32_t n = s->node_count, root = s->root;
  uint32_t *first = mc_snap_acct_calloc(a, ((size_t)n + 2) * 4);
  uint32_t *kids = mc_snap_acct_alloc(a, (size_t)n * 4);
  uint32_t *stack = mc_snap_acct_alloc(a, (size_t)n * 2 * 4);
  uint32_t *seen = mc_snap_acct_calloc(a, (size_t)s->class_count * 4);
  mc_snap_status st = MC_SNAP_OK;
  if (!first || !kids || !stack || !seen) { st = acct_status(a); goto out; }
  for (uint32_t v = 0; v < n; v++)
    if (v != root) first[s->dom[v] + 2]++;
  for (uint32_t v = 0; v <= n; v++) first[v + 1] += first[v];
  for (uint32_t v = 0; v < n; v++)
    if (v != root) kids[first[s->dom[v] + 1]++] = v;
  /* first[v] .. first[v+1] are v's children now; the stack holds nodes to
   * enter, and exit markers (high bit) for nodes that marked their class. */
  size_t top = 0;
  stack[top++] = root;
  while (top) {
    uint32_t x = stack[--top];
    if (x & 0x80000000u) { seen[s->node_class[x & 0x7FFFFFFFu]]--; continue; }
    uint32_t c = s->node_class[x];
    if (!seen[c] && (!filter || filter[x]) && mc_snap_node_counted(s, x)) {
      sums[c] += s->ret[x];
      if (first[x + 1] > first[x]) {
        seen[c]++;
        stack[top++] = x | 0x80000000u;
      }
    }
    for (uint32_t k = first[x]; k < first[x + 1]; k++) stack[top++] = kids[k];
  }
out:
  mc_snap_acct_free(a, first, ((size_t)n + 2) * 4);
  mc_snap_acct_free(a, kids, (size_t)n * 4);
  mc_snap_acct_free(a, stack, (size_t)n * 2 * 4);
  mc_snap_acct_free(a, seen, (size_t)s->class_count * 4);
  return st;
}

static void dom_work_free(dom_work *w) {
  mc_snap_acct *a = &w->s->acct;
  uint32_t n = w->s->node_count;
  mc_snap_acct_free(a, w->flags, n);
  mc_snap_acct_free(a, w->rfirst, ((size_t)n + 1) * 4);
  mc_snap_acct_free(a, w->rsrc, w->rcount * 4);
  mc_snap_acct_free(a, w->post2ord, (size_t)n * 4);
  mc_snap_acct_free(a, w->ord2post, (size_t)n * 4);
  mc_snap *keep = w->s;
  memset(w, 0, sizeof *w);
  w->s = keep;
}

static void drop_retained(mc_snap *s) {
  mc_snap_acct_free(&s->acct, s->dom, (size_t)s->node_count * 4);
  mc_snap_acct_free(&s->acct, s->ret, (size_t)s->node_count * 8);
  s->dom = NULL;
  s->ret = NULL;
  s->has_ret = 0;
  for (uint32_t c = 0; c < s->class_count; c++) s->cls[c].retained_size = 0;
}

mc_snap_status mc_snap_compute_retained(mc_snap *s, mc_snap_dom_mode mode) {
  if (s->nodes_only) return MC_SNAP_EINVAL; /* no edges to follow */
  if (s->has_ret && s->dom_mode == (int)mode) return MC_SNAP_OK;
  drop_retained(s);
  if (s->node_count >= 0x80000000u) return MC_SNAP_ETOOLARGE;
  dom_work w;
  memset(&w, 0, sizeof w);
  w.s = s;
  mc_snap_status st = MC_SNAP_OK;
  s->acct.failed = 0;
  if ((mode == MC_SNAP_DOM_DEVTOOLS && !mark_page_owned(&w)) || !build_retainers(&w) || !build_post_order(&w)) {
    st = acct_status(&s->acct);
    goto out;
  }
  if ((st = build_dominators(&w)) != MC_SNAP_OK) goto out;
  s->ret = mc_snap_acct_alloc(&s->acct, (size_t)s->node_count * 8);
  if (!s->ret) { st = acct_status(&s->acct); goto out; }
  memcpy(s->ret, s->nself, (size_t)s->node_count * 8);
  for (uint32_t pi = 0; pi + 1 < s->node_count; pi++) {
    uint32_t u = w.post2ord[pi];
    s->ret[s->dom[u]] += s->ret[u];
  }
  dom_work_free(&w);
  uint64_t *sums = calloc(s->class_count ? s->class_count : 1, 8);
  if (!sums) { st = MC_SNAP_ENOMEM; goto out; }
  st = class_retained(s, NULL, sums);
  for (uint32_t c = 0; c < s->class_count; c++) s->cls[c].retained_size = sums[c];
  free(sums);
  if (st != MC_SNAP_OK) goto out;
  s->has_ret = 1;
  s->dom_mode = (int)mode;
out:
  dom_work_free(&w);
  if (st != MC_SNAP_OK) drop_retained(s);
  return st;
}

int mc_snap_has_retained(const mc_snap *s) { return s->has_ret; }
uint64_t mc_snap_node_retained(const mc_snap *s, uint32_t node) { return s->has_ret ? s->ret[node] : 0; }
uint32_t mc_snap_node_dominator(const mc_snap *s, uint32_t node) { return s->has_ret ? s->dom[node] : MC_SNAP_NONE; }

/* ---- sorted classes -------------------------------------------------------- */

typedef struct { const mc_snap *s; int by_retained; } class_order;

static int class_cmp(const void *ctx, uint32_t a, uint32_t b) {
  const class_order *o = ctx;
  const mc_snap_class *x = &o->s->cls[a], *y = &o->s->cls[b];
  uint64_t kx = o->by_retained ? x->retained_size : x->self_size;
  uint64_t ky = o->by_retained ? y->retained_size : y->self_size;
  if (kx != ky) return kx > ky ? -1 : 1;
  return name_cmp(x->name, x->name_len, y->name, y->name_len);
}

uint32_t mc_snap_sorted_classes(const mc_snap *s, int by_retained, uint32_t *out, uint32_t max) {
  uint32_t *all = malloc(((size_t)s->class_count + 1) * 4);
  if (!all) return 0;
  uint32_t k = 0;
  for (uint32_t c = 0; c < s->class_count; c++)
    if (s->cls[c].count) all[k++] = c;
  class_order o = { s, by_retained && s->has_ret };
  if (!msort(all, k, class_cmp, &o)) { free(all); return 0; }
  if (k > max) k = max;
  memcpy(out, all, (size_t)k * 4);
  free(all);
  return k;
}

/* ---- diff ------------------------------------------------------------------ */

typedef struct {
  mc_snap_diff_item *items;
  uint32_t count, cap;
  mc_snap_names names;
} item_table;

static const char *item_name_of(const void *entries, uint32_t i, uint32_t *len) {
  const mc_snap_diff_item *it = (const mc_snap_diff_item *)entries + i;
  *len = it->name_len;
  return it->name;
}

static uint32_t item_for(item_table *t, const char *name, uint32_t len) {
  uint32_t k = mc_snap_names_find(&t->names, name, len, item_name_of, t->items);
  if (k != MC_SNAP_NONE) return k;
  if (t->count == t->cap) {
    uint32_t nc = t->cap ? t->cap * 2 : 64;
    mc_snap_diff_item *ni = realloc(t->items, (size_t)nc * sizeof *ni);
    if (!ni) return MC_SNAP_NONE;
    t->items = ni;
    t->cap = nc;
  }
  k = t->count;
  memset(&t->items[k], 0, sizeof t->items[k]);
  t->items[k].name = name;
  t->items[k].name_len = len;
  if (!mc_snap_names_add(&t->names, item_name_of, t->items)) return MC_SNAP_NONE;
  t->count++;
  return k;
}

static uint32_t class_item(item_table *t, const mc_snap *s, uint32_t *map, uint32_t node) {
  uint32_t c = s->node_class[node];
  if (map[c] == MC_SNAP_NONE) map[c] = item_for(t, s->cls[c].name, s->cls[c].name_len);
  return map[c];
}

static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

static int diff_cmp(const void *ctx, uint32_t a, uint32_t b) {
  const mc_snap_diff_item *items = ctx;
  int64_t x = abs64(items[a].size_delta), y = abs64(items[b].size_delta);
  if (x != y) return x > y ? -1 : 1;
  return name_cmp(items[a].name, items[a].name_len, items[b].name, items[b].name_len);
}

static mc_snap_status diff_finish(item_table *t, mc_snap_diff *out) {
  uint32_t *order = malloc(((size_t)t->count + 1) * 4);
  mc_snap_diff_item *items = malloc(((size_t)t->count + 1) * sizeof *items);
  if (!order || !items) { free(order); free(items); return MC_SNAP_ENOMEM; }
  uint32_t k = 0;
  for (uint32_t i = 0; i < t->count; i++)
    if (t->items[i].added || t->items[i].removed) order[k++] = i;
  if (!msort(order, k, diff_cmp, t->items)) { free(order); free(items); return MC_SNAP_ENOMEM; }
  for (uint32_t i = 0; i < k; i++) items[i] = t->items[order[i]];
  free(order);
  out->items = items;
  out->item_count = k;
  return MC_SNAP_OK;
}

mc_snap_status mc_snap_diff_compute(const mc_snap *a, const mc_snap *b, mc_snap_diff *out) {
  memset(out, 0, sizeof *out);
  item_table t;
  memset(&t, 0, sizeof t);
  size_t na = 0, nb = 0;
  uint64_t *ka = sorted_ids(a, 1, &na), *kb = sorted_ids(b, 1, &nb);
  uint32_t *amap = malloc(((size_t)a->class_count + 1) * 4), *bmap = malloc(((size_t)b->class_count + 1) * 4);
  mc_snap_status st = MC_SNAP_ENOMEM;
  if (!ka || !kb || !amap || !bmap || !mc_snap_names_init(&t.names, NULL, 256)) goto out;
  memset(amap, 0xFF, (size_t)a->class_count * 4);
  memset(bmap, 0xFF, (size_t)b->class_count * 4);
  for (size_t i = 0; i < na; i++) out->before_size += a->nself[(uint32_t)ka[i]];
  for (size_t j = 0; j < nb; j++) out->after_size += b->nself[(uint32_t)kb[j]];
  out->before_nodes = (uint32_t)na;
  out->after_nodes = (uint32_t)nb;
  size_t i = 0, j = 0;
  while (i < na || j < nb) {
    uint32_t ida = i < na ? (uint32_t)(ka[i] >> 32) : 0, idb = j < nb ? (uint32_t)(kb[j] >> 32) : 0;
    if (j >= nb || (i < na && ida < idb)) {
      uint32_t node = (uint32_t)ka[i++];
      uint32_t k = class_item(&t, a, amap, node);
      if (k == MC_SNAP_NONE) goto out;
      t.items[k].removed++;
      t.items[k].size_delta -= (int64_t)a->nself[node];
      out->freed++;
    } else if (i >= na || idb < ida) {
      uint32_t node = (uint32_t)kb[j++];
      uint32_t k = class_item(&t, b, bmap, node);
      if (k == MC_SNAP_NONE) goto out;
      t.items[k].added++;
      t.items[k].size_delta += (int64_t)b->nself[node];
      out->allocated++;
    } else {
      i++;
      j++;
    }
  }
  st = diff_finish(&t, out);
out:
  free(ka); free(kb); free(amap); free(bmap);
  free(t.items);
  mc_snap_names_free(&t.names);
  return st;
}

void mc_snap_diff_free(mc_snap_diff *d) {
  free(d->items);
  memset(d, 0, sizeof *d);
}

/* ---- retainer paths ---------------------------------------------------------- */

static mc_snap_status build_bfs(mc_snap *s) {
  if (s->nodes_only) return MC_SNAP_EINVAL; /* no edges to follow */
  if (s->bfs_edge) return MC_SNAP_OK;
  uint32_t n = s->node_count;
  uint32_t *parent = mc_snap_acct_alloc(&s->acct, (size_t)n * 4);
  uint32_t *queue = malloc((size_t)n * 4);
  if (!parent || !queue) {
    mc_snap_acct_free(&s->acct, parent, (size_t)n * 4);
    free(queue);
    return parent ? MC_SNAP_ENOMEM : acct_status(&s->acct);
  }
  memset(parent, 0xFF, (size_t)n * 4);
  parent[s->root] = ROOT_MARK;
  size_t head = 0, tail = 0;
  queue[tail++] = s->root;
  while (head < tail) {
    uint32_t u = queue[head++];
    for (uint32_t e = s->first_edge[u]; e < s->first_edge[u + 1]; e++) {
      uint32_t v = s->edge_to[e];
      if (parent[v] != MC_SNAP_NONE || !mc_snap_essential(s, u, s->etype[e])) continue;
      parent[v] = e;
      queue[tail++] = v;
    }
  }
  free(queue);
  s->bfs_edge = parent;
  return MC_SNAP_OK;
}

uint32_t mc_snap_edge_from(const mc_snap *s, uint32_t edge) {
  /* the last node whose first edge is <= edge */
  uint32_t lo = 0, hi = s->node_count; /* answer in [lo, hi) */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (s->first_edge[mid] <= edge) lo = mid; else hi = mid;
  }
  return lo;
}

uint32_t mc_snap_path_to(mc_snap *s, uint32_t node, uint32_t *edges, uint32_t max, mc_snap_status *st) {
  *st = build_bfs(s);
  if (*st != MC_SNAP_OK) return 0;
  if (s->bfs_edge[node] == MC_SNAP_NONE) return UINT32_MAX;
  uint32_t len = 0;
  for (uint32_t v = node; s->bfs_edge[v] != ROOT_MARK; v = mc_snap_edge_from(s, s->bfs_edge[v])) len++;
  uint32_t k = len;
  for (uint32_t v = node; s->bfs_edge[v] != ROOT_MARK; v = mc_snap_edge_from(s, s->bfs_edge[v])) {
    k--;
    if (k < max) edges[k] = s->bfs_edge[v];
  }
  return len;
}

/* ---- leaks ------------------------------------------------------------------- */

typedef struct { const mc_snap *s; const mc_snap_leak *items; } leak_order;

static int leak_cmp(const void *ctx, uint32_t a, uint32_t b) {
  const leak_order *o = ctx;
  const mc_snap_leak *x = &o->items[a], *y = &o->items[b];
  if (x->retained_size != y->retained_size) return x->retained_size > y->retained_size ? -1 : 1;
  const mc_snap_class *cx = &o->s->cls[x->cls], *cy = &o->s->cls[y->cls];
  return name_cmp(cx->name, cx->name_len, cy->name, cy->name_len);
}

static int leak_type_ok(const mc_snap *s, uint32_t v) {
  int t = s->ntype[v];
  return t != s->t_hidden && t != s->t_synthetic && t != s->t_code && t != s->t_shape;
}

mc_snap_status mc_snap_leaks_compute(const mc_snap *baseline, const mc_snap *target, mc_snap *fin,
                                     mc_snap_leaks *out) {
  memset(out, 0, sizeof *out);
  mc_snap_status st = mc_snap_compute_retained(fin, fin->has_ret ? (mc_snap_dom_mode)fin->dom_mode : MC_SNAP_DOM_DEVTOOLS);
  if (st != MC_SNAP_OK) return st;
  if ((st = build_bfs(fin)) != MC_SNAP_OK) return st;
  size_t nb = 0, nt = 0, nf = 0;
  uint64_t *kb = sorted_ids(baseline, 0, &nb), *kt = sorted_ids(target, 0, &nt), *kf = sorted_ids(fin, 1, &nf);
  uint8_t *leaked = calloc(fin->node_count, 1);
  mc_snap_leak *groups = calloc((size_t)fin->class_count + 1, sizeof *groups);
  uint64_t *sums = calloc((size_t)fin->class_count + 1, 8);
  uint32_t *order = malloc(((size_t)fin->class_count + 1) * 4);
  st = MC_SNAP_ENOMEM;
  if (!kb || !kt || !kf || !leaked || !groups || !sums || !order) goto out;
  for (uint32_t c = 0; c < fin->class_count; c++) { groups[c].cls = c; groups[c].sample = MC_SNAP_NONE; }
  size_t ib = 0, it = 0;
  for (size_t f = 0; f < nf; f++) {
    uint32_t id = (uint32_t)(kf[f] >> 32), v = (uint32_t)kf[f];
    while (ib < nb && (uint32_t)(kb[ib] >> 32) < id) ib++;
    while (it < nt && (uint32_t)(kt[it] >> 32) < id) it++;
    int in_base = ib < nb && (uint32_t)(kb[ib] >> 32) == id;
    int in_target = it < nt && (uint32_t)(kt[it] >> 32) == id;
    if (in_base || !in_target || !leak_type_ok(fin, v) || fin->bfs_edge[v] == MC_SNAP_NONE) continue;
    leaked[v] = 1;
    mc_snap_leak *g = &groups[fin->node_class[v]];
    g->count++;
    g->self_size += fin->nself[v];
    if (g->sample == MC_SNAP_NONE || fin->ret[v] > fin->ret[g->sample]) g->sample = v;
  }
  if ((st = class_retained(fin, leaked, sums)) != MC_SNAP_OK) goto out;
  uint32_t k = 0;
  for (uint32_t c = 0; c < fin->class_count; c++) {
    groups[c].retained_size = sums[c];
    if (groups[c].count) order[k++] = c;
  }
  leak_order lo = { fin, groups };
  st = MC_SNAP_ENOMEM;
  if (!msort(order, k, leak_cmp, &lo)) goto out;
  out->items = malloc(((size_t)k + 1) * sizeof *out->items);
  if (!out->items) goto out;
  for (uint32_t i = 0; i < k; i++) out->items[i] = groups[order[i]];
  out->count = k;
  st = MC_SNAP_OK;
out:
  free(kb); free(kt); free(kf); free(leaked); free(groups); free(sums); free(order);
  return st;
}

void mc_snap_leaks_free(mc_snap_leaks *l) {
  free(l->items);
  memset(l, 0, sizeof *l);
}
