// Fast paths for the commonest element-wise operations. The generic operator call
// (dispatch.cc) reads argument kinds from the schema and boxes them; for a binary operation
// on two tensors that costs more than the operation itself on tiny tensors, so these few
// call the unboxed ATen functions directly with the fewest N-API calls. Semantics are the
// same (autograd and autocast still apply: they live below in the dispatcher).
#include "shim.h"

namespace fg {
namespace {

// binary(kind, a, b): 0 add, 1 sub, 2 mul, 3 div.
napi_value binary(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    size_t argc = 3;
    napi_value argv[3];
    check(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "arguments");
    if (argc != 3) type_fail("binary(kind, a, b): expected 3 arguments");
    int32_t kind;
    if (napi_get_value_int32(env, argv[0], &kind) != napi_ok) type_fail("binary: kind must be an integer");
    const at::Tensor& a = tensor_of(env, argv[1]);
    const at::Tensor& b = tensor_of(env, argv[2]);
    switch (kind) {
      case 0: return wrap(env, at::add(a, b));
      case 1: return wrap(env, at::sub(a, b));
      case 2: return wrap(env, at::mul(a, b));
      case 3: return wrap(env, at::div(a, b));
      default: type_fail("binary: unknown kind " + std::to_string(kind));
    }
  });
}

// free(h): dispose() of one tensor, with nothing to return (the array form is in tensor.cc).
napi_value free_one(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    size_t argc = 1;
    napi_value argv[1];
    check(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "arguments");
    if (argc == 1) release(env, argv[0]);
    return nullptr;
  });
}

}  // namespace

FG_EXPORT("binary", binary);
FG_EXPORT("free", free_one);

}  // namespace fg
