// Binding for the heap-snapshot core (src/core/snapshot.h). Thin: converts
// arguments and results. A file path is read, parsed and analyzed in one
// napi_async_work (mc_snap_parser_feed_file, then the finish below); JS polls
// its byte counter for progress. For streams, feeding is synchronous (each call parses one chunk,
// well under a millisecond for 1 MiB), so JS streams drive the parser without
// blocking the loop for long; the end of the parse (validation, classes) and
// the dominator tree run in napi_async_work, off the JS thread, returning a
// promise. The parser object is detached from its handle while the work runs,
// so nothing on the JS side can free it under the worker thread. If a worker
// thread is terminated while such a job runs, Node may drop the completion
// callback: the job's memory is then not freed (no crash; a test terminates
// workers mid-parse).
#include "binding/common.h"

#include <stdlib.h>
#include <string.h>

#include <memory>
#include <string>
#include <vector>

#include <uv.h>

extern "C" {
#include "core/snapshot.h"
}

namespace memctl {

static const char kParser[] = "SnapshotParser";
static const char kSnapshot[] = "Snapshot";

static void DestroyParser(void *p) { mc_snap_parser_free((mc_snap_parser *)p); }
static void DestroySnapshot(void *s) { mc_snap_free((mc_snap *)s); }
static void NoDestroy(void *) {}

static const char *StatusKind(mc_snap_status st) {
  return st == MC_SNAP_EINVAL ? "Error" : "Error";
}

[[noreturn]] static void ThrowStatus(Napi::Env env, mc_snap_status st, const char *msg) {
  Throw(env, StatusKind(st), mc_snap_status_code(st), msg && *msg ? msg : mc_snap_status_code(st));
}

// Per-environment totals of the open snapshots (tests and usage reports).
struct SnapEnv {
  double live;
  double bytes;
};

static SnapEnv *GetSnapEnv(napi_env env) {
  EnvState *st = GetEnvState(env);
  if (!st->slot[SLOT_SNAPSHOT]) {
    st->slot[SLOT_SNAPSHOT] = calloc(1, sizeof(SnapEnv));
    st->slot_free[SLOT_SNAPSHOT] = free;
  }
  return (SnapEnv *)st->slot[SLOT_SNAPSHOT];
}

// External memory accounting so the GC sees what a snapshot holds.
static void OnSnapshotDestroy(napi_env env, Handle *h) {
  int64_t change;
  napi_adjust_external_memory(env, -(int64_t)(intptr_t)h->user, &change);
  SnapEnv *se = GetSnapEnv(env);
  if (se) {
    se->live--;
    se->bytes -= (double)(intptr_t)h->user;
  }
  h->user = nullptr;
}

static void SyncExternal(napi_env env, Handle *h) {
  int64_t now = (int64_t)mc_snap_memory((mc_snap *)h->obj), change;
  napi_adjust_external_memory(env, now - (int64_t)(intptr_t)h->user, &change);
  SnapEnv *se = GetSnapEnv(env);
  if (se) se->bytes += (double)(now - (int64_t)(intptr_t)h->user);
  h->user = (void *)(intptr_t)now;
}

static Napi::Value WrapSnapshot(napi_env env, mc_snap *s) {
  Handle *h = nullptr;
  napi_value v = NewHandle(env, s, DestroySnapshot, kSnapshot, &h);
  h->on_destroy = OnSnapshotDestroy;
  SnapEnv *se = GetSnapEnv(env);
  if (se) se->live++;
  SyncExternal(env, h);
  return Napi::Value(env, v);
}

static Napi::Value Usage(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  SnapEnv *se = GetSnapEnv(env);
  Napi::Object o = Napi::Object::New(env);
  o.Set("live", Napi::Number::New(env, se ? se->live : 0));
  o.Set("bytes", Napi::Number::New(env, se ? se->bytes : 0));
  return o;
}

#define MC_GET(type, var, value, kind) type *var = HandleObject<type>(env, value, kind)

static Napi::Value ParserNew(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  double max = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  mc_snap_parser *p = mc_snap_parser_new(max > 0 ? (size_t)max : 0);
  if (!p) Throw(env, "Error", "ERR_MEMCTL_NO_MEMORY", "out of memory");
  // info[1] true: nodes-only (no edge columns; for the class histogram and diffs)
  if (info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value()) mc_snap_parser_nodes_only(p);
  return Napi::Value(env, NewHandle(env, p, DestroyParser, kParser));
}

static Napi::Value ParserFeed(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  MC_GET(mc_snap_parser, p, info[0], kParser);
  MC_EXPECT(env, info[1].IsTypedArray(), "chunk must be a Buffer or Uint8Array");
  Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
  const uint8_t *data = (const uint8_t *)ta.ArrayBuffer().Data() + ta.ByteOffset();
  mc_snap_status st = mc_snap_parser_feed(p, data, ta.ByteLength());
  if (st != MC_SNAP_OK) ThrowStatus(env, st, mc_snap_parser_error(p));
  return env.Undefined();
}

static Napi::Value ParserClose(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Handle *h = HandleOf(env, info[0], kParser);
  if (!h) ThrowPending(env);
  HandleClose(env, h);
  return env.Undefined();
}

// Takes the parser out of its handle (the handle reads as closed afterwards).
static mc_snap_parser *DetachParser(Napi::Env env, Napi::Value v) {
  mc_snap_parser *p = HandleObject<mc_snap_parser>(env, v, kParser);
  Handle *h = HandleOf(env, v, kParser);
  h->destroy = NoDestroy;
  HandleClose(env, h);
  return p;
}

// Bytes read by a file-path parse, written by the worker thread and polled
// from JS (snapshotParseFileProgress). Shared by the job and the External
// JS holds, so whichever goes last frees it.
struct FileProgress {
  uint64_t bytes = 0;
  uint32_t read_done = 0;
};
using ProgressPtr = std::shared_ptr<FileProgress>;
static const napi_type_tag kProgressTag = {0x6d656d63746c5350ull, 0x726f677265737331ull};

// The Node-API side of one parse job; the job itself is the core's
// mc_snap_job (read, finish, retained sizes), run on a worker thread.
struct FinishJob {
  std::string path;        // file-path parses only
  ProgressPtr progress;    // file-path parses only
  mc_snap_parser *parser;
  mc_snap_job core;
  mc_snap_status status;
  std::string message;     // copied: the parser is freed before it is used
  napi_deferred deferred;
  napi_async_work work;
};

static FinishJob *NewJob(mc_snap_parser *p, const Napi::Value &retained, const Napi::Value &mode) {
  FinishJob *job = new FinishJob();
  job->parser = p;
  job->core = mc_snap_job{};
  job->core.retained = retained.ToBoolean();
  job->core.mode = mode.IsNumber() && mode.As<Napi::Number>().Int32Value() == 1 ? MC_SNAP_DOM_PLAIN
                                                                               : MC_SNAP_DOM_DEVTOOLS;
  return job;
}

// Runs on a worker thread (or inline for the blocking parse): no Node-API here.
static void FinishRun(FinishJob *job) {
  job->status = mc_snap_job_run(job->parser, &job->core);
  if (job->status != MC_SNAP_OK && job->core.message) job->message = job->core.message;
}

static void FinishExecute(napi_env, void *data) { FinishRun((FinishJob *)data); }

// A failed open()/read(), shaped like Node's fs errors (code, errno,
// syscall, path) so callers see the same error as from fs.
static Napi::Error SysError(Napi::Env env, int err, const char *syscall, const std::string &path) {
  const char *code = uv_err_name(-err);
  std::string msg = std::string(code) + ": " + strerror(err) + ", " + syscall + " '" + path + "'";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("code", Napi::String::New(env, code));
  e.Set("syscall", Napi::String::New(env, syscall));
  e.Set("path", Napi::String::New(env, path));
  return e;
}

static void FinishComplete(napi_env env, napi_status status, void *data) {
  FinishJob *job = (FinishJob *)data;
  mc_snap_parser_free(job->parser);
  napi_delete_async_work(env, job->work);
  if (status == napi_ok && job->status == MC_SNAP_EIO) {
    try {
      napi_reject_deferred(env, job->deferred, SysError(env, job->core.sys_errno, job->core.syscall, job->path).Value());
    } catch (const Napi::Error &e) {
      napi_reject_deferred(env, job->deferred, e.Value());
    }
  } else if (status != napi_ok || job->status != MC_SNAP_OK) {
    mc_snap_free(job->core.snap);
    mc_snap_status st = job->status != MC_SNAP_OK ? job->status : MC_SNAP_EINVAL;
    Napi::Error err = MakeError(env, StatusKind(st), mc_snap_status_code(st),
                                job->message.empty() ? "the parse was cancelled" : job->message);
    napi_reject_deferred(env, job->deferred, err.Value());
  } else {
    try {
      Napi::Value v = WrapSnapshot(env, job->core.snap);
      napi_resolve_deferred(env, job->deferred, v);
    } catch (const Napi::Error &e) {
      napi_reject_deferred(env, job->deferred, e.Value());
    }
  }
  delete job;
}

// Queues the job; returns its promise. On failure frees the job and throws.
static napi_value QueueJob(Napi::Env env, FinishJob *job) {
  napi_value promise, name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "memctl.parseSnapshot", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, nullptr, name, FinishExecute, FinishComplete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    mc_snap_parser_free(job->parser);
    delete job;
    Throw(env, "Error", "ERR_MEMCTL_NAPI", "cannot queue the snapshot analysis");
  }
  return promise;
}

