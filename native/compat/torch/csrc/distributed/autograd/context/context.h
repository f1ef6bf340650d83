// Stand-in for a header Debian's libtorch-dev 1.13 leaves out (its package ships
// torch/csrc/distributed/c10d/reducer.hpp, which includes this file, but not the distributed
// autograd folder). reducer.hpp only names two things from it: the type of a grad callback
// (checked by a static_assert) and ContextPtr, held in a std::shared_ptr member. A shared_ptr's
// layout does not depend on its element type, and finegrain never touches the context, so
// declaring the class without its members keeps c10d::Reducer's layout identical to the one
// libtorch_cpu.so was compiled with. build-native.mjs adds this folder to the include path only
// when the real header is missing.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};

using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
