// Image kernels for the data pipeline (src/data). Policy stays in TypeScript: which pixels
// to sample and with what weights is computed there (src/data/transforms/resample.ts);
// this file only runs the loop that ATen has no uint8 kernel for in libtorch 1.13.
#include "shim.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <utility>


namespace fg {
namespace {

template <typename T>
T* typed_data(napi_env env, napi_value v, napi_typedarray_type want, size_t* length, const char* what) {
  bool is_typed = false;
  check(napi_is_typedarray(env, v, &is_typed), "is_typedarray");
  if (!is_typed) type_fail(std::string(what) + ": expected a typed array");
  napi_typedarray_type type;
  void* data;
  napi_value ab;
  size_t offset;
  check(napi_get_typedarray_info(env, v, &type, length, &data, &ab, &offset), what);
  if (type != want) type_fail(std::string(what) + ": wrong typed array type");
  return static_cast<T*>(data);
}

// Round half to even (as torch.round) and saturate. Adding and subtracting 2^23 rounds in
// the FPU's default mode without a libm call (std::nearbyint is one at -O2 on x86-64 and
// cost more than the interpolation itself). Valid for |v| < 2^22, far beyond 0..255.
inline uint8_t round_u8(float v) {
  // Without -ffast-math the compiler must keep (v + 2^23) - 2^23 as written.
  const float r = (v + 8388608.f) - 8388608.f;
  return static_cast<uint8_t>(r < 0.f ? 0.f : (r > 255.f ? 255.f : r));
}

// One source row blended between column pairs: h[c * ow + j] = x[j0] * w0 + x[j1] * w1.
void horizontal(const uint8_t* row, const int32_t* ci, const float* cw, int64_t ow, float* h) {
  for (int64_t j = 0; j < ow; j++) {
    const int64_t x0 = ci[j * 2] * 3, x1 = ci[j * 2 + 1] * 3;
    const float w0 = cw[j * 2], w1 = cw[j * 2 + 1];
    h[j] = row[x0] * w0 + row[x1] * w1;
    h[ow + j] = row[x0 + 1] * w0 + row[x1 + 1] * w1;
    h[2 * ow + j] = row[x0 + 2] * w0 + row[x1 + 2] * w1;
  }
}

// Two blended rows combined into one output row of each of the 3 planes.
__attribute__((optimize("O3"))) void vertical(const float* h0, const float* h1, float w0, float w1, int64_t ow, uint8_t* out, int64_t plane) {
  for (int c = 0; c < 3; c++) {
    const float* a = h0 + c * ow;
    const float* b = h1 + c * ow;
    uint8_t* o = out + c * plane;
    for (int64_t j = 0; j < ow; j++) o[j] = round_u8(a[j] * w0 + b[j] * w1);
  }
}

// resampleBilinearU8(images: Uint8Array[], widths: Int32Array, rowIdx: Int32Array,
//   rowW: Float32Array, colIdx: Int32Array, colW: Float32Array, out: uint8 [N,3,oh,ow])
// Image n is HWC RGB, widths[n] pixels wide. rowIdx/rowW hold (i0, i1) / (w0, w1) pairs for
// each of the N*oh output rows, colIdx/colW for the N*ow output columns, as image-local
// indices. out[n,c,i,j] = round_half_even((x[i0,j0]*wx0 + x[i0,j1]*wx1)*wy0
//                                          + (x[i1,j0]*wx0 + x[i1,j1]*wx1)*wy1),
// the order ATen's upsample kernel blends in (horizontal taps first).
napi_value resample_bilinear_u8(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    at::Tensor& out = mutable_tensor_of(env, a[6]);
    if (out.scalar_type() != at::kByte || out.dim() != 4 || out.size(1) != 3 || !out.is_contiguous() || !out.device().is_cpu()) {
      fail("resampleBilinearU8: out must be a contiguous CPU uint8 tensor [N, 3, H, W]");
    }
    const int64_t n = out.size(0), oh = out.size(2), ow = out.size(3);
    uint32_t count = 0;
    check(napi_get_array_length(env, a[0], &count), "images");
    if (static_cast<int64_t>(count) != n) fail("resampleBilinearU8: images and out disagree on N");
    size_t len;
    const int32_t* widths = typed_data<int32_t>(env, a[1], napi_int32_array, &len, "widths");
    if (static_cast<int64_t>(len) != n) fail("resampleBilinearU8: widths needs N entries");
    const int32_t* ridx = typed_data<int32_t>(env, a[2], napi_int32_array, &len, "rowIdx");
    if (static_cast<int64_t>(len) != n * oh * 2) fail("resampleBilinearU8: rowIdx needs N*oh*2 entries");
    const float* rw = typed_data<float>(env, a[3], napi_float32_array, &len, "rowW");
    if (static_cast<int64_t>(len) != n * oh * 2) fail("resampleBilinearU8: rowW needs N*oh*2 entries");
    const int32_t* cidx = typed_data<int32_t>(env, a[4], napi_int32_array, &len, "colIdx");
    if (static_cast<int64_t>(len) != n * ow * 2) fail("resampleBilinearU8: colIdx needs N*ow*2 entries");
    const float* cw = typed_data<float>(env, a[5], napi_float32_array, &len, "colW");
    if (static_cast<int64_t>(len) != n * ow * 2) fail("resampleBilinearU8: colW needs N*ow*2 entries");

    std::vector<const uint8_t*> src(n);
    for (int64_t k = 0; k < n; k++) {
      napi_value e;
      check(napi_get_element(env, a[0], static_cast<uint32_t>(k), &e), "image");
      size_t bytes;
      src[k] = typed_data<uint8_t>(env, e, napi_uint8_array, &bytes, "image");
      const int64_t w = widths[k];
      if (w < 1 || bytes % (w * 3) != 0) fail("resampleBilinearU8: image " + std::to_string(k) + " is not a whole number of rows");
      const int64_t h = static_cast<int64_t>(bytes) / (w * 3);
      // Every index is checked here, so the loop below cannot read out of bounds.
      for (int64_t i = 0; i < oh * 2; i++) {
        if (ridx[k * oh * 2 + i] < 0 || ridx[k * oh * 2 + i] >= h) fail("resampleBilinearU8: row index out of range");
      }
      for (int64_t j = 0; j < ow * 2; j++) {
        if (cidx[k * ow * 2 + j] < 0 || cidx[k * ow * 2 + j] >= w) fail("resampleBilinearU8: column index out of range");
      }
    }
    uint8_t* dst = out.data_ptr<uint8_t>();
    const int64_t plane = oh * ow;
    // Separable: blend the two source rows horizontally into float rows (cached, since an
    // upscale reuses each source row for several output rows), then blend vertically in
    // a contiguous loop the compiler vectorises. Parallel over images.
    at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> buf_a(3 * ow), buf_b(3 * ow);
      for (int64_t k = begin; k < end; k++) {
        const int64_t stride = static_cast<int64_t>(widths[k]) * 3;
        const int32_t* ci = cidx + k * ow * 2;
        const float* cwk = cw + k * ow * 2;
        float* ha = buf_a.data();
        float* hb = buf_b.data();
        int64_t tag_a = -1, tag_b = -1;  // source row held by ha / hb
        for (int64_t i = 0; i < oh; i++) {
          const int64_t r = k * oh + i;
          const int64_t y0 = ridx[r * 2], y1 = ridx[r * 2 + 1];
          if (y0 != tag_a) {
            if (y0 == tag_b) {
              std::swap(ha, hb);
              std::swap(tag_a, tag_b);
            } else {
              horizontal(src[k] + y0 * stride, ci, cwk, ow, ha);
              tag_a = y0;
            }
          }
          const float* h1 = ha;
          if (y1 != y0) {
            if (y1 != tag_b) {
              horizontal(src[k] + y1 * stride, ci, cwk, ow, hb);
              tag_b = y1;
            }
            h1 = hb;
          }
          vertical(ha, h1, rw[r * 2], rw[r * 2 + 1], ow, dst + k * 3 * plane + i * ow, plane);
        }
      }
    });
    return undefined(env);
  });
}

