// Tensor handles: metadata, disposal and the bridges to JavaScript memory.
#include "shim.h"

#include <cstring>

namespace fg {
namespace {

napi_value dispose(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    // dispose(h) or dispose([h1, h2, ...]): a scope frees all its tensors in one call.
    bool is_array;
    check(napi_is_array(env, a[0], &is_array), "is_array");
    if (!is_array) return make_bool(env, release(env, a[0]));
    uint32_t n;
    check(napi_get_array_length(env, a[0], &n), "length");
    for (uint32_t i = 0; i < n; i++) {
      napi_value e;
      check(napi_get_element(env, a[0], i, &e), "element");
      release(env, e);
    }
    return undefined(env);
  });
}

napi_value is_disposed(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    try {
      tensor_of(env, a[0]);
      return make_bool(env, false);
    } catch (const JsError&) {
      return make_bool(env, true);
    }
  });
}

napi_value live_count(napi_env env, napi_callback_info info) {
  return guarded(env, [&] { return make_number(env, static_cast<double>(live_tensors())); });
}

napi_value shape(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    return make_int_array(env, tensor_of(env, a[0]).sizes());
  });
}

napi_value strides(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    return make_int_array(env, tensor_of(env, a[0]).strides());
  });
}

napi_value dim(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    return make_number(env, static_cast<double>(tensor_of(env, a[0]).dim()));
  });
}

napi_value numel(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    return make_number(env, static_cast<double>(tensor_of(env, a[0]).numel()));
  });
}

napi_value dtype(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    return make_number(env, static_cast<double>(static_cast<int>(tensor_of(env, a[0]).scalar_type())));
  });
}

napi_value device(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    return make_string(env, tensor_of(env, a[0]).device().str());
  });
}

// isContiguous(h, memoryFormat): memoryFormat 0 = contiguous, 2 = channels-last.
napi_value is_contiguous(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    auto fmt = is_nullish(env, a[1]) ? at::MemoryFormat::Contiguous : static_cast<at::MemoryFormat>(int_of(env, a[1], "memoryFormat"));
    return make_bool(env, tensor_of(env, a[0]).is_contiguous(fmt));
  });
}

napi_value item(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& t = tensor_of(env, a[0]);
    if (t.numel() != 1) fail("item() needs a tensor with exactly one element, got shape " + c10::str(t.sizes()));
    at::Scalar s = t.item();
    if (s.isBoolean()) return make_bool(env, s.toBool());
    return make_number(env, s.toDouble());
  });
}

// Identity of the underlying storage, so JS can tell views of one tensor apart from copies.
napi_value storage_id(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& t = tensor_of(env, a[0]);
    return make_number(env, static_cast<double>(reinterpret_cast<uintptr_t>(t.storage().unsafeGetStorageImpl())));
  });
}

// The counter in-place operations bump (torch's t._version): lets a pass over a traced forward
// tell whether a tensor was modified in place between two points of it.
napi_value version(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    return make_number(env, static_cast<double>(tensor_of(env, a[0])._version()));
  });
}

// fromBuffer(view, shape, dtype): one copy from JS memory into a new CPU tensor's storage
// (JS memory can move or be collected, so the tensor must own its bytes).
napi_value from_buffer(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    void* data = nullptr;
    size_t bytes = 0;
    bool is_typed;
    check(napi_is_typedarray(env, a[0], &is_typed), "is_typedarray");
    if (is_typed) {
      napi_typedarray_type type;
      size_t length, offset;
      napi_value ab;
      check(napi_get_typedarray_info(env, a[0], &type, &length, &data, &ab, &offset), "typedarray");
      size_t elem = 1;
      switch (type) {
        case napi_int16_array: case napi_uint16_array: elem = 2; break;
        case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
        case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
        default: elem = 1;
      }
      bytes = length * elem;
    } else {
      bool is_ab;
      check(napi_is_arraybuffer(env, a[0], &is_ab), "is_arraybuffer");
      if (!is_ab) type_fail("fromBuffer: expected a TypedArray or ArrayBuffer");
      check(napi_get_arraybuffer_info(env, a[0], &data, &bytes), "arraybuffer");
    }
    auto sizes = int_list_of(env, a[1], "shape");
    for (auto s : sizes) if (s < 0) fail("fromBuffer: negative dimension in shape");
    auto type = static_cast<at::ScalarType>(int_of(env, a[2], "dtype"));
    at::Tensor t = at::empty(sizes, at::TensorOptions().dtype(type));
    size_t need = t.nbytes();
    if (need != bytes) {
      fail("fromBuffer: shape " + c10::str(t.sizes()) + " of " + std::string(c10::toString(type)) + " needs " + std::to_string(need) +
           " bytes, the buffer holds " + std::to_string(bytes));
    }
    if (bytes) std::memcpy(t.data_ptr(), data, bytes);
    return wrap(env, std::move(t));
  });
}

