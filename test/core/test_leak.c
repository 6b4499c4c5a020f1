// Tests of the leak core on synthetic and recorded sample sequences.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/leak.h"

#define MB (1024.0 * 1024.0)
#define GB (1024.0 * MB)

static mc_leak *new_watcher(int detector) {
  mc_leak_config c;
  mc_leak_config_default(&c);
  c.detector = detector;
  mc_leak *l = mc_leak_new(&c);
  assert_non_null(l);
  return l;
}

// Deterministic noise in [-1, 1].
static double noise(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return ((*s >> 8) / (double)(1u << 24)) * 2.0 - 1.0;
}

static void test_sawtooth_returning_to_base_never_fires(void **state) {
  (void)state;
  mc_leak *l = new_watcher(MC_LEAK_TREND);
  mc_leak *m = new_watcher(MC_LEAK_CONSECUTIVE);
  uint32_t seed = 7;
  int memwatch_fired = 0;
  // Full GCs every second for 2 hours: the base climbs 3 MB per GC for 9
  // GCs (a cache filling) and drops back, with 1 MB of noise.
  for (int i = 0; i < 7200; i++) {
    double v = 100 * MB + (i % 10) * 3 * MB + noise(&seed) * MB;
    assert_int_equal(mc_leak_full_gc(l, i * 1000.0, v), 0);
    memwatch_fired += mc_leak_full_gc(m, i * 1000.0, v);
  }
  // memwatch's rule (kept for compatibility) reports every climb.
  assert_true(memwatch_fired > 100);
  mc_leak_free(m);
  mc_leak_free(l);
}

static void test_slow_sawtooth_never_fires(void **state) {
  (void)state;
  mc_leak_config c;
  mc_leak_config_default(&c);
  mc_leak *l = mc_leak_new(&c);
  assert_non_null(l);
  // A 40 s cycle (longer than min_duration): 40 MB up, then back to base.
  // The first climb is growth as far as anyone can tell; once the heap has
  // been seen to return to its base, later climbs are not.
  int first_climb = 0;
  for (int i = 0; i < 40; i++) first_climb += mc_leak_full_gc(l, i * 1000.0, 100 * MB + i * MB);
  assert_true(first_climb >= 1);
  for (int i = 40; i < 7200; i++)
    assert_int_equal(mc_leak_full_gc(l, i * 1000.0, 100 * MB + (i % 40) * MB), 0);
  mc_leak_free(l);
}

static void test_slow_steady_leak_fires(void **state) {
  (void)state;
  mc_leak *l = new_watcher(MC_LEAK_TREND);
  uint32_t seed = 11;
  const double rate = 43.33 * MB / 3600000.0;  // bytes per ms
  int fired_at = -1;
  // A full GC every 5 s for 2 hours, 2 MB of noise on each base.
  for (int i = 0; i < 1440 && fired_at < 0; i++) {
    double t = i * 5000.0;
    if (mc_leak_full_gc(l, t, 200 * MB + rate * t + noise(&seed) * 2 * MB)) fired_at = i;
  }
  assert_true(fired_at > 0);
  const mc_leak_event *ev = mc_leak_last_event(l);
  assert_true(ev->growth >= 8 * MB);
  // The rate is that of the leak, within the noise.
  assert_true(fabs(ev->rate_per_hour / MB - 43.33) < 43.33 * 0.25);
  assert_non_null(strstr(ev->reason, "heap growth over "));
  assert_non_null(strstr(ev->reason, " mb/hr"));
  mc_leak_free(l);
}

static void test_consecutive_fires_on_a_slow_leak(void **state) {
  (void)state;
  mc_leak *l = new_watcher(MC_LEAK_CONSECUTIVE);
  int fired = 0;
  for (int i = 0; i < 6; i++) fired += mc_leak_full_gc(l, i * 98600.0, 100 * MB + i * 1.2 * MB);
  assert_int_equal(fired, 1);
  const mc_leak_event *ev = mc_leak_last_event(l);
  // Growth from the base the run grew from: 5 growths of 1.2 MB over 8m 13s.
  assert_true(fabs(ev->growth - 6 * MB) < 1);
  assert_string_equal(ev->reason, "heap growth over 5 consecutive GCs (8m 13s) - 43.81 mb/hr");
  mc_leak_free(l);
}

