// Inference convolutions straight on oneDNN, the library libtorch's own CPU convolutions run
// on (the addon links the very libdnnl libtorch_cpu links; build-native.mjs checks). An eager
// aten::conv2d call rebuilds oneDNN's primitive descriptor and reorders the weights into the
// kernel's blocked layout on every call, and runs the activation after it as a second pass
// over memory; on a small network at batch 1 (mobilenet_v2: 52 convolutions, 35 ReLU6) that
// per-call work costs more than the arithmetic. A plan made here keeps, per input shape, the
// primitive and the weights already in its layout, and fuses the activation into the
// convolution as a oneDNN post-op. Nothing else: which layers get a plan, and which
// activation each fuses, is decided in TypeScript (src/nn/plan-convolutions.ts).
//
// Inference only (no autograd), CPU only, float32 or bfloat16, NHWC (channels-last)
// activations. Built only where oneDNN's headers are present and libtorch links libdnnl
// (Debian's libtorch; a pip PyTorch carries its own static copy): elsewhere the exports below
// report that plans are unavailable and the TypeScript layer keeps aten::conv2d.
#include "shim.h"

#ifdef FINEGRAIN_ONEDNN
#include <dnnl.hpp>
#endif

#include <algorithm>
#include <memory>

namespace fg {
namespace {

#ifdef FINEGRAIN_ONEDNN
using dnnl::memory;

// The activation applied to the convolution's float accumulator before it is stored.
enum class PostOp { none, relu, clip, swish, hardswish };

PostOp post_op_of(const std::string& name) {
  if (name == "none") return PostOp::none;
  if (name == "relu") return PostOp::relu;
  if (name == "clip") return PostOp::clip;
  if (name == "swish") return PostOp::swish;
  if (name == "hardswish") return PostOp::hardswish;
  type_fail("conv plan: post-op must be none, relu, clip, swish or hardswish, got '" + name + "'");
}

memory::data_type data_type_of(at::ScalarType t) {
  if (t == at::kFloat) return memory::data_type::f32;
  if (t == at::kBFloat16) return memory::data_type::bf16;
  type_fail(std::string("conv plan: weights must be float32 or bfloat16, got ") + c10::toString(t));
}

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// Copies weights between two layouts of the same values (exact: a reorder rounds nothing).
void reorder_weights(const memory::desc& from_md, void* from_data, const memory::desc& to_md, void* to_data) {
  memory from(from_md, cpu_engine(), from_data);
  memory to(to_md, cpu_engine(), to_data);
  dnnl::stream s(cpu_engine());
  dnnl::reorder(from, to).execute(s, from, to);
  s.wait();
}

// One primitive per input shape the plan has seen (in practice: one per batch size).
struct Variant {
  std::vector<int64_t> src_dims;
  std::vector<int64_t> dst_dims;
  memory::desc src_md, weights_md, bias_md, dst_md, scratchpad_md;
  dnnl::convolution_forward primitive;
  at::Tensor weights;  // bytes in the primitive's weight layout
};

struct ConvPlan {
  // [O, I/g, kH, kW], the layer's own tensor (shared, not copied) until releaseWeight drops
  // it; from then on the variants' reordered copies are the only weights (see plain_weights).
  at::Tensor weight;
  std::vector<int64_t> weight_sizes;
  at::ScalarType dtype = at::kFloat;
  at::Tensor bias;    // [O] or undefined
  std::vector<int64_t> stride, padding_l, padding_r, dilation;
  int64_t groups = 1;
  PostOp post = PostOp::none;
  float alpha = 0, beta = 0;
  std::vector<Variant> variants;
};

// The weight's dims and plain layout as oneDNN names them (grouped convolutions add a G axis).
memory::desc plain_weights_md(const ConvPlan& p, memory::data_type dt) {
  const auto& s = p.weight_sizes;
  if (p.groups == 1) return memory::desc({s[0], s[1], s[2], s[3]}, dt, memory::format_tag::oihw);
  return memory::desc({p.groups, s[0] / p.groups, s[1], s[2], s[3]}, dt, memory::format_tag::goihw);
}

Variant& variant_for(ConvPlan& p, const at::Tensor& x) {
  std::vector<int64_t> dims(x.sizes().begin(), x.sizes().end());
  for (auto& v : p.variants)
    if (v.src_dims == dims) return v;
  auto dt = data_type_of(p.dtype);
  const int64_t out_channels = p.weight_sizes[0];
  std::vector<int64_t> dst{dims[0], out_channels, 0, 0};
  for (int i = 0; i < 2; i++) {
    const int64_t k = p.weight_sizes[2 + i];
    const int64_t span = p.dilation[i] * (k - 1) + 1;
    dst[2 + i] = (dims[2 + i] + p.padding_l[i] + p.padding_r[i] - span) / p.stride[i] + 1;
    if (dst[2 + i] < 1) type_fail("conv plan: the input is smaller than the kernel");
  }
  Variant v;
  v.src_dims = dims;
  v.dst_dims = dst;
  v.src_md = memory::desc(dims, dt, memory::format_tag::nhwc);
  v.dst_md = memory::desc(dst, dt, memory::format_tag::nhwc);
  memory::desc weights_any = plain_weights_md(p, dt);
  weights_any = memory::desc(weights_any.dims(), dt, memory::format_tag::any);
  if (p.bias.defined()) v.bias_md = memory::desc({out_channels}, data_type_of(p.bias.scalar_type()), memory::format_tag::a);
  // oneDNN counts dilation from 0 (1 in PyTorch means none).
  memory::dims dilates{p.dilation[0] - 1, p.dilation[1] - 1};
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, v.src_md, weights_any, v.bias_md,
                                       v.dst_md, p.stride, dilates, p.padding_l, p.padding_r);
  dnnl::post_ops ops;
  switch (p.post) {
    case PostOp::none: break;
    case PostOp::relu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); break;
    case PostOp::clip: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, p.alpha, p.beta); break;
    case PostOp::swish: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_swish, 1.f, 0.f); break;
    case PostOp::hardswish: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_hardswish, 0.f, 0.f); break;
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  // The caller's scratchpad, not the primitive's own: a primitive that owns one keeps it for
  // its life, one per batch-size variant (bench/serve: ~4 MiB a batch size on mobilenet_v2),
  // while a pad taken per run comes from the tensor cache, sized by the largest variant.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::convolution_forward::primitive_desc pd(desc, attr, cpu_engine());
  v.weights_md = pd.weights_desc();
  v.scratchpad_md = pd.scratchpad_desc();
  v.primitive = dnnl::convolution_forward(pd);
  // Shapes that pick the same weight layout share one reordered copy.
  for (auto& other : p.variants)
    if (other.weights_md == v.weights_md) v.weights = other.weights;
  if (!v.weights.defined()) {
    v.weights = at::empty({static_cast<int64_t>(v.weights_md.get_size())}, at::TensorOptions().dtype(at::kByte));
    // From the layer's tensor while the plan has it, else from the first variant's copy (a
    // reorder between layouts of the same values is exact).
    if (p.weight.defined()) {
      at::Tensor plain = p.weight.contiguous();
      reorder_weights(plain_weights_md(p, dt), plain.data_ptr(), v.weights_md, v.weights.data_ptr());
    } else {
      const Variant& first = p.variants.front();
      reorder_weights(first.weights_md, first.weights.data_ptr(), v.weights_md, v.weights.data_ptr());
    }
  }
  p.variants.push_back(std::move(v));
  return p.variants.back();
}

