#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/shm.h"

#define MiB (1024u * 1024u)

static int seq;

/* A shm name unique per process and test. */
static const char *uniq(char *buf, size_t n) {
  snprintf(buf, n, "ctest-%d-%d", (int)getpid(), ++seq);
  return buf;
}

static mc_shm_options opts(uint64_t max_bytes, uint32_t shards) {
  mc_shm_options o;
  memset(&o, 0, sizeof o);
  o.max_bytes = max_bytes;
  o.policy = -1;
  o.shards = shards;
  o.open_timeout_ms = 50;
  return o;
}

static mc_shm *open_ok(const char *name, const mc_shm_options *o) {
  mc_shm *s = NULL;
  int e;
  const char *bad;
  int r = mc_shm_open(name, 0, o, &s, &e, &bad);
  assert_int_equal(r, MC_SHM_OK);
  assert_non_null(s);
  return s;
}

/* Creates a segment under a fresh name (written to name). */
static mc_shm *new_segment(char *name, size_t n, uint64_t max_bytes, uint32_t shards) {
  uniq(name, n);
  mc_shm_options o = opts(max_bytes, shards);
  return open_ok(name, &o);
}

/* Attaches to an existing segment with the segment's own options (a child's
 * open); NULL on failure. */
static mc_shm *attach(const char *name) {
  mc_shm_options none = opts(0, 0);
  mc_shm *c = NULL;
  return mc_shm_open(name, 0, &none, &c, NULL, NULL) == MC_SHM_OK ? c : NULL;
}

static void close_and_unlink(mc_shm *s, const char *name) {
  mc_shm_close(s);
  mc_shm_unlink(name, 0, NULL);
}

/* Locks the shard of key k; its number in *i. */
static mc_cache *lock_key(mc_shm *s, const char *k, uint32_t *i) {
  *i = mc_shm_shard_of(s, k, strlen(k));
  int err;
  mc_cache *c = mc_shm_lock(s, *i, &err);
  assert_non_null(c);
  return c;
}

static void put(mc_shm *s, const char *k, const char *v) {
  uint32_t i;
  mc_cache *c = lock_key(s, k, &i);
  assert_int_equal(mc_cache_set(c, k, strlen(k), v, strlen(v), 0, MC_CACHE_TTL_DEFAULT, 1), 0);
  mc_shm_unlock(s, i);
}

/* 1 and the value in out if present. */
static int fetch(mc_shm *s, const char *k, char *out, size_t cap) {
  uint32_t i;
  mc_cache *c = lock_key(s, k, &i);
  mc_cache_view v;
  int hit = mc_cache_get(c, k, strlen(k), 1, 0, &v) == MC_CACHE_HIT;
  if (hit) {
    assert_true(v.vlen < cap);
    memcpy(out, v.val, v.vlen);
    out[v.vlen] = 0;
  }
  mc_shm_unlock(s, i);
  return hit;
}

/* A self-checking value for key i: [i u32][n u32][n filler bytes][sum u32]. */
static size_t make_value(uint8_t *out, uint32_t i, uint32_t n) {
  memcpy(out, &i, 4);
  memcpy(out + 4, &n, 4);
  for (uint32_t j = 0; j < n; j++) out[8 + j] = (uint8_t)(i * 31 + j * 7);
  uint32_t sum = 0;
  for (uint32_t j = 0; j < 8 + n; j++) sum = sum * 16777619u ^ out[j];
  memcpy(out + 8 + n, &sum, 4);
  return 12 + n;
}

static int value_ok(const uint8_t *v, size_t len, uint32_t want_i) {
  uint32_t i, n, sum = 0, got;
  if (len < 12) return 0;
  memcpy(&i, v, 4);
  memcpy(&n, v + 4, 4);
  if (i != want_i || len != 12 + (size_t)n) return 0;
  for (uint32_t j = 0; j < 8 + n; j++) sum = sum * 16777619u ^ v[j];
  memcpy(&got, v + 8 + n, 4);
  return got == sum;
}

