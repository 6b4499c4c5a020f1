/* Budgeted buffer pool: the allocator behind memctl's Pool.
 *
 * Memory comes in regions.  A region is either
 *   - a SLAB cut into equal slots of one size class, for sizes whose class is
 *     at most cfg.slice_max (64 KiB slabs for classes up to 4 KiB, 16 slots
 *     and at most 1 MiB for larger classes), or
 *   - a LARGE region holding one allocation.
 * Size classes step finer than powers of two: four classes per doubling
 * (after the first eight linear ones), in 16-byte units for slots and in
 * pages for large regions, so rounding wastes at most 25% (usually less).
 *
 * Freed large regions stay mapped on a per-class free list, so the next
 * allocation of that class reuses pages that are already faulted in.  Idle
 * memory (cached large regions, empty slabs) goes back to the system on
 * mc_pool_trim() and, per region, once it has been idle for decay_ms
 * (mc_pool_decay()).
 *
 * Budget invariant: `reserved` (bytes of regions that may hold resident
 * pages: live regions, cached regions, non-purged slabs) never exceeds
 * max_bytes.  A region is counted before it is mapped, so the budget is never
 * exceeded, not even by one page.
 *
 * Every allocation is named by a 53-bit tag (region id, slot, generation), so
 * a stale or forged tag is recognised instead of freeing someone else's
 * memory.  Slab memory may still be referenced by JavaScript views after its
 * slots are freed, so a slab is unmapped only when its owner says the region
 * is collected (mc_pool_region_collected) or at mc_pool_destroy().
 *
 * The owner's objects over regions (the binding's ArrayBuffers) each carry a
 * ticket (see "tickets" below), and the pool counts its references (the
 * owner's handle, every ticket), so it outlives close() for as long as an
 * object over its memory may still be finalized.
 *
 * Single-threaded: one pool belongs to one JavaScript environment. */
#ifndef MEMCTL_POOL_H
#define MEMCTL_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/list.h"

#define MC_POOL_SMALL_MAX 4096u
#define MC_POOL_SLAB_SIZE 65536u      /* slab of the classes up to 4 KiB */
#define MC_POOL_SLICE_LIMIT 65536u    /* largest slice_max */
#define MC_POOL_SLAB_MAX (1u << 20)   /* largest slab */
#define MC_POOL_NSMALL 28 /* small classes: 16 B .. 4 KiB */
#define MC_POOL_NCLASSES 128
#define MC_POOL_MAX_REGIONS (1u << 20)
#define MC_POOL_MAX_BYTES ((size_t)1 << 38) /* 256 GiB: the last large class */

enum {
  MC_POOL_OK = 0,
  MC_POOL_EXHAUSTED = -1,  /* the budget cannot hold the allocation */
  MC_POOL_NOMEM = -2,      /* the system refused memory */
  MC_POOL_FOREIGN = -3,    /* the tag names no allocation of this pool */
  MC_POOL_FREED = -4,      /* the tag names an allocation already freed */
  MC_POOL_INVALID = -5,    /* bad size */
};

enum { MC_POOL_LARGE = 1, MC_POOL_SLAB = 2 };
enum {
  MC_POOL_LIVE = 1,    /* large: allocated; slab: usable */
  MC_POOL_CACHED = 2,  /* large only: free, kept mapped for reuse */
  MC_POOL_DYING = 3,   /* slab only: its JS object is gone, finalizer pending */
};

typedef struct mc_pool mc_pool;

/* A region is owned by the pool; the owner reads it through the accessors
 * below.  The owner's object over the region's memory is represented by the
 * region's ticket (mc_pool_region_ticket). */
typedef struct mc_pool_region mc_pool_region;

/* The pool's record of one owner object over one region (see "tickets"). */
typedef struct mc_pool_ticket mc_pool_ticket;

typedef struct mc_pool_config {
  size_t max_bytes;
  uint64_t decay_ms;            /* idle regions older than this are released */
  int zero_fill;                /* alloc returns zeroed bytes */
  int use_mmap;                 /* 0: the owner supplies region memory */
  size_t slice_max;             /* classes up to this size live in slabs
                                 * (rounded down to a class size; 0: none) */
  uint64_t (*clock_ms)(void *); /* NULL: monotonic clock */
  void *clock_arg;
} mc_pool_config;

typedef struct mc_pool_class_stats {
  size_t size;         /* class size in bytes */
  uint64_t allocs;     /* allocations served by this class */
  size_t live;         /* live allocations */
  size_t regions;      /* regions of this class (slabs or large regions) */
  size_t cached;       /* large: cached free regions; small: free slots */
} mc_pool_class_stats;

