#include "core/pool.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* A region: a slab cut into slots of one class, or one large allocation. */
struct mc_pool_region {
  mc_list link;          /* class free list (cached large) or class slab list */
  unsigned char *base;
  size_t size;           /* bytes of the region (class size, page-rounded) */
  uint32_t id;           /* index in the region table */
  uint32_t gen;          /* incarnation; large: also the allocation's gen */
  uint16_t cls;
  uint8_t kind;
  uint8_t state;
  uint8_t reserved;      /* counted in pool->reserved (may hold resident pages) */
  uint8_t mapped;        /* base came from mmap (else the owner supplied it) */
  uint64_t idle_since;   /* ms: when it became cached / empty (0: not idle) */
  mc_pool_ticket *ticket; /* the owner's object over the region, or NULL */
  size_t req;            /* large: requested bytes of the live allocation */
  /* slab only */
  uint32_t slot_size, nslots, nlive, nfree;
  uint16_t *free_slots;  /* stack of free slot indices */
  uint32_t *slot_gen;    /* generation per slot, bumped on free */
  uint32_t *slot_len;    /* requested bytes per slot, 0 when free */
};

#define UNIT_SMALL 16u
#define UNIT_LARGE 4096u
#define IDLE_UNSTAMPED UINT64_MAX

struct mc_pool {
  mc_pool_config cfg;
  mc_pool_region **regions;  /* by id; NULL for unused ids */
  uint32_t cap;              /* length of regions[] */
  uint32_t next_id;          /* ids below next_id have been handed out */
  uint32_t *free_ids;        /* stack of released ids */
  uint32_t nfree_ids;
  mc_list cached[MC_POOL_NCLASSES];   /* large: free regions kept mapped */
  mc_list usable[MC_POOL_NCLASSES];   /* slabs with a free slot, not dying */
  mc_pool_region *current[MC_POOL_NCLASSES];
  mc_pool_class_stats cls[MC_POOL_NCLASSES];
  mc_pool_stats st;
  uint32_t next_gen;          /* incarnations are unique pool-wide */
  /* lifetime (pool.h, "lifetime") */
  int refs;                   /* the handle + tickets + mc_pool_retain */
  uint8_t closed;             /* memory unmapped by mc_pool_close */
  uint8_t orphan;             /* the handle went without close */
  void *owner;
};

struct mc_pool_ticket {
  mc_pool *pool;
  uint32_t id;    /* region id */
  uint32_t gen;   /* region incarnation */
  uint8_t dead;   /* detached: freed explicitly or pool closed */
  void *ref;      /* owner field: its reference to the object */
  size_t bytes;   /* owner field: bytes it accounted for the object */
};

/* ---- size classes ---------------------------------------------------------- */

/* Classes over n units: 1..8 linear, then four per doubling.  Returns the
 * class index and stores the rounded unit count. */
static uint32_t step_class(uint64_t n, uint64_t *rounded) {
  if (n <= 8) {
    *rounded = n;
    return (uint32_t)n - 1;
  }
  int k = 63 - __builtin_clzll(n - 1);
  uint64_t step = 1ull << (k - 2);
  uint64_t r = (n + step - 1) & ~(step - 1);
  *rounded = r;
  return 8 + (uint32_t)(k - 3) * 4 + (uint32_t)((r - (1ull << k)) / step) - 1;
}

int mc_pool_class_of(size_t size, size_t *class_size) {
  uint64_t r;
  if (size == 0 || size > MC_POOL_MAX_BYTES) return -1;
  if (size <= MC_POOL_SMALL_MAX) {
    uint32_t c = step_class((size + UNIT_SMALL - 1) / UNIT_SMALL, &r);
    *class_size = (size_t)r * UNIT_SMALL;
    return (int)c;
  }
  uint32_t c = step_class((size + UNIT_LARGE - 1) / UNIT_LARGE, &r);
  if (MC_POOL_NSMALL + c >= MC_POOL_NCLASSES) return -1;
  *class_size = (size_t)r * UNIT_LARGE;
  return MC_POOL_NSMALL + (int)c;
}

