// Autograd and autocast state: the parts of training that are not ATen operators.
#include "shim.h"

#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/version.h>

namespace fg {
namespace {

std::vector<at::Tensor> tensor_list_of(napi_env env, napi_value v) {
  std::vector<at::Tensor> out;
  bool is_array;
  check(napi_is_array(env, v, &is_array), "is_array");
  if (!is_array) type_fail("expected an array of tensors");
  uint32_t n;
  check(napi_get_array_length(env, v, &n), "length");
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    check(napi_get_element(env, v, i, &e), "element");
    out.push_back(is_nullish(env, e) ? at::Tensor() : tensor_of(env, e));
  }
  return out;
}

napi_value requires_grad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    return make_bool(env, tensor_of(env, a[0]).requires_grad());
  });
}

napi_value set_requires_grad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    at::Tensor t = tensor_of(env, a[0]);
    bool on = bool_of(env, a[1], "requiresGrad");
    // As PyTorch: only leaves carry the flag; a non-leaf's comes from its graph.
    if (!t.is_leaf() && !on) {
      fail("you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use detach()");
    }
    t.set_requires_grad(on);
    return undefined(env);
  });
}

napi_value is_leaf(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    return make_bool(env, tensor_of(env, a[0]).is_leaf());
  });
}

napi_value retain_grad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    tensor_of(env, a[0]).retain_grad();
    return undefined(env);
  });
}

// grad(h) -> a new handle on the accumulated gradient, or null.
napi_value grad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    return wrap(env, tensor_of(env, a[0]).grad());
  });
}

// setGrad(h, g | null): null frees the gradient (cheaper than zeroing it).
napi_value set_grad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    at::Tensor& t = mutable_tensor_of(env, a[0]);
    t.mutable_grad() = is_nullish(env, a[1]) ? at::Tensor() : tensor_of(env, a[1]);
    return undefined(env);
  });
}

// backward(outputs[], gradOutputs[] (null entries allowed), retainGraph, createGraph)
napi_value backward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    auto outputs = tensor_list_of(env, a[0]);
    auto grads = is_nullish(env, a[1]) ? std::vector<at::Tensor>(outputs.size()) : tensor_list_of(env, a[1]);
    bool create = !is_nullish(env, a[3]) && bool_of(env, a[3], "createGraph");
    c10::optional<bool> retain;
    if (!is_nullish(env, a[2])) retain = bool_of(env, a[2], "retainGraph");
    torch::autograd::backward(outputs, grads, retain, create);
    return undefined(env);
  });
}

// gradOf(outputs[], inputs[], gradOutputs[] | null, retainGraph, createGraph, allowUnused)
// -> gradients of the outputs with respect to the inputs (torch.autograd.grad).
napi_value grad_of(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    auto outputs = tensor_list_of(env, a[0]);
    auto inputs = tensor_list_of(env, a[1]);
    auto grads = is_nullish(env, a[2]) ? std::vector<at::Tensor>(outputs.size()) : tensor_list_of(env, a[2]);
    c10::optional<bool> retain;
    if (!is_nullish(env, a[3])) retain = bool_of(env, a[3], "retainGraph");
    bool create = !is_nullish(env, a[4]) && bool_of(env, a[4], "createGraph");
    bool allow_unused = !is_nullish(env, a[5]) && bool_of(env, a[5], "allowUnused");
    auto result = torch::autograd::grad(outputs, inputs, grads, retain, create, allow_unused);
    napi_value arr;
    check(napi_create_array_with_length(env, result.size(), &arr), "array");
    for (size_t i = 0; i < result.size(); i++) check(napi_set_element(env, arr, i, wrap(env, result[i])), "element");
    return arr;
  });
}

napi_value grad_enabled(napi_env env, napi_callback_info info) {
  return guarded(env, [&] { return make_bool(env, c10::GradMode::is_enabled()); });
}

// setGradEnabled(on) -> the previous state, so scopes can restore it.
napi_value set_grad_enabled(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    bool previous = c10::GradMode::is_enabled();
    c10::GradMode::set_enabled(bool_of(env, a[0], "enabled"));
    return make_bool(env, previous);
  });
}

bool autocast_enabled(bool cuda) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

at::ScalarType autocast_dtype(bool cuda) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast(bool cuda, bool enabled, at::ScalarType dtype) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, enabled);
  at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, dtype);
#else
  if (cuda) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

// autocastState(deviceType) -> [enabled, dtype]
napi_value autocast_state(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    bool cuda = string_of(env, a[0], "deviceType") == "cuda";
    napi_value arr;
    check(napi_create_array_with_length(env, 2, &arr), "array");
    check(napi_set_element(env, arr, 0, make_bool(env, autocast_enabled(cuda))), "element");
    check(napi_set_element(env, arr, 1, make_number(env, static_cast<int>(autocast_dtype(cuda)))), "element");
    return arr;
  });
}

// autocastEnter(deviceType, enabled, dtype) / autocastExit(deviceType, enabled, dtype): the
// enter/exit pair of torch.autocast, including the nesting count and the cast cache.
napi_value autocast_enter(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    bool cuda = string_of(env, a[0], "deviceType") == "cuda";
    set_autocast(cuda, bool_of(env, a[1], "enabled"), static_cast<at::ScalarType>(int_of(env, a[2], "dtype")));
    at::autocast::increment_nesting();
    return undefined(env);
  });
}

napi_value autocast_exit(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    bool cuda = string_of(env, a[0], "deviceType") == "cuda";
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_autocast(cuda, bool_of(env, a[1], "enabled"), static_cast<at::ScalarType>(int_of(env, a[2], "dtype")));
    return undefined(env);
  });
}

FG_EXPORT("requiresGrad", requires_grad);
FG_EXPORT("setRequiresGrad", set_requires_grad);
FG_EXPORT("isLeaf", is_leaf);
FG_EXPORT("retainGrad", retain_grad);
FG_EXPORT("grad", grad);
FG_EXPORT("setGrad", set_grad);
FG_EXPORT("backward", backward);
FG_EXPORT("gradOf", grad_of);
FG_EXPORT("gradEnabled", grad_enabled);
FG_EXPORT("setGradEnabled", set_grad_enabled);
FG_EXPORT("autocastState", autocast_state);
FG_EXPORT("autocastEnter", autocast_enter);
FG_EXPORT("autocastExit", autocast_exit);

}  // namespace

}  // namespace fg
