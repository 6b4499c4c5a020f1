/* Shared cache segment: see shm.h for the layout and the crash-safety rules. */
#include "core/shm.h"

#if defined(__linux__)
/* The implementation needs Linux: robust process-shared mutexes (futex
 * robust lists), shm_open, posix_fallocate, getrandom. Elsewhere every entry
 * point below the #else reports MC_SHM_ENOROBUST. */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ALIGN64(x) (((x) + 63u) & ~(size_t)63u)
#define DEFAULT_SHARDS 16u

enum { ST_FORMATTING = 0, ST_READY = 1 };

/* The segment header. Everything after `state` is written by the creator
 * before it publishes READY and is read-only afterwards, except pids. */
typedef struct {
  uint64_t magic;
  uint32_t version;
  _Atomic uint32_t state;
  uint64_t total_size;     /* bytes of the whole segment */
  int32_t creator_pid;
  uint32_t shards;
  uint64_t max_bytes, max_entries, ttl_ms;
  int32_t policy;
  uint32_t pad0;
  uint64_t shard_stride;   /* control + region */
  uint64_t region_size;    /* bytes of one shard's cache region */
  uint64_t seed[2];        /* shard hash key */
  _Atomic int32_t pids[MC_SHM_MAX_PIDS];
} shm_header;

typedef struct {
  /* Line 0: what every lock holder writes, on one line. Lock-free reads
   * never read it: their seqlocks are in the shard's cache region (the
   * region's structural sequence and each entry's version word). */
  pthread_mutex_t mu;
  /* 1 while a holder is inside: lockers spin on it (reading, so the holder
   * keeps the line) before they try the mutex again. A holder that died
   * leaves it 1 until the next holder leaves. */
  _Atomic uint32_t held;
  uint32_t pad;
  /* Written under mu only; read with relaxed atomics by stats. */
  _Atomic uint64_t acquisitions;
  _Atomic uint64_t contended, wait_ns, recoveries, resets;
  _Atomic uint64_t repairs, lost;
  /* Lock-free reads, added in batches by each process: on a line of their
   * own, so that a batch does not take line 0 from the lockers. */
  _Alignas(64) _Atomic uint64_t read_hits;
  _Atomic uint64_t read_misses;
} shard_ctl;

_Static_assert(offsetof(shard_ctl, acquisitions) + sizeof(uint64_t) <= 64,
               "the mutex, held and acquisitions share the shard's first cache line");
_Static_assert(offsetof(shard_ctl, read_hits) % 64 == 0, "read counters start a line");

#define HEADER_SIZE ALIGN64(sizeof(shm_header))
#define CTL_SIZE ALIGN64(sizeof(shard_ctl))

struct mc_shm {
  uint8_t *base;
  size_t size;
  shm_header *h;
  int created;
  int pid_slot;            /* index in h->pids, or -1 when the table was full */
  uint32_t *pending;       /* per shard: lock-free hits, misses not yet added */
  mc_cache *caches[];      /* one handle per shard */
};

static shard_ctl *ctl_of(const mc_shm *s, uint32_t i) {
  return (shard_ctl *)(void *)(s->base + HEADER_SIZE + (size_t)i * s->h->shard_stride);
}
static uint8_t *region_of(const mc_shm *s, uint32_t i) {
  return (uint8_t *)ctl_of(s, i) + CTL_SIZE;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {0, (long)ms * 1000000L};
  nanosleep(&ts, NULL);
}