typedef struct mc_pool_stats {
  size_t in_use;          /* requested bytes of live allocations */
  size_t in_use_class;    /* class bytes of live allocations */
  size_t reserved;        /* bytes counted against the budget */
  size_t mapped;          /* address space held (reserved + purged slabs) */
  size_t peak_in_use;
  size_t peak_reserved;
  size_t max_bytes;
  uint64_t allocs, frees, failed, leaks, leaked_bytes, trims, decayed;
  size_t live, regions, slabs;
} mc_pool_stats;

/* The new pool holds one reference, its owner's handle's (see "lifetime"). */
mc_pool *mc_pool_create(const mc_pool_config *cfg);
/* Unmaps every mapped region and frees the pool, whatever its references.
 * The caller guarantees no view and no ticket remains. */
void mc_pool_destroy(mc_pool *p);

/* Size classes.  mc_pool_class_of returns the class index (or -1 when size
 * is 0 or above MC_POOL_MAX_BYTES) and stores the class size in *class_size. */
int mc_pool_class_of(size_t size, size_t *class_size);
/* Whether allocations of `size` are slab slots (else large regions). */
int mc_pool_is_sliced(const mc_pool *p, size_t size);
/* The effective slice_max (a class size, or 0). */
size_t mc_pool_slice_max(const mc_pool *p);
/* Bytes of a slab of the given class size: 64 KiB up to 4 KiB classes, 16
 * slots (at most 1 MiB) above, and at most a quarter of the budget. */
size_t mc_pool_slab_size(const mc_pool *p, size_t class_size);

/* Tags: gen (21 bits) << 32 | region id (20 bits) << 12 | slot (12 bits). */
#define MC_POOL_GEN_MASK 0x1FFFFFu
static inline uint64_t mc_pool_tag(uint32_t id, uint32_t slot, uint32_t gen) {
  return ((uint64_t)(gen & MC_POOL_GEN_MASK) << 32) | ((uint64_t)id << 12) |
         slot;
}

/* ---- regions --------------------------------------------------------------- */
unsigned char *mc_pool_region_base(const mc_pool_region *r);
/* Without use_mmap the owner supplies a new region's memory here. */
void mc_pool_region_set_base(mc_pool_region *r, void *base);
size_t mc_pool_region_size(const mc_pool_region *r); /* bytes (class size, page-rounded) */
int mc_pool_region_is_large(const mc_pool_region *r);
uint32_t mc_pool_region_id(const mc_pool_region *r);
uint32_t mc_pool_region_gen(const mc_pool_region *r); /* incarnation; large: the allocation's gen */
/* The ticket of the owner's object over r, or NULL. */
mc_pool_ticket *mc_pool_region_ticket(const mc_pool_region *r);

/* ---- large allocations ---------------------------------------------------
 * Reuses a cached region of the class or maps a new one (evicting cached
 * regions of other classes when the budget needs room).  When use_mmap is 0
 * the region has base == NULL and the owner must set base. */
int mc_pool_large_alloc(mc_pool *p, size_t size, mc_pool_region **out);
/* Returns the region to its class cache (or releases it when unmapped). */
void mc_pool_large_free(mc_pool *p, mc_pool_region *r);

/* ---- small allocations ---------------------------------------------------
 * The owner allocates from one "current" slab per class; when it is full,
 * mc_pool_slab_next picks another usable slab of the class (or makes a new
 * one: *created = 1) and makes it current. */
mc_pool_region *mc_pool_slab_current(mc_pool *p, size_t size);
int mc_pool_slab_next(mc_pool *p, size_t size, mc_pool_region **out,
                      int *created);
/* The slab's JS object is gone: nothing more is allocated from it. */
void mc_pool_slab_dying(mc_pool *p, mc_pool_region *r);
/* Forgets every current slab (the owner dropped its strong references). */
void mc_pool_slab_reset_current(mc_pool *p);
/* Takes a slot of r (r must have a free slot); returns its byte offset, or
 * MC_POOL_EXHAUSTED when a purged slab cannot be re-reserved. */
long mc_pool_slot_alloc(mc_pool *p, mc_pool_region *r, size_t size,
                        uint64_t *tag);

/* ---- lookups and frees ---------------------------------------------------- */
/* Validates a tag: OK with *r (and *slot for slabs), FOREIGN or FREED. */
int mc_pool_lookup(mc_pool *p, uint64_t tag, mc_pool_region **r,
                   uint32_t *slot);
/* Frees the allocation named by tag (large or slot); returns OK/FOREIGN/FREED
 * and the requested size in *size. */
int mc_pool_free_tag(mc_pool *p, uint64_t tag, size_t *size);
mc_pool_region *mc_pool_region_get(mc_pool *p, uint32_t id);
/* The region whose memory starts at base, or NULL (linear scan). */
mc_pool_region *mc_pool_find_base(mc_pool *p, const void *base);

/* The region's JS object was collected.  Every allocation still live in it
 * is a leak: `leak` is called for each (may be NULL), it is counted and its
 * memory returned.  `gen` is the region generation the object belonged to;
 * a mismatch (region freed and reused since) makes this a no-op.  Returns
 * the number of leaks. */