static Napi::Value ParserFinish(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  FinishJob *job = NewJob(DetachParser(env, info[0]), info[1], info[2]);
  return Napi::Value(env, QueueJob(env, job));
}

// snapshotParseFile(path, maxMemory, retained, mode) -> { promise, progress }:
// read, parse, classes (and retained sizes) all on a worker thread.
static Napi::Value ParseFile(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  // lib/snapshot.js checked the path (ERR_MEMCTL_INVALID_ARG_VALUE for a NUL).
  MC_EXPECT(env, info[0].IsString(), "path must be a string");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  MC_EXPECT(env, path.find('\0') == std::string::npos, "path must not contain NUL bytes");
  double max = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0;
  mc_snap_parser *p = mc_snap_parser_new(max > 0 ? (size_t)max : 0);
  if (!p) Throw(env, "Error", "ERR_MEMCTL_NO_MEMORY", "out of memory");
  FinishJob *job = NewJob(p, info[2], info[3]);
  job->path = std::move(path);
  job->progress = std::make_shared<FileProgress>();
  job->core.path = job->path.c_str();
  job->core.progress = &job->progress->bytes;
  job->core.read_done = &job->progress->read_done;
  ProgressPtr *held = new ProgressPtr(job->progress);
  Napi::External<ProgressPtr> progress =
      Napi::External<ProgressPtr>::New(env, held, [](Napi::Env, ProgressPtr *q) { delete q; });
  napi_type_tag_object(env, progress, &kProgressTag);
  Napi::Object out = Napi::Object::New(env);
  out.Set("progress", progress);
  out.Set("promise", Napi::Value(env, QueueJob(env, job)));
  return out;
}

