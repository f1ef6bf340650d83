// uint8 image kernels for the data pipeline (src/data): bilinear crop-resize, lookup
// tables and histograms, grayscale, blend, the sharpness smoothing, nearest affine warps
// and normalisation. libtorch 1.13 has no uint8 kernels for these, and the float round
// trip through ATen ops cost 5-20x more per image. Policy stays in TypeScript: sample
// positions, weights, tables, factors and matrices are computed there (src/data/
// transforms/resample.ts, src/data/augment/*); these functions only run the loops, with
// torchvision's float32 arithmetic where results must match it bit for bit. Every
// function validates shapes and indices before touching memory.
#include "shim.h"

// The loops below are the whole point of this file: let GCC vectorise them (-O3) even
// though the addon builds at -O2.
#pragma GCC optimize("O3")

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
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
void vertical(const float* h0, const float* h1, float w0, float w1, int64_t ow, uint8_t* out, int64_t plane) {
  for (int c = 0; c < 3; c++) {
    const float* a = h0 + c * ow;
    const float* b = h1 + c * ow;
    uint8_t* o = out + c * plane;
    for (int64_t j = 0; j < ow; j++) o[j] = round_u8(a[j] * w0 + b[j] * w1);
  }
}

// Round half to even for any |v| < 2^22 (coordinates can be negative: the 2^23 trick on
// |v| alone, sign restored; below 2^23 float32 spacing is 0.5, so no trick on v itself).
inline float round_even(float v) {
  const float r = (std::fabs(v) + 8388608.f) - 8388608.f;
  return std::copysign(r, v);
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

// The image list of a per-image kernel: `v` (Int32Array of indices into N), or 0..N-1.
std::vector<int64_t> image_list(napi_env env, napi_value v, int64_t n, const char* what) {
  std::vector<int64_t> out;
  if (is_nullish(env, v)) {
    for (int64_t k = 0; k < n; k++) out.push_back(k);
    return out;
  }
  size_t len;
  const int32_t* imgs = typed_data<int32_t>(env, v, napi_int32_array, &len, what);
  for (size_t k = 0; k < len; k++) {
    if (imgs[k] < 0 || imgs[k] >= n) fail(std::string(what) + ": image index out of range");
    out.push_back(imgs[k]);
  }
  return out;
}

// The planes (n * C + c) of the images listed in `v`, or of all N images.
std::vector<int64_t> planes_for(napi_env env, napi_value v, int64_t n, int64_t c, const char* what) {
  std::vector<int64_t> out;
  for (int64_t k : image_list(env, v, n, what)) {
    for (int64_t ch = 0; ch < c; ch++) out.push_back(k * c + ch);
  }
  return out;
}

// histogramU8(x: uint8 [N,C,H,W], images?: Int32Array) -> Int32Array of N*C*256 counts,
// one histogram per plane (what Equalize and AutoContrast build their tables from). With
// `images`, only those images' planes are counted (the others stay zero).
napi_value histogram_u8(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& x = tensor_of(env, a[0]);
    const int64_t planes = planes_of(x, "histogramU8");
    const int64_t area = x.size(2) * x.size(3);
    const std::vector<int64_t> todo = planes_for(env, a[1], x.size(0), x.size(1), "histogramU8 images");
    napi_value ab, arr;
    void* mem;
    check(napi_create_arraybuffer(env, planes * 256 * sizeof(int32_t), &mem, &ab), "arraybuffer");
    int32_t* hist = static_cast<int32_t*>(mem);
    std::fill(hist, hist + planes * 256, 0);
    const uint8_t* px = x.data_ptr<uint8_t>();
    at::parallel_for(0, static_cast<int64_t>(todo.size()), 1, [&](int64_t begin, int64_t end) {
      for (int64_t q = begin; q < end; q++) {
        const int64_t p = todo[q];
        // Four partial histograms break the store-to-load chain on runs of equal values.
        int32_t part[4][256] = {};
        const uint8_t* v = px + p * area;
        int64_t i = 0;
        for (; i + 4 <= area; i += 4) {
          part[0][v[i]]++;
          part[1][v[i + 1]]++;
          part[2][v[i + 2]]++;
          part[3][v[i + 3]]++;
        }
        for (; i < area; i++) part[0][v[i]]++;
        int32_t* h = hist + p * 256;
        for (int b = 0; b < 256; b++) h[b] = part[0][b] + part[1][b] + part[2][b] + part[3][b];
      }
    });
    check(napi_create_typedarray(env, napi_int32_array, planes * 256, ab, 0, &arr), "typedarray");
    return arr;
  });
}

