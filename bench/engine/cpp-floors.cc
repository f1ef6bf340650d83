// Timing floors for bench/engine: the same tiny operator calls made from C++ in the Node
// process, so the benchmark can say how much of a JS (or Python) call is binding overhead and
// how much is libtorch's own dispatch, allocation and kernel. A small addon of its own
// (build/bench/engine/cpp-floors.node, built by `node scripts/build-native.mjs --bench`, which
// scripts/run-bench.mjs runs before this benchmark), never part of the library's addon. It
// links the same libtorch as build/native/finegrain.node, so both run on one libtorch
// instance (one thread pool, one dispatcher) in the process. Tensor handles belong to the
// library's addon, so the operands come in as data and are made into tensors here.
#define NAPI_VERSION 8
#include <node_api.h>

#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <chrono>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

struct Failure {
  std::string message;
};

void check(napi_status s, const char* what) {
  if (s != napi_ok) throw Failure{std::string("N-API failure: ") + what};
}

double elapsed_ns(Clock::time_point start) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

// A Float32Array's elements as a 1-D float32 tensor in memory libtorch allocated, as the
// tensors the benchmark made with randn() are.
at::Tensor tensor_of(napi_env env, napi_value v, const char* what) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_float32_array)
    throw Failure{std::string(what) + ": expected a Float32Array"};
  return at::from_blob(data, {static_cast<int64_t>(length)}, at::kFloat).clone();
}

int64_t iterations_of(napi_env env, napi_value v) {
  double d;
  check(napi_get_value_double(env, v, &d), "iters");
  if (!(d >= 1) || d != static_cast<double>(static_cast<int64_t>(d))) throw Failure{"iters must be an integer of at least 1"};
  return static_cast<int64_t>(d);
}

// (a: Float32Array, b: Float32Array, iters) -> the nanoseconds `loop(a, b, iters)` took,
// with any C++ or libtorch exception thrown as a JS Error.
template <typename Loop>
napi_value timed(napi_env env, napi_callback_info info, Loop&& loop) {
  try {
    size_t argc = 3;
    napi_value argv[3];
    check(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "arguments");
    if (argc < 3) throw Failure{"expected (a: Float32Array, b: Float32Array, iters: number)"};
    at::Tensor x = tensor_of(env, argv[0], "a");
    at::Tensor y = tensor_of(env, argv[1], "b");
    int64_t iters = iterations_of(env, argv[2]);
    napi_value out;
    check(napi_create_double(env, loop(x, y, iters), &out), "result");
    return out;
  } catch (const Failure& e) {
    napi_throw_error(env, nullptr, e.message.c_str());
  } catch (const c10::Error& e) {
    napi_throw_error(env, nullptr, e.what_without_backtrace());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

// addLoop(a, b, iters): `iters` calls of at::add(a, b), each result freed before the next
// call (as `c = a + b` in a Python loop frees the previous c). This is the typed, unboxed
// route that PyTorch's own Python bindings take.
napi_value add_loop(napi_env env, napi_callback_info info) {
  return timed(env, info, [](const at::Tensor& x, const at::Tensor& y, int64_t iters) {
    auto start = Clock::now();
    for (int64_t i = 0; i < iters; i++) {
      at::Tensor c = at::add(x, y);
    }
    return elapsed_ns(start);
  });
}

// addLoopBoxed(a, b, iters): the same calls through the boxed dispatcher entry (an IValue
// stack), which is the route finegrain's generic aten() call takes (native/src/dispatch.cc).
// The difference to addLoop is the price of boxing.
napi_value add_loop_boxed(napi_env env, napi_callback_info info) {
  return timed(env, info, [](const at::Tensor& x, const at::Tensor& y, int64_t iters) {
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
    return elapsed_ns(start);
  });
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "addLoop", NAPI_AUTO_LENGTH, add_loop, nullptr, &fn);
  napi_set_named_property(env, exports, "addLoop", fn);
  napi_create_function(env, "addLoopBoxed", NAPI_AUTO_LENGTH, add_loop_boxed, nullptr, &fn);
  napi_set_named_property(env, exports, "addLoopBoxed", fn);
  return exports;
}
