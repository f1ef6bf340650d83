// Data-parallel communication through libtorch's own c10d: a TCPStore or FileStore rendezvous,
// a Gloo (CPU) or NCCL (CUDA) process group, the collectives the Trainer needs (and a blocking,
// differentiable sum over ranks for synchronised BatchNorm), and c10d::Reducer -- the same bucketed
// gradient all-reduce PyTorch's DistributedDataParallel runs.
// Policy (env conventions, averaging, which tensors) lives in src/distributed/.
//
// Threads: every collective is *launched* on the JS thread, in call order (all ranks must
// issue collectives in the same order, and a launch only enqueues work on the process group's
// own threads), then *waited for* on a libuv worker thread (napi async work), which settles a
// Promise. Waiting with Work::wait(timeout) on the JS thread would freeze Node's event loop for
// up to the timeout (no timers, no signals, no child-process events); a worker keeps it free.
// The Reducer's all-reduces run inside backward(), which is synchronous anyway; each one is
// bounded by the group's timeout (Gloo's per-operation timeout), after which backward throws.
//
// Failures: a dead peer (Gloo sees the socket close) or a timeout becomes a rejected Promise /
// thrown Error whose message names this rank, the world size and the operation.
//
// Built only when the libtorch has c10d (USE_DISTRIBUTED, set by build-native.mjs when the
// headers exist); otherwise every function throws a clear "not built with" error.
#include "shim.h"

#include <torch/version.h>

#include <chrono>
#include <functional>
#include <memory>

#if defined(USE_DISTRIBUTED) && defined(USE_C10D_GLOO)
#define FG_DISTRIBUTED 1
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#if defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace fg {
namespace {

#if FG_DISTRIBUTED

using std::chrono::milliseconds;

// One process group: the store it met its peers through, and the group itself.
struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  std::string host;  // the rendezvous host (Gloo binds to loopback when it is)
  int index = 0;     // 0 for the first group on the store, then 1, 2, ... (its key prefix)
  int rank = 0;
  int size = 1;
  std::string backend;
  milliseconds timeout{0};

  std::string who(const std::string& op) const {
    return "rank " + std::to_string(rank) + " of " + std::to_string(size) + " (" + backend + "): " + op;
  }
};

void finalize_group(napi_env, void* data, void*) { delete static_cast<Group*>(data); }

Group& group_of(napi_env env, napi_value v) {
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data) type_fail("expected a process group");
  auto* g = static_cast<Group*>(data);
  if (!g->pg) fail("the process group was destroyed");
  return *g;
}

// The text of an exception from the process group, without libtorch's C++ backtrace.
std::string message_of(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const c10::Error& err) {
    return err.what_without_backtrace();
  } catch (const std::exception& err) {
    return err.what();
  } catch (...) {
    return "unknown error";
  }
}

// A wait on a libuv worker thread that settles a Promise on the JS thread.
struct Job {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  std::function<void()> wait;                     // worker thread: blocks, may throw
  std::function<napi_value(napi_env)> result;     // JS thread: the resolved value
  std::string context;                            // "rank 0 of 2 (gloo): allreduce"
  std::string hint;                               // appended to failures
  std::string error;
  bool failed = false;
};

void job_execute(napi_env, void* data) {
  auto* job = static_cast<Job*>(data);
  try {
    job->wait();
  } catch (...) {
    job->failed = true;
    job->error = message_of(std::current_exception());
  }
}

void job_complete(napi_env env, napi_status status, void* data) {
  std::unique_ptr<Job> job(static_cast<Job*>(data));
  napi_value value = nullptr;
  std::string error = job->error;
  if (!job->failed && status == napi_ok) {
    try {
      value = job->result ? job->result(env) : nullptr;
    } catch (const JsError& e) {
      job->failed = true, error = e.message;
    } catch (...) {
      job->failed = true, error = message_of(std::current_exception());
    }
  } else if (status != napi_ok) {
    job->failed = true, error = "cancelled";
  }
  if (job->failed) {
    napi_value msg, err;
    std::string text = job->context + " failed: " + error + job->hint;
    napi_create_string_utf8(env, text.c_str(), text.size(), &msg);
    napi_create_error(env, nullptr, msg, &err);
    napi_reject_deferred(env, job->deferred, err);
  } else {
    napi_resolve_deferred(env, job->deferred, value ? value : undefined(env));
  }
  napi_delete_async_work(env, job->work);
}