// lookupU8(x: uint8 [N,C,H,W], lut: Uint8Array(N*C*256), out: uint8 like x, images?:
// Int32Array) -> undefined: out[n,c,i,j] = lut[(n*C + c)*256 + x[n,c,i,j]]. out may be x
// (in place). With `images`, only those images are written. Every per-pixel AutoAugment
// colour op with a per-image parameter (posterize, solarize, invert, brightness, contrast,
// autocontrast, equalize) is such a table.
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
    const std::vector<int64_t> todo = planes_for(env, a[3], x.size(0), x.size(1), "lookupU8 images");
    const int64_t area = x.size(2) * x.size(3);
    const uint8_t* src = x.data_ptr<uint8_t>();
    uint8_t* dst = out.data_ptr<uint8_t>();
    at::parallel_for(0, static_cast<int64_t>(todo.size()), 1, [&](int64_t begin, int64_t end) {
      uint8_t t[256];  // a local copy: stores to dst cannot alias it, so no reloads
      for (int64_t q = begin; q < end; q++) {
        const int64_t p = todo[q];
        std::copy(lut + p * 256, lut + p * 256 + 256, t);
        const uint8_t* s = src + p * area;
        uint8_t* o = dst + p * area;
        for (int64_t i = 0; i < area; i++) o[i] = t[s[i]];
      }
    });
    return undefined(env);
  });
}

// Same-shape check for an output tensor.
void check_out(const at::Tensor& out, at::IntArrayRef sizes, const char* what) {
  planes_of(out, what);
  if (!out.sizes().equals(sizes)) fail(std::string(what) + ": out has the wrong shape");
}

const float* float_array(napi_env env, napi_value v, size_t want, const char* what) {
  size_t len;
  const float* p = typed_data<float>(env, v, napi_float32_array, &len, what);
  if (len != want) fail(std::string(what) + ": wrong length");
  return p;
}

// One plane of _blend: o = trunc(clamp(f * x + g * y, 0, 255)) in float32.
void blend_plane(const uint8_t* __restrict xs, const uint8_t* __restrict ys, float f, float g, int64_t area, uint8_t* __restrict o) {
  for (int64_t i = 0; i < area; i++) {
    const float v = f * xs[i] + g * ys[i];
    o[i] = static_cast<uint8_t>(v < 0.f ? 0.f : (v > 255.f ? 255.f : v));
  }
}

// The per-image kernels below read images `images[k]` of x (all when null) and write
// either a compact output (entry k) or, for the *Into forms, the same images of `out`.

// grayscaleU8(x: uint8 [N,3,H,W], out: uint8 [K,1,H,W], images?): torchvision's
// rgb_to_grayscale on uint8, (0.2989 r + 0.587 g) + 0.114 b in float32 (each step rounded,
// as separate ATen ops round), truncated.
napi_value grayscale_u8(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& x = tensor_of(env, a[0]);
    planes_of(x, "grayscaleU8");
    if (x.size(1) != 3) fail("grayscaleU8: expected 3 channels");
    const std::vector<int64_t> imgs = image_list(env, a[2], x.size(0), "grayscaleU8 images");
    const int64_t kk = static_cast<int64_t>(imgs.size()), area = x.size(2) * x.size(3);
    at::Tensor& out = mutable_tensor_of(env, a[1]);
    check_out(out, {kk, 1, x.size(2), x.size(3)}, "grayscaleU8");
    const uint8_t* src = x.data_ptr<uint8_t>();
    uint8_t* dst = out.data_ptr<uint8_t>();
    at::parallel_for(0, kk, 1, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; k++) {
        const uint8_t *r = src + imgs[k] * 3 * area, *g = r + area, *b = g + area;
        uint8_t* o = dst + k * area;
        for (int64_t i = 0; i < area; i++) o[i] = static_cast<uint8_t>((0.2989f * r[i] + 0.587f * g[i]) + 0.114f * b[i]);
      }
    });
    return undefined(env);
  });
}

