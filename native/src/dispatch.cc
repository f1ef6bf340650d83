// The generic operator call: every ATen operator is reached through the c10 dispatcher by
// its schema ("aten::conv2d"), so autograd, autocast and device dispatch all apply, and one
// thin entry point replaces thousands of hand-written bindings (tch-rs generates its bindings
// from the same operator declarations; we read them at run time instead).
#include "shim.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <algorithm>
#include <sstream>

namespace fg {
namespace {

enum class Kind { Tensor, TensorList, OptTensorList, Int, Float, Bool, Scalar, IntList, FloatList, BoolList, Device, String, Generator, Other };

struct ArgSpec {
  std::string name;
  Kind kind;
  bool optional;
  c10::optional<c10::IValue> default_value;
};

enum class RetKind { Tensor, TensorList, Int, Float, Bool, Scalar, Other };

struct OpSpec {
  c10::OperatorHandle handle;
  std::string name;
  std::vector<ArgSpec> args;
  std::vector<RetKind> rets;
};

// Per thread (see shim.h): each JS thread resolves its own operators and gets its own ids.
thread_local std::vector<OpSpec>* thread_ops = nullptr;

std::vector<OpSpec>& registry() {
  if (!thread_ops) thread_ops = new std::vector<OpSpec>();
  return *thread_ops;
}

Kind kind_of(const c10::TypePtr& type) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType: return Kind::Tensor;
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
    case c10::TypeKind::ScalarTypeType:
    case c10::TypeKind::LayoutType:
    case c10::TypeKind::MemoryFormatType: return Kind::Int;
    case c10::TypeKind::FloatType: return Kind::Float;
    case c10::TypeKind::BoolType: return Kind::Bool;
    case c10::TypeKind::NumberType: return Kind::Scalar;
    case c10::TypeKind::DeviceObjType: return Kind::Device;
    case c10::TypeKind::StringType: return Kind::String;
    case c10::TypeKind::GeneratorType: return Kind::Generator;
    case c10::TypeKind::ListType: {
      const auto& elem = type->castRaw<c10::ListType>()->getElementType();
      if (elem->kind() == c10::TypeKind::OptionalType) return Kind::OptTensorList;
      switch (kind_of(elem)) {
        case Kind::Tensor: return Kind::TensorList;
        case Kind::Int: return Kind::IntList;
        case Kind::Float: return Kind::FloatList;
        case Kind::Bool: return Kind::BoolList;
        default: return Kind::Other;
      }
    }
    default: return Kind::Other;
  }
}

RetKind ret_kind_of(const c10::TypePtr& type) {
  switch (kind_of(type)) {
    case Kind::Tensor: return RetKind::Tensor;
    case Kind::TensorList: return RetKind::TensorList;
    case Kind::Int: return RetKind::Int;
    case Kind::Float: return RetKind::Float;
    case Kind::Bool: return RetKind::Bool;
    case Kind::Scalar: return RetKind::Scalar;
    default: return RetKind::Other;
  }
}

c10::IValue scalar_of(napi_env env, napi_value v, const std::string& what) {
  napi_valuetype type;
  check(napi_typeof(env, v, &type), "typeof");
  if (type == napi_boolean) return c10::IValue(bool_of(env, v, what.c_str()));
  double d = number_of(env, v, what.c_str());
  // An integral JS number is an integer Scalar, as a Python int literal is: `x * 2` keeps an
  // int64 tensor integral and does not promote it to float.
  if (std::abs(d) < 9007199254740992.0 && d == static_cast<double>(static_cast<int64_t>(d))) {
    return c10::IValue(static_cast<int64_t>(d));
  }
  return c10::IValue(d);
}

