#include "gated_delta.h"

#include <cmath>
#include <string>

#include "errors.h"
#include "fused.h"

namespace pocket {
namespace {

mx::array l2norm(const mx::array& x, float eps) {
  auto ss = mx::sum(mx::square(x), -1, true);
  return mx::multiply(x, mx::rsqrt(mx::add(ss, mx::array(eps))));
}

// [1, L, Hk, D] -> [1, L, Hv, D]: value head h reads key head h % Hk (tiled)
// or h / (Hv / Hk).
mx::array to_value_heads(const mx::array& x, int hv, bool tiled) {
  int r = hv / x.shape(2);
  if (r == 1) return x;
  return tiled ? mx::tile(x, {1, 1, r, 1}) : mx::repeat(x, r, 2);
}

}  // namespace

mx::array GatedDeltaNet::operator()(const mx::array& x, KVCache& cache, int layer) const {
  const auto& c = cfg;
  int L = x.shape(1), K = c.conv_kernel;
  int Hk = c.key_heads, Hv = c.value_heads, Dk = c.key_head_dim, Dv = c.value_head_dim;
  int C = 2 * Hk * Dk + Hv * Dv;
  auto mixed = qkv(x);  // [1, L, C]
  auto gate_z = z(x);
  auto b = mx::sigmoid(beta(x));  // [1, L, Hv]
  auto sp = mx::logaddexp(mx::add(alpha(x), dt_bias), mx::array(0.0f));  // softplus
  auto g = mx::exp(mx::multiply(sp, a));                                   // decay in (0, 1]

  const auto* st = cache.recurrent(layer);
  auto conv_state = st ? (*st)[0] : mx::zeros({1, K - 1, C}, mixed.dtype());
  auto S = st ? (*st)[1] : mx::zeros({1, Hv, Dv, Dk}, mx::float32);

  // Causal depthwise conv over the previous K - 1 inputs and these L.
  auto xa = mx::concatenate({conv_state, mixed}, 1);  // [1, L + K - 1, C]
  auto tap = [&](int j) {
    return mx::multiply(mx::slice(xa, {0, j, 0}, {1, j + L, C}), mx::reshape(mx::slice(conv, {0, j}, {C, j + 1}), {C}));
  };
  auto conv_out = tap(0);
  for (int j = 1; j < K; ++j) conv_out = mx::add(conv_out, tap(j));
  auto new_conv = mx::slice(xa, {0, L, 0}, {1, L + K - 1, C});
  auto act = mx::multiply(conv_out, mx::sigmoid(conv_out));  // silu

  auto q = mx::reshape(mx::slice(act, {0, 0, 0}, {1, L, Hk * Dk}), {1, L, Hk, Dk});
  auto k = mx::reshape(mx::slice(act, {0, 0, Hk * Dk}, {1, L, 2 * Hk * Dk}), {1, L, Hk, Dk});
  auto v = mx::reshape(mx::slice(act, {0, 0, 2 * Hk * Dk}, {1, L, C}), {1, L, Hv, Dv});
  q = mx::multiply(l2norm(q, eps), mx::array(1.0f / std::sqrt(float(Dk))));
  k = l2norm(k, eps);
  q = mx::astype(to_value_heads(q, Hv, c.tiled_heads), mx::float32);
  k = mx::astype(to_value_heads(k, Hv, c.tiled_heads), mx::float32);
  v = mx::astype(v, mx::float32);
  g = mx::astype(g, mx::float32);
  b = mx::astype(b, mx::float32);

  // The recurrence, one token at a time (S is [1, Hv, Dv, Dk]).
  auto qs = mx::split(q, L, 1);
  auto ks = mx::split(k, L, 1);
  auto vs = mx::split(v, L, 1);
  auto gs = mx::split(g, L, 1);
  auto bs = mx::split(b, L, 1);
  std::vector<mx::array> outs;
  outs.reserve(L);
  for (int t = 0; t < L; ++t) {
    auto kt = mx::reshape(ks[t], {1, Hv, Dk, 1});
    S = mx::multiply(S, mx::reshape(gs[t], {1, Hv, 1, 1}));
    auto kv_mem = mx::matmul(S, kt);  // [1, Hv, Dv, 1]
    auto delta = mx::multiply(mx::subtract(mx::reshape(vs[t], {1, Hv, Dv, 1}), kv_mem),
                              mx::reshape(bs[t], {1, Hv, 1, 1}));
    S = mx::add(S, mx::matmul(delta, mx::reshape(ks[t], {1, Hv, 1, Dk})));
    outs.push_back(mx::matmul(S, mx::reshape(qs[t], {1, Hv, Dk, 1})));  // [1, Hv, Dv, 1]
  }
  auto o = mx::reshape(mx::stack(outs, 1), {1, L, Hv, Dv});
  cache.set_recurrent(layer, {new_conv, S});

  auto zg = mx::reshape(gate_z, {1, L, Hv, Dv});
  auto y = mx::multiply(pocket_rms_norm(mx::astype(o, x.dtype()), norm, eps), mx::multiply(zg, mx::sigmoid(zg)));
  return out(mx::reshape(y, {1, L, Hv * Dv}));
}

void GatedDeltaNet::append_parameters(std::vector<mx::array>& p) const {
  for (auto* l : {&qkv, &z, &beta, &alpha, &out})
    for (auto* a : {&l->weight, &l->scales, &l->biases, &l->bias})
      if (*a) p.push_back(**a);
  for (auto* x : {&conv, &dt_bias, &a, &norm}) p.push_back(*x);
}

GatedDeltaNet load_gated_delta(WeightMap& w, const DecoderConfig& c, int layer, bool gguf, int group) {
  const auto& lc = c.linear_attn;
  std::string pre = gguf ? "blk." + std::to_string(layer) + "."
                         : c.weight_prefix + "layers." + std::to_string(layer) + ".linear_attn.";
  auto n = [&](const char* g, const char* h) { return pre + (gguf ? g : h); };
  GatedDeltaNet d;
  d.cfg = lc;
  d.eps = c.rms_eps;
  d.qkv = load_linear(w, n("attn_qkv", "in_proj_qkv"), group);
  d.z = load_linear(w, n("attn_gate", "in_proj_z"), group);
  d.beta = load_linear(w, n("ssm_beta", "in_proj_b"), group);
  d.alpha = load_linear(w, n("ssm_alpha", "in_proj_a"), group);
  d.out = load_linear(w, n("ssm_out", "out_proj"), group);
  auto conv = take_weight(w, n("ssm_conv1d.weight", "conv1d.weight"));
  d.dt_bias = take_weight(w, n("ssm_dt.bias", "dt_bias"));
  d.a = take_weight(w, n("ssm_a", "A_log"));
  if (!gguf) d.a = mx::negative(mx::exp(mx::astype(d.a, mx::float32)));
  d.norm = take_weight(w, n("ssm_norm.weight", "norm.weight"));

  int C = 2 * lc.key_heads * lc.key_head_dim + lc.value_heads * lc.value_head_dim;
  int V = lc.value_heads * lc.value_head_dim;
  auto where = " in layer " + std::to_string(layer);
  // HF stores the conv weight [C, 1, K] (MLX: [C, K, 1]).
  if (conv.size() != size_t(C) * lc.conv_kernel || conv.shape(0) != C)
    throw load_error("linear-attention conv weight does not match the configuration" + where);
  d.conv = mx::astype(mx::reshape(conv, {C, lc.conv_kernel}), kComputeType);
  if (d.qkv.out_features() != C || d.z.out_features() != V || d.beta.out_features() != lc.value_heads ||
      d.alpha.out_features() != lc.value_heads || d.out.out_features() != c.hidden_size)
    throw load_error("linear-attention projection shapes do not match the configuration" + where);
  if (d.dt_bias.size() != size_t(lc.value_heads) || d.a.size() != size_t(lc.value_heads) ||
      d.norm.size() != size_t(lc.value_head_dim))
    throw load_error("linear-attention dt_bias / A / norm sizes do not match the configuration" + where);
  return d;
}

}  // namespace pocket