size_t mc_pool_slab_size(const mc_pool *p, size_t class_size) {
  size_t s = class_size <= MC_POOL_SMALL_MAX ? MC_POOL_SLAB_SIZE
                                              : 16 * class_size;
  if (s > MC_POOL_SLAB_MAX) s = MC_POOL_SLAB_MAX;
  /* A slab takes at most a quarter of a small budget (at least one slot),
   * so one slab never makes a buffer that fits the budget fail. */
  size_t quarter = p->cfg.max_bytes / 4 / class_size * class_size;
  if (s > quarter) s = quarter > class_size ? quarter : class_size;
  return s;
}

int mc_pool_is_sliced(const mc_pool *p, size_t size) {
  return size > 0 && size <= p->cfg.slice_max;
}

size_t mc_pool_slice_max(const mc_pool *p) { return p->cfg.slice_max; }

/* The largest class size <= limit (0 if none). */
static size_t class_floor(size_t limit) {
  size_t best = 0, cs;
  for (size_t n = 1; n <= limit; n = cs + 1) {
    if (mc_pool_class_of(n, &cs) < 0 || cs > limit) break;
    best = cs;
  }
  return best;
}

static uint64_t now_ms(mc_pool *p) {
  if (p->cfg.clock_ms) return p->cfg.clock_ms(p->cfg.clock_arg);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- pool ------------------------------------------------------------------ */

mc_pool *mc_pool_create(const mc_pool_config *cfg) {
  if (!cfg || cfg->max_bytes == 0 || cfg->max_bytes > MC_POOL_MAX_BYTES)
    return NULL;
  mc_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->cfg = *cfg;
  p->cfg.slice_max = class_floor(cfg->slice_max > MC_POOL_SLICE_LIMIT
                                     ? MC_POOL_SLICE_LIMIT
                                     : cfg->slice_max);
  p->st.max_bytes = cfg->max_bytes;
  p->refs = 1;  /* the owner's handle */
  for (int i = 0; i < MC_POOL_NCLASSES; i++) mc_list_init(&p->cached[i]);
  for (int i = 0; i < MC_POOL_NCLASSES; i++) mc_list_init(&p->usable[i]);
  for (uint64_t n = 1; n <= MC_POOL_SMALL_MAX / UNIT_SMALL; n++) {
    uint64_t r;
    uint32_t c = step_class(n, &r);
    p->cls[c].size = (size_t)r * UNIT_SMALL;
  }
  for (int c = MC_POOL_NSMALL; c < MC_POOL_NCLASSES; c++) p->cls[c].size = 0;
  return p;
}

/* ---- budget ---------------------------------------------------------------- */

static void region_destroy(mc_pool *p, mc_pool_region *r);

static void purge_slab(mc_pool *p, mc_pool_region *r) {
  /* The slab may still be viewed by freed JS slices: MADV_DONTNEED keeps the
   * mapping valid (such reads see zeros) while giving the pages back. */
  madvise(r->base, r->size, MADV_DONTNEED);
  r->reserved = 0;
  p->st.reserved -= r->size;
}

static int purgeable(const mc_pool_region *r) {
  return r->kind == MC_POOL_SLAB && r->nlive == 0 && r->reserved && r->mapped;
}

/* Releases one idle region to make room: the largest cached large region
 * first, else one empty slab.  Returns 0 when nothing idle is left. */
static int evict_one(mc_pool *p) {
  for (int c = MC_POOL_NCLASSES - 1; c >= MC_POOL_NSMALL; c--) {
    if (!mc_list_empty(&p->cached[c])) {
      region_destroy(p, MC_LIST_ENTRY(p->cached[c].next, mc_pool_region, link));
      return 1;
    }
  }
  for (int c = 0; c < MC_POOL_NCLASSES; c++) {
    for (mc_list *n = p->usable[c].next; n != &p->usable[c]; n = n->next) {
      mc_pool_region *r = MC_LIST_ENTRY(n, mc_pool_region, link);
      if (purgeable(r)) {
        purge_slab(p, r);
        return 1;
      }
    }
  }
  return 0;
}

/* Counts size against the budget, evicting idle memory if needed. */
static int reserve(mc_pool *p, size_t size) {
  if (size > p->cfg.max_bytes) return 0;
  while (p->st.reserved + size > p->cfg.max_bytes)
    if (!evict_one(p)) return 0;
  p->st.reserved += size;
  if (p->st.reserved > p->st.peak_reserved) p->st.peak_reserved = p->st.reserved;
  return 1;
}

/* ---- regions --------------------------------------------------------------- */

static int take_id(mc_pool *p, uint32_t *id) {
  if (p->nfree_ids) {
    *id = p->free_ids[--p->nfree_ids];
    return 1;
  }
  if (p->next_id >= MC_POOL_MAX_REGIONS) return 0;
  if (p->next_id == p->cap) {
    uint32_t cap = p->cap ? p->cap * 2 : 64;
    mc_pool_region **regions = realloc(p->regions, cap * sizeof *regions);
    if (!regions) return 0;
    p->regions = regions;
    uint32_t *ids = realloc(p->free_ids, cap * sizeof *ids);
    if (!ids) return 0;
    p->free_ids = ids;
    p->cap = cap;
  }
  *id = p->next_id++;
  return 1;
}

static int slab_init(mc_pool_region *r, size_t slot_size) {
  r->slot_size = (uint32_t)slot_size;
  r->nslots = (uint32_t)(r->size / slot_size);
  r->free_slots = malloc(r->nslots * sizeof *r->free_slots);
  r->slot_gen = calloc(r->nslots, sizeof *r->slot_gen);
  r->slot_len = calloc(r->nslots, sizeof *r->slot_len);
  if (!r->free_slots || !r->slot_gen || !r->slot_len) return 0;
  /* Stack top is slot 0, so a fresh slab fills from its start. */
  for (uint32_t i = 0; i < r->nslots; i++)
    r->free_slots[i] = (uint16_t)(r->nslots - 1 - i);
  r->nfree = r->nslots;
  return 1;
}

static void region_free_meta(mc_pool_region *r) {
  free(r->free_slots);
  free(r->slot_gen);
  free(r->slot_len);
  free(r);
}

/* Makes a region of `size` bytes; *status says why on NULL. */
static mc_pool_region *region_new(mc_pool *p, int kind, int cls, size_t size,
                                  int *status) {
  if (!reserve(p, size)) {
    *status = MC_POOL_EXHAUSTED;
    return NULL;
  }
  *status = MC_POOL_NOMEM;
  uint32_t id;
  mc_pool_region *r = calloc(1, sizeof *r);
  if (!r || !take_id(p, &id)) goto fail;
  r->kind = (uint8_t)kind;
  r->cls = (uint16_t)cls;
  r->size = size;
  r->id = id;
  r->reserved = 1;
  r->state = MC_POOL_LIVE;
  mc_list_init(&r->link);
  if (kind == MC_POOL_SLAB && !slab_init(r, p->cls[cls].size)) {
    p->free_ids[p->nfree_ids++] = id;
    goto fail;
  }
  if (p->cfg.use_mmap) {
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      p->free_ids[p->nfree_ids++] = id;
      goto fail;
    }
    r->base = m;
    r->mapped = 1;
  }
  p->regions[id] = r;
  p->st.mapped += size;
  p->st.regions++;
  if (kind == MC_POOL_SLAB) p->st.slabs++;
  p->cls[cls].regions++;
  *status = MC_POOL_OK;
  return r;
fail:
  if (r) region_free_meta(r);
  p->st.reserved -= size;
  return NULL;
}