// snapshotParseFileProgress(progress) -> { bytesRead, done }: done once the
// whole file has been read (the analysis may still be running).
static Napi::Value ParseFileProgress(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bool ok = false;
  if (info[0].IsExternal()) napi_check_object_type_tag(env, info[0], &kProgressTag, &ok);
  MC_EXPECT(env, ok, "not a parse progress");
  const FileProgress &fp = **info[0].As<Napi::External<ProgressPtr>>().Data();
  Napi::Object o = Napi::Object::New(env);
  o.Set("bytesRead", Napi::Number::New(env, (double)__atomic_load_n(&fp.bytes, __ATOMIC_RELAXED)));
  o.Set("done", Napi::Boolean::New(env, __atomic_load_n(&fp.read_done, __ATOMIC_ACQUIRE) != 0));
  return o;
}

static Napi::Value ParserFinishSync(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::unique_ptr<FinishJob> job(NewJob(DetachParser(env, info[0]), info[1], info[2]));
  FinishRun(job.get());
  mc_snap_parser_free(job->parser);
  if (job->status != MC_SNAP_OK) ThrowStatus(env, job->status, job->message.c_str());
  return WrapSnapshot(env, job->core.snap);
}

static Napi::Value Info(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  MC_GET(mc_snap, s, info[0], kSnapshot);
  Napi::Object o = Napi::Object::New(env);
  o.Set("nodeCount", Napi::Number::New(env, mc_snap_node_count(s)));
  o.Set("edgeCount", Napi::Number::New(env, mc_snap_edge_count(s)));
  o.Set("totalSize", Napi::Number::New(env, (double)mc_snap_total_size(s)));
  o.Set("nativeBytes", Napi::Number::New(env, (double)mc_snap_memory(s)));
  o.Set("peakBytes", Napi::Number::New(env, (double)mc_snap_peak_memory(s)));
  o.Set("hasRetained", Napi::Boolean::New(env, mc_snap_has_retained(s)));
  return o;
}