napi_value queue(napi_env env, std::unique_ptr<Job> job) {
  napi_value promise, name;
  check(napi_create_promise(env, &job->deferred, &promise), "create_promise");
  check(napi_create_string_utf8(env, "finegrain.distributed", NAPI_AUTO_LENGTH, &name), "string");
  check(napi_create_async_work(env, nullptr, name, job_execute, job_complete, job.get(), &job->work), "async_work");
  check(napi_queue_async_work(env, job->work), "queue_async_work");
  job.release();
  return promise;
}

// Waits for a launched collective on a worker thread, with the group's timeout.
napi_value await_work(napi_env env, Group& g, const std::string& op, c10::intrusive_ptr<c10d::Work> work,
                      std::function<napi_value(napi_env)> result = nullptr) {
  auto job = std::make_unique<Job>();
  auto timeout = g.timeout;
  job->wait = [work, timeout] { work->wait(timeout); };
  job->result = std::move(result);
  job->context = g.who(op);
  job->hint = " (a peer process may have died, or the collective did not complete within " +
              std::to_string(timeout.count()) + " ms)";
  return queue(env, std::move(job));
}

std::vector<at::Tensor> tensors_of(napi_env env, napi_value list, const char* what) {
  bool is_array = false;
  check(napi_is_array(env, list, &is_array), "is_array");
  if (!is_array) type_fail(std::string(what) + ": expected an array of tensors");
  uint32_t n;
  check(napi_get_array_length(env, list, &n), "array_length");
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    check(napi_get_element(env, list, i, &item), "get_element");
    out.push_back(tensor_of(env, item));
  }
  return out;
}

std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& host) {
  // GLOO_SOCKET_IFNAME is the variable PyTorch users already set for multi-homed hosts.
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  // A loopback rendezvous means one machine: bind Gloo to loopback too, whatever the hostname
  // resolves to. Otherwise Gloo binds to the address this machine's hostname resolves to.
  if (host.empty() || host == "127.0.0.1" || host == "localhost" || host == "::1")
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// libtorch 2.x split ProcessGroup (the user-facing group) from Backend (Gloo, NCCL); 1.13's
// ProcessGroupGloo is a ProcessGroup itself. Within 2.x the group's constructor lost its Options
// argument (name and timeout) along the way: the overloads below pick whichever this libtorch
// has at compile time, so one source builds against each (checked with 2.11 and 2.13).
#if TORCH_VERSION_MAJOR >= 2
template <typename PG>
auto new_group(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size, const std::string& name,
               milliseconds timeout, int) -> decltype(c10::make_intrusive<typename PG::Options>(name, timeout),
                                                      c10::intrusive_ptr<c10d::ProcessGroup>()) {
  return c10::make_intrusive<PG>(store, rank, size, c10::make_intrusive<typename PG::Options>(name, timeout));
}
template <typename PG>
c10::intrusive_ptr<c10d::ProcessGroup> new_group(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                 const std::string&, milliseconds, long) {
  return c10::make_intrusive<PG>(store, rank, size);
}

template <typename B>
c10::intrusive_ptr<c10d::ProcessGroup> as_group(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                 c10::intrusive_ptr<B> backend, const std::string& name,
                                                 c10d::ProcessGroup::BackendType type, c10::DeviceType device,
                                                 milliseconds timeout) {
  auto pg = new_group<c10d::ProcessGroup>(store, rank, size, name, timeout, 0);
  pg->setBackend(device, type, c10::intrusive_ptr<c10d::Backend>(backend));
  pg->setDefaultBackend(type);
  return pg;
}
#endif

c10::intrusive_ptr<c10d::ProcessGroup> make_gloo(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                 const std::string& host, milliseconds timeout) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  options->devices.push_back(gloo_device(host));
  auto gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
#if TORCH_VERSION_MAJOR >= 2
  return as_group(store, rank, size, gloo, "gloo", c10d::ProcessGroup::BackendType::GLOO, c10::DeviceType::CPU,
                  timeout);
#else
  return gloo;
#endif
}