static void region_destroy(mc_pool *p, mc_pool_region *r) {
  mc_list_remove(&r->link);
  if (r->kind == MC_POOL_SLAB && p->current[r->cls] == r)
    p->current[r->cls] = NULL;
  if (r->mapped) munmap(r->base, r->size);
  if (r->reserved) p->st.reserved -= r->size;
  p->st.mapped -= r->size;
  p->st.regions--;
  if (r->kind == MC_POOL_SLAB) p->st.slabs--;
  p->cls[r->cls].regions--;
  p->regions[r->id] = NULL;
  p->free_ids[p->nfree_ids++] = r->id;
  region_free_meta(r);
}

static void destroy_regions(mc_pool *p) {
  for (uint32_t i = 0; i < p->next_id; i++)
    if (p->regions[i]) region_destroy(p, p->regions[i]);
}

void mc_pool_destroy(mc_pool *p) {
  if (!p) return;
  destroy_regions(p);
  free(p->regions);
  free(p->free_ids);
  free(p);
}

mc_pool_region *mc_pool_region_get(mc_pool *p, uint32_t id) {
  return id < p->next_id ? p->regions[id] : NULL;
}

mc_pool_region *mc_pool_find_base(mc_pool *p, const void *base) {
  for (uint32_t i = 0; i < p->next_id; i++)
    if (p->regions[i] && p->regions[i]->base == base) return p->regions[i];
  return NULL;
}