static void EnsureRetained(Napi::Env env, Napi::Value hv, mc_snap *s) {
  if (mc_snap_has_retained(s)) return;
  mc_snap_status st = mc_snap_compute_retained(s, MC_SNAP_DOM_DEVTOOLS);
  if (st != MC_SNAP_OK) ThrowStatus(env, st, mc_snap_retained_error(st));
  SyncExternal(env, HandleOf(env, hv, kSnapshot));
}

static Napi::String Str(Napi::Env env, const char *s, size_t len) {
  return Napi::String::New(env, s, len);
}

static Napi::Value Summary(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  MC_GET(mc_snap, s, info[0], kSnapshot);
  bool retained = info[1].ToBoolean();
  uint32_t top = info[2].IsNumber() ? info[2].As<Napi::Number>().Uint32Value() : 0;
  if (retained) EnsureRetained(env, info[0], s);
  uint32_t ncls = mc_snap_class_count(s);
  std::vector<uint32_t> idx(ncls + 1);
  uint32_t k = mc_snap_sorted_classes(s, retained, idx.data(), top ? top : ncls);
  const mc_snap_class *cls = mc_snap_classes(s);
  Napi::Array out = Napi::Array::New(env, k);
  for (uint32_t i = 0; i < k; i++) {
    const mc_snap_class &c = cls[idx[i]];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", Str(env, c.name, c.name_len));
    o.Set("count", Napi::Number::New(env, c.count));
    o.Set("selfSize", Napi::Number::New(env, (double)c.self_size));
    o.Set("retainedSize", Napi::Number::New(env, retained ? (double)c.retained_size : 0));
    out[i] = o;
  }
  return out;
}

static Napi::Value Close(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Handle *h = HandleOf(env, info[0], kSnapshot);
  if (h) HandleClose(env, h);
  return env.Undefined();
}

static Napi::Value IsClosed(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Handle *h = HandleOf(env, info[0], kSnapshot);
  if (!h) return env.Undefined();
  return Napi::Boolean::New(env, h->obj == nullptr);
}