c10::intrusive_ptr<c10d::ProcessGroup> make_nccl(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                 milliseconds timeout) {
#if defined(USE_C10D_NCCL)
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  auto nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
#if TORCH_VERSION_MAJOR >= 2
  return as_group(store, rank, size, nccl, "nccl", c10d::ProcessGroup::BackendType::NCCL, c10::DeviceType::CUDA,
                  timeout);
#else
  return nccl;
#endif
#else
  fail("this finegrain addon was built without NCCL (it needs a CUDA libtorch with NCCL headers); use backend 'gloo'");
#endif
}

// Builds the group's backend over its store, under the key prefix of its index: a prefix, as
// torch.distributed uses, keeps the groups sharing one store apart. Blocks until every rank
// has joined (worker thread only).
void connect(Group& g) {
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("finegrain/" + std::to_string(g.index), g.store);
  g.pg = g.backend == "nccl" ? make_nccl(prefixed, g.rank, g.size, g.timeout)
                             : make_gloo(prefixed, g.rank, g.size, g.host, g.timeout);
}

// A JS handle owning a copy of the group (freed with the handle, or by destroyProcessGroup).
napi_value external_of(napi_env env, const Group& g) {
  napi_value ext;
  check(napi_create_external(env, new Group(g), finalize_group, nullptr, &ext), "create_external");
  return ext;
}

// initProcessGroup(backend, store ('tcp'|'file'), hostOrPath, port, rank, worldSize, timeoutMs)
//   -> Promise<group>. The rendezvous (the store's connection and Gloo's full mesh) blocks
// until every rank arrived or the timeout passed, so it runs on a worker thread too.
napi_value init_process_group(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    auto backend = string_of(env, a[0], "backend");
    auto kind = string_of(env, a[1], "store");
    auto where = string_of(env, a[2], "host");
    auto port = int_of(env, a[3], "port");
    auto rank = static_cast<int>(int_of(env, a[4], "rank"));
    auto size = static_cast<int>(int_of(env, a[5], "worldSize"));
    auto timeout = milliseconds(int_of(env, a[6], "timeoutMs"));
    if (backend != "gloo" && backend != "nccl") type_fail("backend must be 'gloo' or 'nccl', got '" + backend + "'");
    if (kind != "tcp" && kind != "file") type_fail("store must be 'tcp' or 'file'");
    if (size < 1 || rank < 0 || rank >= size) type_fail("rank must be in [0, worldSize)");
    if (port < 0 || port > 65535) type_fail("port must be in [0, 65535]");

    auto holder = std::make_shared<Group>();
    holder->rank = rank, holder->size = size, holder->backend = backend, holder->timeout = timeout;
    auto job = std::make_unique<Job>();
    job->context = holder->who("rendezvous through the " + kind + " store at " +
                               (kind == "tcp" ? where + ":" + std::to_string(port) : where));
    job->hint = kind == "tcp" && rank == 0 ? " (is another process using that port?)"
                                           : " (did every rank start, with the same world size, within " +
                                                 std::to_string(timeout.count()) + " ms?)";
    job->wait = [holder, kind, where, port, timeout] {
      c10::intrusive_ptr<c10d::Store> store;
      if (kind == "tcp") {
        c10d::TCPStoreOptions opts;
        opts.port = static_cast<uint16_t>(port);
        opts.isServer = holder->rank == 0;
        opts.numWorkers = holder->size;
        opts.waitWorkers = true;
        opts.timeout = timeout;
        store = c10::make_intrusive<c10d::TCPStore>(where, opts);
      } else {
        store = c10::make_intrusive<c10d::FileStore>(where, holder->size);
        store->setTimeout(timeout);
      }
      holder->store = store;
      holder->host = where;
      connect(*holder);
    };
    job->result = [holder](napi_env env) { return external_of(env, *holder); };
    return queue(env, std::move(job));
  });
}

