#include "fused_layer.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <utility>
#include <stdexcept>

#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

#include "backend.h"
#include "fused.h"
#include "qmm.h"
#include "qmm_q8.h"
#include "sdpa.h"

namespace pocket {
namespace {

// A quantized linear layer as raw pointers for qmm::run (+ optional bias).
struct QLinear {
  const uint32_t* w;
  const float *scales, *biases, *bias;
  const uint16_t *scales16, *biases16;  // exact half copies, read when M == 1
  int64_t N, K;
  int gs, bits;
  bool has_bias, has_half;  // which optional inputs follow weight, scales, biases
  bool q8;                  // 8-bit activations when M == 1 (qmm_q8.h)
  bool zero128;             // Linear::zero128
};

struct Plan {
  int64_t T, D, Hq, Hkv, hd, I;  // T: packed rows of all sequences
  float eps, scale;
  bool qk_norm, post_norms;  // post_norms: Gemma's sandwich (norm after attention and after the MLP)
  fused::GateAct act;
  const float *attn_norm, *ffn_norm, *q_norm, *k_norm, *post_attn_norm, *post_ffn_norm;
  QLinear q, k, v, o, gate, up, down;
  std::shared_ptr<const fused::RopeTable> table;
  int dims;
  std::vector<int32_t> positions;     // per row: its position in its sequence
  std::vector<int64_t> starts, lengths, offsets;  // per sequence: rows and cache offset
  std::vector<int64_t> first;  // per sequence: the position in this layer's cache row 0
  int window;                  // this layer's attention window (0: none)
  std::vector<float*> keys, values;   // per sequence: cache buffers [Hkv, capacity, hd]
  std::vector<int64_t> capacity;
  const float* h;
  float* out;
};

void linear(const QLinear& l, const float* x, int64_t M, float* y) {
  qmm::Args a{};
  a.x = x;
  a.w = l.w;
  a.scales = l.scales;
  a.biases = l.biases;
  a.y = y;
  a.M = M;
  a.N = l.N;
  a.K = l.K;
  a.gs = l.gs;
  a.bits = l.bits;
  a.scales16 = l.scales16;
  a.biases16 = l.biases16;
  a.q8 = l.q8;
  a.zero128 = l.zero128;
  qmm::run(a);
  if (l.bias)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < l.N; ++n) y[m * l.N + n] += l.bias[n];
}

fused::View rows_view(const float* p, int64_t rows, int64_t D) {
  fused::View v{};
  v.p = p;
  v.nd = 2;
  v.shape[0] = rows;
  v.shape[1] = D;
  v.strides[0] = D;
  v.strides[1] = 1;
  return v;
}

void norm(const float* x, int64_t rows, int64_t D, const float* w, float eps, float* y) {
  fused::NormArgs a{};
  a.x = rows_view(x, rows, D);
  a.w = w;
  a.ws = 1;
  a.y = y;
  a.rows = rows;
  a.D = D;
  a.eps = eps;
  fused::rms_norm(a);
}

// x [T, H, hd] (the projection's layout) -> y [H, T, hd], each row at its position.
void rope(const Plan& p, const float* x, int64_t H, float* y) {
  fused::RopeArgs a{};
  a.x.p = x;
  a.x.nd = 4;
  const int64_t shape[4] = {1, H, p.T, p.hd}, strides[4] = {H * p.T * p.hd, p.hd, H * p.hd, 1};
  std::copy(shape, shape + 4, a.x.shape);
  std::copy(strides, strides + 4, a.x.strides);
  a.y = y;
  a.rows = H * p.T;
  a.L = p.T;
  a.D = p.hd;
  a.dims = p.dims;
  a.offset = 0;
  a.table = p.table.get();
  a.positions = p.positions.data();
  fused::rope(a);
}

// Scratch buffer `slot` of at least n floats, kept per thread between calls:
// a prompt chunk's buffers are megabytes, and fresh pages cost page faults.
float* scratch(int slot, int64_t n) {
  thread_local std::vector<float> bufs[16];
  auto& b = bufs[slot];
  if (b.size() < size_t(n)) b.resize(size_t(n));
  return b.data();
}

void run(const Plan& p) {
  const int64_t T = p.T, D = p.D, Hq = p.Hq, Hkv = p.Hkv, hd = p.hd;
  float *x = scratch(0, T * D), *q = scratch(1, T * Hq * hd), *k = scratch(2, T * Hkv * hd),
        *v = scratch(3, T * Hkv * hd);
  norm(p.h, T, D, p.attn_norm, p.eps, x);
  linear(p.q, x, T, q);
  linear(p.k, x, T, k);
  linear(p.v, x, T, v);
  if (p.q_norm) {  // per head, before rope (Qwen3)
    float *tq = scratch(4, T * Hq * hd), *tk = scratch(5, T * Hkv * hd);
    norm(q, T * Hq, hd, p.q_norm, p.eps, tq);
    norm(k, T * Hkv, hd, p.k_norm, p.eps, tk);
    q = tq;
    k = tk;
  }
  float *qr = scratch(6, T * Hq * hd), *kr = scratch(7, T * Hkv * hd);  // [H, T, hd]
  rope(p, q, Hq, qr);
  rope(p, k, Hkv, kr);
  float* o = scratch(8, T * Hq * hd);
  // A prompt chunk's attention goes to [Hq, L, hd] at its rows' place in tmp, then to rows [L, Hq * hd].
  float* tmp = scratch(9, T * Hq * hd);
  thread_local std::vector<sdpa::Args> calls;
  calls.assign(p.starts.size(), sdpa::Args{});
  for (size_t s = 0; s < p.starts.size(); ++s) {
    const int64_t start = p.starts[s], L = p.lengths[s], off = p.offsets[s], cap = p.capacity[s];
    const int64_t first = p.first[s], at = off - first;  // cache row of position off
    for (int64_t h = 0; h < Hkv; ++h)  // append this sequence's new key/value rows
      for (int64_t i = 0; i < L; ++i) {
        std::copy_n(kr + (h * T + start + i) * hd, hd, p.keys[s] + (h * cap + at + i) * hd);
        std::copy_n(v + ((start + i) * Hkv + h) * hd, hd, p.values[s] + (h * cap + at + i) * hd);
      }
    // Keys the window lets the chunk's first query see (as the graph's
    // visible()); Decoder::fused_step made sure the last query sees no more.
    const int64_t seen = p.window > 0 ? std::max(first, off - p.window + 1) : first;
    sdpa::Args& a = calls[s];
    a.B = 1;
    a.Hq = Hq;
    a.Hkv = Hkv;
    a.Lq = L;
    a.Lk = off + L - seen;
    a.D = hd;
    a.scale = p.scale;
    a.causal = L > 1;
    const int64_t qs[4] = {Hq * T * hd, T * hd, hd, 1}, ks[4] = {Hkv * cap * hd, cap * hd, hd, 1};
    std::copy(qs, qs + 4, a.qs);
    std::copy(ks, ks + 4, a.ks);
    std::copy(ks, ks + 4, a.vs);
    a.q = qr + start * hd;
    a.k = p.keys[s] + (seen - first) * hd;
    a.v = p.values[s] + (seen - first) * hd;
    a.o = L == 1 ? o + start * Hq * hd : tmp + start * Hq * hd;  // one row: [Hq, 1, hd] is the packed row
  }
  // Every sequence's attention in one dispatch (a batched decode step has one small call per sequence).
  sdpa::run_many(calls.data(), calls.size());
  for (size_t s = 0; s < p.starts.size(); ++s) {
    const int64_t start = p.starts[s], L = p.lengths[s];
    if (L == 1) continue;
    const float* t = tmp + start * Hq * hd;
    for (int64_t h = 0; h < Hq; ++h)
      for (int64_t i = 0; i < L; ++i) std::copy_n(t + (h * L + i) * hd, hd, o + ((start + i) * Hq + h) * hd);
  }
  float *h1 = scratch(10, T * D), *y = scratch(11, T * D);
  linear(p.o, o, T, h1);
  const float* attn = h1;
  if (p.post_norms) {
    norm(h1, T, D, p.post_attn_norm, p.eps, y);
    attn = y;
  }
  for (int64_t i = 0; i < T * D; ++i) h1[i] = p.h[i] + attn[i];
  norm(h1, T, D, p.ffn_norm, p.eps, y);
  float *g = scratch(12, T * p.I), *u = scratch(13, T * p.I), *act = scratch(14, T * p.I);
  linear(p.gate, y, T, g);
  linear(p.up, y, T, u);
  fused::swiglu({g, u, act, T * p.I, p.act});
  if (p.post_norms) {
    linear(p.down, act, T, y);
    norm(y, T, D, p.post_ffn_norm, p.eps, p.out);
  } else {
    linear(p.down, act, T, p.out);
  }
  for (int64_t i = 0; i < T * D; ++i) p.out[i] = h1[i] + p.out[i];
}

class PocketFusedLayer : public mx::UnaryPrimitive {
 public:
  PocketFusedLayer(mx::Stream s, Plan plan) : mx::UnaryPrimitive(s), plan_(std::move(plan)) {}
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    out.set_data(mx::allocator::malloc(out.nbytes()));
    auto& enc = mx::cpu::get_command_encoder(stream());
    for (auto& in : inputs) enc.set_input_array(in);
    enc.set_output_array(out);
    // Pointers are taken now: every input is evaluated and contiguous (checked when built).
    Plan p = plan_;
    p.h = inputs[0].data<float>();
    p.out = out.data<float>();
    size_t i = 1;
    auto next = [&] { return inputs[i++].data<float>(); };
    auto half = [&] { return reinterpret_cast<const uint16_t*>(inputs[i++].data<mx::float16_t>()); };
    auto lin = [&](QLinear& l) {
      l.w = inputs[i++].data<uint32_t>();
      l.scales = next();
      l.biases = next();
      l.bias = l.has_bias ? next() : nullptr;
      l.scales16 = l.has_half ? half() : nullptr;
      l.biases16 = l.has_half ? half() : nullptr;
    };
    p.attn_norm = next();
    p.ffn_norm = next();
    if (plan_.qk_norm) {
      p.q_norm = next();
      p.k_norm = next();
    }
    if (plan_.post_norms) {
      p.post_attn_norm = next();
      p.post_ffn_norm = next();
    }
    for (auto* l : {&p.q, &p.k, &p.v, &p.o, &p.gate, &p.up, &p.down}) lin(*l);
    for (size_t b = 0; b < p.keys.size(); ++b) {  // written in place: the caches own these buffers
      p.keys[b] = const_cast<float*>(inputs[i++].data<float>());
      p.values[b] = const_cast<float*>(inputs[i++].data<float>());
    }
    enc.dispatch([p] { run(p); });
  }
  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("PocketFusedLayer has no GPU implementation");
  }
  const char* name() const override { return "PocketFusedLayer"; }
  bool is_equivalent(const mx::Primitive&) const override { return false; }  // it writes the caches
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& in) override { return {in[0].shape()}; }

 private:
  Plan plan_;
};

