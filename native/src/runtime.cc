// Process-wide runtime settings: seeds, threads, devices and versions.
#include "shim.h"

#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/cuda.h>
#include <torch/version.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace fg {
namespace {

// manualSeed(seed): seeds the CPU generator and every CUDA device's generator.
napi_value manual_seed(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    auto seed = static_cast<uint64_t>(int_of(env, a[0], "seed"));
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    }
    if (at::hasCUDA()) {
      int n = at::detail::getCUDAHooks().getNumGPUs();
      for (int i = 0; i < n; i++) {
        auto gen = at::globalContext().defaultGenerator(at::Device(at::kCUDA, i));
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_current_seed(seed);
      }
    }
    return undefined(env);
  });
}

napi_value set_num_threads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    int64_t n = int_of(env, a[0], "threads");
    if (n < 1) fail("setNumThreads: need at least one thread");
    at::set_num_threads(static_cast<int>(n));
    return undefined(env);
  });
}

napi_value get_num_threads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] { return make_number(env, at::get_num_threads()); });
}

napi_value set_num_interop_threads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    at::set_num_interop_threads(static_cast<int>(int_of(env, a[0], "threads")));
    return undefined(env);
  });
}

// mallopt(name, value): sets one of glibc's malloc parameters ('mmapMax', 'trimThreshold',
// 'mmapThreshold', 'arenaMax');
// true when glibc accepted it, null when this is not glibc.
// The choice of values is src/native/host-memory.ts's.
napi_value set_malloc_option(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    std::string name = string_of(env, a[0], "name");
    int64_t value = int_of(env, a[1], "value");
#if defined(__GLIBC__)
    int param = name == "mmapMax"         ? M_MMAP_MAX
                : name == "trimThreshold" ? M_TRIM_THRESHOLD
                : name == "mmapThreshold" ? M_MMAP_THRESHOLD
                : name == "arenaMax"      ? M_ARENA_MAX
                                          : 0;
    if (param == 0) fail("mallopt: unknown parameter '" + name + "'");
    return make_bool(env, mallopt(param, static_cast<int>(value)) == 1);
#else
    (void)name;
    (void)value;
    return null(env);
#endif
  });
}

// mallocTrim(): hands the free memory at the top of glibc's heaps back to the system; true when
// some was released, null when this is not glibc.
napi_value malloc_trim_now(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
#if defined(__GLIBC__)
    return make_bool(env, malloc_trim(0) == 1);
#else
    return null(env);
#endif
  });
}

napi_value cuda_device_count(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    return make_number(env, at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0);
  });
}

napi_value cuda_synchronize(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    if (at::hasCUDA()) torch::cuda::synchronize(is_nullish(env, a[0]) ? -1 : int_of(env, a[0], "device"));
    return undefined(env);
  });
}

// Capabilities of this libtorch build and CPU, e.g. whether oneDNN can use bf16 kernels.
napi_value build_info(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value obj;
    check(napi_create_object(env, &obj), "object");
    check(napi_set_named_property(env, obj, "torchVersion", make_string(env, TORCH_VERSION)), "prop");
    check(napi_set_named_property(env, obj, "mkldnn", make_bool(env, at::hasMKLDNN())), "prop");
    check(napi_set_named_property(env, obj, "cuda", make_bool(env, at::hasCUDA())), "prop");
    check(napi_set_named_property(env, obj, "config", make_string(env, at::show_config())), "prop");
    check(napi_set_named_property(env, obj, "parallel", make_string(env, at::get_parallel_info())), "prop");
    return obj;
  });
}

FG_EXPORT("manualSeed", manual_seed);
FG_EXPORT("setNumThreads", set_num_threads);
FG_EXPORT("getNumThreads", get_num_threads);
FG_EXPORT("setNumInteropThreads", set_num_interop_threads);
FG_EXPORT("mallopt", set_malloc_option);
FG_EXPORT("mallocTrim", malloc_trim_now);
FG_EXPORT("cudaDeviceCount", cuda_device_count);
FG_EXPORT("cudaSynchronize", cuda_synchronize);
FG_EXPORT("buildInfo", build_info);

}  // namespace

}  // namespace fg