// Startup: the base climbs from 10 to 74 MB over 3 s of frequent GCs, then
// stays on a plateau for 30 minutes (noisy if `noisy`).
static int feed_warmup(mc_leak *l, int noisy) {
  uint32_t seed = 3;
  int fired = 0;
  double t = 0;
  for (int i = 0; i < 5; i++, t += 750) fired += mc_leak_full_gc(l, t, (10 + i * 16.0) * MB);
  for (int i = 0; i < 1800; i++, t += 1000) {
    fired += mc_leak_full_gc(l, t, 74 * MB + (noisy ? noise(&seed) * 1.5 * MB : 0));
    // Between full GCs the envelope sits above the base.
    fired += mc_leak_sample(l, t + 500, 76 * MB + (noisy ? noise(&seed) * MB : 0), 0);
  }
  return fired;
}

static void test_warmup_does_not_fire(void **state) {
  (void)state;
  mc_leak *l = new_watcher(MC_LEAK_TREND);
  assert_int_equal(feed_warmup(l, 1), 0);
  mc_leak_free(l);
  // memwatch's rule needs a plateau without noise: five rises of noise in a
  // row are a leak to it.
  l = new_watcher(MC_LEAK_CONSECUTIVE);
  assert_int_equal(feed_warmup(l, 0), 0);
  mc_leak_free(l);
  l = new_watcher(MC_LEAK_CONSECUTIVE);
  assert_true(feed_warmup(l, 1) > 0);
  mc_leak_free(l);
}

static void test_warmup_option_ignores_the_first_points(void **state) {
  (void)state;
  mc_leak_config c;
  mc_leak_config_default(&c);
  c.detector = MC_LEAK_CONSECUTIVE;
  c.warmup_ms = 10000;
  mc_leak *l = mc_leak_new(&c);
  assert_non_null(l);
  int fired = 0;
  for (int i = 0; i < 10; i++) fired += mc_leak_full_gc(l, i * 1000.0, i * MB);
  assert_int_equal(fired, 0);
  for (int i = 10; i < 16; i++) fired += mc_leak_full_gc(l, i * 1000.0, i * MB);
  assert_int_equal(fired, 1);
  mc_leak_free(l);
}

static void test_heap_shrink_gives_negative_usage_trend(void **state) {
  (void)state;
  mc_leak *l = new_watcher(MC_LEAK_TREND);
  for (int i = 0; i < 40; i++) mc_leak_full_gc(l, i * 1000.0, 100 * MB);
  for (int i = 40; i < 60; i++) mc_leak_full_gc(l, i * 1000.0, 50 * MB);
  const mc_leak_stats *st = mc_leak_stats_get(l);
  assert_true(st->usage_trend < 0);
  assert_true(st->usage_trend > -100);
  assert_true(st->estimated_base < st->ancient_base);
  assert_true(st->min == 50 * MB);
  assert_true(st->max == 100 * MB);
  assert_true(st->current_base == 50 * MB);
  assert_int_equal(st->num_full_gc, 60);
  assert_int_equal(st->heap_compactions, 60);
  mc_leak_inc_gc(l, 3);
  mc_leak_inc_gc(l, 4);
  assert_int_equal(mc_leak_stats_get(l)->num_inc_gc, 7);
  mc_leak_free(l);
}

static void test_growing_heap_gives_positive_usage_trend(void **state) {
  (void)state;
  mc_leak *l = new_watcher(MC_LEAK_TREND);
  for (int i = 0; i < 40; i++) mc_leak_full_gc(l, i * 1000.0, (100 + i) * MB);
  assert_true(mc_leak_stats_get(l)->usage_trend > 0);
  mc_leak_free(l);
}

static void test_sizes_above_4gb_are_exact(void **state) {
  (void)state;
  mc_leak *l = new_watcher(MC_LEAK_CONSECUTIVE);
  const double base = 5 * GB + 1;  // not representable in 32 bits
  int fired = 0;
  for (int i = 0; i < 6; i++) fired += mc_leak_full_gc(l, i * 60000.0, base + i * 3.0);
  const mc_leak_stats *st = mc_leak_stats_get(l);
  assert_true(st->current_base == base + 15);
  assert_true(st->min == base + 6);
  assert_true(st->max == base + 15);
  assert_int_equal(fired, 1);
  const mc_leak_event *ev = mc_leak_last_event(l);
  assert_true(ev->growth == 15);
  assert_true(ev->start_value == base);
  assert_true(ev->end_value == base + 15);
  // 12 GB bases shrinking to 6 GB: a negative trend, no wrap-around.
  mc_leak *m = new_watcher(MC_LEAK_TREND);
  for (int i = 0; i < 30; i++) mc_leak_full_gc(m, i * 1000.0, 12 * GB);
  for (int i = 30; i < 40; i++) mc_leak_full_gc(m, i * 1000.0, 6 * GB);
  assert_true(mc_leak_stats_get(m)->usage_trend < 0);
  assert_true(mc_leak_stats_get(m)->min == 6 * GB);
  mc_leak_free(m);
  mc_leak_free(l);
}