// blendU8(x: uint8 [N,C,H,W], other: uint8 [K,C or 1,H,W], ratio: Float32Array(K),
//   rest: Float32Array(K), out: uint8 like x, images?): torchvision's _blend on uint8 for
//   each listed image, trunc(clamp(ratio * x + rest * other, 0, 255)) in float32 with
//   rest = float32(1 - ratio); writes out[images[k]].
napi_value blend_u8(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& x = tensor_of(env, a[0]);
    planes_of(x, "blendU8");
    const at::Tensor& y = tensor_of(env, a[1]);
    planes_of(y, "blendU8 other");
    const std::vector<int64_t> imgs = image_list(env, a[5], x.size(0), "blendU8 images");
    const int64_t kk = static_cast<int64_t>(imgs.size()), c = x.size(1), area = x.size(2) * x.size(3);
    if (y.size(0) != kk || (y.size(1) != c && y.size(1) != 1) || y.size(2) != x.size(2) || y.size(3) != x.size(3)) fail("blendU8: other must be [K, C or 1, H, W]");
    const float* ratio = float_array(env, a[2], kk, "blendU8 ratio");
    const float* rest = float_array(env, a[3], kk, "blendU8 rest");
    at::Tensor& out = mutable_tensor_of(env, a[4]);
    check_out(out, x.sizes(), "blendU8");
    const int64_t yc = y.size(1);
    const uint8_t* src = x.data_ptr<uint8_t>();
    const uint8_t* oth = y.data_ptr<uint8_t>();
    uint8_t* dst = out.data_ptr<uint8_t>();
    at::parallel_for(0, kk * c, 1, [&](int64_t begin, int64_t end) {
      for (int64_t q = begin; q < end; q++) {
        const int64_t k = q / c, ch = q % c;
        blend_plane(src + (imgs[k] * c + ch) * area, oth + (k * yc + (yc == 1 ? 0 : ch)) * area, ratio[k], rest[k], area, dst + (imgs[k] * c + ch) * area);
      }
    });
    return undefined(env);
  });
}

// smoothU8(x: uint8 [N,C,H,W], out: uint8 [K,C,H,W], images?): the "degenerate" image of
// torchvision's adjust_sharpness: interior pixels = round((3x3 sum + 4 * centre) / 13),
// border kept. (S + 4c) / 13 is never within 1/26 of a .5 tie, so integer arithmetic
// rounds exactly as ATen's float convolution followed by round().
napi_value smooth_u8(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& x = tensor_of(env, a[0]);
    planes_of(x, "smoothU8");
    const std::vector<int64_t> imgs = image_list(env, a[2], x.size(0), "smoothU8 images");
    const int64_t kk = static_cast<int64_t>(imgs.size()), c = x.size(1), h = x.size(2), w = x.size(3);
    at::Tensor& out = mutable_tensor_of(env, a[1]);
    check_out(out, {kk, c, h, w}, "smoothU8");
    const uint8_t* src = x.data_ptr<uint8_t>();
    uint8_t* dst = out.data_ptr<uint8_t>();
    at::parallel_for(0, kk * c, 1, [&](int64_t begin, int64_t end) {
      for (int64_t q = begin; q < end; q++) {
        const uint8_t* sp = src + (imgs[q / c] * c + q % c) * h * w;
        uint8_t* o = dst + q * h * w;
        std::copy(sp, sp + h * w, o);
        for (int64_t i = 1; i + 1 < h; i++) {
          for (int64_t j = 1; j + 1 < w; j++) {
            const uint8_t* p = sp + i * w + j;
            const int sum = p[-w - 1] + p[-w] + p[-w + 1] + p[-1] + 5 * p[0] + p[1] + p[w - 1] + p[w] + p[w + 1];
            o[i * w + j] = static_cast<uint8_t>((2 * sum + 13) / 26);  // round(sum / 13)
          }
        }
      }
    });
    return undefined(env);
  });
}

