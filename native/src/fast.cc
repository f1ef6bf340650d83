// Fast paths for the commonest element-wise operations. The generic operator call
// (dispatch.cc) reads argument kinds from the schema and boxes them; for a binary operation
// on two tensors that costs more than the operation itself on tiny tensors, so these few
// call the unboxed ATen functions directly with the fewest N-API calls. Semantics are the
// same: autocast and every backend apply as usual, and autograd records the operation
// whenever an operand requires grad (otherwise its layer is skipped, having nothing to do).
#include <optional>

#include "shim.h"

namespace fg {
namespace {

// add(a, b), sub(a, b), mul(a, b), div(a, b): one export per operation, so a call converts
// nothing but its two handles.
template <at::Tensor (*Op)(const at::Tensor&, const at::Tensor&)>
napi_value binary(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    size_t argc = 2;
    napi_value argv[2];
    check(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "arguments");
    if (argc != 2) type_fail("expected 2 tensor handles");
    const at::Tensor& a = tensor_of(env, argv[0]);
    const at::Tensor& b = tensor_of(env, argv[1]);
    // Nothing to record: step past the autograd layer of the dispatcher (its kernel would
    // only forward to the one below, producing the same tensor).
    std::optional<at::AutoDispatchBelowADInplaceOrView> below_autograd;
    if (!a.requires_grad() && !b.requires_grad()) below_autograd.emplace();
    return wrap(env, Op(a, b));
  });
}

at::Tensor add(const at::Tensor& a, const at::Tensor& b) { return at::add(a, b); }
at::Tensor sub(const at::Tensor& a, const at::Tensor& b) { return at::sub(a, b); }
at::Tensor mul(const at::Tensor& a, const at::Tensor& b) { return at::mul(a, b); }
at::Tensor div(const at::Tensor& a, const at::Tensor& b) { return at::div(a, b); }

// setPendingFrees(list): registers the Float64Array dispose() defers frees into (shim.h).
// The array is kept alive by a reference for the life of its environment (the thread's
// cleanup hook forgets the pointer before the environment goes); its backing store is off the
// V8 heap (it is larger than V8's on-heap limit), so the pointer stays valid until then.
napi_value set_pending_frees(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    size_t argc = 1;
    napi_value argv[1];
    check(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "arguments");
    bool is_typed = false;
    if (argc == 1) check(napi_is_typedarray(env, argv[0], &is_typed), "typedarray");
    if (!is_typed) type_fail("setPendingFrees(list): expected a Float64Array");
    napi_typedarray_type type;
    size_t length;
    void* data;
    check(napi_get_typedarray_info(env, argv[0], &type, &length, &data, nullptr, nullptr), "typedarray");
    if (type != napi_float64_array || length < 2) type_fail("setPendingFrees(list): expected a Float64Array of length >= 2");
    if (pending_frees) drain_pending_frees();
    napi_ref ref;
    check(napi_create_reference(env, argv[0], 1, &ref), "reference");
    pending_frees = static_cast<double*>(data);
    return nullptr;
  });
}

// flushFrees(): does nothing itself; like every call, it drains the deferred frees first.
napi_value flush_frees(napi_env env, napi_callback_info) {
  return guarded(env, []() -> napi_value { return nullptr; });
}

}  // namespace

FG_EXPORT("flushFrees", flush_frees);
FG_EXPORT("setPendingFrees", set_pending_frees);
FG_EXPORT("add", binary<add>);
FG_EXPORT("sub", binary<sub>);
FG_EXPORT("mul", binary<mul>);
FG_EXPORT("div", binary<div>);

}  // namespace fg