/* The next of a xorshift stream of keys "key<i>", i < 3000; returns i. */
static uint32_t next_key(uint64_t *x, char k[16]) {
  *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
  uint32_t i = (uint32_t)(*x % 3000);
  snprintf(k, 16, "key%u", i);
  return i;
}

/* Lock-free reads (mc_shm_read) in this process while a forked writer sets
 * values of changing sizes (entries move, evict, get deleted) as fast as it
 * can: every hit must be a whole, current-shape value of its key. */
static void test_lock_free_reads_against_a_writer(void **state) {
  (void)state;
  char name[64];
  uniq(name, sizeof name);
  mc_shm_options o = opts(256 * 1024, 2);
  mc_shm *s = open_ok(name, &o);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    mc_shm *w = NULL;
    int e;
    const char *bad;
    if (mc_shm_open(name, 0, &o, &w, &e, &bad) != MC_SHM_OK) _exit(2);
    uint8_t v[600];
    uint64_t x = 88172645463325252ULL;
    for (;;) {
      char k[16];
      uint32_t i = next_key(&x, k);
      uint32_t sh = mc_shm_shard_of(w, k, strlen(k));
      int err;
      mc_cache *c = mc_shm_lock(w, sh, &err);
      if (!c) _exit(3);
      if ((x >> 20) % 8 == 0) {
        mc_cache_delete(c, k, strlen(k), 1);
      } else {
        size_t len = make_value(v, i, (uint32_t)((x >> 24) % 500));
        mc_cache_set(c, k, strlen(k), v, len, 0, MC_CACHE_TTL_DEFAULT, 1);
        mc_cache_view view;
        mc_cache_get(c, k, strlen(k), 1, 0, &view); /* SIEVE: mark it visited */
      }
      mc_shm_unlock(w, sh);
    }
  }
  uint8_t buf[1024];
  uint64_t hits = 0, bad_values = 0;
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int n = 0; n < 2000000; n++) {
    char k[16];
    uint32_t i = next_key(&x, k);
    uint64_t h = mc_shm_hash(s, k, strlen(k));
    uint32_t sh = mc_shm_shard_of_hash(s, h);
    mc_cache_copy cp;
    int r = mc_shm_read(s, sh, k, strlen(k), h, 1, buf, sizeof buf, &cp);
    if (r == MC_CACHE_HIT) {
      hits++;
      if (!value_ok(buf, cp.vlen, i)) bad_values++;
    }
  }
  kill(child, SIGKILL);
  int status;
  waitpid(child, &status, 0);
  assert_true(WIFSIGNALED(status)); /* the writer ran until killed */
  assert_int_equal(bad_values, 0);
  assert_true(hits > 1000);
  mc_shm_lock_stats ls, total = {0};
  for (uint32_t i = 0; i < mc_shm_shard_count(s); i++) {
    mc_shm_lock_stats_of(s, i, &ls);
    total.read_hits += ls.read_hits;
  }
  assert_int_equal(total.read_hits, hits);
  /* the writer may have died holding a lock: the next locker recovers */
  assert_int_equal(mc_shm_verify(s), MC_SHM_OK);
  mc_shm_close(s);
  mc_shm_unlink(name, 0, NULL);
}

static void test_create_open_share(void **state) {
  (void)state;
  char name[64];
  mc_shm *a = new_segment(name, sizeof name, 4 * MiB, 4);
  assert_true(mc_shm_created(a));
  mc_shm_options none = opts(0, 0);
  mc_shm *b = open_ok(name, &none);  /* omitted options: the segment's */
  assert_false(mc_shm_created(b));
  mc_shm_options got;
  mc_shm_options_of(b, &got);
  assert_int_equal(got.max_bytes, 4 * MiB);
  assert_int_equal(got.shards, 4);
  assert_int_equal(got.policy, MC_CACHE_SIEVE);
  char key[32], val[64], out[64];
  for (int i = 0; i < 200; i++) {
    snprintf(key, sizeof key, "k%d", i);
    snprintf(val, sizeof val, "value-%d", i * 7);
    put(a, key, val);
  }
  for (int i = 0; i < 200; i++) {
    snprintf(key, sizeof key, "k%d", i);
    snprintf(val, sizeof val, "value-%d", i * 7);
    assert_true(fetch(b, key, out, sizeof out));  /* another mapping, another address */
    assert_string_equal(out, val);
  }
  assert_int_equal(mc_shm_verify(a), MC_SHM_OK);
  assert_int_equal(mc_shm_attached(a), 1);
  mc_shm_close(b);
  mc_shm_close(a);
  assert_int_equal(mc_shm_unlink(name, 0, NULL), MC_SHM_OK);
  assert_int_equal(mc_shm_unlink(name, 0, NULL), MC_SHM_ENOENT);
}

