#include "core/leak.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// memwatch's smoothing periods, in full GCs.
#define RECENT_PERIOD 10.0
#define ANCIENT_PERIOD 120.0

// v is the lowest value the point stands for and hi the highest: they differ
// once thinning has merged points.
typedef struct {
  double t, v, hi;
  int exact;
} point;

struct mc_leak {
  mc_leak_config cfg;
  mc_leak_stats st;
  int have_first;
  double first_t;
  // consecutive detector: the run of growths since the last exact point that
  // did not grow.
  int have_last;
  double last_t, last_v;
  uint32_t run;
  double run_t, run_v;
  // trend detector: points, oldest first.
  point *pts;
  uint32_t n;
  double reported_t;  // windows must start at or after the latest report's end
  double *scratch, *tbuf, *vbuf;
  mc_leak_event ev;
  char *reason;
  size_t reason_size;
};

void mc_leak_config_default(mc_leak_config *cfg) {
  cfg->detector = MC_LEAK_TREND;
  cfg->unit = MC_LEAK_BYTES;
  cfg->consecutive = 5;
  cfg->history = 128;
  cfg->min_points = 6;
  cfg->min_duration_ms = 10000;
  cfg->min_growth = 8.0 * 1024 * 1024;
  cfg->warmup_ms = 0;
  cfg->subject = "heap";
}

int mc_leak_detector_parse(const char *name) {
  if (!name) return -1;
  if (strcmp(name, "trend") == 0) return MC_LEAK_TREND;
  if (strcmp(name, "consecutive") == 0) return MC_LEAK_CONSECUTIVE;
  return -1;
}

static int config_valid(const mc_leak_config *c) {
  return (c->detector == MC_LEAK_TREND || c->detector == MC_LEAK_CONSECUTIVE) &&
         (c->unit == MC_LEAK_BYTES || c->unit == MC_LEAK_UNITS) &&
         c->consecutive >= 1 && c->history >= MC_LEAK_HISTORY_MIN &&
         c->history <= MC_LEAK_HISTORY_MAX && c->min_points >= 3 &&
         c->min_points <= c->history && c->min_duration_ms >= 0 &&
         isfinite(c->min_duration_ms) && c->min_growth > 0 &&
         isfinite(c->min_growth) && c->warmup_ms >= 0 && isfinite(c->warmup_ms) &&
         c->subject != NULL;
}

mc_leak *mc_leak_new(const mc_leak_config *cfg) {
  if (!cfg || !config_valid(cfg)) return NULL;
  mc_leak *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  l->cfg = *cfg;
  size_t h = cfg->history;
  size_t subject_len = strlen(cfg->subject);
  l->reason_size = subject_len + 128;
  l->reason = malloc(l->reason_size);
  char *subject = malloc(subject_len + 1);
  l->pts = malloc(h * sizeof *l->pts);
  l->scratch = malloc(h * (h - 1) / 2 * sizeof(double));
  l->tbuf = malloc(h * sizeof(double));
  l->vbuf = malloc(h * sizeof(double));
  if (!l->reason || !subject || !l->pts || !l->scratch || !l->tbuf || !l->vbuf) {
    free(subject);
    l->cfg.subject = NULL;  // still the caller's string
    mc_leak_free(l);
    return NULL;
  }
  memcpy(subject, cfg->subject, subject_len + 1);
  l->cfg.subject = subject;
  l->reason[0] = '\0';
  l->reported_t = -INFINITY;
  l->ev.reason = l->reason;
  return l;
}

void mc_leak_free(mc_leak *l) {
  if (!l) return;
  free((char *)l->cfg.subject);  // our copy
  free(l->reason);
  free(l->pts);
  free(l->scratch);
  free(l->tbuf);
  free(l->vbuf);
  free(l);
}

void mc_leak_reset(mc_leak *l) {
  l->n = 0;
  l->reported_t = -INFINITY;
  l->run = 0;
  l->have_last = 0;
}

const mc_leak_stats *mc_leak_stats_get(const mc_leak *l) { return &l->st; }
const mc_leak_event *mc_leak_last_event(const mc_leak *l) { return &l->ev; }
uint32_t mc_leak_points(const mc_leak *l) { return l->n; }