c10::IValue convert(napi_env env, napi_value v, const ArgSpec& spec) {
  const std::string& what = spec.name;
  switch (spec.kind) {
    case Kind::Tensor: return c10::IValue(tensor_of(env, v));
    case Kind::Int: return c10::IValue(int_of(env, v, what.c_str()));
    case Kind::Float: return c10::IValue(number_of(env, v, what.c_str()));
    case Kind::Bool: return c10::IValue(bool_of(env, v, what.c_str()));
    case Kind::Scalar: return scalar_of(env, v, what);
    case Kind::IntList: return c10::IValue(int_list_of(env, v, what.c_str()));
    case Kind::Device: return c10::IValue(c10::Device(string_of(env, v, what.c_str())));
    case Kind::String: return c10::IValue(string_of(env, v, what.c_str()));
    case Kind::Generator: return c10::IValue();
    case Kind::FloatList:
    case Kind::BoolList:
    case Kind::TensorList:
    case Kind::OptTensorList: {
      bool is_array;
      check(napi_is_array(env, v, &is_array), "is_array");
      if (!is_array) type_fail(what + ": expected an array");
      uint32_t n;
      check(napi_get_array_length(env, v, &n), "length");
      std::vector<napi_value> items(n);
      for (uint32_t i = 0; i < n; i++) check(napi_get_element(env, v, i, &items[i]), "element");
      if (spec.kind == Kind::FloatList) {
        std::vector<double> out;
        for (auto e : items) out.push_back(number_of(env, e, what.c_str()));
        return c10::IValue(out);
      }
      if (spec.kind == Kind::BoolList) {
        c10::List<bool> out;
        for (auto e : items) out.push_back(bool_of(env, e, what.c_str()));
        return c10::IValue(out);
      }
      if (spec.kind == Kind::TensorList) {
        std::vector<at::Tensor> out;
        out.reserve(n);
        for (auto e : items) out.push_back(tensor_of(env, e));
        return c10::IValue(out);
      }
      c10::List<c10::optional<at::Tensor>> out;
      for (auto e : items) {
        if (is_nullish(env, e)) out.push_back(c10::nullopt);
        else out.push_back(tensor_of(env, e));
      }
      return c10::IValue(out);
    }
    case Kind::Other: break;
  }
  type_fail(what + ": this argument type is not supported by the generic operator call");
}

napi_value to_js(napi_env env, c10::IValue&& v, RetKind kind) {
  if (v.isNone()) return null(env);
  switch (kind) {
    case RetKind::Tensor: return wrap(env, std::move(v).toTensor());
    case RetKind::TensorList: {
      auto list = std::move(v).toTensorVector();
      napi_value arr;
      check(napi_create_array_with_length(env, list.size(), &arr), "array");
      for (size_t i = 0; i < list.size(); i++) check(napi_set_element(env, arr, i, wrap(env, std::move(list[i]))), "element");
      return arr;
    }
    case RetKind::Int: return make_number(env, static_cast<double>(v.toInt()));
    case RetKind::Float: return make_number(env, v.toDouble());
    case RetKind::Bool: return make_bool(env, v.toBool());
    case RetKind::Scalar: {
      if (v.isBool()) return make_bool(env, v.toBool());
      if (v.isInt()) return make_number(env, static_cast<double>(v.toInt()));
      return make_number(env, v.toDouble());
    }
    case RetKind::Other: break;
  }
  return undefined(env);
}

// op(name, overload) -> id. Resolves the schema once; calls then use the id.
napi_value op(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    std::string name = string_of(env, a[0], "name");
    std::string overload = is_nullish(env, a[1]) ? "" : string_of(env, a[1], "overload");
    auto found = c10::Dispatcher::singleton().findSchema({name, overload});
    if (!found) fail("unknown operator " + name + (overload.empty() ? "" : "." + overload) + " in this libtorch");
    OpSpec spec{*found, name, {}, {}};
    const auto& schema = found->schema();
    for (const auto& arg : schema.arguments()) {
      const auto& type = arg.type();
      bool optional = type->kind() == c10::TypeKind::OptionalType;
      Kind k = kind_of(optional ? type->castRaw<c10::OptionalType>()->getElementType() : type);
      spec.args.push_back({arg.name(), k, optional, arg.default_value()});
    }
    for (const auto& ret : schema.returns()) spec.rets.push_back(ret_kind_of(ret.type()));
    registry().push_back(std::move(spec));
    return make_number(env, static_cast<double>(registry().size() - 1));
  });
}