void release_keepalive(napi_env, void*, void* hint) { delete static_cast<at::Tensor*>(hint); }

// toBuffer(h, copy) -> ArrayBuffer over the tensor's bytes in row-major order. With copy,
// a JS-owned copy (nothing native stays alive). Without, zero-copy for a contiguous CPU
// tensor (the buffer keeps the storage alive until the GC collects it, and aliases it, as
// Tensor.numpy() does in PyTorch); otherwise one copy into a fresh contiguous CPU tensor.
napi_value to_buffer(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    at::Tensor t = tensor_of(env, a[0]);
    if (!t.device().is_cpu()) t = t.to(at::kCPU);
    t = t.contiguous();
    if (t.is_conj()) t = t.resolve_conj();
    napi_value out;
    bool copy = !is_nullish(env, a[1]) && bool_of(env, a[1], "copy");
    if (copy || t.nbytes() == 0) {
      void* dst;
      check(napi_create_arraybuffer(env, t.nbytes(), &dst, &out), "arraybuffer");
      if (t.nbytes()) std::memcpy(dst, t.data_ptr(), t.nbytes());
      return out;
    }
    auto* keep = new at::Tensor(t);
    if (napi_create_external_arraybuffer(env, t.data_ptr(), t.nbytes(), release_keepalive, keep, &out) != napi_ok) {
      // Runtimes that forbid external buffers get a copy instead.
      delete keep;
      void* dst;
      check(napi_create_arraybuffer(env, t.nbytes(), &dst, &out), "arraybuffer");
      std::memcpy(dst, t.data_ptr(), t.nbytes());
    }
    return out;
  });
}

// copyInto(h, view): copies a tensor's row-major bytes into caller-owned JS memory (used
// to read into, and write from, preallocated buffers without a temporary).
napi_value write_into(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& t = tensor_of(env, a[0]);
    if (!t.device().is_cpu() || !t.is_contiguous()) fail("writeFromBuffer: the tensor must be a contiguous CPU tensor");
    void* data;
    size_t bytes;
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    check(napi_get_typedarray_info(env, a[1], &type, &length, &data, &ab, &offset), "typedarray");
    if (type != napi_uint8_array) type_fail("writeFromBuffer: expected a Uint8Array");
    bytes = length;
    if (bytes != t.nbytes()) fail("writeFromBuffer: tensor holds " + std::to_string(t.nbytes()) + " bytes, buffer " + std::to_string(bytes));
    if (bytes) std::memcpy(t.data_ptr(), data, bytes);
    return undefined(env);
  });
}

FG_EXPORT("dispose", dispose);
FG_EXPORT("isDisposed", is_disposed);
FG_EXPORT("liveTensors", live_count);
FG_EXPORT("shape", shape);
FG_EXPORT("strides", strides);
FG_EXPORT("dim", dim);
FG_EXPORT("numel", numel);
FG_EXPORT("dtype", dtype);
FG_EXPORT("device", device);
FG_EXPORT("isContiguous", is_contiguous);
FG_EXPORT("item", item);
FG_EXPORT("storageId", storage_id);
FG_EXPORT("version", version);
FG_EXPORT("fromBuffer", from_buffer);
FG_EXPORT("toBuffer", to_buffer);
FG_EXPORT("writeFromBuffer", write_into);

}  // namespace

}  // namespace fg