// ---- formatting -------------------------------------------------------------

int mc_leak_format_duration(char *buf, size_t size, double ms) {
  if (!(ms >= 0)) ms = 0;
  if (ms < 1000) return snprintf(buf, size, "%.0fms", ms);
  double total = floor(ms / 1000);
  double h = floor(total / 3600);
  double m = floor((total - h * 3600) / 60);
  double s = total - h * 3600 - m * 60;
  if (h > 0) return snprintf(buf, size, "%.0fh %.0fm %.0fs", h, m, s);
  if (m > 0) return snprintf(buf, size, "%.0fm %.0fs", m, s);
  return snprintf(buf, size, "%.0fs", s);
}

int mc_leak_format_size(char *buf, size_t size, double bytes) {
  const double kb = 1024.0, mb = kb * 1024, gb = mb * 1024;
  double a = fabs(bytes);
  if (a >= gb) return snprintf(buf, size, "%.2f gb", bytes / gb);
  if (a >= mb) return snprintf(buf, size, "%.2f mb", bytes / mb);
  if (a >= kb) return snprintf(buf, size, "%.2f kb", bytes / kb);
  return snprintf(buf, size, "%.0f bytes", bytes);
}

// Fills l->ev from the evidence and writes memwatch's reason text.
static void report(mc_leak *l, const char *what, double start_t, double end_t,
                   double start_v, double end_v, double growth, uint32_t samples) {
  mc_leak_event *ev = &l->ev;
  double duration = end_t - start_t;
  ev->start_ms = start_t;
  ev->end_ms = end_t;
  ev->start_value = start_v;
  ev->end_value = end_v;
  ev->growth = growth;
  // A rate needs a duration; with none (points at the same instant) it is
  // reported as 0 rather than infinity.
  ev->rate_per_hour = duration > 0 ? growth / duration * 3600000.0 : 0;
  ev->samples = samples;
  char dur[48], rate[48];
  mc_leak_format_duration(dur, sizeof dur, duration);
  if (duration <= 0)
    snprintf(rate, sizeof rate, "rate unknown");
  else if (l->cfg.unit == MC_LEAK_BYTES)
    mc_leak_format_size(rate, sizeof rate, ev->rate_per_hour);
  else
    snprintf(rate, sizeof rate, "%.2f", ev->rate_per_hour);
  snprintf(l->reason, l->reason_size, "%s growth over %u %s (%s) - %s%s",
           l->cfg.subject, samples, what, dur, rate, duration > 0 ? "/hr" : "");
}

// ---- Theil-Sen ----------------------------------------------------------------

static void swap(double *a, double *b) {
  double t = *a;
  *a = *b;
  *b = t;
}

// Returns the k-th smallest of x[0..n) (0-based), reordering x.
static double select_kth(double *x, uint32_t n, uint32_t k) {
  uint32_t lo = 0, hi = n - 1;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (x[mid] < x[lo]) swap(&x[mid], &x[lo]);
    if (x[hi] < x[lo]) swap(&x[hi], &x[lo]);
    if (x[hi] < x[mid]) swap(&x[hi], &x[mid]);
    double pivot = x[mid];
    uint32_t i = lo, j = hi;
    while (i <= j) {
      while (x[i] < pivot) i++;
      while (x[j] > pivot) j--;
      if (i <= j) {
        swap(&x[i], &x[j]);
        i++;
        if (j == 0) break;
        j--;
      }
    }
    if (k <= j)
      hi = j;
    else if (k >= i)
      lo = i;
    else
      return x[k];
  }
  return x[k];
}

double mc_leak_theil_sen(const double *t, const double *v, uint32_t n, double *scratch) {
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = i + 1; j < n; j++)
      if (t[j] != t[i]) scratch[m++] = (v[j] - v[i]) / (t[j] - t[i]);
  if (m == 0) return 0;
  double hi = select_kth(scratch, m, m / 2);
  if (m % 2) return hi;
  // The lower middle is the largest of the elements left of m/2.
  double lo = scratch[0];
  for (uint32_t i = 1; i < m / 2; i++)
    if (scratch[i] > lo) lo = scratch[i];
  return (lo + hi) / 2;
}