// The External holds a box, so dispose() can free the plan before the GC finalizes the box.
struct PlanBox {
  std::unique_ptr<ConvPlan> plan;
};

void finalize_plan(napi_env, void* data, void*) { delete static_cast<PlanBox*>(data); }

ConvPlan& plan_of(napi_env env, napi_value v) {
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data) type_fail("expected a convolution plan");
  auto* box = static_cast<PlanBox*>(data);
  if (!box->plan) fail("this convolution plan was disposed");
  return *box->plan;
}

std::vector<int64_t> pair_of(napi_env env, napi_value v, const char* what) {
  auto values = int_list_of(env, v, what);
  if (values.size() != 2) type_fail(std::string("conv plan: ") + what + " must have 2 values");
  return values;
}

// convPlanCreate(weight, bias|null, stride[2], paddingLeft[2], paddingRight[2], dilation[2],
//                groups, postOp, alpha, beta) -> plan
napi_value plan_create(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    if (a.argc != 10) type_fail("convPlanCreate: expected 10 arguments");
    auto plan = std::make_unique<ConvPlan>();
    plan->weight = tensor_of(env, a[0]);
    if (!is_nullish(env, a[1])) plan->bias = tensor_of(env, a[1]);
    const auto& w = plan->weight;
    if (w.dim() != 4 || !w.device().is_cpu()) type_fail("convPlanCreate: the weight must be a 4-D CPU tensor");
    data_type_of(w.scalar_type());
    plan->weight_sizes.assign(w.sizes().begin(), w.sizes().end());
    plan->dtype = w.scalar_type();
    if (plan->bias.defined() && (plan->bias.dim() != 1 || plan->bias.size(0) != w.size(0)))
      type_fail("convPlanCreate: the bias must have one value per output channel");
    plan->stride = pair_of(env, a[2], "stride");
    plan->padding_l = pair_of(env, a[3], "paddingLeft");
    plan->padding_r = pair_of(env, a[4], "paddingRight");
    plan->dilation = pair_of(env, a[5], "dilation");
    plan->groups = int_of(env, a[6], "groups");
    if (plan->groups < 1 || w.size(0) % plan->groups) type_fail("convPlanCreate: groups must divide the output channels");
    plan->post = post_op_of(string_of(env, a[7], "postOp"));
    plan->alpha = static_cast<float>(number_of(env, a[8], "alpha"));
    plan->beta = static_cast<float>(number_of(env, a[9], "beta"));
    if (plan->bias.defined()) plan->bias = plan->bias.contiguous();
    napi_value ext;
    auto* box = new PlanBox{std::move(plan)};
    if (napi_create_external(env, box, finalize_plan, nullptr, &ext) != napi_ok) {
      delete box;
      fail("N-API failure: create_external");
    }
    return ext;
  });
}

