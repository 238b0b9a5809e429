// Decoder attention: projections, q/k norms, per-layer rope, the KV cache,
// and the attention itself. The common case (no soft-capping, no window
// cutting into a prompt chunk) runs pocket_sdpa / pocket_segment_sdpa on the
// keys the window allows; soft-capping (Gemma 2) and a window narrower than
// a prompt chunk's span (Gemma 2/3, Mistral) take an explicit masked softmax.
// Attention sinks (gpt-oss: a learned per-head logit that joins every
// softmax denominator) go through MLX's own sdpa, which takes them, or join
// the masked softmax as an extra column.
#include <cmath>

#include "decoder.h"
#include "fused.h"
#include "sdpa.h"
#include "segment_sdpa.h"

namespace pocket {
namespace {

struct Keys {
  mx::array k, v;
  int start;  // position of row 0
};

// Drops keys no query of the chunk at q_pos (L rows) can see through `window`.
Keys visible(Keys kv, int q_pos, int window) {
  int first = q_pos - window + 1;
  if (window <= 0 || first <= kv.start) return kv;
  auto cut = [&](const mx::array& a) {
    return mx::slice(a, {0, 0, first - kv.start, 0}, {a.shape(0), a.shape(1), a.shape(2), a.shape(3)});
  };
  return {cut(kv.k), cut(kv.v), first};
}

// Whether the causal kernel alone computes this chunk's attention.
bool plain(const Keys& kv, int q_pos, int L, int window, float softcap) {
  return softcap == 0 && (window <= 0 || (q_pos + L - 1) - kv.start < window);
}

// q [1, Hq, L, D] at positions q_pos..; keys/values from kv.start. Masked
// softmax: causal, within the window, scores soft-capped, sinks [Hq] as one
// more logit per row that takes probability but has no value. [1, Hq, L, D].
mx::array masked_attention(const mx::array& q, const Keys& kv, int q_pos, float scale, int window, float softcap,
                           const std::optional<mx::array>& sinks) {
  int Hq = q.shape(1), L = q.shape(2), D = q.shape(3), Hkv = kv.k.shape(1), S = kv.k.shape(2);
  auto qg = mx::reshape(mx::multiply(q, mx::array(scale, q.dtype())), {1, Hkv, Hq / Hkv, L, D});
  auto scores = mx::matmul(qg, mx::swapaxes(mx::expand_dims(kv.k, 2), -1, -2));  // [1, Hkv, rep, L, S]
  if (softcap > 0) {
    auto cap = mx::array(softcap, scores.dtype());
    scores = mx::multiply(mx::tanh(mx::divide(scores, cap)), cap);
  }
  auto qp = mx::reshape(mx::arange(q_pos, q_pos + L, mx::int32), {L, 1});
  auto kp = mx::reshape(mx::arange(kv.start, kv.start + S, mx::int32), {1, S});
  auto mask = mx::less_equal(kp, qp);
  if (window > 0) mask = mx::logical_and(mask, mx::greater(kp, mx::subtract(qp, mx::array(window))));
  scores = mx::where(mask, scores, mx::array(-INFINITY, scores.dtype()));
  if (sinks) {
    auto sink = mx::broadcast_to(mx::reshape(*sinks, {1, Hkv, Hq / Hkv, 1, 1}), {1, Hkv, Hq / Hkv, L, 1});
    auto probs = mx::softmax(mx::concatenate({sink, scores}, -1), -1, true);
    auto o = mx::matmul(mx::slice(probs, {0, 0, 0, 0, 1}, probs.shape()), mx::expand_dims(kv.v, 2));
    return mx::reshape(o, {1, Hq, L, D});
  }
  auto probs = mx::softmax(scores, -1, true);
  auto o = mx::matmul(probs, mx::expand_dims(kv.v, 2));  // [1, Hkv, rep, L, D]
  return mx::reshape(o, {1, Hq, L, D});
}

// Llama 4 / Mistral 3 attention temperature, one factor per query row
// ([1, 1, T, 1] for q [1, H, T, D]), as llama.cpp computes it.
mx::array temperature(const DecoderConfig& c, const std::vector<int32_t>& positions) {
  std::vector<float> f(positions.size());
  for (size_t i = 0; i < positions.size(); ++i)
    f[i] = std::log(std::floor((positions[i] + c.attn_temp_offset) / c.attn_temp_floor) + 1.0f) * c.attn_temp_scale +
           1.0f;
  return mx::array(f.data(), {1, 1, int(f.size()), 1}, mx::float32);
}

mx::array attend(const mx::array& q, const Keys& kv, int q_pos, float scale, int window, float softcap,
                 const std::optional<mx::array>& sinks) {
  bool causal_only = plain(kv, q_pos, q.shape(2), window, softcap);
  if (causal_only && sinks)
    return mx::fast::scaled_dot_product_attention(q, kv.k, kv.v, scale, q.shape(2) > 1 ? "causal" : "", {}, sinks);
  if (causal_only) return pocket_sdpa(q, kv.k, kv.v, scale, q.shape(2) > 1);
  return masked_attention(q, kv, q_pos, scale, window, softcap, sinks);
}

}  // namespace

mx::array Decoder::attention(const DecoderLayer& l, const mx::array& x, const std::vector<Segment>& segs,
                             int layer) const {
  auto& c = cfg_;
  int T = x.shape(1);
  auto q = l.q(x), k = l.k(x), v = l.v(x);
  if (l.q_norm && c.qk_norm_full) {  // OLMo 2: over the whole projection
    q = norm(q, *l.q_norm);
    k = norm(k, *l.k_norm);
  }
  q = mx::reshape(q, {1, T, c.num_heads, c.head_dim});
  k = mx::reshape(k, {1, T, c.num_kv_heads, c.head_dim});
  v = mx::reshape(v, {1, T, c.num_kv_heads, c.head_dim});
  if (l.q_norm && !c.qk_norm_full) {  // per head (Qwen3, Gemma 3)
    q = norm(q, *l.q_norm);
    k = norm(k, *l.k_norm);
  }
  const Rope* rope = layer_rope_[layer] >= 0 ? &ropes_[layer_rope_[layer]] : nullptr;
  float scale = c.attn_scale > 0 ? c.attn_scale : 1.0f / std::sqrt(float(c.head_dim));
  if (rope) scale *= rope->attn_factor * rope->attn_factor;
  int window = c.window(layer);
  float softcap = c.attn_softcap;
  q = mx::transpose(q, {0, 2, 1, 3});  // [1, heads, T, head_dim]
  k = mx::transpose(k, {0, 2, 1, 3});
  v = mx::transpose(v, {0, 2, 1, 3});
  auto out = [&](const mx::array& o) {  // [1, Hq, T, D] -> o_proj
    return l.o(mx::reshape(mx::transpose(o, {0, 2, 1, 3}), {1, T, c.num_heads * c.head_dim}));
  };
  if (segs.size() == 1) {
    auto& cache = *segs[0].cache;
    int offset = cache.offset();
    if (rope) {
      q = pocket_rope(q, rope->dims, rope->traditional, rope->base, rope->scale, offset, rope->freqs);
      k = pocket_rope(k, rope->dims, rope->traditional, rope->base, rope->scale, offset, rope->freqs);
    }
    if (c.attn_temp_scale != 0) {
      std::vector<int32_t> positions(T);
      for (int i = 0; i < T; ++i) positions[i] = offset + i;
      q = mx::multiply(q, temperature(c, positions));
    }
    auto [keys, values] = cache.update(layer, k, v);
    return out(
        attend(q, visible({keys, values, cache.start(layer)}, offset, window), offset, scale, window, softcap, l.sinks));
  }
  // Several sequences: rope at each row's own position, then each sequence's
  // rows go into its cache and attend to it (one primitive for all when the
  // plain kernel applies to every sequence).
  std::vector<int32_t> positions;
  std::vector<int> lengths, offsets;
  for (auto& s : segs) {
    int L = s.h.shape(1), offset = s.cache->offset();
    lengths.push_back(L);
    offsets.push_back(offset);
    for (int i = 0; i < L; ++i) positions.push_back(offset + i);
  }
  if (c.attn_temp_scale != 0) q = mx::multiply(q, temperature(c, positions));  // rope is linear: order is free
  if (rope) {
    q = pocket_rope_positions(q, rope->dims, rope->traditional, rope->base, rope->scale, positions, rope->freqs);
    k = pocket_rope_positions(k, rope->dims, rope->traditional, rope->base, rope->scale, std::move(positions),
                              rope->freqs);
  }
  std::vector<Keys> seq_keys;
  bool all_plain = !l.sinks;
  int start = 0;
  for (size_t i = 0; i < segs.size(); ++i) {
    int L = lengths[i];
    auto rows = [&](const mx::array& a) {
      return mx::slice(a, {0, 0, start, 0}, {1, a.shape(1), start + L, a.shape(3)});
    };
    auto [keys, values] = segs[i].cache->update(layer, rows(k), rows(v));
    seq_keys.push_back(visible({keys, values, segs[i].cache->start(layer)}, offsets[i], window));
    all_plain = all_plain && plain(seq_keys.back(), offsets[i], L, window, softcap);
    start += L;
  }
  if (all_plain) {
    std::vector<mx::array> kvs;
    for (auto& kv : seq_keys) {
      kvs.push_back(kv.k);
      kvs.push_back(kv.v);
    }
    return l.o(pocket_segment_sdpa(q, kvs, std::move(lengths), scale));
  }
  std::vector<mx::array> parts;
  start = 0;
  for (size_t i = 0; i < segs.size(); ++i) {
    int L = lengths[i];
    auto qi = mx::slice(q, {0, 0, start, 0}, {1, q.shape(1), start + L, q.shape(3)});
    parts.push_back(attend(qi, seq_keys[i], offsets[i], scale, window, softcap, l.sinks));
    start += L;
  }
  return out(mx::concatenate(parts, 2));
}

}  // namespace pocket