static void test_five_gcs_within_one_second_give_a_sane_rate(void **state) {
  (void)state;
  mc_leak *l = new_watcher(MC_LEAK_CONSECUTIVE);
  int fired = 0;
  for (int i = 0; i < 6; i++) fired += mc_leak_full_gc(l, 1e12 + i * 200.0, 100 * MB + i * MB);
  assert_int_equal(fired, 1);
  const mc_leak_event *ev = mc_leak_last_event(l);
  // 5 MB in one second is 18000 MB per hour: finite and exact.
  assert_true(isfinite(ev->rate_per_hour));
  assert_true(fabs(ev->rate_per_hour - 18000 * MB) < 1);
  assert_string_equal(ev->reason, "heap growth over 5 consecutive GCs (1s) - 17.58 gb/hr");
  // All at the same instant: no duration, so no rate rather than infinity.
  mc_leak *z = new_watcher(MC_LEAK_CONSECUTIVE);
  fired = 0;
  for (int i = 0; i < 6; i++) fired += mc_leak_full_gc(z, 5000.0, 100 * MB + i * MB);
  assert_int_equal(fired, 1);
  assert_true(mc_leak_last_event(z)->rate_per_hour == 0);
  assert_string_equal(mc_leak_last_event(z)->reason,
                      "heap growth over 5 consecutive GCs (0ms) - rate unknown");
  mc_leak_free(z);
  mc_leak_free(l);
}

static void test_consecutive_count_is_configurable_and_resets(void **state) {
  (void)state;
  mc_leak_config c;
  mc_leak_config_default(&c);
  c.detector = MC_LEAK_CONSECUTIVE;
  c.consecutive = 3;
  mc_leak *l = mc_leak_new(&c);
  assert_non_null(l);
  double v[] = {10, 11, 12, 12, 13, 14, 15, 16, 17, 18};
  int fired[10];
  for (int i = 0; i < 10; i++) fired[i] = mc_leak_full_gc(l, i * 1000.0, v[i] * MB);
  // 12 -> 12 breaks the first run; 12..15 is three growths, then 15..18.
  int expect[10] = {0, 0, 0, 0, 0, 0, 1, 0, 0, 1};
  for (int i = 0; i < 10; i++) assert_int_equal(fired[i], expect[i]);
  // Envelope points are not judged by this detector.
  assert_int_equal(mc_leak_sample(l, 20000, 1 * GB, 0), 0);
  mc_leak_free(l);
}

// Recorded on this machine (node 20, 2 s buckets): a workload that allocates
// heavily and keeps a flat live set. Between its rare full GCs the lowest heap
// use climbs 25 MB as promoted garbage piles up; the full GCs return to base.
static void test_envelope_ramp_without_a_higher_base_never_fires(void **state) {
  (void)state;
  static const double env[] = {4.4, 11.4, 12.6, 13.7, 14.9, 15.9, 17.2, 18.1, 19.2, 20.5,
                               21.4, 22.5, 23.6, 24.7, 25.3, 26.3, 27.4, 28.5, 29.8};
  mc_leak *l = new_watcher(MC_LEAK_TREND);
  int fired = 0;
  double t = 0;
  for (int cycle = 0; cycle < 50; cycle++) {
    fired += mc_leak_full_gc(l, t, 7.4 * MB);
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
      t += 2000;
      fired += mc_leak_sample(l, t, env[i] * MB, 0);
    }
    t += 900;
  }
  assert_int_equal(fired, 0);
  mc_leak_free(l);
}