// convPlanRun(plan, x) -> y: x [N, C, H, W] on the CPU (cast to the weights' dtype and laid out
// channels-last when it is not); y is a new channels-last tensor of the weights' dtype.
napi_value plan_run(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    if (a.argc != 2) type_fail("convPlanRun: expected (plan, x)");
    ConvPlan& p = plan_of(env, a[0]);
    at::Tensor x = tensor_of(env, a[1]);
    if (x.requires_grad()) fail("convPlanRun: inference only, but the input requires grad");
    if (x.dim() != 4 || !x.device().is_cpu()) type_fail("convPlanRun: expected a 4-D CPU input [N, C, H, W]");
    if (x.size(1) != p.weight_sizes[1] * p.groups)
      type_fail("convPlanRun: the input has " + std::to_string(x.size(1)) + " channels, the layer expects " +
                std::to_string(p.weight_sizes[1] * p.groups));
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    if (x.scalar_type() != p.dtype) x = x.to(p.dtype);
    x = x.contiguous(at::MemoryFormat::ChannelsLast);
    Variant& v = variant_for(p, x);
    at::Tensor y = at::empty(v.dst_dims, x.options().memory_format(at::MemoryFormat::ChannelsLast));
    auto& engine = cpu_engine();
    memory src(v.src_md, engine, x.data_ptr());
    memory weights(v.weights_md, engine, v.weights.data_ptr());
    memory dst(v.dst_md, engine, y.data_ptr());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
    if (p.bias.defined()) args.emplace(DNNL_ARG_BIAS, memory(v.bias_md, engine, p.bias.data_ptr()));
    at::Tensor pad;  // freed after the run, into the tensor cache while one is held
    if (v.scratchpad_md.get_size() > 0) {
      pad = at::empty({static_cast<int64_t>(v.scratchpad_md.get_size())}, at::TensorOptions().dtype(at::kByte));
      args.emplace(DNNL_ARG_SCRATCHPAD, memory(v.scratchpad_md, engine, pad.data_ptr()));
    }
    dnnl::stream s(engine);
    v.primitive.execute(s, args);
    s.wait();
    return wrap(env, std::move(y));
  });
}