// copyImagesU8(x: uint8 [N,C,H,W], out: like x, images): out[images[k]] = x[images[k]].
napi_value copy_images_u8(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& x = tensor_of(env, a[0]);
    planes_of(x, "copyImagesU8");
    at::Tensor& out = mutable_tensor_of(env, a[1]);
    check_out(out, x.sizes(), "copyImagesU8");
    const std::vector<int64_t> imgs = image_list(env, a[2], x.size(0), "copyImagesU8 images");
    const int64_t size = x.size(1) * x.size(2) * x.size(3);
    const uint8_t* src = x.data_ptr<uint8_t>();
    uint8_t* dst = out.data_ptr<uint8_t>();
    for (int64_t k : imgs) std::copy(src + k * size, src + (k + 1) * size, dst + k * size);
    return undefined(env);
  });
}

// One output row of an affine warp: the source offset of each pixel, -1 outside. Written
// branch-free with int indices so that GCC vectorises it (4x faster than with &&).
void warp_row(int w, float fw, float fh, const float* t, float ry0, float ry1, int32_t* __restrict from) {
  const float half = (fw - 1.f) * 0.5f, sw = fw / 2.f, sh = fh / 2.f;
  for (int j = 0; j < w; j++) {
    const float xb = static_cast<float>(j) - half;
    const float gx = (xb * t[0] + ry0) + t[4];
    const float gy = (xb * t[1] + ry1) + t[5];
    const float rx = round_even((gx + 1.f) * sw - 0.5f);
    const float ry = round_even((gy + 1.f) * sh - 0.5f);
    // NaN and huge values fail these comparisons too.
    const bool inside = (rx >= 0.f) & (rx < fw) & (ry >= 0.f) & (ry < fh);
    const int32_t at = static_cast<int32_t>(inside ? ry : 0.f) * w + static_cast<int32_t>(inside ? rx : 0.f);
    from[j] = inside ? at : -1;
  }
}