// Modelled on a recording on this machine: a leak of ~10 MB/s with full GCs
// only at 0.2, 1.8, 7.7 and 12.3 s (values of those and of the 2 s envelope
// points as recorded, the 1 s points in between interpolated); the detector
// must not wait for many full GCs.
static void test_fast_leak_with_rare_full_gcs_fires_quickly(void **state) {
  (void)state;
  static const struct { double t, v; int full; } rec[] = {
      {200, 7.2, 1},    {1800, 26.0, 1},  {2000, 4.4, 0},   {3000, 18.0, 0},
      {4000, 31.9, 0},  {5000, 45.0, 0},  {6000, 58.3, 0},  {7000, 70.1, 0},
      {7700, 88.1, 1},  {8000, 83.9, 0},  {9000, 88.0, 0},  {10000, 94.6, 0},
      {11000, 105.2, 0}, {12000, 116.2, 0}, {12300, 138.3, 1}, {13000, 140.0, 0},
  };
  mc_leak *l = new_watcher(MC_LEAK_TREND);
  double fired_at = -1;
  for (size_t i = 0; i < sizeof rec / sizeof rec[0] && fired_at < 0; i++) {
    int f = rec[i].full ? mc_leak_full_gc(l, rec[i].t, rec[i].v * MB)
                        : mc_leak_sample(l, rec[i].t, rec[i].v * MB, 0);
    if (f) fired_at = rec[i].t;
  }
  assert_true(fired_at > 0 && fired_at <= 12300);
  const mc_leak_event *ev = mc_leak_last_event(l);
  assert_true(ev->rate_per_hour > 10000 * MB);
  mc_leak_free(l);
}

// Recorded on this machine: a ~0.3 MB/s leak saw full GCs only at the start
// (7.3 MB) and after 41 s (19.7 MB), while the envelope between them also
// carried promoted garbage. The reported growth follows the full-GC bases.
static void test_rate_comes_from_full_gc_bases_when_they_span_the_window(void **state) {
  (void)state;
  mc_leak *l = new_watcher(MC_LEAK_TREND);
  int fired = mc_leak_full_gc(l, 0, 7.3 * MB);
  for (int i = 1; i <= 40 && !fired; i++) fired = mc_leak_sample(l, i * 1000.0, (7.3 + 0.55 * i) * MB, 0);
  assert_int_equal(fired, 0);  // no full GC yet to prove it
  fired = mc_leak_full_gc(l, 41000, 19.7 * MB);
  assert_int_equal(fired, 1);
  const mc_leak_event *ev = mc_leak_last_event(l);
  assert_true(fabs(ev->growth - 12.4 * MB) < 0.01 * MB);
  assert_true(fabs(ev->rate_per_hour - 12.4 * MB / 41.0 * 3600) < 0.01 * MB * 3600 / 41.0);
  mc_leak_free(l);
}

static void test_gauge_growth_in_units(void **state) {
  (void)state;
  mc_leak_config c;
  mc_leak_config_default(&c);
  c.unit = MC_LEAK_UNITS;
  c.min_growth = 10;
  c.subject = "queue jobs";
  mc_leak *l = mc_leak_new(&c);
  assert_non_null(l);
  int fired = 0;
  // A queue that gains 2 items a second net, with bursts of 0..20 on top.
  uint32_t seed = 5;
  for (int i = 0; i < 60 && !fired; i++)
    fired = mc_leak_sample(l, i * 1000.0, 2.0 * i + 10 + 10 * noise(&seed), 1);
  assert_int_equal(fired, 1);
  const char *r = mc_leak_last_event(l)->reason;
  assert_true(strncmp(r, "queue jobs growth over ", 23) == 0);
  assert_non_null(strstr(r, "/hr"));
  assert_null(strstr(r, "mb"));
  // A bursty queue that drains to zero never fires once it has drained.
  mc_leak *q = mc_leak_new(&c);
  fired = 0;
  for (int i = 0; i < 30; i++) mc_leak_sample(q, i * 1000.0, (i % 30) * 3.0, 1);
  for (int i = 30; i < 3600; i++) fired += mc_leak_sample(q, i * 1000.0, (i % 30) * 3.0, 1);
  assert_int_equal(fired, 0);
  mc_leak_free(q);
  mc_leak_free(l);
}

