// Value conversion helpers and the module entry point.
#include "shim.h"

namespace fg {

namespace {
constexpr uint64_t kSlotBits = 24;
constexpr uint64_t kSlotMask = (uint64_t(1) << kSlotBits) - 1;

struct SlotTable {
  std::vector<at::Tensor> tensors;
  std::vector<uint32_t> generation;
  std::vector<uint32_t> free;
  size_t live = 0;
};

// This thread's table, made on first use. A plain pointer (not a thread_local object) so no
// destructor runs at thread or process exit behind libtorch's back; the environment's cleanup
// hook frees it instead (release_thread_state).
thread_local SlotTable* thread_slots = nullptr;

SlotTable& slots() {
  if (!thread_slots) thread_slots = new SlotTable();
  return *thread_slots;
}

// Returns the slot of a live handle id, or -1 (disposed, stale or not a handle).
int64_t slot_of_id(double d) {
  auto id = static_cast<uint64_t>(d);
  uint64_t slot = id & kSlotMask;
  auto& table = slots();
  if (d < 0 || slot >= table.tensors.size() || table.generation[slot] != (id >> kSlotBits)) return -1;
  return static_cast<int64_t>(slot);
}

int64_t slot_of(napi_env env, napi_value v) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) type_fail("expected a tensor handle");
  return slot_of_id(d);
}

bool release_slot(int64_t slot) {
  if (slot < 0) return false;
  auto& table = slots();
  table.tensors[slot] = at::Tensor();
  table.generation[slot] = (table.generation[slot] + 1) & 0x1fffffff;  // keeps ids below 2^53
  table.free.push_back(static_cast<uint32_t>(slot));
  table.live--;
  return true;
}
}  // namespace

thread_local double* pending_frees = nullptr;

void drain_pending_frees() {
  // Reset the count first: a tensor's destructor never calls back into JS, but be safe.
  auto n = static_cast<size_t>(pending_frees[0]);
  pending_frees[0] = 0;
  for (size_t i = 1; i <= n; i++) release_slot(slot_of_id(pending_frees[i]));
}

napi_value wrap(napi_env env, at::Tensor t) {
  if (!t.defined()) return null(env);
  auto& table = slots();
  uint32_t slot;
  if (!table.free.empty()) {
    slot = table.free.back();
    table.free.pop_back();
    table.tensors[slot] = std::move(t);
  } else {
    if (table.tensors.size() > kSlotMask) fail("too many live tensors (16M): dispose tensors or use scopes");
    slot = static_cast<uint32_t>(table.tensors.size());
    table.tensors.push_back(std::move(t));
    table.generation.push_back(0);
  }
  table.live++;
  double id = static_cast<double>((static_cast<uint64_t>(table.generation[slot]) << kSlotBits) | slot);
  return make_number(env, id);
}

at::Tensor& mutable_tensor_of(napi_env env, napi_value v) {
  int64_t slot = slot_of(env, v);
  if (slot < 0) fail("tensor was disposed: it was freed by dispose() or by the scope that created it");
  return slots().tensors[slot];
}

const at::Tensor& tensor_of(napi_env env, napi_value v) { return mutable_tensor_of(env, v); }

bool release(napi_env env, napi_value v) { return release_slot(slot_of(env, v)); }

size_t live_tensors() { return slots().live; }

bool is_nullish(napi_env env, napi_value v) {
  napi_valuetype type;
  check(napi_typeof(env, v, &type), "typeof");
  return type == napi_undefined || type == napi_null;
}

double number_of(napi_env env, napi_value v, const char* what) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) type_fail(std::string(what) + ": expected a number");
  return d;
}

int64_t int_of(napi_env env, napi_value v, const char* what) {
  napi_valuetype type;
  check(napi_typeof(env, v, &type), "typeof");
  if (type == napi_bigint) {
    int64_t r;
    bool lossless;
    check(napi_get_value_bigint_int64(env, v, &r, &lossless), "bigint");
    if (!lossless) type_fail(std::string(what) + ": integer out of int64 range");
    return r;
  }
  double d = number_of(env, v, what);
  if (d != static_cast<double>(static_cast<int64_t>(d))) type_fail(std::string(what) + ": expected an integer, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

bool bool_of(napi_env env, napi_value v, const char* what) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) type_fail(std::string(what) + ": expected a boolean");
  return b;
}

std::string string_of(napi_env env, napi_value v, const char* what) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) type_fail(std::string(what) + ": expected a string");
  std::string s(len, '\0');
  check(napi_get_value_string_utf8(env, v, s.data(), len + 1, &len), "string");
  return s;
}

std::vector<int64_t> int_list_of(napi_env env, napi_value v, const char* what) {
  bool is_array;
  check(napi_is_array(env, v, &is_array), "is_array");
  if (!is_array) {
    // A single integer stands for a list of one (as PyTorch accepts `dim=1` for `int[1] dim`).
    return {int_of(env, v, what)};
  }
  uint32_t n;
  check(napi_get_array_length(env, v, &n), "array length");
  std::vector<int64_t> out(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    check(napi_get_element(env, v, i, &e), "element");
    out[i] = int_of(env, e, what);
  }
  return out;
}

napi_value make_number(napi_env env, double d) {
  napi_value out;
  check(napi_create_double(env, d, &out), "number");
  return out;
}

napi_value make_bool(napi_env env, bool b) {
  napi_value out;
  check(napi_get_boolean(env, b, &out), "bool");
  return out;
}

napi_value make_string(napi_env env, const std::string& s) {
  napi_value out;
  check(napi_create_string_utf8(env, s.data(), s.size(), &out), "string");
  return out;
}

napi_value make_int_array(napi_env env, at::IntArrayRef values) {
  napi_value out;
  check(napi_create_array_with_length(env, values.size(), &out), "array");
  for (size_t i = 0; i < values.size(); i++) {
    check(napi_set_element(env, out, i, make_number(env, static_cast<double>(values[i]))), "set element");
  }
  return out;
}

napi_value undefined(napi_env env) {
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

napi_value null(napi_env env) {
  napi_value out;
  napi_get_null(env, &out);
  return out;
}

Args::Args(napi_env e, napi_callback_info info) : env(e), argc(32) {
  check(napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr), "arguments");
}

napi_value Args::operator[](size_t i) const {
  if (i >= argc) return undefined(env);
  return argv[i];
}

void define(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  check(napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn), name);
  check(napi_set_named_property(env, exports, name, fn), name);
}

namespace {
std::vector<std::pair<const char*, napi_callback>>& exported() {
  static auto* list = new std::vector<std::pair<const char*, napi_callback>>();
  return *list;
}
}  // namespace

Export::Export(const char* name, napi_callback cb) { exported().emplace_back(name, cb); }

void define_all(napi_env env, napi_value exports) {
  for (auto& [name, cb] : exported()) define(env, exports, name, cb);
}

}  // namespace fg

namespace {
// Runs on the environment's own thread as it is torn down (a worker ending, or the process
// exiting): its tensors are freed, and the deferred-free list, which lives in that
// environment's heap, is forgotten before it goes.
void release_thread_state(void*) {
  fg::pending_frees = nullptr;
  delete fg::thread_slots;
  fg::thread_slots = nullptr;
  fg::release_thread_operators();
}
}  // namespace

static napi_value init(napi_env env, napi_value exports) {
  return fg::guarded(env, [&] {
    fg::check(napi_add_env_cleanup_hook(env, release_thread_state, nullptr), "cleanup hook");
    fg::define_all(env, exports);
    return exports;
  });
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
