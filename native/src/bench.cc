// Timing floors for bench/engine: the same tiny operator calls made from C++ in this
// process, so the benchmark can say how much of a JS (or Python) call is binding overhead
// and how much is libtorch's own dispatch, allocation and kernel. Not used by the library.
#include "shim.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <chrono>

namespace fg {
namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ns(Clock::time_point start) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

int64_t iterations_of(napi_env env, napi_value v) {
  int64_t n = int_of(env, v, "iters");
  if (n < 1) fail("iters must be at least 1");
  return n;
}

// benchAddLoop(h1, h2, iters) -> nanoseconds for `iters` calls of at::add(a, b), each result
// freed before the next call (as `c = a + b` in a Python loop frees the previous c). This is
// the typed, unboxed route that PyTorch's own Python bindings take.
napi_value bench_add_loop(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& x = tensor_of(env, a[0]);
    const at::Tensor& y = tensor_of(env, a[1]);
    int64_t iters = iterations_of(env, a[2]);
    auto start = Clock::now();
    for (int64_t i = 0; i < iters; i++) {
      at::Tensor c = at::add(x, y);
    }
    return make_number(env, elapsed_ns(start));
  });
}

// benchAddLoopBoxed(h1, h2, iters) -> nanoseconds for the same calls through the boxed
// dispatcher entry (an IValue stack), which is the route finegrain's generic aten() call
// takes (dispatch.cc). The difference to benchAddLoop is the price of boxing.
napi_value bench_add_loop_boxed(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& x = tensor_of(env, a[0]);
    const at::Tensor& y = tensor_of(env, a[1]);
    int64_t iters = iterations_of(env, a[2]);
    auto op = c10::Dispatcher::singleton().findSchemaOrThrow("aten::add", "Tensor");
    const c10::IValue alpha(int64_t{1});
    torch::jit::Stack stack;
    auto start = Clock::now();
    for (int64_t i = 0; i < iters; i++) {
      stack.clear();
      stack.reserve(3);
      stack.emplace_back(x);
      stack.emplace_back(y);
      stack.push_back(alpha);
      op.callBoxed(&stack);
    }
    stack.clear();
    return make_number(env, elapsed_ns(start));
  });
}

FG_EXPORT("benchAddLoop", bench_add_loop);
FG_EXPORT("benchAddLoopBoxed", bench_add_loop_boxed);

}  // namespace
}  // namespace fg
