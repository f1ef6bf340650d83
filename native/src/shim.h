// The shared core of the native shim: the tensor handle, JS<->C++ value helpers and the
// error boundary. Everything here is policy-free; the TypeScript layer decides what to call.
#pragma once

#define NAPI_VERSION 8
#include <node_api.h>

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fg {

// A JS tensor holds a numeric handle into a slot table: (generation << 24) | slot. A number
// costs far less to create and pass than a napi External with a GC finalizer, which matters
// for the per-operation overhead. dispose() frees the tensor at once and bumps the slot's
// generation, so a stale handle used again gives a clear error instead of reading another
// tensor. Every piece of state the addon keeps (this table, the deferred-free list below, the
// operator registry in dispatch.cc) is per thread: each JS thread — the main thread and every
// worker_threads Worker — has its own environment, handles and operator ids, and touches only
// its own, so nothing needs a lock. (When these were process-wide, a model running in a worker
// beside tensors on the main thread corrupted the heap.) A handle is therefore only meaningful
// on the thread that made it; tensors cross threads as data, never as handles. An
// environment's state is freed when it is torn down (a worker's end; see init in shim.cc).
using HandleId = double;

// Thrown by the helpers below to abort a call with a JS TypeError/Error.
struct JsError {
  std::string message;
  bool type_error;
};

[[noreturn]] inline void fail(const std::string& msg) { throw JsError{msg, false}; }
[[noreturn]] inline void type_fail(const std::string& msg) { throw JsError{msg, true}; }

inline void check(napi_status s, const char* what) {
  if (s != napi_ok) fail(std::string("N-API failure: ") + what);
}

napi_value wrap(napi_env env, at::Tensor t);            // new JS handle; undefined tensor -> null
const at::Tensor& tensor_of(napi_env env, napi_value v); // live tensor or error
at::Tensor& mutable_tensor_of(napi_env env, napi_value v);
bool release(napi_env env, napi_value v);                // frees; false if already freed
size_t live_tensors();

// Deferred frees. dispose() in JS writes the handle into a Float64Array shared with the addon
// (element 0 is the count) instead of making a second native call per tensor; every native
// call drains that list first (see guarded), so a disposed tensor is freed before the next
// operation can allocate, and a stale handle is still detected. Per thread, like the slot table.
extern thread_local double* pending_frees;
void drain_pending_frees();

// Frees this thread's operator registry (dispatch.cc); called when its environment ends.
void release_thread_operators();
bool is_nullish(napi_env env, napi_value v);

double number_of(napi_env env, napi_value v, const char* what);
int64_t int_of(napi_env env, napi_value v, const char* what);
bool bool_of(napi_env env, napi_value v, const char* what);
std::string string_of(napi_env env, napi_value v, const char* what);
std::vector<int64_t> int_list_of(napi_env env, napi_value v, const char* what);

napi_value make_number(napi_env env, double d);
napi_value make_bool(napi_env env, bool b);
napi_value make_string(napi_env env, const std::string& s);
napi_value make_int_array(napi_env env, at::IntArrayRef values);
napi_value undefined(napi_env env);
napi_value null(napi_env env);

// Arguments of the current call, at most `max` of them.
struct Args {
  napi_env env;
  size_t argc;
  napi_value argv[32];
  Args(napi_env e, napi_callback_info info);
  napi_value operator[](size_t i) const;
};

// Runs `body`, turning C++ and libtorch exceptions into a thrown JS Error carrying the
// libtorch message. The process never aborts on a bad shape, dtype or out-of-memory.
template <typename F>
napi_value guarded(napi_env env, F&& body) {
  try {
    if (pending_frees && pending_frees[0] != 0) drain_pending_frees();
    return body();
  } catch (const JsError& e) {
    if (e.type_error) napi_throw_type_error(env, nullptr, e.message.c_str());
    else napi_throw_error(env, nullptr, e.message.c_str());
  } catch (const c10::Error& e) {
    napi_throw_error(env, nullptr, e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, "ENOMEM", "out of memory");
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  } catch (...) {
    napi_throw_error(env, nullptr, "unknown native error");
  }
  return nullptr;
}

// Each source file lists its exported functions with FG_EXPORT(name, fn) at namespace
// scope; a static initializer collects them, so adding a file needs no central edit.
void define(napi_env env, napi_value exports, const char* name, napi_callback cb);
struct Export {
  Export(const char* name, napi_callback cb);
};
void define_all(napi_env env, napi_value exports);

#define FG_CONCAT_(a, b) a##b
#define FG_CONCAT(a, b) FG_CONCAT_(a, b)
#define FG_EXPORT(name, fn) static ::fg::Export FG_CONCAT(fg_export_, __LINE__)(name, fn)

}  // namespace fg