/* ---- accounting ------------------------------------------------------------ */

static void count_alloc(mc_pool *p, int cls, size_t size, size_t class_size) {
  p->st.in_use += size;
  p->st.in_use_class += class_size;
  if (p->st.in_use > p->st.peak_in_use) p->st.peak_in_use = p->st.in_use;
  p->st.allocs++;
  p->st.live++;
  p->cls[cls].allocs++;
  p->cls[cls].live++;
}

static void count_free(mc_pool *p, int cls, size_t size, size_t class_size) {
  p->st.in_use -= size;
  p->st.in_use_class -= class_size;
  p->st.live--;
  p->cls[cls].live--;
}

/* ---- large allocations ----------------------------------------------------- */

int mc_pool_large_alloc(mc_pool *p, size_t size, mc_pool_region **out) {
  size_t class_size = 0;
  int cls = -1, status = MC_POOL_EXHAUSTED;
  uint64_t r_units;
  if (size == 0 || size > MC_POOL_MAX_BYTES) {
    p->st.failed++;
    return MC_POOL_INVALID;
  }
  cls = MC_POOL_NSMALL +
        (int)step_class((size + UNIT_LARGE - 1) / UNIT_LARGE, &r_units);
  class_size = (size_t)r_units * UNIT_LARGE;
  if (cls >= MC_POOL_NCLASSES || class_size > p->cfg.max_bytes) {
    p->st.failed++;
    return MC_POOL_EXHAUSTED;
  }
  p->cls[cls].size = class_size;
  mc_pool_region *r;
  if (!mc_list_empty(&p->cached[cls])) {
    r = MC_LIST_ENTRY(p->cached[cls].next, mc_pool_region, link);
    mc_list_remove(&r->link);
    r->state = MC_POOL_LIVE;
    r->idle_since = 0;
    if (p->cfg.zero_fill) memset(r->base, 0, size);
  } else {
    r = region_new(p, MC_POOL_LARGE, cls, class_size, &status);
    if (!r) {
      p->st.failed++;
      return status;
    }
  }
  r->gen = ++p->next_gen;
  r->req = size;
  count_alloc(p, cls, size, class_size);
  *out = r;
  return MC_POOL_OK;
}

/* Returns a live large region to its class cache (or releases it). */
static void large_release(mc_pool *p, mc_pool_region *r) {
  count_free(p, r->cls, r->req, r->size);
  r->req = 0;
  if (!r->mapped) {
    region_destroy(p, r);
    return;
  }
  r->state = MC_POOL_CACHED;
  r->idle_since = now_ms(p);
  /* Most recently freed first: its pages are the likeliest to be warm. */
  mc_list_insert_after(&p->cached[r->cls], &r->link);
}

void mc_pool_large_free(mc_pool *p, mc_pool_region *r) {
  p->st.frees++;
  large_release(p, r);
}

/* ---- slabs ------------------------------------------------------------------ */

mc_pool_region *mc_pool_slab_current(mc_pool *p, size_t size) {
  size_t cs;
  if (!mc_pool_is_sliced(p, size)) return NULL;
  int cls = mc_pool_class_of(size, &cs);
  mc_pool_region *r = p->current[cls];
  return r && r->nfree ? r : NULL;
}