// convPlanReleaseWeight(plan): the plan lets go of the layer's weight tensor, keeping only
// its reordered copies (one per weight layout, usually one), so the plain copy can be freed.
// Needs a copy to exist: the plan must have run once.
napi_value plan_release_weight(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    if (a.argc != 1) type_fail("convPlanReleaseWeight: expected (plan)");
    ConvPlan& p = plan_of(env, a[0]);
    if (p.variants.empty()) fail("convPlanReleaseWeight: the plan has not run yet, so it holds no copy of the weights");
    p.weight = at::Tensor();
    return nullptr;
  });
}

// convPlanWeight(plan) -> weight: the layer's weight [O, I/g, kH, kW] — the tensor itself while
// the plan holds it, else a new contiguous one rebuilt from the reordered copy.
napi_value plan_weight(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    if (a.argc != 1) type_fail("convPlanWeight: expected (plan)");
    ConvPlan& p = plan_of(env, a[0]);
    if (p.weight.defined()) return wrap(env, at::Tensor(p.weight));
    at::Tensor plain = at::empty(p.weight_sizes, at::TensorOptions().dtype(p.dtype));
    const Variant& v = p.variants.front();
    reorder_weights(v.weights_md, v.weights.data_ptr(), plain_weights_md(p, data_type_of(p.dtype)), plain.data_ptr());
    return wrap(env, std::move(plain));
  });
}

// convPlanDispose(plan): frees the primitives and the reordered weights now.
napi_value plan_dispose(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    void* data = nullptr;
    if (a.argc != 1 || napi_get_value_external(env, a[0], &data) != napi_ok || !data) type_fail("convPlanDispose: expected a convolution plan");
    static_cast<PlanBox*>(data)->plan.reset();
    return nullptr;
  });
}

// convPlanInfo(plan) -> { variants, weightBytes, holdsLayerWeight, scratchpadBytes }: what the plan
// holds (for tests and logs); scratchpadBytes is the largest pad a run takes (not held between runs).
napi_value plan_info(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    ConvPlan& p = plan_of(env, a[0]);
    int64_t bytes = 0;
    size_t pad = 0;
    const void* last = nullptr;
    for (auto& v : p.variants) {
      if (v.weights.data_ptr() != last) bytes += v.weights.nbytes(), last = v.weights.data_ptr();
      pad = std::max(pad, v.scratchpad_md.get_size());
    }
    napi_value out;
    check(napi_create_object(env, &out), "object");
    check(napi_set_named_property(env, out, "variants", make_number(env, static_cast<double>(p.variants.size()))), "variants");
    check(napi_set_named_property(env, out, "weightBytes", make_number(env, static_cast<double>(bytes))), "weightBytes");
    check(napi_set_named_property(env, out, "holdsLayerWeight", make_bool(env, p.weight.defined())), "holdsLayerWeight");
    check(napi_set_named_property(env, out, "scratchpadBytes", make_number(env, static_cast<double>(pad))), "scratchpadBytes");
    return out;
  });
}

napi_value available(napi_env env, napi_callback_info) { return make_bool(env, true); }

#else  // built without oneDNN: plans are unavailable, and say so

napi_value unavailable(napi_env env, napi_callback_info) {
  return guarded(env, []() -> napi_value {
    fail("convolution plans need oneDNN: this addon was built without it (Debian: libdnnl-dev, with a libtorch that links libdnnl)");
  });
}
napi_value plan_create(napi_env env, napi_callback_info info) { return unavailable(env, info); }
napi_value plan_run(napi_env env, napi_callback_info info) { return unavailable(env, info); }
napi_value plan_dispose(napi_env env, napi_callback_info info) { return unavailable(env, info); }
napi_value plan_info(napi_env env, napi_callback_info info) { return unavailable(env, info); }
napi_value plan_release_weight(napi_env env, napi_callback_info info) { return unavailable(env, info); }
napi_value plan_weight(napi_env env, napi_callback_info info) { return unavailable(env, info); }
napi_value available(napi_env env, napi_callback_info) { return make_bool(env, false); }

#endif

}  // namespace

FG_EXPORT("convPlanAvailable", available);
FG_EXPORT("convPlanCreate", plan_create);
FG_EXPORT("convPlanRun", plan_run);
FG_EXPORT("convPlanDispose", plan_dispose);
FG_EXPORT("convPlanInfo", plan_info);
FG_EXPORT("convPlanReleaseWeight", plan_release_weight);
FG_EXPORT("convPlanWeight", plan_weight);

}  // namespace fg