// Evaluated, row-contiguous float32 (weights are evaluated when the model loads).
bool plain(const mx::array& a) {
  return a.is_available() && a.flags().row_contiguous && a.dtype() == mx::float32;
}

bool quantized(const Linear& l) {
  return l.bits && l.scales && l.biases && pocket_qmm_supported(l.group, l.bits) && l.weight->dtype() == mx::uint32 &&
         l.weight->is_available() && l.weight->flags().row_contiguous && plain(*l.scales) && plain(*l.biases) &&
         (!l.bias || plain(*l.bias));
}

QLinear shape_of(const Linear& l) {
  QLinear q{};
  q.N = l.weight->shape(0);
  q.K = l.scales->shape(1) * l.group;
  q.gs = l.group;
  q.bits = l.bits;
  q.has_bias = l.bias.has_value();
  q.has_half = l.scales16.has_value();
  q.q8 = qmm::q8_decode();
  q.zero128 = l.zero128;
  return q;
}

}  // namespace

bool fused_layer_supported(const DecoderLayer& l) {
  static const bool disabled = std::getenv("POCKET_DISABLE_QMM") != nullptr;
  if (disabled || graph_path()) return false;
  for (auto* x : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down})
    if (!quantized(*x)) return false;
  // Post norms: both or neither (Gemma's sandwich).
  const bool post = l.post_attn_norm && l.post_ffn_norm && plain(*l.post_attn_norm) && plain(*l.post_ffn_norm);
  return l.attn_norm && l.ffn_norm && plain(*l.attn_norm) && plain(*l.ffn_norm) &&
         (post || (!l.post_attn_norm && !l.post_ffn_norm)) && (!l.q_norm || (plain(*l.q_norm) && plain(*l.k_norm)));
}