int mc_pool_slab_next(mc_pool *p, size_t size, mc_pool_region **out,
                      int *created) {
  size_t cs;
  int cls = mc_pool_class_of(size, &cs), status;
  if (!mc_pool_is_sliced(p, size) || cls < 0) return MC_POOL_INVALID;
  p->cls[cls].size = cs;
  p->current[cls] = NULL;
  *created = 0;
  mc_pool_region *r;
  if (!mc_list_empty(&p->usable[cls])) {
    r = MC_LIST_ENTRY(p->usable[cls].next, mc_pool_region, link);
  } else {
    r = region_new(p, MC_POOL_SLAB, cls, mc_pool_slab_size(p, cs), &status);
    if (!r) {
      p->st.failed++;
      return status;
    }
    r->gen = ++p->next_gen;
    mc_list_push_back(&p->usable[cls], &r->link);
    *created = 1;
  }
  p->current[cls] = r;
  *out = r;
  return MC_POOL_OK;
}

void mc_pool_slab_dying(mc_pool *p, mc_pool_region *r) {
  if (r->kind != MC_POOL_SLAB) return;
  r->state = MC_POOL_DYING;
  mc_list_remove(&r->link);
  if (p->current[r->cls] == r) p->current[r->cls] = NULL;
}

void mc_pool_slab_reset_current(mc_pool *p) {
  memset(p->current, 0, sizeof p->current);
}

long mc_pool_slot_alloc(mc_pool *p, mc_pool_region *r, size_t size,
                        uint64_t *tag) {
  if (!r->reserved) {
    if (!reserve(p, r->size)) {
      p->st.failed++;
      return MC_POOL_EXHAUSTED;
    }
    r->reserved = 1;
  }
  uint32_t s = r->free_slots[--r->nfree];
  if (r->nfree == 0) mc_list_remove(&r->link);
  r->nlive++;
  r->idle_since = 0;
  r->slot_len[s] = (uint32_t)size;
  *tag = mc_pool_tag(r->id, s, r->slot_gen[s]);
  unsigned char *mem = r->base + (size_t)s * r->slot_size;
  if (p->cfg.zero_fill) memset(mem, 0, size);
  count_alloc(p, r->cls, size, r->slot_size);
  return (long)s * r->slot_size;
}

/* Returns slot s of r to its free list (stats.frees is the caller's). */
static void slot_release(mc_pool *p, mc_pool_region *r, uint32_t s) {
  count_free(p, r->cls, r->slot_len[s], r->slot_size);
  r->slot_len[s] = 0;
  r->slot_gen[s]++;
  r->free_slots[r->nfree++] = (uint16_t)s;
  if (r->nfree == 1 && r->state == MC_POOL_LIVE)
    mc_list_push_back(&p->usable[r->cls], &r->link);
  /* Reading the clock here would cost more than the free itself: an empty
   * slab is stamped by the next decay pass instead (see release_idle). */
  if (--r->nlive == 0) r->idle_since = IDLE_UNSTAMPED;
}

/* ---- lookups and frees ----------------------------------------------------- */

int mc_pool_lookup(mc_pool *p, uint64_t tag, mc_pool_region **out,
                   uint32_t *slot) {
  uint32_t id = (uint32_t)(tag >> 12) & 0xFFFFFu;
  uint32_t s = (uint32_t)tag & 0xFFFu;
  uint32_t gen = (uint32_t)(tag >> 32);
  if ((tag >> 53) != 0) return MC_POOL_FOREIGN;
  mc_pool_region *r = mc_pool_region_get(p, id);
  if (!r) return MC_POOL_FOREIGN;
  if (r->kind == MC_POOL_LARGE) {
    if (s != 0) return MC_POOL_FOREIGN;
    if (r->state != MC_POOL_LIVE || (r->gen & MC_POOL_GEN_MASK) != gen)
      return MC_POOL_FREED;
  } else {
    if (s >= r->nslots) return MC_POOL_FOREIGN;
    if (!r->slot_len[s] || (r->slot_gen[s] & MC_POOL_GEN_MASK) != gen)
      return MC_POOL_FREED;
  }
  *out = r;
  if (slot) *slot = s;
  return MC_POOL_OK;
}

