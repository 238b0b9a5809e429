#include "bert.h"

#include <cmath>

#include "dense.h"
#include "errors.h"

namespace pocket {
namespace {

// erf by Abramowitz & Stegun 7.1.28, 1 - (1 + a1 x + ... + a6 x^6)^-16
// (|error| < 3e-7): only multiplies and adds, because MLX's CPU erf and
// exp are scalar and dominated the encoder's run time.
mx::array erf_fast(const mx::array& x) {
  auto a = mx::abs(x);
  auto p = mx::array(0.0000430638f);
  for (float c : {0.0002765672f, 0.0001520143f, 0.0092705272f, 0.0422820123f, 0.0705230784f})
    p = mx::add(mx::array(c), mx::multiply(a, p));
  p = mx::add(mx::array(1.0f), mx::multiply(a, p));
  for (int i = 0; i < 4; ++i) p = mx::square(p);  // ^16
  return mx::multiply(mx::sign(x), mx::subtract(mx::array(1.0f), mx::reciprocal(p)));
}

} // namespace

mx::array activation(const mx::array& x, const std::string& name) {
  if (name == "gelu") {
    // Exact GELU: x * (1 + erf(x / sqrt 2)) / 2.
    return mx::multiply(mx::multiply(x, mx::array(0.5f)),
                        mx::add(mx::array(1.0f), erf_fast(mx::multiply(x, mx::array(float(M_SQRT1_2))))));
  }
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast" ||
      name == "gelu_approx") {
    const float c = std::sqrt(2.0f / float(M_PI));
    auto inner = mx::multiply(mx::array(c), mx::add(x, mx::multiply(mx::array(0.044715f), mx::power(x, mx::array(3.0f)))));
    return mx::multiply(mx::multiply(x, mx::array(0.5f)), mx::add(mx::array(1.0f), mx::tanh(inner)));
  }
  if (name == "quick_gelu") return mx::multiply(x, mx::sigmoid(mx::multiply(x, mx::array(1.702f))));
  if (name == "relu") return mx::maximum(x, mx::array(0.0f));
  if (name == "silu" || name == "swish") return mx::multiply(x, mx::sigmoid(x));
  throw unsupported("activation '" + name + "' is not supported");
}

BertModel::BertModel(BertConfig cfg, WeightMap& w)
    : cfg_(std::move(cfg)),
      word_(mx::array(0.0f)),
      position_(mx::array(0.0f)),
      token_type_(mx::array(0.0f)),
      embed_norm_{mx::array(0.0f), mx::array(0.0f), 0.0f} {
  auto& c = cfg_;
  if (c.hidden_size <= 0 || c.num_layers <= 0 || c.num_heads <= 0 || c.hidden_size % c.num_heads != 0)
    throw load_error("inconsistent encoder configuration");
  activation(mx::array(0.0f), c.hidden_act);  // reject unknown activations at load
  // Strip the "bert." prefix of task-head exports so one naming serves both.
  WeightMap bare;
  for (auto& [k, a] : w) bare.insert_or_assign(k.rfind("bert.", 0) == 0 ? k.substr(5) : k, a);
  auto norm = [&](const std::string& p) {
    return LayerNorm{take_weight(bare, p + ".weight"), take_weight(bare, p + ".bias"), c.layer_norm_eps};
  };
  word_ = take_weight(bare, "embeddings.word_embeddings.weight");
  position_ = take_weight(bare, "embeddings.position_embeddings.weight");
  auto tt = take_optional(bare, "embeddings.token_type_embeddings.weight");
  token_type_ = tt ? *tt : mx::zeros({1, c.hidden_size}, kComputeType);
  embed_norm_ = norm("embeddings.LayerNorm");
  if (word_.ndim() != 2 || word_.shape(1) != c.hidden_size || position_.ndim() != 2 ||
      position_.shape(1) != c.hidden_size)
    throw load_error("embedding tables do not match hidden_size");
  c.vocab_size = word_.shape(0);
  c.max_positions = position_.shape(0);
  for (int i = 0; i < c.num_layers; ++i) {
    auto p = "encoder.layer." + std::to_string(i) + ".";
    BertLayer l{
        load_linear(bare, p + "attention.self.query", 0),
        load_linear(bare, p + "attention.self.key", 0),
        load_linear(bare, p + "attention.self.value", 0),
        load_linear(bare, p + "attention.output.dense", 0),
        norm(p + "attention.output.LayerNorm"),
        load_linear(bare, p + "intermediate.dense", 0),
        load_linear(bare, p + "output.dense", 0),
        norm(p + "output.LayerNorm"),
    };
    if (l.q.out_features() != c.hidden_size || l.intermediate.out_features() != c.intermediate_size)
      throw load_error("encoder layer " + std::to_string(i) + " shapes do not match the configuration");
    layers_.push_back(std::move(l));
  }
  std::vector<mx::array> params{word_, position_, token_type_};
  mx::eval(params);
  for (auto& l : layers_) {
    std::vector<mx::array> p;
    for (auto* x : {&l.q, &l.k, &l.v, &l.attn_out, &l.intermediate, &l.output})
      for (auto* a : {&x->weight, &x->scales, &x->biases, &x->bias})
        if (*a) p.push_back(**a);
    mx::eval(p);
  }
}