static void test_contradicting_options_name_the_option(void **state) {
  (void)state;
  char name[64];
  mc_shm *a = new_segment(name, sizeof name, 2 * MiB, 2);
  struct { mc_shm_options o; const char *bad; } cases[5];
  for (int i = 0; i < 5; i++) cases[i].o = opts(0, 0);
  cases[0].o.max_bytes = 3 * MiB, cases[0].bad = "maxBytes";
  cases[1].o.max_entries = 10, cases[1].bad = "max";
  cases[2].o.ttl_set = 1, cases[2].o.ttl_ms = 5, cases[2].bad = "ttl";
  cases[3].o.policy = MC_CACHE_FIFO, cases[3].bad = "policy";
  cases[4].o.shards = 3, cases[4].bad = "shards";
  for (int i = 0; i < 5; i++) {
    mc_shm *s = NULL;
    const char *bad = NULL;
    assert_int_equal(mc_shm_open(name, 0, &cases[i].o, &s, NULL, &bad), MC_SHM_EOPTION);
    assert_null(s);
    assert_string_equal(bad, cases[i].bad);
  }
  close_and_unlink(a, name);
}

static void test_open_only_and_bad_names(void **state) {
  (void)state;
  char name[64];
  uniq(name, sizeof name);
  mc_shm_options o = opts(MiB, 1);
  o.no_create = 1;
  mc_shm *s = NULL;
  assert_int_equal(mc_shm_open(name, 0, &o, &s, NULL, NULL), MC_SHM_ENOENT);
  o.no_create = 0;
  assert_int_equal(mc_shm_open("a/b", 0, &o, &s, NULL, NULL), MC_SHM_EINVAL);
  assert_int_equal(mc_shm_open("", 0, &o, &s, NULL, NULL), MC_SHM_EINVAL);
  o.max_bytes = 0;  /* creating needs max_bytes */
  assert_int_equal(mc_shm_open(name, 0, &o, &s, NULL, NULL), MC_SHM_EINVAL);
  assert_int_equal(mc_shm_unlink(name, 0, NULL), MC_SHM_ENOENT);  /* failed creation removed it */
}

/* A full shared-memory filesystem: a private 4 MiB tmpfs (as Docker's small
 * /dev/shm), so the test never fills the machine's /dev/shm. Needs root to
 * mount; skipped otherwise. */
static void test_full_tmpfs_is_enospc(void **state) {
  (void)state;
  char dir[128], path[192];
  snprintf(dir, sizeof dir, "/tmp/memctl-ctest-mnt-%d", (int)getpid());
  assert_int_equal(mkdir(dir, 0700), 0);
  if (mount("tmpfs", dir, "tmpfs", 0, "size=4m") != 0) {
    rmdir(dir);
    skip();
  }
  snprintf(path, sizeof path, "%s/seg", dir);
  mc_shm_options o = opts(16 * MiB, 1);
  o.max_entries = 1024;  /* keep the index small: the arena alone overflows */
  mc_shm *s = NULL;
  int e = 0;
  int r = mc_shm_open(path, 1, &o, &s, &e, NULL);
  struct stat st;
  int left = stat(path, &st) == 0;
  o.max_bytes = MiB;  /* fits */
  mc_shm *small = NULL;
  int r2 = mc_shm_open(path, 1, &o, &small, NULL, NULL);
  if (small) mc_shm_close(small);
  unlink(path);
  umount(dir);
  rmdir(dir);
  assert_int_equal(r, MC_SHM_ENOSPC);
  assert_int_equal(e, ENOSPC);
  assert_null(s);
  assert_false(left);  /* the failed segment was removed */
  assert_int_equal(r2, MC_SHM_OK);
}

