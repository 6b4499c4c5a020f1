// Binding for the leak core: one handle per watched series (the heap, or one
// gauge). Called once per GC or timer tick, so plain node-addon-api is enough.
//
// Results go into a Float64Array the caller passes (the OUT_* layout below,
// exported to lib/leak-watcher.js as LEAK_OUT), so a GC costs no object
// allocation here.
#include "binding/common.h"

extern "C" {
#include "core/leak.h"
}

namespace memctl {

static const char kLeakKind[] = "LeakWatcher";

enum {
  OUT_NUM_FULL_GC, OUT_NUM_INC_GC, OUT_HEAP_COMPACTIONS, OUT_USAGE_TREND,
  OUT_ESTIMATED_BASE, OUT_CURRENT_BASE, OUT_MIN, OUT_MAX, OUT_ANCIENT_BASE,
  OUT_START, OUT_END, OUT_START_VALUE, OUT_END_VALUE, OUT_GROWTH, OUT_RATE,
  OUT_SAMPLES, OUT_LENGTH
};

static void DestroyLeak(void *obj) { mc_leak_free((mc_leak *)obj); }

static mc_leak *LeakArg(const Napi::CallbackInfo &info) {
  return HandleObject<mc_leak>(info.Env(), info[0], kLeakKind);
}

// lib/leak-watcher.js validated every option; these only assert its contract.
static double NumberArg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  MC_EXPECT(info.Env(), info[i].IsNumber(), name);
  return info[i].As<Napi::Number>().DoubleValue();
}

static double *OutArg(const Napi::CallbackInfo &info, size_t i) {
  MC_EXPECT(info.Env(),
            info[i].IsTypedArray() &&
                info[i].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array &&
                info[i].As<Napi::Float64Array>().ElementLength() >= OUT_LENGTH,
            "out must be a Float64Array of LEAK_OUT.LENGTH elements");
  return info[i].As<Napi::Float64Array>().Data();
}

static void WriteStats(const mc_leak *l, double *out) {
  const mc_leak_stats *st = mc_leak_stats_get(l);
  out[OUT_NUM_FULL_GC] = (double)st->num_full_gc;
  out[OUT_NUM_INC_GC] = (double)st->num_inc_gc;
  out[OUT_HEAP_COMPACTIONS] = (double)st->heap_compactions;
  out[OUT_USAGE_TREND] = st->usage_trend;
  out[OUT_ESTIMATED_BASE] = st->estimated_base;
  out[OUT_CURRENT_BASE] = st->current_base;
  out[OUT_MIN] = st->min;
  out[OUT_MAX] = st->max;
  out[OUT_ANCIENT_BASE] = st->ancient_base;
}

static void WriteEvent(const mc_leak *l, double *out) {
  const mc_leak_event *ev = mc_leak_last_event(l);
  out[OUT_START] = ev->start_ms;
  out[OUT_END] = ev->end_ms;
  out[OUT_START_VALUE] = ev->start_value;
  out[OUT_END_VALUE] = ev->end_value;
  out[OUT_GROWTH] = ev->growth;
  out[OUT_RATE] = ev->rate_per_hour;
  out[OUT_SAMPLES] = ev->samples;
}

// leakNew(detector, unit, consecutive, history, minPoints, minDurationMs,
//         minGrowth, warmupMs, subject) -> handle
static Napi::Value LeakNew(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  mc_leak_config c;
  mc_leak_config_default(&c);
  c.detector = (int)NumberArg(info, 0, "detector");
  c.unit = (int)NumberArg(info, 1, "unit");
  c.consecutive = (uint32_t)NumberArg(info, 2, "consecutive");
  c.history = (uint32_t)NumberArg(info, 3, "history");
  c.min_points = (uint32_t)NumberArg(info, 4, "minSamples");
  c.min_duration_ms = NumberArg(info, 5, "minDuration");
  c.min_growth = NumberArg(info, 6, "minGrowth");
  c.warmup_ms = NumberArg(info, 7, "warmup");
  MC_EXPECT(env, info[8].IsString(), "subject must be a string");
  std::string subject = info[8].As<Napi::String>().Utf8Value();
  c.subject = subject.c_str();
  mc_leak *l = mc_leak_new(&c);
  if (!l)
    Throw(env, "RangeError", "ERR_MEMCTL_OUT_OF_RANGE",
          "invalid leak detector settings (or out of memory)");
  return Napi::Value(env, NewHandle(env, l, DestroyLeak, kLeakKind));
}