// warpAffineNearestU8(x: uint8 [N,C,H,W], theta: Float32Array(K*6), fill: Float32Array(C)
//   or null, out: like x, images?): torchvision's tensor affine with nearest sampling, for
//   each listed image (writing out[images[k]]). theta holds, per image, the rescaled 3x2
//   matrix that `_gen_affine_grid` multiplies the base grid with (rows for x, y, 1). As
//   there: base x = j - (w - 1) / 2 (exact in float32), g = (x * t[0][c] + y * t[1][c]) +
//   t[2][c], then grid_sample's nearest rule as its vectorised CPU kernel computes it:
//   source = round half even of (g + 1) * (size / 2) - 0.5; outside the image -> fill (0
//   without one).
napi_value warp_affine_nearest_u8(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& x = tensor_of(env, a[0]);
    planes_of(x, "warpAffineNearestU8");
    const int64_t c = x.size(1), h = x.size(2), w = x.size(3);
    const std::vector<int64_t> imgs = image_list(env, a[4], x.size(0), "warpAffineNearestU8 images");
    const int64_t kk = static_cast<int64_t>(imgs.size());
    const float* theta = float_array(env, a[1], kk * 6, "warpAffineNearestU8 theta");
    std::vector<uint8_t> fill(c, 0);
    if (!is_nullish(env, a[2])) {
      const float* f = float_array(env, a[2], c, "warpAffineNearestU8 fill");
      for (int64_t k = 0; k < c; k++) fill[k] = round_u8(f[k]);
    }
    at::Tensor& out = mutable_tensor_of(env, a[3]);
    check_out(out, x.sizes(), "warpAffineNearestU8");
    if (out.data_ptr() == x.data_ptr()) fail("warpAffineNearestU8: out must not be x");
    const uint8_t* src = x.data_ptr<uint8_t>();
    uint8_t* dst = out.data_ptr<uint8_t>();
    const int64_t area = h * w;
    const float fw = static_cast<float>(w), fh = static_cast<float>(h);
    at::parallel_for(0, kk * h, 8, [&](int64_t begin, int64_t end) {
      // Two passes per output row: source offsets from the float32 grid formula
      // (warp_row), then one plain gather per channel.
      std::vector<int32_t> from(w);
      for (int64_t r = begin; r < end; r++) {
        const int64_t k = r / h, i = r % h, img = imgs[k];
        const float* t = theta + k * 6;
        const float yb = static_cast<float>(i) - (fh - 1.f) * 0.5f;
        warp_row(static_cast<int>(w), fw, fh, t, yb * t[2], yb * t[3], from.data());
        for (int64_t ch = 0; ch < c; ch++) {
          const uint8_t* sp = src + (img * c + ch) * area;
          uint8_t* dp = dst + (img * c + ch) * area + i * w;
          const uint8_t f = fill[ch];
          for (int64_t j = 0; j < w; j++) dp[j] = from[j] >= 0 ? sp[from[j]] : f;
        }
      }
    });
    return undefined(env);
  });
}

// normalizeU8(x: uint8 [N,C,H,W], mean: Float32Array(C), std: Float32Array(C),
//   out: float32 [N,C,H,W]): torchvision's ToTensor + Normalize in one pass, with their
//   float32 steps: ((v / 255) - mean[c]) / std[c].
napi_value normalize_u8(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const at::Tensor& x = tensor_of(env, a[0]);
    planes_of(x, "normalizeU8");
    const int64_t n = x.size(0), c = x.size(1), area = x.size(2) * x.size(3);
    const float* mean = float_array(env, a[1], c, "normalizeU8 mean");
    const float* stdv = float_array(env, a[2], c, "normalizeU8 std");
    at::Tensor& out = mutable_tensor_of(env, a[3]);
    if (out.scalar_type() != at::kFloat || !out.is_contiguous() || !out.sizes().equals(x.sizes())) fail("normalizeU8: out must be a contiguous float32 tensor shaped like x");
    const uint8_t* src = x.data_ptr<uint8_t>();
    float* dst = out.data_ptr<float>();
    // Only 256 values per channel exist: compute each once (exactly as ATen would), then
    // the pass over the pixels is a table lookup instead of two divisions per value.
    std::vector<float> table(c * 256);
    for (int64_t ch = 0; ch < c; ch++) {
      for (int v = 0; v < 256; v++) table[ch * 256 + v] = (static_cast<float>(v) / 255.f - mean[ch]) / stdv[ch];
    }
    at::parallel_for(0, n * c, 1, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; p++) {
        const float* t = table.data() + (p % c) * 256;
        const uint8_t* v = src + p * area;
        float* o = dst + p * area;
        for (int64_t i = 0; i < area; i++) o[i] = t[v[i]];
      }
    });
    return undefined(env);
  });
}

}  // namespace

FG_EXPORT("resampleBilinearU8", resample_bilinear_u8);
FG_EXPORT("histogramU8", histogram_u8);
FG_EXPORT("lookupU8", lookup_u8);
FG_EXPORT("grayscaleU8", grayscale_u8);
FG_EXPORT("blendU8", blend_u8);
FG_EXPORT("smoothU8", smooth_u8);
FG_EXPORT("warpAffineNearestU8", warp_affine_nearest_u8);
FG_EXPORT("normalizeU8", normalize_u8);
FG_EXPORT("copyImagesU8", copy_images_u8);

}  // namespace fg