// ---- trend detector -----------------------------------------------------------

// Keeps the history bounded while letting it reach further back: when full,
// the older half is thinned to one point per pair, keeping the lower one
// because the detector reasons about the lower envelope.
static void thin_history(mc_leak *l) {
  uint32_t half = l->n / 2 & ~1u, w = 0;
  for (uint32_t i = 0; i < half; i += 2) {
    point a = l->pts[i], b = l->pts[i + 1];
    point keep = b.v < a.v ? b : a;
    keep.hi = a.hi > b.hi ? a.hi : b.hi;
    l->pts[w++] = keep;
  }
  for (uint32_t i = half; i < l->n; i++) l->pts[w++] = l->pts[i];
  l->n = w;
}

static double min_value(const point *p, uint32_t from, uint32_t to) {
  double m = p[from].v;
  for (uint32_t i = from + 1; i < to; i++)
    if (p[i].v < m) m = p[i].v;
  return m;
}

// The growth to report over a window that fired: envelope points carry
// promoted garbage and overstate it, so when the window's exact points span
// at least half of it, their own Theil-Sen slope gives the growth.
static double reported_growth(mc_leak *l, const point *p, uint32_t n, double span,
                              double slope_all) {
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (!p[i].exact) continue;
    l->tbuf[m] = p[i].t - p[0].t;
    l->vbuf[m] = p[i].v;
    m++;
  }
  if (m >= 2 && l->tbuf[m - 1] - l->tbuf[0] >= span / 2) {
    double slope = mc_leak_theil_sen(l->tbuf, l->vbuf, m, l->scratch);
    if (slope > 0) return slope * span;
  }
  return slope_all * span;
}

// Judges the window p[0..n). It is a leak when, all at once:
//  1. it spans at least min_duration_ms;
//  2. the minimum of each third rises over the previous third by min_growth/4:
//     a sawtooth that returns to its base keeps its minima flat, and a
//     warm-up that has levelled off leaves the last two thirds flat;
//  3. an exact point in the last two thirds stands min_growth/2 above the
//     first third's minimum: envelope points include promoted garbage, so
//     only a real post-GC base (or a gauge reading) proves the growth;
//  4. the last third's minimum stands above every value kept from before the
//     window (prior_hi): a rising part of a sawtooth whose earlier peaks were
//     higher is not growth;
//  5. the Theil-Sen slope times the span reaches min_growth (robust to
//     outliers; it also gives the reported rate unless exact points can,
//     see reported_growth).
static int trend_fires(mc_leak *l, const point *p, uint32_t n, double prior_hi,
                       double *growth) {
  double span = p[n - 1].t - p[0].t;
  double g = l->cfg.min_growth;
  if (span < l->cfg.min_duration_ms || span <= 0) return 0;
  uint32_t k1 = n / 3, k2 = 2 * n / 3;
  double ma = min_value(p, 0, k1), mb = min_value(p, k1, k2), mc = min_value(p, k2, n);
  if (mb - ma < g / 4 || mc - mb < g / 4 || mc <= prior_hi) return 0;
  int confirmed = 0;
  for (uint32_t i = k1; i < n && !confirmed; i++)
    confirmed = p[i].exact && p[i].v - ma >= g / 2;
  if (!confirmed) return 0;
  for (uint32_t i = 0; i < n; i++) {
    l->tbuf[i] = p[i].t - p[0].t;
    l->vbuf[i] = p[i].v;
  }
  double slope = mc_leak_theil_sen(l->tbuf, l->vbuf, n, l->scratch);
  if (slope * span < g) return 0;
  *growth = reported_growth(l, p, n, span, slope);
  return 1;
}