// leakFullGc(handle, tMs, used, out) -> true when a leak was found
static Napi::Value LeakFullGc(const Napi::CallbackInfo &info) {
  mc_leak *l = LeakArg(info);
  double t = NumberArg(info, 1, "t"), used = NumberArg(info, 2, "used");
  double *out = OutArg(info, 3);
  int fired = mc_leak_full_gc(l, t, used);
  WriteStats(l, out);
  if (fired) WriteEvent(l, out);
  return Napi::Boolean::New(info.Env(), fired != 0);
}

// leakSample(handle, tMs, value, exact, out) -> true when growth was found
static Napi::Value LeakSample(const Napi::CallbackInfo &info) {
  mc_leak *l = LeakArg(info);
  double t = NumberArg(info, 1, "t"), v = NumberArg(info, 2, "value");
  bool exact = info[3].ToBoolean();
  double *out = OutArg(info, 4);
  int fired = mc_leak_sample(l, t, v, exact);
  if (fired) WriteEvent(l, out);
  return Napi::Boolean::New(info.Env(), fired != 0);
}

// leakIncGc(handle, n)
static Napi::Value LeakIncGc(const Napi::CallbackInfo &info) {
  mc_leak *l = LeakArg(info);
  double n = NumberArg(info, 1, "n");
  if (n > 0) mc_leak_inc_gc(l, (uint64_t)n);
  return info.Env().Undefined();
}

// leakStats(handle, out)
static Napi::Value LeakStats(const Napi::CallbackInfo &info) {
  mc_leak *l = LeakArg(info);
  WriteStats(l, OutArg(info, 1));
  return info.Env().Undefined();
}

// leakReason(handle) -> the latest report's text
static Napi::Value LeakReason(const Napi::CallbackInfo &info) {
  mc_leak *l = LeakArg(info);
  return Napi::String::New(info.Env(), mc_leak_last_event(l)->reason);
}

static Napi::Value LeakReset(const Napi::CallbackInfo &info) {
  mc_leak_reset(LeakArg(info));
  return info.Env().Undefined();
}

// leakClose(handle) -> false when already closed
static Napi::Value LeakClose(const Napi::CallbackInfo &info) {
  Handle *h = HandleOf(info.Env(), info[0], kLeakKind);
  if (!h) ThrowPending(info.Env());
  return Napi::Boolean::New(info.Env(), HandleClose(info.Env(), h));
}

void InitLeak(Napi::Env env, Napi::Object exports) {
  static const FunctionDef functions[] = {
      {"leakNew", Adapt<LeakNew>},
      {"leakFullGc", Adapt<LeakFullGc>},
      {"leakSample", Adapt<LeakSample>},
      {"leakIncGc", Adapt<LeakIncGc>},
      {"leakStats", Adapt<LeakStats>},
      {"leakReason", Adapt<LeakReason>},
      {"leakReset", Adapt<LeakReset>},
      {"leakClose", Adapt<LeakClose>},
  };
  DefineFunctions(env, exports, functions);
  // Option names to the core's enums, keyed as the JS options spell them.
  static const ConstantDef detectors[] = {{"trend", MC_LEAK_TREND},
                                          {"consecutive", MC_LEAK_CONSECUTIVE}};
  static const ConstantDef units[] = {{"bytes", MC_LEAK_BYTES}, {"count", MC_LEAK_UNITS}};
  static const ConstantDef history[] = {{"MIN", MC_LEAK_HISTORY_MIN},
                                        {"MAX", MC_LEAK_HISTORY_MAX}};
  static const ConstantDef out[] = {
      {"NUM_FULL_GC", OUT_NUM_FULL_GC},       {"NUM_INC_GC", OUT_NUM_INC_GC},
      {"HEAP_COMPACTIONS", OUT_HEAP_COMPACTIONS}, {"USAGE_TREND", OUT_USAGE_TREND},
      {"ESTIMATED_BASE", OUT_ESTIMATED_BASE}, {"CURRENT_BASE", OUT_CURRENT_BASE},
      {"MIN", OUT_MIN},                       {"MAX", OUT_MAX},
      {"ANCIENT_BASE", OUT_ANCIENT_BASE},     {"START", OUT_START},
      {"END", OUT_END},                       {"START_VALUE", OUT_START_VALUE},
      {"END_VALUE", OUT_END_VALUE},           {"GROWTH", OUT_GROWTH},
      {"RATE", OUT_RATE},                     {"SAMPLES", OUT_SAMPLES},
      {"LENGTH", OUT_LENGTH},
  };
  exports.Set("LEAK_DETECTORS", Napi::Value(env, NewConstants(env, detectors)));
  exports.Set("LEAK_UNITS", Napi::Value(env, NewConstants(env, units)));
  exports.Set("LEAK_HISTORY", Napi::Value(env, NewConstants(env, history)));
  exports.Set("LEAK_OUT", Napi::Value(env, NewConstants(env, out)));
}

}  // namespace memctl
