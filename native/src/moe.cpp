#include "moe.h"

#include <functional>

#include "errors.h"
#include "fused.h"
#include "moe_qmm.h"

namespace pocket {
namespace {

// mlx-lm sorts rows by expert from this many (row, expert) pairs on: each
// expert's weights are then read once per step instead of once per row.
constexpr size_t kSortThreshold = 64;

ExpertLinear load_experts(WeightMap& w, const std::string& prefix, int group) {
  auto it = w.find(prefix + ".weight");
  if (it == w.end()) throw load_error("missing tensor " + prefix + ".weight");
  ExpertLinear l;
  auto weight = it->second;
  if (weight.ndim() != 3) throw load_error("expert tensor " + prefix + ".weight is not [experts, out, in]");
  if (w.count(prefix + ".scales")) {
    if (weight.dtype() != mx::uint32) throw load_error("quantized expert tensor " + prefix + " is not packed uint32");
    l.weight = weight;
    l.scales = w.at(prefix + ".scales");
    if (l.scales->dtype() != mx::uint8) l.scales = take_weight(w, prefix + ".scales");
    l.biases = take_optional(w, prefix + ".biases");
    l.group = group > 0 ? group : 32;
    if (l.scales->ndim() != 3 || l.scales->shape(0) != weight.shape(0) || l.scales->shape(1) != weight.shape(1))
      throw load_error("quantized expert tensor " + prefix + " has inconsistent scales");
    int in_features = l.scales->shape(-1) * l.group;
    int packed = weight.shape(-1) * 32;
    if (in_features <= 0 || packed % in_features != 0)
      throw load_error("quantized expert tensor " + prefix + " has inconsistent scales");
    l.bits = packed / in_features;
    if (l.scales->dtype() == mx::uint8) {
      l.mode = "mxfp4";
      if (l.bits != 4 || l.group != 32 || l.biases)
        throw load_error("mxfp4 expert tensor " + prefix + " has an unexpected layout");
    } else if (!l.biases) {
      throw load_error("affine expert tensor " + prefix + " has no biases");
    }
    if (l.bits != 2 && l.bits != 3 && l.bits != 4 && l.bits != 5 && l.bits != 6 && l.bits != 8)
      throw unsupported("quantized expert tensor " + prefix + " has " + std::to_string(l.bits) + " bits");
  } else {
    if (!mx::issubdtype(weight.dtype(), mx::floating))
      throw unsupported("expert tensor " + prefix + ".weight has a non-float dtype");
    l.weight = take_weight(w, prefix + ".weight");
  }
  l.bias = take_optional(w, prefix + ".bias");
  if (l.bias && (l.bias->ndim() != 2 || l.bias->shape(0) != l.num_experts() || l.bias->shape(1) != l.out_features()))
    throw load_error("expert bias " + prefix + ".bias is not [experts, out]");
  return l;
}

void expect_shape(const ExpertLinear& l, const std::string& name, int experts, int out, int in) {
  if (l.num_experts() != experts || l.out_features() != out || l.in_features() != in)
    throw load_error("expert tensor " + name + " is [" + std::to_string(l.num_experts()) + ", " +
                     std::to_string(l.out_features()) + ", " + std::to_string(l.in_features()) + "], expected [" +
                     std::to_string(experts) + ", " + std::to_string(out) + ", " + std::to_string(in) + "]");
}

mx::array activation(const MoeConfig& c, const mx::array& g, const mx::array& u) {
  if (c.activation == MoeConfig::Activation::silu) return pocket_swiglu(g, u);
  // gpt-oss: the gate is clamped from above, the linear part both ways.
  auto t = g.dtype();  // constants in g's dtype keep a half-precision graph half
  auto limit = mx::array(c.swiglu_limit, t);
  auto gc = mx::minimum(g, limit);
  auto uc = mx::clip(u, mx::array(-c.swiglu_limit, t), limit);
  auto glu = mx::multiply(gc, mx::sigmoid(mx::multiply(gc, mx::array(c.swiglu_alpha, t))));
  return mx::multiply(glu, mx::add(uc, mx::array(1.0f, t)));
}

// Stacks "<expert(e)>.<suffix>" for e < E into "<dst>.<suffix>" (removing
// the per-expert tensors), for each suffix present on expert 0.
void stack_experts(WeightMap& w, const std::function<std::string(int)>& expert, int E, const std::string& dst) {
  for (const char* suffix : {".weight", ".scales", ".biases", ".bias"}) {
    if (!w.count(expert(0) + suffix)) continue;
    std::vector<mx::array> parts;
    for (int e = 0; e < E; ++e) {
      auto it = w.find(expert(e) + suffix);
      if (it == w.end()) throw load_error("missing tensor " + expert(e) + suffix);
      parts.push_back(it->second);
      w.erase(it);
    }
    w.insert_or_assign(dst + suffix, mx::stack(parts, 0));
  }
}

// transformers' gpt-oss experts: gate_up_proj [E, in, 2F] (x @ W, gate and
// up interleaved along the last axis) + gate_up_proj_bias [E, 2F], down_proj
// [E, F, out]; or the original MXFP4 release: *_blocks [E, rows, in / 32, 16]
// uint8 and *_scales [E, rows, in / 32] (e8m0), rows interleaved the same
// way. Rewritten into [E, out, in] tensors under `names`.
void split_gpt_oss_experts(WeightMap& w, const std::string& b, const MoeNames& names) {
  auto take = [&](const std::string& name) {
    auto it = w.find(name);
    if (it == w.end()) throw load_error("missing tensor " + name);
    auto a = it->second;
    w.erase(it);
    return a;
  };
  auto rows = [](const mx::array& a, int axis, int first) {  // every other index along axis
    mx::Shape start(a.ndim(), 0), stop = a.shape(), strides(a.ndim(), 1);
    start[axis] = first;
    strides[axis] = 2;
    return mx::contiguous(mx::slice(a, start, stop, strides));
  };
  if (w.count(b + "gate_up_proj_blocks")) {
    auto packed = [](const mx::array& blocks) {  // 32 fp4 values per 16 bytes
      if (blocks.ndim() != 4 || blocks.dtype() != mx::uint8) throw load_error("gpt-oss MXFP4 blocks are not [E, rows, groups, 16] uint8");
      return mx::reshape(mx::view(mx::contiguous(blocks), mx::uint32), {blocks.shape(0), blocks.shape(1), -1});
    };
    auto gu = packed(take(b + "gate_up_proj_blocks")), gus = take(b + "gate_up_proj_scales");
    w.insert_or_assign(names.gate + ".weight", rows(gu, 1, 0));
    w.insert_or_assign(names.gate + ".scales", rows(gus, 1, 0));
    w.insert_or_assign(names.up + ".weight", rows(gu, 1, 1));
    w.insert_or_assign(names.up + ".scales", rows(gus, 1, 1));
    w.insert_or_assign(names.down + ".weight", packed(take(b + "down_proj_blocks")));
    w.insert_or_assign(names.down + ".scales", take(b + "down_proj_scales"));
  } else {
    auto gu = take(b + "gate_up_proj");
    if (gu.ndim() != 3) throw load_error("gpt-oss gate_up_proj is not [experts, in, 2 * ff]");
    w.insert_or_assign(names.gate + ".weight", mx::swapaxes(rows(gu, 2, 0), 1, 2));
    w.insert_or_assign(names.up + ".weight", mx::swapaxes(rows(gu, 2, 1), 1, 2));
    w.insert_or_assign(names.down + ".weight", mx::swapaxes(take(b + "down_proj"), 1, 2));
  }
  if (w.count(b + "gate_up_proj_bias")) {
    auto bias = take(b + "gate_up_proj_bias");
    w.insert_or_assign(names.gate + ".bias", rows(bias, 1, 0));
    w.insert_or_assign(names.up + ".bias", rows(bias, 1, 1));
  }
  if (w.count(b + "down_proj_bias")) w.insert_or_assign(names.down + ".bias", take(b + "down_proj_bias"));
}

}  // namespace

MoeNames gguf_moe_names(WeightMap& w, int layer, int E) {
  auto b = "blk." + std::to_string(layer) + ".";
  MoeNames names{b + "ffn_gate_inp", b + "ffn_gate_exps", b + "ffn_up_exps", b + "ffn_down_exps"};
  // Early Mixtral files: one tensor per expert, blk.N.ffn_gate.E.weight.
  const char* parts[3] = {"ffn_gate", "ffn_up", "ffn_down"};
  const std::string* dst[3] = {&names.gate, &names.up, &names.down};
  for (int p = 0; p < 3; ++p)
    if (!w.count(*dst[p] + ".weight"))
      stack_experts(w, [&](int e) { return b + parts[p] + "." + std::to_string(e); }, E, *dst[p]);
  return names;
}

MoeNames hf_moe_names(WeightMap& w, const std::string& layer, const std::string& arch, int E) {
  if (arch == "gpt_oss") {
    auto b = layer + "mlp.";
    MoeNames names{b + "router", b + "experts.gate_proj", b + "experts.up_proj", b + "experts.down_proj"};
    if (!w.count(names.gate + ".weight")) split_gpt_oss_experts(w, b + "experts.", names);
    return names;
  }
  bool mixtral = arch == "mixtral";
  auto b = layer + (mixtral ? "block_sparse_moe." : "mlp.");
  MoeNames names{b + "gate", b + "switch_mlp.gate_proj", b + "switch_mlp.up_proj", b + "switch_mlp.down_proj"};
  const char* hf[3][2] = {{"w1", "gate_proj"}, {"w3", "up_proj"}, {"w2", "down_proj"}};
  const std::string* dst[3] = {&names.gate, &names.up, &names.down};
  for (int p = 0; p < 3; ++p) {
    if (w.count(*dst[p] + ".weight")) continue;
    auto name = hf[p][mixtral ? 0 : 1];
    stack_experts(w, [&](int e) { return b + "experts." + std::to_string(e) + "." + name; }, E, *dst[p]);
  }
  return names;
}

void check_moe_config(const MoeConfig& c) {
  if (c.num_experts <= 0) throw load_error("MoE model has no experts (expert_count = " + std::to_string(c.num_experts) + ")");
  if (c.experts_per_token <= 0 || c.experts_per_token > c.num_experts)
    throw load_error("MoE expert_used_count = " + std::to_string(c.experts_per_token) +
                     " must be between 1 and expert_count = " + std::to_string(c.num_experts));
  if (c.intermediate_size <= 0) throw load_error("MoE expert feed-forward length is missing");
}

mx::array ExpertLinear::operator()(const mx::array& x, const mx::array& indices) const {
  int R = x.shape(0), k = indices.shape(1), K = x.shape(1);
  mx::array y = mx::array(0.0f);
  if (bits && moe_qmm_supported(weight, *scales, biases, group, bits, mode)) {
    y = pocket_gather_qmm(x, weight, *scales, *biases, indices, group, bits);
  } else {
    auto gather = [&](const mx::array& xs, const mx::array& idx, bool sorted) {
      return bits ? mx::gather_qmm(xs, weight, *scales, biases, std::nullopt, idx, true, group, bits, mode,
                                   std::nullopt, sorted)
                  : mx::gather_mm(xs, mx::swapaxes(weight, -1, -2), std::nullopt, idx, sorted);
    };
    if (size_t(R) * k >= kSortThreshold) {
      // Sort the (row, expert) pairs by expert so each expert's weights are
      // read once, then put the results back in pair order.
      auto flat = mx::flatten(indices);
      auto order = mx::argsort(flat);
      auto rows = mx::floor_divide(order, mx::array(uint32_t(k)));
      auto out = gather(mx::take(mx::expand_dims(x, 1), rows, 0), mx::take(flat, order, 0), true);  // [P, 1, N]
      y = mx::reshape(mx::take(out, mx::argsort(order), 0), {R, k, -1});
    } else {
      y = mx::squeeze(gather(mx::reshape(x, {R, 1, 1, K}), indices, false), -2);  // [R, k, N]
    }
  }
  if (bias) y = mx::add(y, mx::take(*bias, indices, 0));
  return y;
}

std::pair<mx::array, mx::array> SparseMoe::route(const mx::array& x) const {
  int k = cfg.experts_per_token;
  auto logits = mx::astype(router(x), mx::float32);  // [T, E]
  auto top = [&](const mx::array& v) {
    // The k largest, in no particular order (their sum is all that matters).
    return mx::slice(mx::argpartition(mx::negative(v), k - 1, -1), {0, 0}, {v.shape(0), k});
  };
  mx::array inds = mx::array(0), weights = mx::array(0.0f);
  if (cfg.gating == MoeConfig::Gating::topk_softmax) {
    inds = top(logits);
    weights = mx::softmax(mx::take_along_axis(logits, inds, -1), {-1}, true);
  } else {
    auto probs = mx::softmax(logits, {-1}, true);
    inds = top(probs);
    weights = mx::take_along_axis(probs, inds, -1);
    if (cfg.norm_topk_prob) weights = mx::divide(weights, mx::sum(weights, -1, true));
  }
  if (cfg.weights_scale != 1.0f) weights = mx::multiply(weights, mx::array(cfg.weights_scale));
  return {weights, mx::astype(inds, mx::uint32)};
}

mx::array SparseMoe::operator()(const mx::array& input) const {
  auto shape = input.shape();
  int D = shape.back();
  auto x = mx::reshape(input, {-1, D});  // [T, D]
  int T = x.shape(0), k = cfg.experts_per_token;
  auto [weights, inds] = route(x);
  auto h = activation(cfg, gate(x, inds), up(x, inds));  // [T, k, F]
  // Each (row, expert) pair's hidden row goes through its own expert's down.
  auto y = down(mx::reshape(h, {T * k, -1}), mx::reshape(inds, {T * k, 1}));  // [T * k, 1, D]
  y = mx::sum(mx::multiply(mx::reshape(y, {T, k, D}), mx::expand_dims(weights, -1)), -2);
  return mx::reshape(mx::astype(y, input.dtype()), shape);
}

void SparseMoe::append_parameters(std::vector<mx::array>& out) const {
  for (auto* a : {&router.weight, &router.scales, &router.biases, &router.bias})
    if (*a) out.push_back(**a);
  for (auto* e : {&gate, &up, &down}) {
    out.push_back(e->weight);
    for (auto* a : {&e->scales, &e->biases, &e->bias})
      if (*a) out.push_back(**a);
  }
}

SparseMoe load_moe(WeightMap& w, const MoeNames& names, const MoeConfig& cfg, int hidden, int group) {
  check_moe_config(cfg);
  SparseMoe m;
  m.cfg = cfg;
  m.router = load_linear(w, names.router, group);
  if (m.router.out_features() != cfg.num_experts)
    throw load_error("router " + names.router + " has " + std::to_string(m.router.out_features()) +
                     " outputs for expert_count = " + std::to_string(cfg.num_experts));
  m.gate = load_experts(w, names.gate, group);
  m.up = load_experts(w, names.up, group);
  m.down = load_experts(w, names.down, group);
  int E = cfg.num_experts, F = cfg.intermediate_size;
  expect_shape(m.gate, names.gate, E, F, hidden);
  expect_shape(m.up, names.up, E, F, hidden);
  expect_shape(m.down, names.down, E, hidden, F);
  return m;
}

}  // namespace pocket