/* ---- damaged segment files ------------------------------------------------------ */

static void tmp_path(char *buf, size_t n) {
  snprintf(buf, n, "/tmp/memctl-ctest-%d-%d", (int)getpid(), ++seq);
}

static int open_path(const char *path, mc_shm **s) {
  mc_shm_options o = opts(0, 0);
  o.no_create = 1;
  return mc_shm_open(path, 1, &o, s, NULL, NULL);
}

/* A fresh segment file at path (any old file removed) holding one entry. */
static void make_file_segment(const char *path) {
  mc_shm_options o = opts(MiB, 2);
  mc_shm *s = NULL;
  unlink(path);
  assert_int_equal(mc_shm_open(path, 1, &o, &s, NULL, NULL), MC_SHM_OK);
  put(s, "a", "1");
  mc_shm_close(s);
}

/* A new segment file under a fresh name in path; returns its size. */
static off_t new_file_segment(char *path, size_t n) {
  tmp_path(path, n);
  make_file_segment(path);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  return st.st_size;
}

/* Opening path fails with code and hands back no segment. */
static void expect_open_fails(const char *path, int code) {
  mc_shm *s = NULL;
  assert_int_equal(open_path(path, &s), code);
  assert_null(s);
}

static void test_truncated_segment(void **state) {
  (void)state;
  char path[128];
  off_t size = new_file_segment(path, sizeof path);
  assert_int_equal(truncate(path, size / 2), 0);
  expect_open_fails(path, MC_SHM_ETRUNCATED);
  assert_int_equal(truncate(path, 100), 0);  /* smaller than the header */
  expect_open_fails(path, MC_SHM_ETRUNCATED);
  assert_int_equal(truncate(path, 0), 0);
  expect_open_fails(path, MC_SHM_ETRUNCATED);
  unlink(path);
}

static void patch(const char *path, off_t off, const void *bytes, size_t n) {
  int fd = open(path, O_RDWR);
  assert_true(fd >= 0);
  assert_int_equal(pwrite(fd, bytes, n, off), (ssize_t)n);
  close(fd);
}

static void test_stale_layout_version(void **state) {
  (void)state;
  char path[128];
  new_file_segment(path, sizeof path);
  uint32_t old = MC_SHM_LAYOUT_VERSION - 1;
  patch(path, 8, &old, 4);  /* version follows the 8-byte magic */
  expect_open_fails(path, MC_SHM_EVERSION);
  unlink(path);
}

static void test_garbage_segment(void **state) {
  (void)state;
  char path[128];
  off_t size = new_file_segment(path, sizeof path);
  srand(7);
  uint8_t *junk = malloc((size_t)size);
  for (off_t i = 0; i < size; i++) junk[i] = (uint8_t)rand();
  patch(path, 0, junk, (size_t)size);
  expect_open_fails(path, MC_SHM_ECORRUPT);
  /* A valid header over garbage shards: the core's region check refuses it. */
  make_file_segment(path);
  patch(path, 1152, junk, (size_t)size - 1152);  /* everything after the header */
  expect_open_fails(path, MC_SHM_ECORRUPT);
  /* A header whose sizes lie. */
  make_file_segment(path);
  uint32_t shards = 100000;
  patch(path, 28, &shards, 4);  /* shards: after magic, version, state, total_size, creator_pid */
  expect_open_fails(path, MC_SHM_ECORRUPT);
  free(junk);
  unlink(path);
}

static void test_creator_died_while_formatting(void **state) {
  (void)state;
  char path[128];
  new_file_segment(path, sizeof path);
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, NULL, 0);
  uint32_t formatting = 0;
  int32_t dead = (int32_t)child;
  patch(path, 12, &formatting, 4);
  patch(path, 24, &dead, 4);
  expect_open_fails(path, MC_SHM_ESTALE);
  int32_t me = (int32_t)getpid();  /* alive but never finishing: a timeout */
  patch(path, 24, &me, 4);
  expect_open_fails(path, MC_SHM_ENOTREADY);
  unlink(path);
}

/* ---- crashes ---------------------------------------------------------------------- */