// duplicateProcessGroup(group, index) -> Promise<group>: another group of the same ranks over
// the same store (keys under "finegrain/<index>"), with its own connections and threads, so
// its collectives never queue behind the first group's (synchronised BatchNorm's small,
// blocking sums must not wait for a gradient bucket in flight). Every rank calls it, with the
// same index; it blocks until all have, so it runs on a worker thread.
napi_value duplicate_process_group(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Group& g = group_of(env, a[0]);
    auto index = static_cast<int>(int_of(env, a[1], "index"));
    if (index < 1) type_fail("duplicateProcessGroup: index must be >= 1 (0 is the first group)");
    auto holder = std::make_shared<Group>(g);
    holder->index = index;
    auto job = std::make_unique<Job>();
    job->context = g.who("rendezvous of group " + std::to_string(index));
    job->hint = " (did every rank ask for the same group within " + std::to_string(g.timeout.count()) + " ms?)";
    job->wait = [holder] { connect(*holder); };
    job->result = [holder](napi_env env) { return external_of(env, *holder); };
    return queue(env, std::move(job));
  });
}

// destroyProcessGroup(group): drops the group (joins its threads) and the store now, not at GC.
napi_value destroy_process_group(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    void* data = nullptr;
    if (napi_get_value_external(env, a[0], &data) != napi_ok || !data) type_fail("expected a process group");
    auto* g = static_cast<Group*>(data);
    g->pg.reset();
    g->store.reset();
    return undefined(env);
  });
}

c10d::ReduceOp reduce_op_of(const std::string& op) {
  if (op == "sum") return c10d::ReduceOp::SUM;
  if (op == "max") return c10d::ReduceOp::MAX;
  if (op == "min") return c10d::ReduceOp::MIN;
  if (op == "product") return c10d::ReduceOp::PRODUCT;
  type_fail("reduce op must be 'sum', 'max', 'min' or 'product', got '" + op + "'");
}

// allReduce(group, tensors[], op) -> Promise<void>; the tensors are reduced in place.
napi_value all_reduce(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Group& g = group_of(env, a[0]);
    auto tensors = tensors_of(env, a[1], "allReduce");
    c10d::AllreduceOptions opts;
    opts.reduceOp = reduce_op_of(string_of(env, a[2], "op"));
    opts.timeout = g.timeout;
    return await_work(env, g, "allreduce", g.pg->allreduce(tensors, opts));
  });
}

// broadcast(group, tensors[], root) -> Promise<void>; every rank ends with root's values.
napi_value broadcast(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Group& g = group_of(env, a[0]);
    auto tensors = tensors_of(env, a[1], "broadcast");
    c10d::BroadcastOptions opts;
    opts.rootRank = int_of(env, a[2], "root");
    opts.timeout = g.timeout;
    if (opts.rootRank < 0 || opts.rootRank >= g.size) type_fail("broadcast: root must be in [0, worldSize)");
    return await_work(env, g, "broadcast from rank " + std::to_string(opts.rootRank), g.pg->broadcast(tensors, opts));
  });
}