size_t BertModel::nbytes() const {
  size_t n = word_.nbytes() + position_.nbytes() + token_type_.nbytes();
  for (auto& l : layers_)
    for (auto* x : {&l.q, &l.k, &l.v, &l.attn_out, &l.intermediate, &l.output})
      for (auto* a : {&x->weight, &x->scales, &x->biases, &x->bias})
        if (*a) n += (*a)->nbytes();
  return n;
}

mx::array BertModel::attention(const BertLayer& l, const mx::array& x, const mx::array& bias) const {
  int B = x.shape(0), L = x.shape(1), H = cfg_.num_heads, D = cfg_.hidden_size / H;
  auto split = [&](const mx::array& t) { return mx::transpose(mx::reshape(t, {B, L, H, D}), {0, 2, 1, 3}); };
  auto o = encoder_attention(split(dense(l.q, x)), split(dense(l.k, x)), split(dense(l.v, x)),
                             1.0f / std::sqrt(float(D)), bias);
  return dense(l.attn_out, mx::reshape(mx::transpose(o, {0, 2, 1, 3}), {B, L, cfg_.hidden_size}));
}

mx::array BertModel::forward(const mx::array& ids, const mx::array& mask) const {
  if (ids.ndim() != 2 || mask.shape() != ids.shape()) throw invalid_arg("inputIds: expected [batch, seqLen]");
  int L = ids.shape(1);
  if (L > cfg_.max_positions)
    throw invalid_arg("inputIds: " + std::to_string(L) + " tokens exceed the model's " +
                      std::to_string(cfg_.max_positions) + " positions");
  auto positions = mx::slice(position_, {0, 0}, {L, cfg_.hidden_size});
  auto h = mx::add(mx::add(mx::take(word_, ids, 0), positions), mx::slice(token_type_, {0, 0}, {1, cfg_.hidden_size}));
  h = embed_norm_(h);
  // Additive key mask [B, 1, 1, L]: padded keys get a large negative score.
  auto bias = mx::multiply(mx::subtract(mx::array(1.0f), mx::astype(mask, kComputeType)), mx::array(-1e9f));
  bias = mx::expand_dims(bias, {1, 2});
  for (auto& l : layers_) {
    h = l.attn_norm(mx::add(h, attention(l, h, bias)));
    h = l.out_norm(mx::add(h, dense(l.output, activation(dense(l.intermediate, h), cfg_.hidden_act))));
  }
  return h;
}

mx::array pool_tokens(const mx::array& states, const mx::array& mask, const std::string& mode, bool normalize) {
  auto m = mx::expand_dims(mx::astype(mask, states.dtype()), -1);  // [B, L, 1]
  auto count = mx::maximum(mx::sum(m, 1), mx::array(1e-9f));      // [B, 1]
  mx::array pooled = states;
  if (mode == "mean") {
    pooled = mx::divide(mx::sum(mx::multiply(states, m), 1), count);
  } else if (mode == "mean_sqrt_len") {
    pooled = mx::divide(mx::sum(mx::multiply(states, m), 1), mx::sqrt(count));
  } else if (mode == "cls") {
    pooled = mx::squeeze(mx::slice(states, {0, 0, 0}, {states.shape(0), 1, states.shape(2)}), 1);
  } else if (mode == "max") {
    pooled = mx::max(mx::where(mx::astype(m, mx::bool_), states, mx::array(-1e9f)), 1);
  } else {
    throw invalid_arg("pooling: must be mean, cls, max or mean_sqrt_len");
  }
  if (normalize) {
    auto norm = mx::sqrt(mx::sum(mx::square(pooled), -1, true));
    pooled = mx::divide(pooled, mx::maximum(norm, mx::array(1e-12f)));
  }
  return pooled;
}

} // namespace pocket