const OpSpec& spec_of(napi_env env, napi_value v) {
  int64_t id = int_of(env, v, "operator id");
  if (id < 0 || static_cast<size_t>(id) >= registry().size()) fail("unknown operator id");
  return registry()[id];
}

// Runs the operator with JS arguments in schema order; `undefined` takes the schema default.
void run(napi_env env, const Args& a, const OpSpec& spec, torch::jit::Stack& stack) {
  if (a.argc - 1 > spec.args.size()) type_fail(spec.name + ": too many arguments");
  stack.reserve(spec.args.size());
  for (size_t i = 0; i < spec.args.size(); i++) {
    const ArgSpec& arg = spec.args[i];
    napi_value v = i + 1 < a.argc ? a.argv[i + 1] : nullptr;
    napi_valuetype type = napi_undefined;
    if (v) check(napi_typeof(env, v, &type), "typeof");
    if (type == napi_undefined) {
      if (arg.default_value) stack.push_back(*arg.default_value);
      else if (arg.optional) stack.emplace_back();
      else type_fail(spec.name + ": missing argument '" + arg.name + "'");
    } else if (type == napi_null) {
      if (!arg.optional) type_fail(spec.name + ": argument '" + arg.name + "' may not be null");
      stack.emplace_back();
    } else {
      try {
        stack.push_back(convert(env, v, arg));
      } catch (const JsError& e) {
        throw JsError{spec.name + ": " + e.message, e.type_error};
      }
    }
  }
  spec.handle.callBoxed(&stack);
}

// call(id, ...args) -> result, or an array of results for multi-output operators.
napi_value call(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const OpSpec& spec = spec_of(env, a[0]);
    torch::jit::Stack stack;
    run(env, a, spec, stack);
    if (spec.rets.size() == 1) return to_js(env, std::move(stack[0]), spec.rets[0]);
    napi_value arr;
    check(napi_create_array_with_length(env, stack.size(), &arr), "array");
    for (size_t i = 0; i < stack.size() && i < spec.rets.size(); i++) {
      check(napi_set_element(env, arr, i, to_js(env, std::move(stack[i]), spec.rets[i])), "element");
    }
    return arr;
  });
}

// callVoid(id, ...args): for in-place operators, whose result aliases an argument.
napi_value call_void(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    torch::jit::Stack stack;
    run(env, a, spec_of(env, a[0]), stack);
    return undefined(env);
  });
}

// schema(id) -> the operator's schema text, for error messages and docs.
napi_value schema(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    std::ostringstream s;
    s << spec_of(env, a[0]).handle.schema();
    return make_string(env, s.str());
  });
}

// schemas() -> every registered operator's schema text, sorted, for
// scripts/generate-aten-types.mjs (the TypeScript declarations of aten()).
napi_value schemas(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto& dispatcher = c10::Dispatcher::singleton();
    std::vector<std::string> texts;
    for (const auto& name : dispatcher.getAllOpNames()) {
      auto found = dispatcher.findSchema(name);
      if (!found) continue;  // registered by name only (an impl without a def)
      std::ostringstream s;
      s << found->schema();
      texts.push_back(s.str());
    }
    std::sort(texts.begin(), texts.end());
    napi_value arr;
    check(napi_create_array_with_length(env, texts.size(), &arr), "array");
    for (size_t i = 0; i < texts.size(); i++) check(napi_set_element(env, arr, i, make_string(env, texts[i])), "element");
    return arr;
  });
}

FG_EXPORT("op", op);
FG_EXPORT("call", call);
FG_EXPORT("callVoid", call_void);
FG_EXPORT("schema", schema);
FG_EXPORT("schemas", schemas);

}  // namespace

void release_thread_operators() {
  delete thread_ops;
  thread_ops = nullptr;
}

}  // namespace fg