static Napi::Value Diff(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  MC_GET(mc_snap, a, info[0], kSnapshot);
  MC_GET(mc_snap, b, info[1], kSnapshot);
  mc_snap_diff d;
  mc_snap_status st = mc_snap_diff_compute(a, b, &d);
  if (st != MC_SNAP_OK) ThrowStatus(env, st, "out of memory");
  Napi::Object o = Napi::Object::New(env);
  Napi::Object before = Napi::Object::New(env), after = Napi::Object::New(env);
  before.Set("nodes", Napi::Number::New(env, d.before_nodes));
  before.Set("sizeBytes", Napi::Number::New(env, (double)d.before_size));
  after.Set("nodes", Napi::Number::New(env, d.after_nodes));
  after.Set("sizeBytes", Napi::Number::New(env, (double)d.after_size));
  o.Set("before", before);
  o.Set("after", after);
  o.Set("allocatedNodes", Napi::Number::New(env, d.allocated));
  o.Set("freedNodes", Napi::Number::New(env, d.freed));
  Napi::Array details = Napi::Array::New(env, d.item_count);
  for (uint32_t i = 0; i < d.item_count; i++) {
    const mc_snap_diff_item &it = d.items[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("what", Str(env, it.name, it.name_len));
    x.Set("sizeBytes", Napi::Number::New(env, (double)it.size_delta));
    x.Set("added", Napi::Number::New(env, it.added));
    x.Set("removed", Napi::Number::New(env, it.removed));
    details[i] = x;
  }
  o.Set("details", details);
  mc_snap_diff_free(&d);
  return o;
}

static Napi::Object PathNode(Napi::Env env, const mc_snap *s, uint32_t v) {
  Napi::Object n = Napi::Object::New(env);
  size_t len;
  const char *name = mc_snap_node_name(s, v, &len);
  n.Set("name", Str(env, name, len));
  n.Set("type", Napi::String::New(env, mc_snap_node_type(s, v)));
  n.Set("id", Napi::Number::New(env, mc_snap_node_id(s, v)));
  return n;
}

static Napi::Array RetainerPath(Napi::Env env, mc_snap *s, uint32_t node) {
  mc_snap_status st;
  uint32_t len = mc_snap_path_to(s, node, nullptr, 0, &st);
  if (st != MC_SNAP_OK) ThrowStatus(env, st, "out of memory");
  if (len == UINT32_MAX) return Napi::Array::New(env, 0);
  std::vector<uint32_t> edges(len + 1);
  mc_snap_path_to(s, node, edges.data(), len, &st);
  Napi::Array path = Napi::Array::New(env, len + 1);
  uint32_t from = len ? mc_snap_edge_from(s, edges[0]) : node;
  Napi::Object first = Napi::Object::New(env);
  first.Set("node", PathNode(env, s, from));
  first.Set("edge", env.Null());
  path[(uint32_t)0] = first;
  for (uint32_t i = 0; i < len; i++) {
    char buf[16];
    size_t elen;
    const char *ename = mc_snap_edge_name(s, edges[i], buf, &elen);
    Napi::Object edge = Napi::Object::New(env);
    edge.Set("name", Str(env, ename, elen));
    edge.Set("type", Napi::String::New(env, mc_snap_edge_type(s, edges[i])));
    Napi::Object step = Napi::Object::New(env);
    step.Set("node", PathNode(env, s, mc_snap_edge_to(s, edges[i])));
    step.Set("edge", edge);
    path[i + 1] = step;
  }
  return path;
}

static Napi::Value Leaks(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  MC_GET(mc_snap, a, info[0], kSnapshot);
  MC_GET(mc_snap, b, info[1], kSnapshot);
  MC_GET(mc_snap, c, info[2], kSnapshot);
  uint32_t top = info[3].IsNumber() ? info[3].As<Napi::Number>().Uint32Value() : 0;
  EnsureRetained(env, info[2], c);
  mc_snap_leaks l;
  mc_snap_status st = mc_snap_leaks_compute(a, b, c, &l);
  if (st != MC_SNAP_OK) ThrowStatus(env, st, "out of memory");
  uint32_t k = top && top < l.count ? top : l.count;
  const mc_snap_class *cls = mc_snap_classes(c);
  Napi::Array out = Napi::Array::New(env, k);
  try {
    for (uint32_t i = 0; i < k; i++) {
      const mc_snap_leak &g = l.items[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", Str(env, cls[g.cls].name, cls[g.cls].name_len));
      o.Set("count", Napi::Number::New(env, g.count));
      o.Set("selfSize", Napi::Number::New(env, (double)g.self_size));
      o.Set("retainedSize", Napi::Number::New(env, (double)g.retained_size));
      o.Set("retainerPath", RetainerPath(env, c, g.sample));
      out[i] = o;
    }
  } catch (...) {
    mc_snap_leaks_free(&l);
    throw;
  }
  mc_snap_leaks_free(&l);
  SyncExternal(env, HandleOf(env, info[2], kSnapshot));
  return out;
}

void InitSnapshot(Napi::Env env, Napi::Object exports) {
  static const FunctionDef functions[] = {
      {"snapshotParserNew", Adapt<ParserNew>},
      {"snapshotParserFeed", Adapt<ParserFeed>},
      {"snapshotParserClose", Adapt<ParserClose>},
      {"snapshotParserFinish", Adapt<ParserFinish>},
      {"snapshotParseFile", Adapt<ParseFile>},
      {"snapshotParseFileProgress", Adapt<ParseFileProgress>},
      {"snapshotParserFinishSync", Adapt<ParserFinishSync>},
      {"snapshotInfo", Adapt<Info>},
      {"snapshotSummary", Adapt<Summary>},
      {"snapshotClose", Adapt<Close>},
      {"snapshotIsClosed", Adapt<IsClosed>},
      {"snapshotDiff", Adapt<Diff>},
      {"snapshotLeaks", Adapt<Leaks>},
      {"snapshotUsage", Adapt<Usage>},
  };
  DefineFunctions(env, exports, functions);
}

}  // namespace memctl