// Checks a contiguous CPU uint8 [N, C, H, W] tensor and returns N*C (the number of planes).
int64_t planes_of(const at::Tensor& x, const char* what) {
  if (x.scalar_type() != at::kByte || x.dim() != 4 || !x.is_contiguous() || !x.device().is_cpu()) {
    fail(std::string(what) + ": expected a contiguous CPU uint8 tensor [N, C, H, W]");
  }
  return x.size(0) * x.size(1);
}

// histogramU8(x: uint8 [N,C,H,W]) -> Int32Array of N*C*256 counts, one histogram per plane
// (what Equalize and AutoContrast build their lookup tables from).
napi_value histogram_u8(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& x = tensor_of(env, a[0]);
    const int64_t planes = planes_of(x, "histogramU8");
    const int64_t area = x.size(2) * x.size(3);
    napi_value ab, arr;
    void* mem;
    check(napi_create_arraybuffer(env, planes * 256 * sizeof(int32_t), &mem, &ab), "arraybuffer");
    int32_t* hist = static_cast<int32_t*>(mem);
    std::fill(hist, hist + planes * 256, 0);
    const uint8_t* px = x.data_ptr<uint8_t>();
    at::parallel_for(0, planes, 1, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; p++) {
        int32_t* h = hist + p * 256;
        const uint8_t* v = px + p * area;
        for (int64_t i = 0; i < area; i++) h[v[i]]++;
      }
    });
    check(napi_create_typedarray(env, napi_int32_array, planes * 256, ab, 0, &arr), "typedarray");
    return arr;
  });
}

// lookupU8(x: uint8 [N,C,H,W], lut: Uint8Array(N*C*256), out: uint8 like x) -> undefined:
// out[n,c,i,j] = lut[(n*C + c)*256 + x[n,c,i,j]]. out may be x (in place). Every
// per-pixel AutoAugment colour op with a per-image parameter (posterize, solarize, invert,
// brightness, contrast, autocontrast, equalize) is such a table.
napi_value lookup_u8(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& x = tensor_of(env, a[0]);
    const int64_t planes = planes_of(x, "lookupU8");
    size_t len;
    const uint8_t* lut = typed_data<uint8_t>(env, a[1], napi_uint8_array, &len, "lut");
    if (static_cast<int64_t>(len) != planes * 256) fail("lookupU8: lut needs N*C*256 entries");
    at::Tensor& out = mutable_tensor_of(env, a[2]);
    planes_of(out, "lookupU8 out");
    if (!out.sizes().equals(x.sizes())) fail("lookupU8: out must have the shape of x");
    const int64_t area = x.size(2) * x.size(3);
    const uint8_t* src = x.data_ptr<uint8_t>();
    uint8_t* dst = out.data_ptr<uint8_t>();
    at::parallel_for(0, planes, 1, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; p++) {
        const uint8_t* t = lut + p * 256;
        for (int64_t i = 0; i < area; i++) dst[p * area + i] = t[src[p * area + i]];
      }
    });
    return undefined(env);
  });
}

}  // namespace

FG_EXPORT("resampleBilinearU8", resample_bilinear_u8);
FG_EXPORT("histogramU8", histogram_u8);
FG_EXPORT("lookupU8", lookup_u8);

}  // namespace fg