int mc_pool_free_tag(mc_pool *p, uint64_t tag, size_t *size) {
  mc_pool_region *r;
  uint32_t s;
  int st = mc_pool_lookup(p, tag, &r, &s);
  if (st != MC_POOL_OK) return st;
  if (r->kind == MC_POOL_LARGE) {
    if (size) *size = r->req;
    mc_pool_large_free(p, r);
  } else {
    if (size) *size = r->slot_len[s];
    p->st.frees++;
    slot_release(p, r, s);
  }
  return MC_POOL_OK;
}

size_t mc_pool_region_collected(mc_pool *p, uint32_t id, uint32_t gen,
                                int count_leaks, mc_pool_leak_fn leak,
                                void *arg) {
  mc_pool_region *r = mc_pool_region_get(p, id);
  size_t n = 0;
  if (!r || r->gen != gen) return 0;
  if (r->kind == MC_POOL_LARGE) {
    if (r->state != MC_POOL_LIVE) return 0;
    if (count_leaks) {
      p->st.leaks++;
      p->st.leaked_bytes += r->req;
      if (leak) leak(arg, r->req, mc_pool_tag(r->id, 0, r->gen));
    }
    large_release(p, r);  /* a reclaimed leak is not counted as a free() */
    return count_leaks ? 1 : 0;
  }
  for (uint32_t s = 0; s < r->nslots; s++) {
    if (!r->slot_len[s]) continue;
    if (count_leaks) {
      p->st.leaks++;
      p->st.leaked_bytes += r->slot_len[s];
      if (leak) leak(arg, r->slot_len[s], mc_pool_tag(r->id, s, r->slot_gen[s]));
      n++;
    }
    slot_release(p, r, s);
  }
  region_destroy(p, r);
  return n;
}

/* ---- returning memory ------------------------------------------------------ */

static size_t release_idle(mc_pool *p, uint64_t min_idle) {
  uint64_t now = now_ms(p);
  size_t released = 0;
  for (int c = MC_POOL_NSMALL; c < MC_POOL_NCLASSES; c++) {
    mc_list *n = p->cached[c].next;
    while (n != &p->cached[c]) {
      mc_pool_region *r = MC_LIST_ENTRY(n, mc_pool_region, link);
      n = n->next;
      if (now - r->idle_since < min_idle) continue;
      released += r->size;
      region_destroy(p, r);
    }
  }
  for (int c = 0; c < MC_POOL_NCLASSES; c++) {
    for (mc_list *n = p->usable[c].next; n != &p->usable[c]; n = n->next) {
      mc_pool_region *r = MC_LIST_ENTRY(n, mc_pool_region, link);
      if (!purgeable(r)) continue;
      if (r->idle_since == IDLE_UNSTAMPED) r->idle_since = now;
      if (now - r->idle_since < min_idle) continue;
      released += r->size;
      purge_slab(p, r);
    }
  }
  return released;
}

void mc_pool_trim(mc_pool *p) {
  release_idle(p, 0);
  p->st.trims++;
}

size_t mc_pool_decay(mc_pool *p) {
  size_t n = release_idle(p, p->cfg.decay_ms);
  p->st.decayed += n;
  return n;
}

void mc_pool_stats_get(const mc_pool *p, mc_pool_stats *out) { *out = p->st; }

size_t mc_pool_class_stats_get(const mc_pool *p, mc_pool_class_stats *rows,
                               size_t n) {
  size_t k = 0;
  for (int c = 0; c < MC_POOL_NCLASSES && k < n; c++) {
    const mc_pool_class_stats *s = &p->cls[c];
    if (!s->allocs && !s->regions) continue;
    rows[k] = *s;
    rows[k].cached = 0;
    /* Free slots of usable slabs, plus cached large regions: a class is
     * one or the other, as slice_max is a class size. */
    for (const mc_list *l = p->usable[c].next; l != &p->usable[c]; l = l->next)
      rows[k].cached += MC_LIST_ENTRY(l, mc_pool_region, link)->nfree;
    for (const mc_list *l = p->cached[c].next; l != &p->cached[c]; l = l->next)
      rows[k].cached++;
    k++;
  }
  return k;
}