// allGather(group, tensor) -> Promise<tensor[]>: every rank's tensor, in rank order.
napi_value all_gather(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Group& g = group_of(env, a[0]);
    std::vector<at::Tensor> input{tensor_of(env, a[1]).contiguous()};
    std::vector<std::vector<at::Tensor>> output(1);
    for (int i = 0; i < g.size; i++) output[0].push_back(at::empty_like(input[0]));
    c10d::AllgatherOptions opts;
    opts.timeout = g.timeout;
    auto work = g.pg->allgather(output, input, opts);
    auto gathered = output[0];
    return await_work(env, g, "allgather", work, [gathered](napi_env env) {
      napi_value list;
      check(napi_create_array_with_length(env, gathered.size(), &list), "array");
      for (size_t i = 0; i < gathered.size(); i++) check(napi_set_element(env, list, i, wrap(env, gathered[i])), "set");
      return list;
    });
  });
}

// barrier(group) -> Promise<void>.
napi_value barrier(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Group& g = group_of(env, a[0]);
    c10d::BarrierOptions opts;
    opts.timeout = g.timeout;
    return await_work(env, g, "barrier", g.pg->barrier(opts));
  });
}

// The sum of a tensor over all ranks, waited for here: for computations that need the result
// inside one forward or backward pass (synchronised BatchNorm's statistics), which cannot
// return to the event loop. Bounded by the group's timeout; a failure names the rank.
at::Tensor sum_over_ranks(const c10::intrusive_ptr<c10d::ProcessGroup>& pg, milliseconds timeout,
                          const std::string& context, const at::Tensor& x) {
  std::vector<at::Tensor> ts{x.detach().clone(at::MemoryFormat::Contiguous)};
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp::SUM;
  opts.timeout = timeout;
  try {
    auto work = pg->allreduce(ts, opts);
    work->wait(timeout);
  } catch (...) {
    throw std::runtime_error(context + " failed: " + message_of(std::current_exception()) +
                             " (a peer process may have died, or it did not complete within " +
                             std::to_string(timeout.count()) + " ms)");
  }
  return ts[0];
}

// The gradient of a sum over ranks: each rank's output fed every rank's loss, so the gradient
// reaching each rank's input is the sum of the ranks' output gradients -- another sum over
// ranks, issued by every rank at the same point of its backward pass (same graph, same order).
struct SumOverRanksBackward : torch::autograd::Node {
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  milliseconds timeout{0};
  std::string context;
  std::vector<int64_t> sizes;
  at::TensorOptions options;

  std::string name() const override { return "SumOverRanksBackward"; }

  torch::autograd::variable_list apply(torch::autograd::variable_list&& grads) override {
    // An undefined gradient still takes part: the other ranks are waiting for this collective.
    at::Tensor g = grads[0].defined() ? grads[0] : at::zeros(sizes, options);
    return {sum_over_ranks(pg, timeout, context, g)};
  }

  void release_variables() override { pg.reset(); }
};

// How this libtorch holds autograd nodes: std::shared_ptr up to 2.12, c10::intrusive_ptr after.
using NodePtr = decltype(std::declval<torch::autograd::Edge>().function);
template <typename T, typename P>
struct NewNode;
template <typename T>
struct NewNode<T, std::shared_ptr<torch::autograd::Node>> {
  static std::shared_ptr<T> make() {
#if TORCH_VERSION_MAJOR >= 2
    return std::make_shared<T>();
#else
    return std::shared_ptr<T>(new T(), torch::autograd::deleteNode);  // 1.13's deleter avoids deep recursion
#endif
  }
};
template <typename T>
struct NewNode<T, c10::intrusive_ptr<torch::autograd::Node>> {
  static c10::intrusive_ptr<T> make() { return c10::make_intrusive<T>(); }
};