static int pid_alive(int32_t pid) {
  return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* ---- names ---------------------------------------------------------------- */

/* "name" -> "/memctl-name" for shm_open; a path is used as it is. */
static int full_name(const char *name, int is_path, char *out, size_t cap) {
  size_t n = strlen(name);
  if (n == 0) return MC_SHM_EINVAL;
  if (is_path) {
    if (n >= cap) return MC_SHM_EINVAL;
    memcpy(out, name, n + 1);
    return MC_SHM_OK;
  }
  if (n > MC_SHM_NAME_MAX || strchr(name, '/')) return MC_SHM_EINVAL;
  snprintf(out, cap, "/memctl-%s", name);
  return MC_SHM_OK;
}

static int open_fd(const char *full, int is_path, int flags) {
  return is_path ? open(full, flags | O_CLOEXEC, 0600) : shm_open(full, flags, 0600);
}

static int remove_name(const char *full, int is_path) {
  return is_path ? unlink(full) : shm_unlink(full);
}

/* ---- layout ---------------------------------------------------------------- */

static void shard_config(const mc_shm_options *o, uint32_t shards, mc_cache_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->policy = o->policy;
  cfg->max_bytes = (o->max_bytes + shards - 1) / shards;
  cfg->max_entries = o->max_entries ? (o->max_entries + shards - 1) / shards : 0;
  cfg->ttl_ms = o->ttl_ms;
}

static int robust_supported(void) {
/* PTHREAD_MUTEX_ROBUST is an enum constant in glibc, not a macro; robust
   * process-shared mutexes are what Linux (futex robust lists) provides. */
#if defined(__linux__) && defined(_POSIX_THREAD_PROCESS_SHARED) && _POSIX_THREAD_PROCESS_SHARED > 0
  return 1;
#else
  return 0;
#endif
}

static int init_mutex(pthread_mutex_t *mu) {
  pthread_mutexattr_t a;
  if (pthread_mutexattr_init(&a)) return MC_SHM_ESYS;
  int r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (!r) r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (!r) r = pthread_mutex_init(mu, &a);
  pthread_mutexattr_destroy(&a);
  return r ? MC_SHM_ENOROBUST : MC_SHM_OK;
}

/* Formats a freshly sized, zeroed mapping. state stays FORMATTING. */
static int format(uint8_t *base, size_t size, const mc_shm_options *o, uint32_t shards,
                  size_t region_size) {
  shm_header *h = (shm_header *)(void *)base;
  h->version = MC_SHM_LAYOUT_VERSION;
  h->total_size = size;
  h->creator_pid = (int32_t)getpid();
  h->shards = shards;
  h->max_bytes = o->max_bytes;
  h->max_entries = o->max_entries;
  h->ttl_ms = o->ttl_ms;
  h->policy = o->policy;
  h->region_size = region_size;
  h->shard_stride = CTL_SIZE + ALIGN64(region_size);
  if (getrandom(h->seed, sizeof h->seed, 0) != (ssize_t)sizeof h->seed) {
    h->seed[0] = now_ns() ^ (uint64_t)getpid();
    h->seed[1] = (uint64_t)(uintptr_t)&h ^ now_ns();
  }
  if (!h->seed[0] && !h->seed[1]) h->seed[0] = 1; /* both 0 would ask each shard for its own */
  atomic_thread_fence(memory_order_release);
  h->magic = MC_SHM_MAGIC;
  mc_cache_config cfg;
  shard_config(o, shards, &cfg);
  cfg.seed[0] = h->seed[0]; /* one seed for every shard: see mc_shm_hash */
  cfg.seed[1] = h->seed[1];
  for (uint32_t i = 0; i < shards; i++) {
    uint8_t *ctl = base + HEADER_SIZE + (size_t)i * h->shard_stride;
    int r = init_mutex(&((shard_ctl *)(void *)ctl)->mu);
    if (r) return r;
    if (mc_cache_region_init(ctl + CTL_SIZE, ALIGN64(region_size), &cfg) != MC_CACHE_OK)
      return MC_SHM_EINVAL;
  }
  return MC_SHM_OK;
}

static size_t segment_size(uint32_t shards, size_t region_size) {
  return HEADER_SIZE + (size_t)shards * (CTL_SIZE + ALIGN64(region_size));
}

/* ---- attach ---------------------------------------------------------------- */

static mc_shm *new_handle(uint8_t *base, size_t size, int created) {
  shm_header *h = (shm_header *)(void *)base;
  mc_shm *s = (mc_shm *)calloc(1, sizeof *s + h->shards * sizeof(mc_cache *));
  if (!s) return NULL;
  s->pending = (uint32_t *)calloc(2 * (size_t)h->shards, sizeof(uint32_t));
  if (!s->pending) {
    free(s);
    return NULL;
  }
  s->base = base;
  s->size = size;
  s->h = h;
  s->created = created;
  s->pid_slot = -1;
  return s;
}

static void claim_pid_slot(mc_shm *s) {
  int32_t me = (int32_t)getpid();
  for (int i = 0; i < (int)MC_SHM_MAX_PIDS; i++) {
    int32_t cur = atomic_load(&s->h->pids[i]);
    if (cur != 0 && pid_alive(cur)) continue;
    if (atomic_compare_exchange_strong(&s->h->pids[i], &cur, me)) {
      s->pid_slot = i;
      return;
    }
  }
}

static int attach_shards(mc_shm *s) {
  /* One hash routes a key to its shard and its slot: every shard must hash
   * as the segment's seed does. */
  static const char probe[] = "memctl shard seed";
  uint64_t want = mc_cache_siphash13(s->h->seed, probe, sizeof probe - 1);
  for (uint32_t i = 0; i < s->h->shards; i++) {
    int r = mc_cache_region_attach(region_of(s, i), ALIGN64(s->h->region_size), &s->caches[i]);
    if (r == MC_CACHE_EVERSION) return MC_SHM_EVERSION;
    if (r == MC_CACHE_ENOMEM) return MC_SHM_ESYS;
    if (r != MC_CACHE_OK) return MC_SHM_ECORRUPT;
    if (mc_cache_hash(s->caches[i], probe, sizeof probe - 1) != want) return MC_SHM_ECORRUPT;
  }
  return MC_SHM_OK;
}

static void free_handle(mc_shm *s) {
  for (uint32_t i = 0; i < s->h->shards; i++)
    if (s->caches[i]) mc_cache_region_detach(s->caches[i]);
  free(s->pending);
  free(s);
}

/* Checks the header of a READY segment against the file size and itself. */
static int header_ok(const shm_header *h, size_t file_size) {
  if (h->total_size != file_size) return MC_SHM_ETRUNCATED;
  if (h->shards == 0 || h->shards > MC_SHM_MAX_SHARDS || h->policy < 0 ||
      h->policy > MC_CACHE_SIEVE || h->max_bytes == 0)
    return MC_SHM_ECORRUPT;
  if (h->region_size == 0 || h->region_size > file_size ||
      h->shard_stride != CTL_SIZE + ALIGN64(h->region_size) ||
      segment_size(h->shards, h->region_size) != file_size)
    return MC_SHM_ECORRUPT;
  return MC_SHM_OK;
}

static int options_match(const shm_header *h, const mc_shm_options *o, const char **bad) {
  const char *b = NULL;
  if (o->max_bytes && o->max_bytes != h->max_bytes) b = "maxBytes";
  else if (o->max_entries && o->max_entries != h->max_entries) b = "max";
  else if (o->ttl_set && o->ttl_ms != h->ttl_ms) b = "ttl";
  else if (o->policy >= 0 && o->policy != h->policy) b = "policy";
  else if (o->shards && o->shards != h->shards) b = "shards";
  if (bad) *bad = b;
  return b ? MC_SHM_EOPTION : MC_SHM_OK;
}

/* Waits (bounded) until the segment behind fd is READY, then maps it whole.
 * The wait covers a creator between O_EXCL and publishing READY. */
static int open_existing(int fd, const mc_shm_options *o, mc_shm **out, const char **bad) {
  unsigned timeout = o->open_timeout_ms ? o->open_timeout_ms : MC_SHM_OPEN_TIMEOUT_MS;
  uint64_t deadline = now_ns() + (uint64_t)timeout * 1000000u;
  int verdict = MC_SHM_ENOTREADY;
  for (;;) {
    struct stat st;
    if (fstat(fd, &st)) return MC_SHM_ESYS;
    size_t fsize = (size_t)st.st_size;
    if (fsize < HEADER_SIZE) {
      verdict = MC_SHM_ETRUNCATED;
    } else {
      shm_header *h = (shm_header *)mmap(NULL, HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
      if (h == MAP_FAILED) return MC_SHM_ESYS;
      uint32_t state = atomic_load_explicit(&h->state, memory_order_acquire);
      if (h->magic != MC_SHM_MAGIC) {
        verdict = MC_SHM_ECORRUPT;
      } else if (h->version != MC_SHM_LAYOUT_VERSION) {
        munmap(h, HEADER_SIZE);
        return MC_SHM_EVERSION;
      } else if (state == ST_READY) {
        int r = header_ok(h, fsize);
        if (!r) r = options_match(h, o, bad);
        munmap(h, HEADER_SIZE);
        if (r) return r;
        uint8_t *base = (uint8_t *)mmap(NULL, fsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (base == MAP_FAILED) return MC_SHM_ESYS;
        mc_shm *s = new_handle(base, fsize, 0);
        if (!s) {
          munmap(base, fsize);
          return MC_SHM_ESYS;
        }
        r = attach_shards(s);
        if (r) {
          free_handle(s);
          munmap(base, fsize);
          return r;
        }
        *out = s;
        return MC_SHM_OK;
      } else {
        verdict = pid_alive(h->creator_pid) ? MC_SHM_ENOTREADY : MC_SHM_ESTALE;
      }
      munmap(h, HEADER_SIZE);
      if (verdict == MC_SHM_ESTALE) return verdict;
    }
    if (now_ns() >= deadline) return verdict;
    sleep_ms(1);
  }
}

static int create_new(int fd, const mc_shm_options *in, mc_shm **out, int *err) {
  mc_shm_options o = *in;
  if (o.policy < 0) o.policy = MC_CACHE_SIEVE; /* a hit writes nothing: reads need no lock */
  if (!o.ttl_set) o.ttl_ms = 0;
  uint32_t shards = o.shards ? o.shards : DEFAULT_SHARDS;
  if (shards > MC_SHM_MAX_SHARDS || o.policy > MC_CACHE_SIEVE || o.max_bytes == 0 ||
      o.max_bytes < shards || o.ttl_ms > MC_CACHE_TTL_MAX)
    return MC_SHM_EINVAL;
  o.shards = shards;
  mc_cache_config cfg;
  shard_config(&o, shards, &cfg);
  size_t region = mc_cache_region_size(&cfg);
  if (region == 0) return MC_SHM_EINVAL;
  size_t size = segment_size(shards, region);
  if (ftruncate(fd, (off_t)size)) return MC_SHM_ESYS;
  int r = posix_fallocate(fd, 0, (off_t)size);
  if (r) {
    *err = r;
    return r == ENOSPC ? MC_SHM_ENOSPC : MC_SHM_ESYS;
  }
  uint8_t *base = (uint8_t *)mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) return MC_SHM_ESYS;
  r = format(base, size, &o, shards, region);
  mc_shm *s = r ? NULL : new_handle(base, size, 1);
  if (!r && !s) r = MC_SHM_ESYS;
  if (!r) r = attach_shards(s);
  if (r) {
    if (s) free_handle(s);
    munmap(base, size);
    return r;
  }
  atomic_store_explicit(&s->h->state, ST_READY, memory_order_release);
  *out = s;
  return MC_SHM_OK;
}

int mc_shm_open(const char *name, int is_path, const mc_shm_options *opt,
                mc_shm **out, int *errno_out, const char **bad_option) {
  int dummy_err;
  const char *dummy_bad;
  if (!errno_out) errno_out = &dummy_err;
  if (!bad_option) bad_option = &dummy_bad;
  *errno_out = 0;
  *bad_option = NULL;
  *out = NULL;
  if (!robust_supported()) return MC_SHM_ENOROBUST;
  char full[4096];
  int r = full_name(name, is_path, full, sizeof full);
  if (r) return r;
  for (int attempt = 0; attempt < 3; attempt++) {
    if (!opt->no_create) {
      int fd = open_fd(full, is_path, O_RDWR | O_CREAT | O_EXCL);
      if (fd >= 0) {
        r = create_new(fd, opt, out, errno_out);
        if (r && !*errno_out) *errno_out = errno;
        if (r) remove_name(full, is_path);
        close(fd);
        if (r == MC_SHM_OK) claim_pid_slot(*out);
        return r;
      }
      if (errno != EEXIST) {
        *errno_out = errno;
        return MC_SHM_ESYS;
      }
    }
    int fd = open_fd(full, is_path, O_RDWR);
    if (fd < 0) {
      /* Removed between our two opens (a failed creator): try again. */
      if (errno == ENOENT && !opt->no_create) continue;
      *errno_out = errno;
      return errno == ENOENT ? MC_SHM_ENOENT : MC_SHM_ESYS;
    }
    r = open_existing(fd, opt, out, bad_option);
    if (r == MC_SHM_ESYS) *errno_out = errno;
    close(fd);
    if (r == MC_SHM_OK) claim_pid_slot(*out);
    return r;
  }
  return MC_SHM_ENOTREADY;
}

/* Adds this process's pending lock-free read counts to shard i's counters. */
static void flush_reads(mc_shm *s, uint32_t i) {
  shard_ctl *ctl = ctl_of(s, i);
  uint32_t *p = &s->pending[2 * (size_t)i];
  if (p[0]) atomic_fetch_add_explicit(&ctl->read_hits, p[0], memory_order_relaxed);
  if (p[1]) atomic_fetch_add_explicit(&ctl->read_misses, p[1], memory_order_relaxed);
  p[0] = p[1] = 0;
}

void mc_shm_close(mc_shm *s) {
  if (!s) return;
  if (s->pid_slot >= 0) {
    int32_t me = (int32_t)getpid();
    atomic_compare_exchange_strong(&s->h->pids[s->pid_slot], &me, 0);
  }
  for (uint32_t i = 0; i < s->h->shards; i++) {
    flush_reads(s, i);
    if (mc_cache_pending_counts(s->caches[i]) && mc_shm_lock(s, i, NULL)) {
      mc_cache_flush_counts(s->caches[i]);
      mc_shm_unlock(s, i);
    }
  }
  uint8_t *base = s->base;
  size_t size = s->size;
  free_handle(s);
  munmap(base, size);
}

int mc_shm_unlink(const char *name, int is_path, int *errno_out) {
  char full[4096];
  int r = full_name(name, is_path, full, sizeof full);
  if (r) return r;
  if (remove_name(full, is_path) == 0) return MC_SHM_OK;
  if (errno_out) *errno_out = errno;
  return errno == ENOENT ? MC_SHM_ENOENT : MC_SHM_ESYS;
}

void mc_shm_options_of(const mc_shm *s, mc_shm_options *out) {
  memset(out, 0, sizeof *out);
  out->max_bytes = s->h->max_bytes;
  out->max_entries = s->h->max_entries;
  out->ttl_ms = s->h->ttl_ms;
  out->ttl_set = 1;
  out->policy = s->h->policy;
  out->shards = s->h->shards;
}

int mc_shm_created(const mc_shm *s) { return s->created; }
uint32_t mc_shm_shard_count(const mc_shm *s) { return s->h->shards; }
size_t mc_shm_segment_size(const mc_shm *s) { return s->size; }

uint64_t mc_shm_hash(const mc_shm *s, const void *key, size_t klen) {
  return mc_cache_hash(s->caches[0], key, klen);
}

uint32_t mc_shm_shard_of_hash(const mc_shm *s, uint64_t hash) {
  return (uint32_t)hash % s->h->shards;
}

uint32_t mc_shm_shard_of(const mc_shm *s, const void *key, size_t klen) {
  return mc_shm_shard_of_hash(s, mc_shm_hash(s, key, klen));
}

/* ---- locking ---------------------------------------------------------------- */

#define BUMP(field, n) atomic_store_explicit(&(field), \
    atomic_load_explicit(&(field), memory_order_relaxed) + (n), memory_order_relaxed)

/* The holder died inside the lock: keep the shard if it verifies (a
 * mutation that had not started or had finished), otherwise empty it. */
static void recover(mc_shm *s, uint32_t i) {
  shard_ctl *ctl = ctl_of(s, i);
  mc_cache *c = s->caches[i];
  BUMP(ctl->recoveries, 1);
  if (!mc_cache_mutating(c) && mc_cache_verify(c) == 0) return; /* died outside a change */
  uint64_t lost = 0;
  BUMP(ctl->repairs, 1);
  if (mc_cache_repair(c, &lost) < 0) BUMP(ctl->resets, 1);
  BUMP(ctl->lost, lost);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* trylock; while it is busy, spins on `held` and tries again when the
 * holder has left, up to MC_SHM_SPINS pauses in all. A critical section
 * lasts well under a microsecond, while sleeping on the futex and being woken
 * costs a system call on each side and, on a VM, an interrupt between the
 * CPUs. Returns trylock's result (EBUSY: the caller blocks). */
static int trylock_spinning(shard_ctl *ctl) {
  int r = pthread_mutex_trylock(&ctl->mu);
  for (int n = MC_SHM_SPINS; r == EBUSY && n > 0; n--) {
    cpu_relax();
    if (!atomic_load_explicit(&ctl->held, memory_order_relaxed)) r = pthread_mutex_trylock(&ctl->mu);
  }
  return r;
}

mc_cache *mc_shm_lock(mc_shm *s, uint32_t i, int *err) {
  shard_ctl *ctl = ctl_of(s, i);
  int r = trylock_spinning(ctl);
  uint64_t waited = 0;
  int contended = 0;
  if (r == EBUSY) {
    contended = 1;
    uint64_t t0 = now_ns();
    r = pthread_mutex_lock(&ctl->mu);
    waited = now_ns() - t0;
  }
  if (r != 0 && r != EOWNERDEAD) {
    if (err) *err = MC_SHM_ELOCK;
    return NULL;
  }
  atomic_store_explicit(&ctl->held, 1u, memory_order_relaxed);
  if (r == EOWNERDEAD) {
    recover(s, i);
    pthread_mutex_consistent(&ctl->mu);
  }
  BUMP(ctl->acquisitions, 1);
  if (contended) {
    BUMP(ctl->contended, 1);
    BUMP(ctl->wait_ns, waited);
  }
  return s->caches[i];
}

void mc_shm_unlock(mc_shm *s, uint32_t i) {
  shard_ctl *ctl = ctl_of(s, i);
  atomic_store_explicit(&ctl->held, 0u, memory_order_relaxed);
  pthread_mutex_unlock(&ctl->mu);
}

int mc_shm_read(mc_shm *s, uint32_t i, const void *key, size_t klen, uint64_t hash, uint64_t now,
                void *buf, size_t cap, mc_cache_copy *out) {
  int r = mc_cache_read_copy_hashed(s->caches[i], key, klen, hash, now, buf, cap, out);
  for (int n = MC_SHM_SPINS; r == MC_CACHE_BUSY && n > 0; n--) {
    cpu_relax();
    r = mc_cache_read_copy_hashed(s->caches[i], key, klen, hash, now, buf, cap, out);
  }
  if (r == MC_CACHE_HIT || r == MC_CACHE_MISS) {
    uint32_t *p = &s->pending[2 * (size_t)i + (r == MC_CACHE_MISS)];
    if (++*p >= MC_SHM_READ_FLUSH) flush_reads(s, i);
    return r;
  }
  return MC_CACHE_RETRY;
}

const mc_cache *mc_shm_cache(const mc_shm *s, uint32_t i) { return s->caches[i]; }

void mc_shm_lock_stats_of(mc_shm *s, uint32_t i, mc_shm_lock_stats *out) {
  flush_reads(s, i);
  shard_ctl *ctl = ctl_of(s, i);
  out->acquisitions = atomic_load_explicit(&ctl->acquisitions, memory_order_relaxed);
  out->contended = atomic_load_explicit(&ctl->contended, memory_order_relaxed);
  out->wait_ns = atomic_load_explicit(&ctl->wait_ns, memory_order_relaxed);
  out->recoveries = atomic_load_explicit(&ctl->recoveries, memory_order_relaxed);
  out->resets = atomic_load_explicit(&ctl->resets, memory_order_relaxed);
  out->repairs = atomic_load_explicit(&ctl->repairs, memory_order_relaxed);
  out->lost = atomic_load_explicit(&ctl->lost, memory_order_relaxed);
  out->read_hits = atomic_load_explicit(&ctl->read_hits, memory_order_relaxed);
  out->read_misses = atomic_load_explicit(&ctl->read_misses, memory_order_relaxed);
}

uint32_t mc_shm_attached(mc_shm *s) {
  int32_t seen[MC_SHM_MAX_PIDS];
  uint32_t n = 0;
  for (uint32_t i = 0; i < MC_SHM_MAX_PIDS; i++) {
    int32_t pid = atomic_load(&s->h->pids[i]);
    if (pid == 0) continue;
    if (!pid_alive(pid)) {
      atomic_compare_exchange_strong(&s->h->pids[i], &pid, 0);
      continue;
    }
    uint32_t j = 0;
    while (j < n && seen[j] != pid) j++;
    if (j == n) seen[n++] = pid;
  }
  return n;
}

int mc_shm_verify(mc_shm *s) {
  int bad = 0;
  for (uint32_t i = 0; i < s->h->shards; i++) {
    int err;
    mc_cache *c = mc_shm_lock(s, i, &err);
    if (!c) return MC_SHM_ELOCK;
    if (mc_cache_verify(c) != 0) bad = 1;
    mc_shm_unlock(s, i);
  }
  return bad ? MC_SHM_ECORRUPT : MC_SHM_OK;
}

const char *mc_shm_strerror(int code) {
  switch (code) {
    case MC_SHM_OK: return "ok";
    case MC_SHM_EINVAL: return "invalid name or options";
    case MC_SHM_ENOSPC: return "not enough shared memory for the segment (is /dev/shm full or too small?)";
    case MC_SHM_ESYS: return "a system call failed";
    case MC_SHM_ETRUNCATED: return "the segment file is truncated";
    case MC_SHM_ECORRUPT: return "the segment is not a memctl shared cache or is corrupt";
    case MC_SHM_EVERSION: return "the segment was created by another layout version of memctl";
    case MC_SHM_ENOTREADY: return "the segment is still being created (timed out waiting)";
    case MC_SHM_ESTALE: return "the segment's creator died before finishing it; unlink it";
    case MC_SHM_EOPTION: return "an option contradicts the existing segment";
    case MC_SHM_ENOROBUST: return "robust process-shared mutexes are not available on this platform";
    case MC_SHM_ENOENT: return "no such shared cache";
    case MC_SHM_ELOCK: return "a shard lock is unrecoverable";
    default: return "unknown error";
  }
}

/* ---- test hook ---------------------------------------------------------------- */

static long stop_countdown;

static void stop_hook(int point) {
  (void)point;
  if (--stop_countdown == 0) raise(SIGSTOP);
}

int mc_shm_install_test_hook_from_env(void) {
  const char *v = getenv("MEMCTL_TEST_STOP_AT");
  if (!v || !*v) return 0;
  long n = strtol(v, NULL, 10);
  if (n < 1) return 0;
  stop_countdown = n;
  mc_cache_set_test_hook(stop_hook);
  return 1;
}

#else /* !__linux__ */

int mc_shm_open(const char *name, int is_path, const mc_shm_options *opt,
                mc_shm **out, int *errno_out, const char **bad_option) {
  (void)name, (void)is_path, (void)opt;
  *out = 0;
  if (errno_out) *errno_out = 0;
  if (bad_option) *bad_option = 0;
  return MC_SHM_ENOROBUST;
}
/* No handle can exist here: the functions taking one are never reached. */
void mc_shm_close(mc_shm *s) { (void)s; }
int mc_shm_unlink(const char *name, int is_path, int *errno_out) {
  (void)name, (void)is_path, (void)errno_out;
  return MC_SHM_ENOROBUST;
}
void mc_shm_options_of(const mc_shm *s, mc_shm_options *out) { (void)s, (void)out; }
int mc_shm_created(const mc_shm *s) { (void)s; return 0; }
uint32_t mc_shm_shard_count(const mc_shm *s) { (void)s; return 0; }
size_t mc_shm_segment_size(const mc_shm *s) { (void)s; return 0; }
uint64_t mc_shm_hash(const mc_shm *s, const void *key, size_t klen) {
  (void)s, (void)key, (void)klen;
  return 0;
}
uint32_t mc_shm_shard_of_hash(const mc_shm *s, uint64_t hash) { (void)s, (void)hash; return 0; }
uint32_t mc_shm_shard_of(const mc_shm *s, const void *key, size_t klen) {
  (void)s, (void)key, (void)klen;
  return 0;
}
mc_cache *mc_shm_lock(mc_shm *s, uint32_t i, int *err) {
  (void)s, (void)i;
  if (err) *err = MC_SHM_ENOROBUST;
  return 0;
}
void mc_shm_unlock(mc_shm *s, uint32_t i) { (void)s, (void)i; }
void mc_shm_lock_stats_of(mc_shm *s, uint32_t i, mc_shm_lock_stats *out) {
  (void)s, (void)i, (void)out;
}
int mc_shm_read(mc_shm *s, uint32_t i, const void *key, size_t klen, uint64_t hash, uint64_t now,
                void *buf, size_t cap, mc_cache_copy *out) {
  (void)s, (void)i, (void)key, (void)klen, (void)hash, (void)now, (void)buf, (void)cap, (void)out;
  return MC_CACHE_RETRY;
}
const mc_cache *mc_shm_cache(const mc_shm *s, uint32_t i) { (void)s, (void)i; return 0; }
uint32_t mc_shm_attached(mc_shm *s) { (void)s; return 0; }
int mc_shm_verify(mc_shm *s) { (void)s; return MC_SHM_ENOROBUST; }
const char *mc_shm_strerror(int code) {
  return code == MC_SHM_ENOROBUST ? "SharedCache needs Linux (robust process-shared mutexes)" : "error";
}
int mc_shm_install_test_hook_from_env(void) { return 0; }

#endif