typedef void (*mc_pool_leak_fn)(void *arg, size_t size, uint64_t tag);
size_t mc_pool_region_collected(mc_pool *p, uint32_t id, uint32_t gen,
                                int count_leaks, mc_pool_leak_fn leak,
                                void *arg);

/* ---- returning memory ------------------------------------------------------ */
void mc_pool_trim(mc_pool *p);
/* Releases regions idle for at least decay_ms; returns bytes released. */
size_t mc_pool_decay(mc_pool *p);

void mc_pool_stats_get(const mc_pool *p, mc_pool_stats *out);
/* Fills up to n class rows (only classes ever used); returns the count. */
size_t mc_pool_class_stats_get(const mc_pool *p, mc_pool_class_stats *rows,
                               size_t n);

/* ---- lifetime: references, close, orphan -----------------------------------
 * A pool counts its references: one for its owner's handle (taken by
 * mc_pool_create), one per ticket, and any the owner takes with
 * mc_pool_retain (the binding: its thread-safe function).  The pool is
 * destroyed when the last goes; the calls that drop one return 1 then, and
 * the owner frees its own data.
 *
 * Three states:
 *   open     - every call works.
 *   closed   - mc_pool_close: every ticket on a region was marked dead and
 *              handed to the owner, and all memory is unmapped.  Only ticket
 *              calls and dropping references remain valid.
 *   orphaned - the handle went without close (mc_pool_handle_gone): idle
 *              memory is trimmed, live memory stays valid for the objects
 *              still over it, and leaks are counted but no longer reported
 *              to a leak callback (nobody is left to tell). */
void mc_pool_retain(mc_pool *p);
/* Drops a reference; returns 1 when it was the last (the pool is destroyed). */
int mc_pool_release(mc_pool *p);
/* Marks every ticket on a region dead, detaches it and hands it to fn (the
 * owner detaches its object and drops its own references), then unmaps all
 * memory.  The handle's reference is not dropped here. */
void mc_pool_close(mc_pool *p, void (*fn)(void *arg, mc_pool_ticket *t),
                   void *arg);
int mc_pool_is_closed(const mc_pool *p);
/* The owner's handle is gone: orphans an open pool, then drops the handle's
 * reference; returns as mc_pool_release. */
int mc_pool_handle_gone(mc_pool *p);
/* The owner's data for the pool (the binding: its PoolBinding). */
void mc_pool_set_owner(mc_pool *p, void *owner);
void *mc_pool_owner(const mc_pool *p);

/* ---- tickets ------------------------------------------------------------------
 * A ticket stands for one owner object over one region (an ArrayBuffer over a
 * large allocation or over a whole slab).  Invariants:
 *   - a region has at most one ticket, and a ticket is on at most one region
 *     (the one whose id and gen it records) until it is detached;
 *   - a ticket is detached from its region and marked dead when the region is
 *     freed explicitly (mc_pool_region_disown) or the pool is closed; a dead
 *     ticket's collection touches no memory;
 *   - a live ticket's collection means its object is gone while the region
 *     may still hold allocations: those are leaks (mc_pool_region_collected);
 *   - every ticket holds a pool reference until mc_pool_ticket_free.
 * The owner keeps two fields of its own on a ticket: a reference to its object
 * and a count of bytes it accounted for the object elsewhere. */
/* Makes r's ticket (r must have none) and takes a pool reference; NULL when
 * out of memory. */
mc_pool_ticket *mc_pool_ticket_new(mc_pool *p, mc_pool_region *r);
/* r is freed explicitly (or its object could not be made): detaches its
 * ticket and marks it dead.  Returns the ticket (NULL if none) so the owner
 * can drop its references; the owner still frees it on finalization. */
mc_pool_ticket *mc_pool_region_disown(mc_pool_region *r);
/* The ticket's object was collected.  A live ticket of an open pool is
 * detached and its region collected: each allocation still live is a leak,
 * counted when count_leaks, reported through leak (may be NULL) unless the
 * pool is orphaned.  Returns the number of leaks; 0 for a dead ticket. */
size_t mc_pool_ticket_collected(mc_pool_ticket *t, int count_leaks,
                                mc_pool_leak_fn leak, void *arg);
/* Frees the ticket and drops its pool reference; returns 1 when that
 * destroyed the pool. */
int mc_pool_ticket_free(mc_pool_ticket *t);
mc_pool *mc_pool_ticket_pool(const mc_pool_ticket *t);
int mc_pool_ticket_is_dead(const mc_pool_ticket *t);
void *mc_pool_ticket_ref(const mc_pool_ticket *t);
void mc_pool_ticket_set_ref(mc_pool_ticket *t, void *ref);
size_t mc_pool_ticket_bytes(const mc_pool_ticket *t);
void mc_pool_ticket_set_bytes(mc_pool_ticket *t, size_t bytes);

#endif
