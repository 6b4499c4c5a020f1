// The byte form of cache keys and values, shared by every binding over the
// cache core (LRUCache in cache.cc, SharedCache in shared_cache.cc), so a key
// or value is encoded one way only. The encoding is described in cache.cc.
#ifndef MEMCTL_BINDING_CACHE_CODEC_H
#define MEMCTL_BINDING_CACHE_CODEC_H

#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>

#include <string>

extern "C" {
#include "core/cache.h"
}

namespace memctl {

enum : uint8_t {
  KEY_LATIN1 = 1, KEY_UTF16 = 2, KEY_NUMBER = 3, KEY_TRUE = 4, KEY_FALSE = 5,
  KEY_NULL = 6, KEY_UNDEFINED = 7, KEY_BIGINT = 8,
};
enum : unsigned {
  VAL_LATIN1 = 0, VAL_UTF16 = 1, VAL_NUMBER = 2, VAL_TRUE = 3, VAL_FALSE = 4,
  VAL_NULL = 5, VAL_BIGINT = 6, VAL_BYTES = 7, VAL_SERIAL = 8,
};
// Reads a JS string as UTF-16 into `stack` (cap units) or a heap buffer.
struct Utf16 {
  char16_t *units = nullptr;
  size_t len = 0;
  char16_t *heap = nullptr;
  ~Utf16() {
    if (heap) free(heap);
  }
  // The first read is done by the caller (it doubles as the type check).
  bool Read(napi_env env, napi_value v, char16_t *stack, size_t cap) {
    if (napi_get_value_string_utf16(env, v, stack, cap, &len) != napi_ok) return false;
    return Finish(env, v, stack, cap);
  }
  bool Finish(napi_env env, napi_value v, char16_t *stack, size_t cap) {
    units = stack;
    if (len + 1 < cap) return true;
    // Possibly truncated: ask for the length and read it whole.
    if (napi_get_value_string_utf16(env, v, NULL, 0, &len) != napi_ok) return false;
    if (len + 1 <= cap) return true;
    heap = (char16_t *)malloc((len + 1) * sizeof(char16_t));
    if (!heap) return false;
    if (napi_get_value_string_utf16(env, v, heap, len + 1, &len) != napi_ok) return false;
    units = heap;
    return true;
  }
  bool Latin1() const {
    char16_t any = 0;
    for (size_t i = 0; i < len; i++) any |= units[i];
    return any < 256;
  }
};

// Keys up to KEY_STACK units (4 KB URL-like keys included) are read once,
// into the stack, with no allocation. Node-API writes at most cap - 1 units
// and a NUL, and a read that returns cap - 1 units may have been truncated
// (Utf16::Finish then asks for the length and reads again): KEY_STACK units
// need a cap of KEY_STACK + 2.
enum { KEY_STACK = 4096, KEY_UNITS_CAP = KEY_STACK + 2 };
struct Key {
  char16_t units[KEY_UNITS_CAP];
  uint8_t stack[1 + 2 * KEY_STACK];
  uint8_t *heap = nullptr;
  const uint8_t *data = nullptr;
  size_t len = 0;
  ~Key() {
    if (heap) free(heap);
  }
};

// Set results besides undefined (stored, nothing to report) and exceptions.
enum { SET_NEEDS_SERIAL = 1, SET_LOGGED = 2 };

enum { READ_OK = 0, READ_SERIAL = 1, READ_DELETE = 2, READ_THROWN = -1 };

struct Value {
  char16_t units[512];
  uint8_t stack[1024];
  uint8_t *heap = nullptr;
  const uint8_t *data = nullptr;
  size_t len = 0;
  unsigned tag = 0;
  ~Value() { free(heap); }
};

// A ttl argument in ms as the core takes it: negative = the cache's default,
// fractions round up, larger than MC_CACHE_TTL_MAX = MC_CACHE_TTL_MAX.
uint64_t TtlArg(double ms);

// Policy names (the core's MC_CACHE_LRU/FIFO/SIEVE), defined once in cache.cc:
// the policy number of a name (-1: unknown) and the name of a number.
int PolicyOf(const std::string &name);
const char *PolicyName(int policy);

// Reads a key (string, number, boolean, null, undefined or bigint) into k;
// false with a pending TypeError.
bool ReadKey(napi_env env, napi_value v, Key *k);
napi_value KeyOut(napi_env env, const uint8_t *p, size_t n);
// READ_OK (out filled), READ_SERIAL (an object: serialize it first),
// READ_DELETE (undefined) or READ_THROWN (exception pending).
int ReadValue(napi_env env, napi_value v, Value *out);
// direct: byte values become Buffers; otherwise they go through the
// per-environment scratch Buffer of lib/cache.js (returns its sentinel).
napi_value ValueOut(napi_env env, const uint8_t *p, size_t n, unsigned tag, bool direct);
// Throws the JS error for a cache core result (MC_CACHE_E*); returns NULL.
napi_value ThrowStatus(napi_env env, int r);
// has(key) (no recency change, no stats; expired = absent) and delete(key)
// on an open cache (SharedCache: its shard locked), as JS booleans; hash is
// the key's mc_cache_hash (mc_shm_hash for a shard).
napi_value HasResult(napi_env env, mc_cache *c, const Key &k, uint64_t hash);
napi_value DeleteResult(napi_env env, mc_cache *c, const Key &k, uint64_t hash);
// The cache clock in ms (monotonic, >= 1; the test clock when set).
uint64_t ClockMs(napi_env env);
// The clock for an operation on c: not read while nothing in c can expire.
uint64_t NowMs(napi_env env, const mc_cache *c);

}  // namespace memctl

#endif
