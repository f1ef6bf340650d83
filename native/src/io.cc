// File I/O straight between a tensor's memory and a file descriptor, and a copy of a
// tensor's bytes into caller-owned JS memory. Loading and saving (src/io/) use these so a
// tensor's bytes are copied once, and no JS ArrayBuffer aliases the tensor: an aliasing
// buffer keeps the storage alive until the garbage collector runs, so dispose() would not
// free the memory at once. Policy (what to read where, validation, atomic renames) lives in
// TypeScript; these only move bytes.
#include "shim.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <algorithm>
#include <thread>
#include <vector>

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

// tensorPreadMany([h...], fd, [position...]) -> [bytes read...]: fills many tensors from one
// file at once, split into 8 MiB pieces over up to four threads. Moving bytes from the
// page cache into fresh memory is the kernel's copy plus a page fault per 4 KiB, all on the
// reading thread; two threads on two cores load a 330 MB checkpoint in ~60% of the time one
// takes. Each tensor's count is short only at end of file, as tensorPread's.
napi_value tensor_pread_many(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    bool is_array;
    check(napi_is_array(env, a[0], &is_array), "is_array");
    if (!is_array) type_fail("tensorPreadMany: expected an array of tensors");
    uint32_t n;
    check(napi_get_array_length(env, a[0], &n), "length");
    int fd = static_cast<int>(int_of(env, a[1], "fd"));
    std::vector<int64_t> positions = int_list_of(env, a[2], "position");
    if (positions.size() != n) fail("tensorPreadMany: " + std::to_string(n) + " tensors but " + std::to_string(positions.size()) + " positions");
    struct Piece {
      uint32_t tensor;
      uint8_t* dst;
      size_t length;
      int64_t position;
    };
    constexpr size_t kPiece = size_t(8) << 20;
    std::vector<Piece> pieces;
    for (uint32_t i = 0; i < n; i++) {
      napi_value e;
      check(napi_get_element(env, a[0], i, &e), "element");
      const at::Tensor& t = tensor_of(env, e);
      if (positions[i] < 0) fail("position must be non-negative");
      size_t total = t.nbytes();
      uint8_t* dst = total ? contiguous_cpu_bytes(t, "tensorPreadMany") : nullptr;
      for (size_t off = 0; off < total; off += kPiece) pieces.push_back({i, dst + off, std::min(kPiece, total - off), positions[i] + static_cast<int64_t>(off)});
    }
    std::vector<std::atomic<int64_t>> done(n);
    for (auto& d : done) d.store(0);
    std::atomic<int> error{0};
    // Threads of its own rather than libtorch's intra-op pool: the pool may be one thread (the
    // Debian build's default, a server's setting), and this is I/O, not compute.
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t p; (p = next.fetch_add(1)) < pieces.size();) {
        const Piece& piece = pieces[p];
        size_t got = 0;
        while (got < piece.length) {
          ssize_t r = ::pread(fd, piece.dst + got, piece.length - got, static_cast<off_t>(piece.position + got));
          if (r < 0 && errno == EINTR) continue;
          if (r < 0) {
            error.store(errno);
            return;
          }
          if (r == 0) break;
          got += static_cast<size_t>(r);
        }
        done[piece.tensor].fetch_add(static_cast<int64_t>(got));
      }
    };
    size_t helpers = std::min<size_t>({std::max(1u, std::thread::hardware_concurrency()), size_t(4), pieces.size()});
    std::vector<std::thread> threads;
    for (size_t i = 1; i < helpers; i++) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
    if (error.load()) fail(std::string("tensorPreadMany: ") + std::strerror(error.load()));
    napi_value out;
    check(napi_create_array_with_length(env, n, &out), "array");
    for (uint32_t i = 0; i < n; i++) check(napi_set_element(env, out, i, make_number(env, static_cast<double>(done[i].load()))), "set");
    return out;
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
FG_EXPORT("tensorPreadMany", tensor_pread_many);
FG_EXPORT("tensorPwrite", tensor_pwrite);
FG_EXPORT("tensorCopyTo", tensor_copy_to);

}  // namespace
}  // namespace fg