static void test_long_history_still_catches_a_late_leak(void **state) {
  (void)state;
  mc_leak *l = new_watcher(MC_LEAK_TREND);
  uint32_t seed = 9;
  int fired = 0;
  double t = 0;
  for (int i = 0; i < 20000; i++, t += 1000) fired += mc_leak_full_gc(l, t, 80 * MB + noise(&seed) * MB);
  assert_int_equal(fired, 0);
  assert_true(mc_leak_points(l) <= 128);
  // Then 1 MB a second.
  int at = -1;
  for (int i = 0; i < 600 && at < 0; i++, t += 1000)
    if (mc_leak_full_gc(l, t, 80 * MB + i * MB + noise(&seed) * MB)) at = i;
  assert_true(at > 0 && at <= 60);
  mc_leak_free(l);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// The quickselect median against a sort, on random data with many ties.
static void test_theil_sen_matches_a_sorted_median(void **state) {
  (void)state;
  uint32_t seed = 1;
  double t[40], v[40], scratch[40 * 39 / 2], slopes[40 * 39 / 2];
  for (int round = 0; round < 2000; round++) {
    uint32_t n = 2 + (uint32_t)((noise(&seed) + 1) * 19);
    for (uint32_t i = 0; i < n; i++) {
      t[i] = i * 10.0 + (round % 3 == 0 ? 0 : floor((noise(&seed) + 1) * 4));
      v[i] = floor((noise(&seed) + 1) * (round % 2 ? 3 : 1000));
    }
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++)
      for (uint32_t j = i + 1; j < n; j++)
        if (t[j] != t[i]) slopes[m++] = (v[j] - v[i]) / (t[j] - t[i]);
    double want = 0;
    if (m) {
      qsort(slopes, m, sizeof(double), cmp_double);
      want = m % 2 ? slopes[m / 2] : (slopes[m / 2 - 1] + slopes[m / 2]) / 2;
    }
    assert_true(mc_leak_theil_sen(t, v, n, scratch) == want);
  }
}

static void test_theil_sen_ignores_outliers(void **state) {
  (void)state;
  double t[50], v[50], scratch[50 * 49 / 2];
  for (int i = 0; i < 50; i++) {
    t[i] = i * 1000.0;
    v[i] = 3.0 * t[i] + (i % 5 == 0 ? 1e9 : 0);  // 20% wild outliers
  }
  assert_true(fabs(mc_leak_theil_sen(t, v, 50, scratch) - 3.0) < 1e-9);
}

static void test_formatting(void **state) {
  (void)state;
  char b[64];
  mc_leak_format_duration(b, sizeof b, 493000);
  assert_string_equal(b, "8m 13s");
  mc_leak_format_duration(b, sizeof b, 7205000);
  assert_string_equal(b, "2h 0m 5s");
  mc_leak_format_duration(b, sizeof b, 42999);
  assert_string_equal(b, "42s");
  mc_leak_format_duration(b, sizeof b, 850);
  assert_string_equal(b, "850ms");
  mc_leak_format_size(b, sizeof b, 812);
  assert_string_equal(b, "812 bytes");
  mc_leak_format_size(b, sizeof b, 3.2 * 1024);
  assert_string_equal(b, "3.20 kb");
  mc_leak_format_size(b, sizeof b, 43.33 * MB);
  assert_string_equal(b, "43.33 mb");
  mc_leak_format_size(b, sizeof b, 1.5 * GB);
  assert_string_equal(b, "1.50 gb");
}

// Long random sequences (odd values included: NaN, infinities, negatives,
// huge sizes, times that go backwards) against a plain model of the
// consecutive rule and the min/max/count statistics; the trend detector runs
// on the same input under the sanitizers and must never report a
// non-positive growth or a non-finite rate.
static void test_random_sequences_against_a_model(void **state) {
  (void)state;
  uint32_t seed = 12345;
  for (int round = 0; round < 200; round++) {
    mc_leak_config c;
    mc_leak_config_default(&c);
    c.detector = MC_LEAK_CONSECUTIVE;
    c.consecutive = 1 + round % 7;
    mc_leak *cons = mc_leak_new(&c);
    c.detector = MC_LEAK_TREND;
    c.history = 8 + (round * 13) % 120;
    c.min_points = 3 + round % 5;
    c.min_duration_ms = (round % 4) * 1000.0;
    c.min_growth = 1 + (round % 3) * MB;
    mc_leak *trend = mc_leak_new(&c);
    assert_non_null(cons);
    assert_non_null(trend);
    // The model.
    int have_last = 0, run = 0;
    double last = 0, mn = 0, mx = 0;
    uint64_t full = 0;
    double t = 0;
    for (int i = 0; i < 2000; i++) {
      double r = noise(&seed);
      double v;
      int odd = (int)((noise(&seed) + 1) * 50);
      if (odd == 0) v = NAN;
      else if (odd == 1) v = INFINITY;
      else if (odd == 2) v = -5;
      else if (odd == 3) v = 6e15 + i;  // far above 4 GB, still exact
      else v = 50 * MB + floor(r * 20) * MB + i * (round % 2) * 0.25 * MB;
      t += (noise(&seed) > -0.95) ? 1000 * (noise(&seed) + 1.05) : -3000;
      int valid = isfinite(v) && v >= 0;
      int want = 0;
      if (valid) {
        full++;
        if (full >= 3) {
          if (mn == 0 || v < mn) mn = v;
          if (v > mx) mx = v;
        }
        if (have_last && v > last) {
          if (++run >= (int)c.consecutive) {
            want = 1;
            run = 0;
          }
        } else {
          run = 0;
        }
        have_last = 1;
        last = v;
      }
      assert_int_equal(mc_leak_full_gc(cons, t, v), want);
      if (mc_leak_full_gc(trend, t, v)) {
        const mc_leak_event *ev = mc_leak_last_event(trend);
        assert_true(ev->growth > 0);
        assert_true(isfinite(ev->rate_per_hour) && ev->rate_per_hour >= 0);
        assert_true(ev->samples >= c.min_points);
      }
      if (i % 3 == 0) mc_leak_sample(trend, t + 1, v + r * MB, 0);
    }
    const mc_leak_stats *st = mc_leak_stats_get(cons);
    assert_true(st->num_full_gc == full);
    assert_true(st->min == mn);
    assert_true(st->max == mx);
    assert_true(isfinite(st->usage_trend) && isfinite(st->estimated_base));
    assert_true(mc_leak_points(trend) <= c.history);
    mc_leak_free(cons);
    mc_leak_free(trend);
  }
}

