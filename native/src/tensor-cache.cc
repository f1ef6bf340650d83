// A cache of CPU tensor memory for inference: one arena that freed blocks return to.
//
// libtorch takes CPU tensor memory from glibc, which serves large blocks with fresh mmaps and
// unmaps them on free, so every forward pass page-faults its activations in again and the kernel
// zeroes each page. On the 2-core AMD EPYC a mobilenet_v2 pass at batch 16 spent most of its time
// there (56 images/s, against 297–350 once freed memory was reused). Training sets glibc's own
// knobs instead (host-memory.ts); inference shapes repeat exactly (one set per batch size).
//
// The memory a pass needs at once is far less than the sum of its distinct block sizes: a
// mobilenet_v2 pass at batch 8 (bf16) never has more than ~34 MiB live, while a cache of whole
// blocks keyed by size kept 56 MiB in 15 blocks (bench/serve's accounting). So the blocks are cut
// from one arena: address space reserved once (no memory), pages committed as the arena's used
// extent grows, each request served by the lowest free range that fits (split, the rest stays
// free), each freed block merged with free neighbours. Lowest-first keeps the used extent — what
// is resident — near the most the passes ever held at once, and a smaller batch runs in the
// memory a larger one left.
//
// Mechanism only: TypeScript decides when it is on (tensorCacheAcquire / tensorCacheRelease,
// counted across every thread) and how large the arena may grow. The allocator is libtorch's
// CPU allocator from the addon's load on; while no holder remains it passes every request to
// c10's alloc_cpu / free_cpu and hands the arena's pages back to the system.
#include "shim.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <torch/version.h>
#include <sys/mman.h>

#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>