// Tries the whole history, then ever shorter recent parts of it (so a leak
// that starts after a long flat stretch is judged on its own points).
static int trend_judge(mc_leak *l) {
  double prior_hi = -INFINITY;
  uint32_t prior_end = 0;  // pts[0..prior_end) are folded into prior_hi
  for (uint32_t len = l->n; len >= l->cfg.min_points; len /= 2) {
    uint32_t first = l->n - len;
    const point *p = l->pts + first;
    double growth;
    if (p[len - 1].t - p[0].t < l->cfg.min_duration_ms) break;
    if (p[0].t < l->reported_t) continue;
    for (; prior_end < first; prior_end++)
      if (l->pts[prior_end].hi > prior_hi) prior_hi = l->pts[prior_end].hi;
    if (trend_fires(l, p, len, prior_hi, &growth)) {
      report(l, "samples", p[0].t, p[len - 1].t, p[0].v, p[len - 1].v, growth, len);
      // One leak is reported once: the next report needs a window of new
      // points, still judged against everything seen before it.
      l->reported_t = p[len - 1].t;
      return 1;
    }
  }
  return 0;
}

static int trend_add(mc_leak *l, double t, double v, int exact) {
  if (l->n == l->cfg.history) thin_history(l);
  l->pts[l->n++] = (point){t, v, v, exact};
  return trend_judge(l);
}

// ---- consecutive detector -------------------------------------------------------

// memwatch's rule on exact points: `consecutive` growths in a row make a
// leak; the run then starts over. The evidence starts at the base the run
// grew from.
static int consecutive_add(mc_leak *l, double t, double v) {
  int fired = 0;
  if (l->have_last && v > l->last_v) {
    if (l->run == 0) {
      l->run_t = l->last_t;
      l->run_v = l->last_v;
    }
    if (++l->run >= l->cfg.consecutive) {
      const char *what = l->st.num_full_gc > 0 ? "consecutive GCs" : "consecutive samples";
      report(l, what, l->run_t, t, l->run_v, v, v - l->run_v, l->run);
      l->run = 0;
      fired = 1;
    }
  } else {
    l->run = 0;
  }
  l->have_last = 1;
  l->last_t = t;
  l->last_v = v;
  return fired;
}

// ---- feeding --------------------------------------------------------------------

int mc_leak_sample(mc_leak *l, double t_ms, double value, int exact) {
  if (!isfinite(t_ms) || !isfinite(value)) return 0;
  if (!l->have_first) {
    l->have_first = 1;
    l->first_t = t_ms;
  }
  if (l->cfg.warmup_ms > 0 && t_ms - l->first_t < l->cfg.warmup_ms) return 0;
  if (l->cfg.detector == MC_LEAK_CONSECUTIVE)
    return exact ? consecutive_add(l, t_ms, value) : 0;
  return trend_add(l, t_ms, value, exact);
}

// memwatch's smoothing, in doubles and with its intended (not integer)
// division during the first RECENT_PERIOD compactions, which damps startup
// swings.
static void update_bases(mc_leak_stats *st, double used) {
  double c = (double)st->heap_compactions;
  if (st->heap_compactions == 1) {
    st->estimated_base = st->ancient_base = used;
  } else if (c < RECENT_PERIOD) {
    double d = pow(c / RECENT_PERIOD, 2.5) * c;
    st->estimated_base = (st->estimated_base * d + used) / (d + 1);
    d = pow(c / RECENT_PERIOD, 2.4) * c;
    st->ancient_base = (st->ancient_base * d + used) / (d + 1);
  } else {
    st->estimated_base = (st->estimated_base * (RECENT_PERIOD - 1) + used) / RECENT_PERIOD;
    double d = c < ANCIENT_PERIOD ? c : ANCIENT_PERIOD;
    st->ancient_base = (st->ancient_base * (d - 1) + used) / d;
  }
  if (st->heap_compactions >= 3) {
    if (st->min == 0 || used < st->min) st->min = used;
    if (used > st->max) st->max = used;
  }
  st->usage_trend = st->ancient_base > 0
                        ? round((st->estimated_base - st->ancient_base) / st->ancient_base * 1000.0) / 10.0
                        : 0;
}

int mc_leak_full_gc(mc_leak *l, double t_ms, double used) {
  if (!isfinite(used) || used < 0) return 0;
  mc_leak_stats *st = &l->st;
  st->num_full_gc++;
  st->heap_compactions++;
  st->current_base = used;
  update_bases(st, used);
  return mc_leak_sample(l, t_ms, used, 1);
}

void mc_leak_inc_gc(mc_leak *l, uint64_t n) { l->st.num_inc_gc += n; }
