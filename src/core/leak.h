// Leak detection core: memwatch's GC statistics (done with doubles, signed
// trends and millisecond clocks) and two growth detectors over a series of
// samples.
//
// A watcher is fed points (t in milliseconds, value in bytes or units):
//  - exact points: the heap used right after a full GC, or a gauge reading;
//  - envelope points: an upper bound of the live heap (the lowest heap use seen
//    since the previous point, between full GCs). V8 runs few full GCs while a
//    heap grows, so these fill the gaps; because dead objects promoted since
//    the last full GC also count in them, they never prove a leak alone (see
//    mc_leak_trend_fires in leak.c).
//
// Sizes are doubles (exact integers up to 2^53 bytes) and counters are 64-bit:
// nothing wraps or overflows above 4 GB, and a shrinking heap gives a negative
// usage_trend.
#ifndef MEMCTL_CORE_LEAK_H
#define MEMCTL_CORE_LEAK_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  MC_LEAK_TREND = 0,        // robust trend of the baseline over a window
  MC_LEAK_CONSECUTIVE = 1,  // memwatch's rule: N growths in a row
} mc_leak_detector;

typedef enum {
  MC_LEAK_BYTES = 0,  // rates read "43.33 mb/hr"
  MC_LEAK_UNITS = 1,  // rates read "1200.00/hr" (gauges)
} mc_leak_unit;

enum { MC_LEAK_HISTORY_MIN = 8, MC_LEAK_HISTORY_MAX = 512 };

typedef struct mc_leak_config {
  int detector;            // mc_leak_detector
  int unit;                // mc_leak_unit
  uint32_t consecutive;    // consecutive: growths in a row that make a leak (>= 1)
  uint32_t history;        // trend: points kept, MC_LEAK_HISTORY_MIN..MAX
  uint32_t min_points;     // trend: fewest points a window may judge (>= 3)
  double min_duration_ms;  // trend: shortest time span a window may judge
  double min_growth;       // trend: smallest growth (bytes or units) that counts
  double warmup_ms;        // points within warmup_ms of the first are not judged
  const char *subject;     // "heap" or a gauge name, for the reason text (copied)
} mc_leak_config;

// memwatch's 'stats' fields. Bases are heap used after a full GC.
typedef struct mc_leak_stats {
  uint64_t num_full_gc;
  uint64_t num_inc_gc;
  uint64_t heap_compactions;  // full GCs (V8's full GC is mark-compact)
  double usage_trend;         // % by which the recent base exceeds the ancient one; signed
  double estimated_base;      // smoothed recent base
  double ancient_base;        // smoothed long-term base
  double current_base;        // base after the latest full GC
  double min, max;            // extreme bases, from the third full GC on (0 before)
} mc_leak_stats;

// The latest leak (or growth) found.
typedef struct mc_leak_event {
  double start_ms, end_ms;  // times of the first and last point of the evidence
  double start_value, end_value;
  double growth;            // estimated growth over [start_ms, end_ms]
  double rate_per_hour;     // growth per hour; finite for any interval
  uint32_t samples;         // points in the evidence
  const char *reason;       // "heap growth over 5 consecutive GCs (8m 13s) - 43.33 mb/hr"
} mc_leak_event;

typedef struct mc_leak mc_leak;

// Fills cfg with the defaults for a heap watcher (subject "heap", bytes).
void mc_leak_config_default(mc_leak_config *cfg);
// Maps "trend" / "consecutive" to a detector; returns -1 for anything else.
int mc_leak_detector_parse(const char *name);
// Returns NULL when cfg is out of range (see the field comments) or on OOM.
mc_leak *mc_leak_new(const mc_leak_config *cfg);
void mc_leak_free(mc_leak *l);

// A full GC ended and left `used` bytes: updates the stats and judges the
// point. Returns 1 when a leak was found (see mc_leak_last_event), else 0.
int mc_leak_full_gc(mc_leak *l, double t_ms, double used);
// Counts n incremental/minor GCs (memwatch's num_inc_gc).
void mc_leak_inc_gc(mc_leak *l, uint64_t n);
// Judges one point without touching the GC stats: exact != 0 for gauge
// readings, 0 for envelope points. Returns 1 when growth was found.
int mc_leak_sample(mc_leak *l, double t_ms, double value, int exact);
// Forgets the points (not the stats): detection starts over.
void mc_leak_reset(mc_leak *l);

const mc_leak_stats *mc_leak_stats_get(const mc_leak *l);
// Valid after a call returned 1, until the next call on l.
const mc_leak_event *mc_leak_last_event(const mc_leak *l);
// Points currently kept by the trend detector.
uint32_t mc_leak_points(const mc_leak *l);

// Theil-Sen slope (median of pairwise slopes) of n points; scratch must hold
// n*(n-1)/2 doubles. Returns 0 for fewer than 2 points with distinct times.
double mc_leak_theil_sen(const double *t, const double *v, uint32_t n, double *scratch);
// "8m 13s", "2h 0m 5s", "42s", "850ms"; returns what snprintf returns.
int mc_leak_format_duration(char *buf, size_t size, double ms);
// memwatch's sizes: "812 bytes", "3.20 kb", "43.33 mb", "1.50 gb".
int mc_leak_format_size(char *buf, size_t size, double bytes);

#endif