/* ---- region accessors ------------------------------------------------------ */

unsigned char *mc_pool_region_base(const mc_pool_region *r) { return r->base; }
void mc_pool_region_set_base(mc_pool_region *r, void *base) { r->base = (unsigned char *)base; }
size_t mc_pool_region_size(const mc_pool_region *r) { return r->size; }
int mc_pool_region_is_large(const mc_pool_region *r) { return r->kind == MC_POOL_LARGE; }
uint32_t mc_pool_region_id(const mc_pool_region *r) { return r->id; }
uint32_t mc_pool_region_gen(const mc_pool_region *r) { return r->gen; }
mc_pool_ticket *mc_pool_region_ticket(const mc_pool_region *r) { return r->ticket; }

/* ---- lifetime ---------------------------------------------------------------- */

void mc_pool_retain(mc_pool *p) { p->refs++; }

int mc_pool_release(mc_pool *p) {
  if (--p->refs > 0) return 0;
  mc_pool_destroy(p);
  return 1;
}

void mc_pool_close(mc_pool *p, void (*fn)(void *arg, mc_pool_ticket *t),
                   void *arg) {
  for (uint32_t i = 0; i < p->next_id; i++) {
    mc_pool_ticket *t = p->regions[i] ? mc_pool_region_disown(p->regions[i]) : NULL;
    if (t && fn) fn(arg, t);
  }
  destroy_regions(p);
  p->closed = 1;
}

int mc_pool_is_closed(const mc_pool *p) { return p->closed; }

int mc_pool_handle_gone(mc_pool *p) {
  if (!p->closed) {
    p->orphan = 1;
    mc_pool_trim(p);  /* idle memory has no user left */
  }
  return mc_pool_release(p);
}

void mc_pool_set_owner(mc_pool *p, void *owner) { p->owner = owner; }
void *mc_pool_owner(const mc_pool *p) { return p->owner; }

/* ---- tickets ----------------------------------------------------------------- */

mc_pool_ticket *mc_pool_ticket_new(mc_pool *p, mc_pool_region *r) {
  mc_pool_ticket *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->pool = p;
  t->id = r->id;
  t->gen = r->gen;
  r->ticket = t;
  p->refs++;
  return t;
}

mc_pool_ticket *mc_pool_region_disown(mc_pool_region *r) {
  mc_pool_ticket *t = r->ticket;
  if (!t) return NULL;
  t->dead = 1;
  r->ticket = NULL;
  return t;
}

size_t mc_pool_ticket_collected(mc_pool_ticket *t, int count_leaks,
                                mc_pool_leak_fn leak, void *arg) {
  mc_pool *p = t->pool;
  if (t->dead || p->closed) return 0;
  /* The region may be a later incarnation with a ticket of its own. */
  mc_pool_region *r = mc_pool_region_get(p, t->id);
  if (r && r->ticket == t) r->ticket = NULL;
  t->dead = 1;
  return mc_pool_region_collected(p, t->id, t->gen, count_leaks,
                                  p->orphan ? NULL : leak, arg);
}

int mc_pool_ticket_free(mc_pool_ticket *t) {
  mc_pool *p = t->pool;
  free(t);
  return mc_pool_release(p);
}

mc_pool *mc_pool_ticket_pool(const mc_pool_ticket *t) { return t->pool; }
int mc_pool_ticket_is_dead(const mc_pool_ticket *t) { return t->dead; }
void *mc_pool_ticket_ref(const mc_pool_ticket *t) { return t->ref; }
void mc_pool_ticket_set_ref(mc_pool_ticket *t, void *ref) { t->ref = ref; }
size_t mc_pool_ticket_bytes(const mc_pool_ticket *t) { return t->bytes; }
void mc_pool_ticket_set_bytes(mc_pool_ticket *t, size_t bytes) { t->bytes = bytes; }
