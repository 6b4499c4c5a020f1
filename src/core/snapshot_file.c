/* Feeding the snapshot parser from a file: plain POSIX reads in large blocks,
 * so a file-path parse runs entirely in native code (the binding runs it in
 * napi_async_work, off the JS thread). A reader thread fills a ring of
 * blocks while the calling thread parses, so the kernel's copy out of the
 * page cache (a fifth of the time of a single-threaded parse) overlaps
 * parsing when a second core is free. If the thread cannot be started, the
 * caller reads and parses in turn. */
#include "core/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* 1 MiB blocks: each stays in cache between read()'s copy and the parse
 * (measured: 1 MiB beat 64 KiB and 4 MiB single-threaded). */
#define FILE_BLOCK ((size_t)1 << 20)
#define RING 4

static ssize_t read_full(int fd, unsigned char *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(fd, buf + got, len - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

/* Blocks [tail, head) are full (indexes mod RING); the reader owns the slot
 * at head while it reads, the parser the slot at tail while it parses. */
typedef struct {
  int fd;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  unsigned char *buf[RING];
  size_t len[RING];
  unsigned head, tail;
  int eof, err, stop;
} ring;

static void *reader_main(void *arg) {
  ring *r = arg;
  for (;;) {
    pthread_mutex_lock(&r->mu);
    while (r->head - r->tail == RING && !r->stop) pthread_cond_wait(&r->cv, &r->mu);
    int stop = r->stop;
    unsigned slot = r->head % RING;
    pthread_mutex_unlock(&r->mu);
    if (stop) return NULL;
    ssize_t got = read_full(r->fd, r->buf[slot], FILE_BLOCK);
    int err = got < 0 ? errno : 0;
    pthread_mutex_lock(&r->mu);
    if (got > 0) {
      r->len[slot] = (size_t)got;
      r->head++;
    } else {
      r->err = err;
      r->eof = 1;
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (got <= 0) return NULL;
  }
}

/* Parses the blocks the reader fills; returns the parser status, or
 * MC_SNAP_EIO with *sys_errno set. */
static mc_snap_status consume(ring *r, mc_snap_parser *p, uint64_t *progress, int *sys_errno) {
  uint64_t total = 0;
  for (;;) {
    pthread_mutex_lock(&r->mu);
    while (r->head == r->tail && !r->eof) pthread_cond_wait(&r->cv, &r->mu);
    int empty = r->head == r->tail;
    unsigned slot = r->tail % RING;
    pthread_mutex_unlock(&r->mu);
    if (empty) {
      if (!r->err) return MC_SNAP_OK;
      *sys_errno = r->err;
      return MC_SNAP_EIO;
    }
    mc_snap_status st = mc_snap_parser_feed(p, r->buf[slot], r->len[slot]);
    total += r->len[slot];
    if (progress) __atomic_store_n(progress, total, __ATOMIC_RELAXED);
    pthread_mutex_lock(&r->mu);
    r->tail++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (st != MC_SNAP_OK) return st;
  }
}

/* The fallback: read and parse in turn on the calling thread. */
static mc_snap_status feed_serial(int fd, unsigned char *buf, mc_snap_parser *p, uint64_t *progress, int *sys_errno) {
  uint64_t total = 0;
  for (;;) {
    ssize_t got = read_full(fd, buf, FILE_BLOCK);
    if (got < 0) {
      *sys_errno = errno;
      return MC_SNAP_EIO;
    }
    if (got == 0) return MC_SNAP_OK;
    mc_snap_status st = mc_snap_parser_feed(p, buf, (size_t)got);
    total += (uint64_t)got;
    if (progress) __atomic_store_n(progress, total, __ATOMIC_RELAXED);
    if (st != MC_SNAP_OK) return st;
  }
}

static mc_snap_status feed_threaded(ring *r, mc_snap_parser *p, uint64_t *progress, int *sys_errno) {
  pthread_t th;
  if (pthread_create(&th, NULL, reader_main, r) != 0) return feed_serial(r->fd, r->buf[0], p, progress, sys_errno);
  mc_snap_status st = consume(r, p, progress, sys_errno);
  pthread_mutex_lock(&r->mu);
  r->stop = 1;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
  pthread_join(th, NULL);
  return st;
}

mc_snap_status mc_snap_parser_feed_file(mc_snap_parser *p, const char *path, uint64_t *progress, int *sys_errno,
                                        const char **syscall) {
  *sys_errno = 0;
  *syscall = "open";
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *sys_errno = errno;
    return MC_SNAP_EIO;
  }
#ifdef POSIX_FADV_SEQUENTIAL
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  ring r = { .fd = fd };
  mc_snap_status st = MC_SNAP_ENOMEM;
  int ok = 1;
  for (int i = 0; i < RING; i++) ok &= (r.buf[i] = malloc(FILE_BLOCK)) != NULL;
  if (ok && pthread_mutex_init(&r.mu, NULL) == 0) {
    if (pthread_cond_init(&r.cv, NULL) == 0) {
      st = feed_threaded(&r, p, progress, sys_errno);
      pthread_cond_destroy(&r.cv);
    } else {
      st = feed_serial(fd, r.buf[0], p, progress, sys_errno);
    }
    pthread_mutex_destroy(&r.mu);
  }
  if (st == MC_SNAP_EIO) *syscall = "read";
  for (int i = 0; i < RING; i++) free(r.buf[i]);
  close(fd);
  return st;
}

/* ---- one whole parse ------------------------------------------------------ */

const char *mc_snap_retained_error(mc_snap_status st) {
  if (st == MC_SNAP_EINVAL) return "the snapshot was parsed without its edges (nodes-only): no retained sizes";
  return st == MC_SNAP_ECORRUPT ? "the dominator computation does not converge on this graph"
                                : "the dominator tree needs more memory than maxMemory allows";
}

mc_snap_status mc_snap_job_run(mc_snap_parser *p, mc_snap_job *job) {
  job->snap = NULL;
  job->sys_errno = 0;
  job->syscall = "open";
  job->message = NULL;
  mc_snap_status st = MC_SNAP_OK;
  if (job->path) {
    st = mc_snap_parser_feed_file(p, job->path, job->progress, &job->sys_errno, &job->syscall);
    if (job->read_done) __atomic_store_n(job->read_done, 1, __ATOMIC_RELEASE);
  }
  mc_snap *snap = NULL;
  if (st == MC_SNAP_OK) st = mc_snap_parser_finish(p, &snap);
  if (st != MC_SNAP_OK) {
    job->message = mc_snap_parser_error(p);
    return st;
  }
  if (job->retained) {
    st = mc_snap_compute_retained(snap, (mc_snap_dom_mode)job->mode);
    if (st != MC_SNAP_OK) {
      mc_snap_free(snap);
      job->message = mc_snap_retained_error(st);
      return st;
    }
  }
  job->snap = snap;
  return MC_SNAP_OK;
}