// sumOverRanks(group, tensor) -> tensor: the sum of `tensor` over all ranks, differentiable
// (its backward sums the gradients over ranks). Blocks this thread until every rank has sent.
napi_value sum_over_ranks_op(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Group& g = group_of(env, a[0]);
    const at::Tensor& x = tensor_of(env, a[1]);
    at::Tensor out = sum_over_ranks(g.pg, g.timeout, g.who("sum over ranks"), x);
    if (x.requires_grad() && at::GradMode::is_enabled()) {
      auto node = NewNode<SumOverRanksBackward, NodePtr>::make();
      node->pg = g.pg;
      node->timeout = g.timeout;
      node->context = g.who("sum over ranks (backward)");
      node->sizes = x.sizes().vec();
      node->options = x.options();
      node->set_next_edges(torch::autograd::collect_next_edges(x));
      torch::autograd::set_history(out, node);
    }
    return wrap(env, out);
  });
}

// Debian's libtorch logs through glog, which prints INFO lines to stderr when the program never
// called InitGoogleLogging (with a "Logging before InitGoogleLogging" warning): registering the
// fp16 hook would print one per rank. Held for the call, this keeps glog at WARNING and up.
// (A pip PyTorch logs through c10's own logger, whose default level already drops INFO.)
struct QuietInfoLogs {
#ifdef C10_USE_GLOG
  int saved = FLAGS_minloglevel;
  QuietInfoLogs() { FLAGS_minloglevel = std::max(saved, static_cast<int>(google::GLOG_WARNING)); }
  ~QuietInfoLogs() { FLAGS_minloglevel = saved; }
#endif
};

// The Reducer and the group it reduces over (kept alive as long as the Reducer).
struct ReducerBox {
  std::unique_ptr<c10d::Reducer> reducer;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  std::string context;
};

void finalize_reducer(napi_env, void* data, void*) {
  auto* box = static_cast<ReducerBox*>(data);
  try {
    box->reducer.reset();  // ~Reducer is noexcept(false)
  } catch (...) {
  }
  delete box;
}

ReducerBox& reducer_of(napi_env env, napi_value v) {
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data) type_fail("expected a gradient reducer");
  auto* box = static_cast<ReducerBox*>(data);
  if (!box->reducer) fail("the gradient reducer was disposed");
  return *box;
}

// c10d::Reducer's constructor, whichever this libtorch has. 1.13 and early 2.x take the
// per-bucket size limits third; later 2.x take the process group third and then grew, at the
// end, whether to skip unused parameters' all-reduce, the Python reducer flag, and (2.13) a list
// of bucket byte caps. Each form below drops out where it does not compile; Rank<N> makes the
// longest matching form win should a libtorch's defaults let two of them match.
template <int N>
struct Rank : Rank<N - 1> {};
template <>
struct Rank<0> {};
using ParamNames = std::unordered_map<size_t, std::string>;
struct ReducerArgs {
  std::vector<at::Tensor>& params;
  std::vector<std::vector<size_t>>& buckets;
  std::vector<size_t>& limits;
  c10::intrusive_ptr<c10d::ProcessGroup>& pg;
  std::vector<bool>& sparse;
  int64_t cap;
  bool as_view;
  int64_t first;
};
// find_unused_parameters is false throughout: every parameter gets a gradient in our steps.
template <typename R>
auto new_reducer(ReducerArgs& a, Rank<4>)
    -> decltype(new R(a.params, a.buckets, a.pg, a.sparse, a.cap, false, a.as_view, ParamNames{}, a.first, false,
                      false, std::vector<int64_t>{}),
                std::unique_ptr<R>()) {
  // An empty cap list: the rebuild after the first step uses {first, cap}, as 1.13's does.
  return std::make_unique<R>(a.params, a.buckets, a.pg, a.sparse, a.cap, false, a.as_view, ParamNames{}, a.first,
                             /*skip_all_reduce_unused_params=*/false, /*use_python_reducer=*/false,
                             /*bucket_bytes_cap_list=*/std::vector<int64_t>{});
}
template <typename R>
auto new_reducer(ReducerArgs& a, Rank<3>)
    -> decltype(new R(a.params, a.buckets, a.pg, a.sparse, a.cap, false, a.as_view, ParamNames{}, a.first, false,
                      false),
                std::unique_ptr<R>()) {
  return std::make_unique<R>(a.params, a.buckets, a.pg, a.sparse, a.cap, false, a.as_view, ParamNames{}, a.first,
                             /*skip_all_reduce_unused_params=*/false, /*use_python_reducer=*/false);
}
template <typename R>
auto new_reducer(ReducerArgs& a, Rank<2>)
    -> decltype(new R(a.params, a.buckets, a.pg, a.sparse, a.cap, false, a.as_view, ParamNames{}, a.first, false),
                std::unique_ptr<R>()) {
  return std::make_unique<R>(a.params, a.buckets, a.pg, a.sparse, a.cap, false, a.as_view, ParamNames{}, a.first,
                             /*skip_all_reduce_unused_params=*/false);
}
template <typename R>
auto new_reducer(ReducerArgs& a, Rank<1>)
    -> decltype(new R(a.params, a.buckets, a.pg, a.sparse, a.cap, false, a.as_view, ParamNames{}, a.first),
                std::unique_ptr<R>()) {
  return std::make_unique<R>(a.params, a.buckets, a.pg, a.sparse, a.cap, false, a.as_view, ParamNames{}, a.first);
}
template <typename R>
auto new_reducer(ReducerArgs& a, Rank<0>)
    -> decltype(new R(a.params, a.buckets, a.limits, a.pg, a.sparse, a.cap, false, a.as_view, ParamNames{}, a.first),
                std::unique_ptr<R>()) {
  return std::make_unique<R>(a.params, a.buckets, a.limits, a.pg, a.sparse, a.cap, false, a.as_view, ParamNames{},
                             a.first);
}

