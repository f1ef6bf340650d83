// A size-keyed cache of freed CPU tensor blocks for inference.
//
// libtorch takes CPU tensor memory from glibc, which serves large blocks with fresh mmaps and
// unmaps them on free, so every forward pass page-faults its activations in again and the kernel
// zeroes each page. On the 2-core AMD EPYC a mobilenet_v2 pass at batch 16 spent most of its time
// there (56 images/s, against 297–350 once freed blocks were reused). Training sets glibc's own knobs
// instead (host-memory.ts); inference shapes repeat exactly (one set per batch size), so a
// bounded cache of blocks keyed by their rounded size serves them without touching the heap's
// policy for the rest of the process (image decoding, file loads).
//
// Mechanism only: TypeScript decides when it is on (tensorCacheAcquire / tensorCacheRelease,
// counted across every thread) and how large it may grow. The allocator is libtorch's CPU
// allocator from the addon's load on; while no holder remains it passes every request to c10's
// alloc_cpu / free_cpu and keeps nothing.
#include "shim.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <torch/version.h>

#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>

namespace fg {
namespace {

// Blocks below this come from glibc's heap (no mmap, no page faults to save).
constexpr size_t kMinCached = 128 * 1024;

// Rounds up to a multiple of an eighth of the next power of two, so nearby sizes share blocks
// (at most 25% slack); a request may also take a free block up to twice its size.
size_t rounded(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  size_t step = p >= 8 ? p / 8 : 1;
  return (n + step - 1) / step * step;
}

// Blocks the cache may keep are listed in live_ with their capacity; the rest are c10's own
// alloc_cpu blocks with its free_cpu as deleter, so small tensors pay nothing extra. oneDNN frees
// through raw_deleter, which looks the block up (and frees blocks made before this allocator too).
// libtorch 2.x made Allocator::allocate non-const and added a pure copy_data.
#if TORCH_VERSION_MAJOR >= 2
#define FG_ALLOCATE_CONST
#else
#define FG_ALLOCATE_CONST const
#endif
class TensorCache final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) FG_ALLOCATE_CONST override {
    if (n < kMinCached || holders_ == 0) {
      void* p = c10::alloc_cpu(n);
      return {p, p, &c10::free_cpu, c10::Device(c10::DeviceType::CPU)};
    }
    size_t size = rounded(n);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // Best fit up to twice the size: a batch of 4 runs in the blocks a batch of 8 left, so
      // the cache holds about one largest batch's working set, not one set per batch size.
      auto it = free_.lower_bound(size);
      if (it != free_.end() && it->first <= 2 * size) {
        void* p = it->second;
        size_t capacity = it->first;
        free_.erase(it);
        cached_ -= capacity;
        hits_++;
        live_[p] = capacity;
        return {p, p, &TensorCache::release_block, c10::Device(c10::DeviceType::CPU)};
      }
      misses_++;
    }
    void* p = nullptr;
    try {
      p = c10::alloc_cpu(size);  // outside the lock: the system allocation is the slow part
    } catch (const c10::Error&) {
      // Out of memory: ask for the exact size, so the error names what the caller asked for.
      p = c10::alloc_cpu(n);
      return {p, p, &c10::free_cpu, c10::Device(c10::DeviceType::CPU)};
    }
    std::lock_guard<std::mutex> lock(mutex_);
    live_[p] = size;
    return {p, p, &TensorCache::release_block, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &TensorCache::release_block; }

#if TORCH_VERSION_MAJOR >= 2
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }
#endif

  // Never destroyed: tensors freed during static destruction still call release_block.
  static TensorCache& instance() {
    static TensorCache* cache = new TensorCache;
    return *cache;
  }

  void acquire(size_t limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    holders_++;
    if (limit > limit_) limit_ = limit;
  }

  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (holders_ == 0) return;
    if (--holders_ == 0) {
      flush_locked();
      limit_ = 0;
    }
  }

  napi_value stats(napi_env env) {
    std::lock_guard<std::mutex> lock(mutex_);
    napi_value obj;
    check(napi_create_object(env, &obj), "object");
    auto set = [&](const char* name, double v) { check(napi_set_named_property(env, obj, name, make_number(env, v)), "prop"); };
    set("holders", static_cast<double>(holders_.load()));
    set("limitBytes", static_cast<double>(limit_));
    set("cachedBytes", static_cast<double>(cached_));
    set("cachedBlocks", static_cast<double>(free_.size()));
    set("hits", static_cast<double>(hits_));
    set("misses", static_cast<double>(misses_));
    return obj;
  }

 private:
  static void release_block(void* p) {
    if (p && !instance().keep(p)) c10::free_cpu(p);
  }

  // Keeps a freed block for reuse unless it is not the cache's, no one holds the cache, or it
  // would pass the limit.
  bool keep(void* p) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_.find(p);
    if (it == live_.end()) return false;
    size_t size = it->second;
    live_.erase(it);
    if (holders_ == 0 || cached_ + size > limit_) return false;
    free_.emplace(size, p);
    cached_ += size;
    return true;
  }

  void flush_locked() {
    for (auto& [size, base] : free_) c10::free_cpu(base);
    free_.clear();
    cached_ = 0;
  }

  mutable std::mutex mutex_;
  mutable std::multimap<size_t, void*> free_;
  mutable std::unordered_map<void*, size_t> live_;
  mutable size_t cached_ = 0;
  mutable uint64_t hits_ = 0, misses_ = 0;
  std::atomic<size_t> holders_{0};
  size_t limit_ = 0;
};

// Installed when the addon loads. (c10's default allocator also reports to the memory profiler;
// this one does not.)
const bool installed = [] {
  c10::SetCPUAllocator(&TensorCache::instance(), /*priority=*/1);
  return true;
}();

// tensorCacheAcquire(limitBytes): one more holder; the cache keeps up to the largest limit asked.
napi_value tensor_cache_acquire(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    int64_t limit = int_of(env, a[0], "limitBytes");
    if (limit < 0) fail("tensorCacheAcquire: limitBytes must be >= 0");
    TensorCache::instance().acquire(static_cast<size_t>(limit));
    return undefined(env);
  });
}

// tensorCacheRelease(): one holder fewer; the last one returns every cached block to the system.
napi_value tensor_cache_release(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    TensorCache::instance().release();
    return undefined(env);
  });
}

napi_value tensor_cache_stats(napi_env env, napi_callback_info info) {
  return guarded(env, [&] { return TensorCache::instance().stats(env); });
}

FG_EXPORT("tensorCacheAcquire", tensor_cache_acquire);
FG_EXPORT("tensorCacheRelease", tensor_cache_release);
FG_EXPORT("tensorCacheStats", tensor_cache_stats);

}  // namespace
}  // namespace fg