static void test_bad_config_and_input(void **state) {
  (void)state;
  assert_int_equal(mc_leak_detector_parse("trend"), MC_LEAK_TREND);
  assert_int_equal(mc_leak_detector_parse("consecutive"), MC_LEAK_CONSECUTIVE);
  assert_int_equal(mc_leak_detector_parse("Trend"), -1);
  assert_int_equal(mc_leak_detector_parse(NULL), -1);
  mc_leak_config c;
  mc_leak_config bad[8];
  for (int i = 0; i < 8; i++) mc_leak_config_default(&bad[i]);
  bad[0].detector = 7;
  bad[1].consecutive = 0;
  bad[2].history = 4;
  bad[3].history = MC_LEAK_HISTORY_MAX + 1;
  bad[4].min_points = 2;
  bad[5].min_growth = 0;
  bad[6].min_duration_ms = NAN;
  bad[7].subject = NULL;
  for (int i = 0; i < 8; i++) assert_null(mc_leak_new(&bad[i]));
  assert_null(mc_leak_new(NULL));
  mc_leak_config_default(&c);
  mc_leak *l = mc_leak_new(&c);
  // Non-finite input is ignored, never judged.
  assert_int_equal(mc_leak_full_gc(l, 0, NAN), 0);
  assert_int_equal(mc_leak_full_gc(l, 0, -1), 0);
  assert_int_equal(mc_leak_sample(l, INFINITY, 1, 1), 0);
  assert_int_equal(mc_leak_stats_get(l)->num_full_gc, 0);
  mc_leak_reset(l);
  assert_int_equal(mc_leak_points(l), 0);
  mc_leak_free(l);
  mc_leak_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sawtooth_returning_to_base_never_fires),
      cmocka_unit_test(test_slow_sawtooth_never_fires),
      cmocka_unit_test(test_slow_steady_leak_fires),
      cmocka_unit_test(test_consecutive_fires_on_a_slow_leak),
      cmocka_unit_test(test_warmup_does_not_fire),
      cmocka_unit_test(test_warmup_option_ignores_the_first_points),
      cmocka_unit_test(test_heap_shrink_gives_negative_usage_trend),
      cmocka_unit_test(test_growing_heap_gives_positive_usage_trend),
      cmocka_unit_test(test_sizes_above_4gb_are_exact),
      cmocka_unit_test(test_five_gcs_within_one_second_give_a_sane_rate),
      cmocka_unit_test(test_consecutive_count_is_configurable_and_resets),
      cmocka_unit_test(test_envelope_ramp_without_a_higher_base_never_fires),
      cmocka_unit_test(test_fast_leak_with_rare_full_gcs_fires_quickly),
      cmocka_unit_test(test_rate_comes_from_full_gc_bases_when_they_span_the_window),
      cmocka_unit_test(test_gauge_growth_in_units),
      cmocka_unit_test(test_long_history_still_catches_a_late_leak),
      cmocka_unit_test(test_theil_sen_matches_a_sorted_median),
      cmocka_unit_test(test_theil_sen_ignores_outliers),
      cmocka_unit_test(test_formatting),
      cmocka_unit_test(test_random_sequences_against_a_model),
      cmocka_unit_test(test_bad_config_and_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