// createReducer(group, params[], bucketBytes, firstBucketBytes, gradientAsBucketView, compression)
//   -> reducer.
// As DistributedDataParallel does: buckets by size in reverse parameter order (the last layers'
// gradients are ready first in backward), a small first bucket so communication starts early.
// gradientAsBucketView: each parameter's .grad becomes a view into its bucket, so backward
// accumulates straight into what is all-reduced (no copy in, no copy back) -- the caller must
// then zero gradients in place rather than drop them.
// compression "fp16": c10d's built-in FP16_COMPRESS hook (DDP's fp16_compress_hook): each bucket
// is cast to float16 and divided by the world size before its all-reduce, and cast back after --
// half the bytes on the wire and in Gloo's reduction, at float16's precision. "none": float32.
napi_value create_reducer(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Group& g = group_of(env, a[0]);
    auto params = tensors_of(env, a[1], "params");
    auto cap = static_cast<size_t>(int_of(env, a[2], "bucketBytes"));
    auto first = static_cast<size_t>(int_of(env, a[3], "firstBucketBytes"));
    bool as_view = bool_of(env, a[4], "gradientAsBucketView");
    std::string compression = string_of(env, a[5], "compression");
    if (compression != "none" && compression != "fp16")
      type_fail("createReducer: compression must be \"none\" or \"fp16\", got \"" + compression + "\"");
    if (params.empty()) type_fail("createReducer: no parameters");
    for (auto& p : params)
      if (!p.requires_grad() || !p.is_leaf()) type_fail("createReducer: every parameter must be a leaf that requires grad");
    std::vector<bool> sparse(params.size(), false);
    auto assigned = c10d::compute_bucket_assignment_by_size(params, {first, cap}, sparse);
    auto buckets = std::get<0>(assigned);
    auto limits = std::get<1>(assigned);
    std::reverse(buckets.begin(), buckets.end());
    std::reverse(limits.begin(), limits.end());
    auto box = std::make_unique<ReducerBox>();
    box->pg = g.pg;
    box->context = g.who("gradient all-reduce");
    ReducerArgs args{params, buckets, limits, g.pg, sparse, static_cast<int64_t>(cap), as_view,
                     static_cast<int64_t>(first)};
    box->reducer = new_reducer<c10d::Reducer>(args, Rank<4>{});
    if (compression == "fp16") {
      QuietInfoLogs quiet;
      box->reducer->register_builtin_comm_hook(c10d::BuiltinCommHookType::FP16_COMPRESS);
    }
    napi_value ext;
    check(napi_create_external(env, box.get(), finalize_reducer, nullptr, &ext), "create_external");
    box.release();
    return ext;
  });
}