namespace fg {
namespace {

// Blocks below this come from glibc's heap (no mmap, no page faults to save).
constexpr size_t kMinCached = 128 * 1024;
// Block sizes and offsets are whole pages, so a freed range can be handed back page by page.
constexpr size_t kPage = 4096;
// Pages are committed (made writable) in steps of this much as the used extent grows.
constexpr size_t kCommitStep = 2 * 1024 * 1024;
// Address space reserved for the arena (inaccessible until committed; costs no memory). A
// limit above it is capped to it; if the reservation fails, the arena is off.
constexpr size_t kReserve = size_t(64) << 30;

size_t page_up(size_t n) { return (n + kPage - 1) / kPage * kPage; }

// Blocks the arena handed out are listed in live_; every other block is c10's own alloc_cpu
// block with its free_cpu as deleter, so small tensors pay nothing extra. oneDNN frees through
// raw_deleter, which looks the block up (and frees blocks made before this allocator too).
// libtorch 2.x made Allocator::allocate non-const and added a pure copy_data.
#if TORCH_VERSION_MAJOR >= 2
#define FG_ALLOCATE_CONST
#else
#define FG_ALLOCATE_CONST const
#endif
class TensorCache final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) FG_ALLOCATE_CONST override {
    if (n >= kMinCached && holders_ > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (void* p = take_locked(page_up(n))) return {p, p, &TensorCache::release_block, c10::Device(c10::DeviceType::CPU)};
      misses_++;  // over the limit: the system serves it
    }
    void* p = c10::alloc_cpu(n);
    return {p, p, &c10::free_cpu, c10::Device(c10::DeviceType::CPU)};
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
      limit_ = 0;
      hand_back_locked();
    }
  }

  napi_value stats(napi_env env) {
    std::lock_guard<std::mutex> lock(mutex_);
    napi_value obj;
    check(napi_create_object(env, &obj), "object");
    auto set = [&](const char* name, double v) { check(napi_set_named_property(env, obj, name, make_number(env, v)), "prop"); };
    // Free ranges inside the used extent: memory already paged in, kept for the next blocks.
    // With no holder every free page has been handed back: nothing is cached.
    size_t cached = 0, ranges = 0;
    if (holders_ > 0)
      for (auto& [offset, size] : free_) {
        if (offset >= used_) break;
        cached += std::min(size, used_ - offset);
        ranges++;
      }
    set("holders", static_cast<double>(holders_.load()));
    set("limitBytes", static_cast<double>(limit_));
    set("cachedBytes", static_cast<double>(cached));
    set("cachedBlocks", static_cast<double>(ranges));
    set("residentBytes", static_cast<double>(used_));
    set("liveBytes", static_cast<double>(live_bytes_));
    set("peakLiveBytes", static_cast<double>(peak_live_bytes_));
    set("hits", static_cast<double>(hits_));
    set("misses", static_cast<double>(misses_));
    return obj;
  }

 private:
  static void release_block(void* p) {
    if (p && !instance().give_back(p)) c10::free_cpu(p);
  }

  // The lowest free range that holds `size` bytes within the limit, split; null when none does.
  void* take_locked(size_t size) const {
    if (!reserve_locked()) return nullptr;
    size_t cap = std::min(limit_, kReserve);
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      auto [offset, length] = *it;
      if (offset + size > cap) return nullptr;  // ranges are in address order: none further fits
      if (length < size) continue;
      if (offset + size > committed_) {
        size_t target = std::min(cap, (offset + size + kCommitStep - 1) / kCommitStep * kCommitStep);
        if (mprotect(base_ + committed_, target - committed_, PROT_READ | PROT_WRITE) != 0) return nullptr;
        committed_ = target;
      }
      free_.erase(it);
      if (length > size) free_.emplace(offset + size, length - size);
      if (offset + size > used_) {
        used_ = offset + size;  // fresh pages: this block faults them in
        misses_++;
      } else {
        hits_++;
      }
      void* p = base_ + offset;
      live_[p] = size;
      live_bytes_ += size;
      if (live_bytes_ > peak_live_bytes_) peak_live_bytes_ = live_bytes_;
      return p;
    }
    return nullptr;
  }

  // Returns an arena block to the free ranges, merged with its neighbours; false if the block is
  // not the arena's. With no holder, its pages go back to the system at once.
  bool give_back(void* p) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_.find(p);
    if (it == live_.end()) return false;
    size_t offset = static_cast<char*>(p) - base_, size = it->second;
    live_.erase(it);
    live_bytes_ -= size;
    auto next = free_.lower_bound(offset);
    if (next != free_.end() && next->first == offset + size) {
      size += next->second;
      next = free_.erase(next);
    }
    if (next != free_.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == offset) {
        offset = prev->first;
        size += prev->second;
        free_.erase(prev);
      }
    }
    free_.emplace(offset, size);
    if (holders_ == 0) {
      // The rest of the free pages went back at the last release: only this range's are left.
      release_pages_locked(offset, size);
      used_ = live_top_locked();
    }
    return true;
  }

  // With no holder: every free page inside the used extent goes back to the system (it reads as
  // zeros if used again) and the extent shrinks to the highest block still live.
  void hand_back_locked() {
    if (!base_) return;
    for (auto& [offset, size] : free_) release_pages_locked(offset, size);
    used_ = live_top_locked();
  }

  // Hands the pages of the free range [offset, offset + size) inside the used extent back.
  void release_pages_locked(size_t offset, size_t size) {
    if (offset < used_) madvise(base_ + offset, std::min(size, used_ - offset), MADV_DONTNEED);
  }

  // Where the highest live block ends: the start of the last free range, which runs to the end
  // of the reservation (a freed block at the top merges into it).
  size_t live_top_locked() const {
    auto last = free_.rbegin();
    return last != free_.rend() && last->first + last->second == kReserve ? last->first : kReserve;
  }

  // Reserves the arena's address space on first use; false if the system refused it.
  bool reserve_locked() const {
    if (base_) return true;
    if (reserve_failed_) return false;
    void* p = mmap(nullptr, kReserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      reserve_failed_ = true;
      return false;
    }
    base_ = static_cast<char*>(p);
    free_.emplace(0, kReserve);
    return true;
  }

  mutable std::mutex mutex_;
  mutable char* base_ = nullptr;
  mutable bool reserve_failed_ = false;
  // Free ranges by offset (address order); the last runs to the end of the reservation.
  mutable std::map<size_t, size_t> free_;
  mutable std::unordered_map<void*, size_t> live_;
  // The arena's used extent (pages touched so far) and its committed (writable) part.
  mutable size_t used_ = 0, committed_ = 0;
  mutable size_t live_bytes_ = 0, peak_live_bytes_ = 0;
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
