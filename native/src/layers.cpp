#include "layers.h"

#include <cstdlib>

#include "backend.h"
#include "errors.h"
#include "qmm.h"

namespace pocket {

namespace {
// POCKET_DISABLE_QMM=1 routes quantized layers through MLX's own kernel
// (for A/B checks of numerics and speed).
const bool kUseCustomQmm = std::getenv("POCKET_DISABLE_QMM") == nullptr;
} // namespace

ComputeType::operator mx::Dtype() const { return compute_dtype(); }

mx::array Linear::operator()(const mx::array& x) const {
  // Quantized layers use our multi-threaded AVX2 kernel (MLX's CPU qmm is
  // single-threaded); pocket_qmm falls back to mx::quantized_matmul itself
  // (GPU, graph path).
  std::optional<std::pair<mx::array, mx::array>> half;
  if (scales16) half.emplace(*scales16, *biases16);
  auto y = bits && biases && kUseCustomQmm ? pocket_qmm(x, *weight, *scales, *biases, group, bits, {}, half, zero128)
           : bits         ? mx::quantized_matmul(x, *weight, *scales, biases, true, group, bits, mode)
                          : mx::matmul(x, mx::transpose(*weight));
  if (bias) y = mx::add(y, *bias);
  return y;
}

mx::array Embedding::operator()(const mx::array& ids) const {
  if (!table.bits) return mx::take(*table.weight, ids, 0);
  auto w = mx::take(*table.weight, ids, 0);
  auto s = mx::take(*table.scales, ids, 0);
  std::optional<mx::array> b;
  if (table.biases) b = mx::take(*table.biases, ids, 0);
  // The model's activation dtype, recorded when it loaded.
  return mx::dequantize(w, s, b, table.group, table.bits, table.mode, std::nullopt, table.dtype);
}

void add_half_copies(Linear& l) {
  // Only the custom CPU kernels read them.
  if (!l.bits || !l.scales || !l.biases || graph_path()) return;
  auto s16 = mx::astype(*l.scales, mx::float16), b16 = mx::astype(*l.biases, mx::float16);
  auto exact = mx::logical_and(mx::array_equal(mx::astype(s16, mx::float32), *l.scales),
                               mx::array_equal(mx::astype(b16, mx::float32), *l.biases));
  mx::eval({s16, b16, exact});
  if (!exact.item<bool>()) return;
  l.scales16 = s16;
  l.biases16 = b16;
  if (l.bits == 8) {
    auto z = mx::array_equal(*l.biases, mx::multiply(*l.scales, mx::array(-128.0f)));
    l.zero128 = z.item<bool>();
  }
}

mx::array take_weight(WeightMap& w, const std::string& name) {
  auto it = w.find(name);
  if (it == w.end()) throw load_error("missing tensor " + name);
  auto a = it->second;
  mx::Dtype dtype = compute_dtype();
  if (mx::issubdtype(a.dtype(), mx::floating) && a.dtype() != dtype) return mx::astype(a, dtype);
  return to_device(a);
}

std::optional<mx::array> take_optional(WeightMap& w, const std::string& name) {
  if (!w.count(name)) return std::nullopt;
  return take_weight(w, name);
}

Linear load_linear(WeightMap& w, const std::string& prefix, int group, bool required) {
  Linear l;
  l.dtype = compute_dtype();
  if (!w.count(prefix + ".weight")) {
    if (required) throw load_error("missing tensor " + prefix + ".weight");
    return l;
  }
  auto weight = w.at(prefix + ".weight");
  l.bias = take_optional(w, prefix + ".bias");
  if (w.count(prefix + ".scales")) {
    if (weight.dtype() != mx::uint32 || weight.ndim() != 2)
      throw load_error("quantized tensor " + prefix + " has an unexpected layout");
    l.weight = to_device(weight);
    l.scales = take_weight(w, prefix + ".scales");
    l.biases = take_optional(w, prefix + ".biases");
    l.group = group > 0 ? group : 32;
    int in_features = l.scales->shape(-1) * l.group;
    int packed = weight.shape(-1) * 32;
    if (in_features <= 0 || packed % in_features != 0)
      throw load_error("quantized tensor " + prefix + " has inconsistent scales");
    l.bits = packed / in_features;
    if (l.scales->dtype() == mx::uint8) {
      l.mode = "mxfp4";
      if (l.bits != 4 || l.group != 32 || l.biases)
        throw load_error("mxfp4 tensor " + prefix + " has an unexpected layout");
    }
    if (l.bits != 2 && l.bits != 3 && l.bits != 4 && l.bits != 5 && l.bits != 6 && l.bits != 8)
      throw unsupported("quantized tensor " + prefix + " has " + std::to_string(l.bits) + " bits");
  } else {
    if (!mx::issubdtype(weight.dtype(), mx::floating))
      throw unsupported("tensor " + prefix + ".weight has a non-float dtype");
    l.weight = take_weight(w, prefix + ".weight");
    if (l.weight->ndim() != 2) throw load_error("tensor " + prefix + ".weight is not a matrix");
  }
  return l;
}

} // namespace pocket