// reducerPrepare(reducer, outputs[]): arms the gradient hooks for the next backward() (call it
// after each forward whose backward should synchronise; skip it to accumulate locally). On the
// second step the buckets are rebuilt in the order gradients actually arrived, as DDP does.
napi_value reducer_prepare(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    ReducerBox& box = reducer_of(env, a[0]);
    auto outputs = tensors_of(env, a[1], "outputs");
    try {
      box.reducer->rebuild_buckets();
      box.reducer->prepare_for_backward(outputs);
    } catch (...) {
      fail(box.context + " failed: " + message_of(std::current_exception()));
    }
    return undefined(env);
  });
}

// reducerBucketCount(reducer) -> the number of buckets (for reports and tests).
napi_value reducer_bucket_sizes(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    ReducerBox& box = reducer_of(env, a[0]);
    auto buckets = box.reducer->get_grad_buckets(/*return_zero_tensors=*/false);
    std::vector<int64_t> sizes;
    for (auto& b : buckets) sizes.push_back(b.getBufferRef().numel());
    return make_int_array(env, sizes);
  });
}

napi_value dispose_reducer(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    void* data = nullptr;
    if (napi_get_value_external(env, a[0], &data) != napi_ok || !data) type_fail("expected a gradient reducer");
    static_cast<ReducerBox*>(data)->reducer.reset();
    return undefined(env);
  });
}

napi_value available(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value o;
    check(napi_create_object(env, &o), "object");
    check(napi_set_named_property(env, o, "gloo", make_bool(env, true)), "set");
#if defined(USE_C10D_NCCL)
    check(napi_set_named_property(env, o, "nccl", make_bool(env, true)), "set");
#else
    check(napi_set_named_property(env, o, "nccl", make_bool(env, false)), "set");
#endif
    return o;
  });
}

#else  // no c10d in this libtorch: the same names, each a clear error

napi_value unavailable(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    fail("this finegrain addon was built without distributed support: its libtorch lacks c10d/Gloo headers "
         "(on Debian install libgloo-dev, then run `node scripts/build-native.mjs --force`)");
  });
}

napi_value available(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value o;
    check(napi_create_object(env, &o), "object");
    check(napi_set_named_property(env, o, "gloo", make_bool(env, false)), "set");
    check(napi_set_named_property(env, o, "nccl", make_bool(env, false)), "set");
    return o;
  });
}

#define init_process_group unavailable
#define destroy_process_group unavailable
#define duplicate_process_group unavailable
#define all_reduce unavailable
#define broadcast unavailable
#define all_gather unavailable
#define barrier unavailable
#define sum_over_ranks_op unavailable
#define create_reducer unavailable
#define reducer_prepare unavailable
#define reducer_bucket_sizes unavailable
#define dispose_reducer unavailable
#endif

}  // namespace

FG_EXPORT("distAvailable", available);
FG_EXPORT("distInit", init_process_group);
FG_EXPORT("distDestroy", destroy_process_group);
FG_EXPORT("distDuplicate", duplicate_process_group);
FG_EXPORT("distAllReduce", all_reduce);
FG_EXPORT("distBroadcast", broadcast);
FG_EXPORT("distAllGather", all_gather);
FG_EXPORT("distBarrier", barrier);
FG_EXPORT("distSumOverRanks", sum_over_ranks_op);
FG_EXPORT("distReducer", create_reducer);
FG_EXPORT("distReducerPrepare", reducer_prepare);
FG_EXPORT("distReducerBucketSizes", reducer_bucket_sizes);
FG_EXPORT("distReducerDispose", dispose_reducer);

}  // namespace fg
