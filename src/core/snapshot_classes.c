/* Class building (DevTools' grouping of nodes into classes) and the name
 * index it shares with the diff (snapshot_graph.c). Runs at the end of a
 * parse, from mc_snap_parser_finish. */
#include "core/snapshot_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- name index ------------------------------------------------------------ */

static uint64_t hash_name(const char *b, size_t n) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)b[i]) * 1099511628211ull;
  return h;
}

static void *names_calloc(mc_snap_acct *a, size_t n) { return a ? mc_snap_acct_calloc(a, n) : calloc(1, n); }

static void names_release(mc_snap_acct *a, uint32_t *slots, size_t n) {
  if (a) mc_snap_acct_free(a, slots, n);
  else free(slots);
}

int mc_snap_names_init(mc_snap_names *t, mc_snap_acct *acct, uint32_t size) {
  t->acct = acct;
  t->count = 0;
  t->mask = size - 1;
  t->slots = names_calloc(acct, (size_t)size * 4);
  return t->slots != NULL;
}

void mc_snap_names_free(mc_snap_names *t) {
  if (t->slots) names_release(t->acct, t->slots, (size_t)(t->mask + 1) * 4);
  t->slots = NULL;
}

uint32_t mc_snap_names_find(const mc_snap_names *t, const char *name, uint32_t len, mc_snap_name_of name_of,
                            const void *entries) {
  for (uint32_t i = (uint32_t)hash_name(name, len) & t->mask; t->slots[i]; i = (i + 1) & t->mask) {
    uint32_t k_len;
    const char *k = name_of(entries, t->slots[i] - 1, &k_len);
    if (k_len == len && memcmp(k, name, len) == 0) return t->slots[i] - 1;
  }
  return MC_SNAP_NONE;
}

static void names_place(uint32_t *slots, uint32_t mask, const char *name, uint32_t len, uint32_t entry) {
  uint32_t i = (uint32_t)hash_name(name, len) & mask;
  while (slots[i]) i = (i + 1) & mask;
  slots[i] = entry + 1;
}

int mc_snap_names_add(mc_snap_names *t, mc_snap_name_of name_of, const void *entries) {
  uint32_t len;
  if ((t->count + 1) * 2 > t->mask + 1) { /* keep the table at most half full */
    uint32_t size = (t->mask + 1) * 2;
    uint32_t *slots = names_calloc(t->acct, (size_t)size * 4);
    if (!slots) return 0;
    for (uint32_t k = 0; k < t->count; k++) {
      const char *name = name_of(entries, k, &len);
      names_place(slots, size - 1, name, len, k);
    }
    names_release(t->acct, t->slots, (size_t)(t->mask + 1) * 4);
    t->slots = slots;
    t->mask = size - 1;
  }
  const char *name = name_of(entries, t->count, &len);
  names_place(t->slots, t->mask, name, len, t->count);
  t->count++;
  return 1;
}

/* ---- classes ----------------------------------------------------------------- */

static const char *class_name_of(const void *entries, uint32_t i, uint32_t *len) {
  const mc_snap_class *c = (const mc_snap_class *)entries + i;
  *len = c->name_len;
  return c->name;
}

static mc_snap_status acct_status(const mc_snap *s) {
  return s->acct.failed == 2 ? MC_SNAP_ENOMEM : MC_SNAP_ETOOLARGE;
}

/* The class named name (added when new); *cap is the capacity of s->cls. */
static mc_snap_status class_add(mc_snap *s, mc_snap_names *t, uint32_t *cap, const char *name, size_t len,
                                uint32_t *out) {
  uint32_t found = mc_snap_names_find(t, name, (uint32_t)len, class_name_of, s->cls);
  if (found != MC_SNAP_NONE) { *out = found; return MC_SNAP_OK; }
  if (s->class_count == *cap) {
    uint32_t nc = *cap * 2;
    mc_snap_class *grown = mc_snap_acct_realloc(&s->acct, s->cls, (size_t)*cap * sizeof *grown, (size_t)nc * sizeof *grown);
    if (!grown) return acct_status(s);
    s->cls = grown;
    *cap = nc;
  }
  uint32_t id = s->class_count;
  mc_snap_class *k = &s->cls[id];
  memset(k, 0, sizeof *k);
  k->name = name;
  k->name_len = (uint32_t)len;
  if (!mc_snap_names_add(t, class_name_of, s->cls)) return acct_status(s);
  s->class_count++;
  *out = id;
  return MC_SNAP_OK;
}

/* The class name of a non-object type, as DevTools' className() gives it. */
static char *type_class_name(const mc_snap *s, int t) {
  if (t == s->t_hidden) return strdup("(system)");
  if (t == s->t_code) return strdup("(compiled code)");
  const char *tn = s->ntype_names[t];
  size_t n = strlen(tn);
  char *r = malloc(n + 3);
  if (!r) return NULL;
  r[0] = '(';
  memcpy(r + 1, tn, n);
  r[n + 1] = ')';
  r[n + 2] = 0;
  return r;
}

mc_snap_status mc_snap_build_classes(mc_snap *s) {
  mc_snap_acct *a = &s->acct;
  mc_snap_status st = MC_SNAP_ENOMEM;
  uint32_t cap = 64;
  uint32_t type_cls[256];
  mc_snap_names t;
  uint32_t *str2cls = NULL;
  s->cls = mc_snap_acct_alloc(a, cap * sizeof(mc_snap_class));
  s->node_class = mc_snap_acct_alloc(a, (size_t)s->node_count * 4);
  int names_ok = mc_snap_names_init(&t, a, 64);
  str2cls = mc_snap_acct_alloc(a, mc_snap_mul(s->scount, 4));
  s->cls_owned = calloc(s->ntypes, sizeof(char *));
  if (!s->cls || !s->node_class || !names_ok || !str2cls || !s->cls_owned) goto out;
  memset(str2cls, 0xFF, (size_t)s->scount * 4);
  for (uint32_t i = 0; i < s->ntypes; i++) type_cls[i] = MC_SNAP_NONE;
  for (uint32_t i = 0; i < s->node_count; i++) {
    int ty = s->ntype[i];
    uint32_t c;
    if (ty == s->t_object || ty == s->t_native) {
      uint32_t sn = s->nname[i];
      c = str2cls[sn];
      if (c == MC_SNAP_NONE) {
        const char *name = s->sbytes + s->string_offset[sn];
        if ((st = class_add(s, &t, &cap, name, s->string_offset[sn + 1] - s->string_offset[sn] - 1, &c))) goto out;
        str2cls[sn] = c;
      }
    } else {
      c = type_cls[ty];
      if (c == MC_SNAP_NONE) {
        char *name = type_class_name(s, ty);
        if (!name) { st = MC_SNAP_ENOMEM; goto out; }
        s->cls_owned[s->cls_owned_count++] = name;
        if ((st = class_add(s, &t, &cap, name, strlen(name), &c))) goto out;
        type_cls[ty] = c;
      }
    }
    s->node_class[i] = c;
    if (s->nself[i] || ty == s->t_native) {
      s->cls[c].count++;
      s->cls[c].self_size += s->nself[i];
    }
  }
  st = MC_SNAP_OK;
out:
  if (st == MC_SNAP_ENOMEM && a->failed == 1) st = MC_SNAP_ETOOLARGE;
  mc_snap_names_free(&t);
  mc_snap_acct_free(a, str2cls, (size_t)s->scount * 4);
  return st;
}

