// File I/O straight between a tensor's memory and a file descriptor, and a copy of a
// tensor's bytes into caller-owned JS memory. Loading and saving (src/io/) use these so a
// tensor's bytes are copied once, and no JS ArrayBuffer aliases the tensor: an aliasing
// buffer keeps the storage alive until the garbage collector runs, so dispose() would not
// free the memory at once. Policy (what to read where, validation, atomic renames) lives in
// TypeScript; these only move bytes.
#include "shim.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace fg {
namespace {

// Single reads and writes are capped (Linux moves at most ~2 GiB per call anyway).
constexpr size_t kMaxIo = size_t(1) << 30;

uint8_t* contiguous_cpu_bytes(const at::Tensor& t, const char* who) {
  if (!t.device().is_cpu() || !t.is_contiguous()) fail(std::string(who) + ": the tensor must be a contiguous CPU tensor");
  return static_cast<uint8_t*>(t.data_ptr());
}

int64_t position_of(napi_env env, napi_value v) {
  int64_t p = int_of(env, v, "position");
  if (p < 0) fail("position must be non-negative");
  return p;
}

// tensorPread(h, fd, position) -> bytes read: fills the tensor from the file, stopping
// early only at end of file (the caller decides what a short read means).
napi_value tensor_pread(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& t = tensor_of(env, a[0]);
    int fd = static_cast<int>(int_of(env, a[1], "fd"));
    int64_t position = position_of(env, a[2]);
    size_t total = t.nbytes();
    uint8_t* dst = total ? contiguous_cpu_bytes(t, "tensorPread") : nullptr;
    size_t done = 0;
    while (done < total) {
      ssize_t n = ::pread(fd, dst + done, std::min(total - done, kMaxIo), static_cast<off_t>(position + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(std::string("tensorPread: ") + std::strerror(errno));
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return make_number(env, static_cast<double>(done));
  });
}

// tensorPwrite(h, fd, position) -> bytes written (always the tensor's size, or an error).
napi_value tensor_pwrite(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& t = tensor_of(env, a[0]);
    int fd = static_cast<int>(int_of(env, a[1], "fd"));
    int64_t position = position_of(env, a[2]);
    size_t total = t.nbytes();
    const uint8_t* src = total ? contiguous_cpu_bytes(t, "tensorPwrite") : nullptr;
    size_t done = 0;
    while (done < total) {
      ssize_t n = ::pwrite(fd, src + done, std::min(total - done, kMaxIo), static_cast<off_t>(position + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(std::string("tensorPwrite: ") + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    return make_number(env, static_cast<double>(done));
  });
}

// tensorCopyTo(h, Uint8Array) copies the tensor's bytes into JS memory of exactly its size.
napi_value tensor_copy_to(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& t = tensor_of(env, a[0]);
    napi_typedarray_type type;
    size_t length, offset;
    void* data;
    napi_value ab;
    bool is_typed;
    check(napi_is_typedarray(env, a[1], &is_typed), "is_typedarray");
    if (!is_typed) type_fail("tensorCopyTo: expected a Uint8Array");
    check(napi_get_typedarray_info(env, a[1], &type, &length, &data, &ab, &offset), "typedarray");
    if (type != napi_uint8_array) type_fail("tensorCopyTo: expected a Uint8Array");
    if (length != t.nbytes()) fail("tensorCopyTo: tensor holds " + std::to_string(t.nbytes()) + " bytes, the array " + std::to_string(length));
    if (length) std::memcpy(data, contiguous_cpu_bytes(t, "tensorCopyTo"), length);
    return undefined(env);
  });
}

FG_EXPORT("tensorPread", tensor_pread);
FG_EXPORT("tensorPwrite", tensor_pwrite);
FG_EXPORT("tensorCopyTo", tensor_copy_to);

}  // namespace
}  // namespace fg