mx::array pocket_fused_layer(const mx::array& h, const DecoderLayer& l, const DecoderConfig& c, int layer,
                             const std::vector<FusedSegment>& segs,
                             std::shared_ptr<const fused::RopeTable> rope_table) {
  Plan p{};
  p.T = h.shape(1);
  p.D = c.hidden_size;
  p.Hq = c.num_heads;
  p.Hkv = c.num_kv_heads;
  p.hd = c.head_dim;
  p.I = l.gate.weight->shape(0);
  p.eps = c.rms_eps;
  // As the graph path forms it (Decoder::plain_layer admits rope attention factor 1 only).
  p.scale = c.attn_scale > 0 ? c.attn_scale : 1.0f / std::sqrt(float(c.head_dim));
  p.act = c.activation == Activation::gelu_tanh ? fused::GateAct::gelu_tanh : fused::GateAct::silu;
  p.dims = c.head_dim;
  p.qk_norm = l.q_norm.has_value();
  p.post_norms = l.post_attn_norm.has_value();
  p.window = c.window(layer);
  p.q = shape_of(l.q);
  p.k = shape_of(l.k);
  p.v = shape_of(l.v);
  p.o = shape_of(l.o);
  p.gate = shape_of(l.gate);
  p.up = shape_of(l.up);
  p.down = shape_of(l.down);
  std::vector<mx::array> inputs{h, *l.attn_norm, *l.ffn_norm};
  if (l.q_norm) {
    inputs.push_back(*l.q_norm);
    inputs.push_back(*l.k_norm);
  }
  if (p.post_norms) {
    inputs.push_back(*l.post_attn_norm);
    inputs.push_back(*l.post_ffn_norm);
  }
  for (auto* x : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down}) {
    inputs.insert(inputs.end(), {*x->weight, *x->scales, *x->biases});
    if (x->bias) inputs.push_back(*x->bias);
    if (x->scales16) inputs.insert(inputs.end(), {*x->scales16, *x->biases16});
  }
  int64_t start = 0;
  for (auto& s : segs) {
    int off = s.cache->offset(), first = s.cache->start(layer);
    p.starts.push_back(start);
    p.first.push_back(first);
    p.lengths.push_back(s.length);
    p.offsets.push_back(off);
    for (int i = 0; i < s.length; ++i) p.positions.push_back(off + i);
    auto& kb = s.cache->key_buffer(layer);
    p.capacity.push_back(kb.shape(2));
    if (kb.shape(2) < off - first + s.length || !kb.flags().row_contiguous)
      throw std::logic_error("pocket_fused_layer: the KV cache has no room (reserve() first)");
    inputs.push_back(kb);
    inputs.push_back(s.cache->value_buffer(layer));
    start += s.length;
  }
  if (start != p.T) throw std::logic_error("pocket_fused_layer: segment lengths must add up to the rows");
  p.keys.resize(segs.size());
  p.values.resize(segs.size());
  int64_t highest = p.positions.empty() ? 0 : *std::max_element(p.positions.begin(), p.positions.end());
  if (!rope_table || rope_table->npos <= highest)
    throw std::logic_error("pocket_fused_layer: the rope table does not cover the new positions");
  p.table = std::move(rope_table);
  auto stream = mx::default_stream(mx::Device::cpu);
  return mx::array(h.shape(), mx::float32, std::make_shared<PocketFusedLayer>(stream, std::move(p)),
                   std::move(inputs));
}

}  // namespace pocket