static void test_child_killed_holding_lock(void **state) {
  (void)state;
  char name[64];
  mc_shm *s = new_segment(name, sizeof name, MiB, 2);
  put(s, "kept", "yes");
  uint32_t shard = mc_shm_shard_of(s, "kept", 4);
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t child = fork();
  if (child == 0) {
    mc_shm *c = attach(name);
    if (!c) _exit(2);
    int err;
    if (!mc_shm_lock(c, shard, &err)) _exit(3);
    if (write(fds[1], "L", 1) != 1) _exit(4);
    for (;;) pause();
  }
  char b;
  assert_int_equal(read(fds[0], &b, 1), 1);
  uint32_t attached = mc_shm_attached(s);
  kill(child, SIGKILL);
  int status;
  waitpid(child, &status, 0);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(attached, 2);
  char out[16];
  assert_true(fetch(s, "kept", out, sizeof out));  /* not mid-mutation: kept */
  assert_string_equal(out, "yes");
  mc_shm_lock_stats ls;
  mc_shm_lock_stats_of(s, shard, &ls);
  assert_int_equal(ls.recoveries, 1);
  assert_int_equal(ls.resets, 0);
  assert_int_equal(mc_shm_attached(s), 1);  /* the dead child is not counted */
  assert_int_equal(mc_shm_verify(s), MC_SHM_OK);
  close(fds[0]);
  close(fds[1]);
  close_and_unlink(s, name);
}

/* A child writes until the core's hook stops it at its n-th mutation point;
 * the parent SIGKILLs it there, then recovers and checks the structure. */
static void test_killed_inside_mutations(void **state) {
  (void)state;
  char name[64];
  mc_shm *s = new_segment(name, sizeof name, 64 * 1024, 1);  /* small: sets evict */
  uint64_t recovered = 0;
  for (int round = 1; round <= 40; round++) {
    pid_t child = fork();
    if (child == 0) {
      char n[16];
      snprintf(n, sizeof n, "%d", 1 + (round * 37) % 50);
      setenv("MEMCTL_TEST_STOP_AT", n, 1);
      if (!mc_shm_install_test_hook_from_env()) _exit(2);
      mc_shm *c = attach(name);
      if (!c) _exit(3);
      char k[32], v[200];
      memset(v, 'x', sizeof v);
      for (int i = 0;; i++) {
        snprintf(k, sizeof k, "r%d-%d", round, i % 300);
        uint32_t sh = mc_shm_shard_of(c, k, strlen(k));
        int err;
        mc_cache *cc = mc_shm_lock(c, sh, &err);
        if (!cc) _exit(4);
        if (i % 5 == 4) mc_cache_delete(cc, k, strlen(k), 1);
        else mc_cache_set(cc, k, strlen(k), v, 20 + (size_t)i % 150, 0, MC_CACHE_TTL_DEFAULT, 1);
        mc_shm_unlock(c, sh);
      }
    }
    int status;
    assert_int_equal(waitpid(child, &status, WUNTRACED), child);
    assert_true(WIFSTOPPED(status));
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    put(s, "after", "ok");  /* takes the lock: recovers */
    char out[8];
    assert_true(fetch(s, "after", out, sizeof out));
    assert_int_equal(mc_shm_verify(s), MC_SHM_OK);
    mc_shm_lock_stats ls;
    mc_shm_lock_stats_of(s, 0, &ls);
    assert_int_equal(ls.recoveries, ++recovered);
  }
  close_and_unlink(s, name);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_open_share),
      cmocka_unit_test(test_contradicting_options_name_the_option),
      cmocka_unit_test(test_open_only_and_bad_names),
      cmocka_unit_test(test_full_tmpfs_is_enospc),
      cmocka_unit_test(test_truncated_segment),
      cmocka_unit_test(test_stale_layout_version),
      cmocka_unit_test(test_garbage_segment),
      cmocka_unit_test(test_creator_died_while_formatting),
      cmocka_unit_test(test_child_killed_holding_lock),
      cmocka_unit_test(test_killed_inside_mutations),
      cmocka_unit_test(test_lock_free_reads_against_a_writer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
