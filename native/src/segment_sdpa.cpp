#include "segment_sdpa.h"

#include <numeric>
#include <stdexcept>

#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

#include "backend.h"
#include "sdpa.h"

namespace pocket {
namespace {

class PocketSegmentSDPA : public mx::UnaryPrimitive {
 public:
  PocketSegmentSDPA(mx::Stream s, std::vector<int> lengths, float scale)
      : mx::UnaryPrimitive(s), lengths_(std::move(lengths)), scale_(scale) {}

  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override;
  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("PocketSegmentSDPA has no GPU implementation");
  }
  const char* name() const override { return "PocketSegmentSDPA"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const PocketSegmentSDPA*>(&other);
    return o && o->lengths_ == lengths_ && o->scale_ == scale_;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& in) override {
    auto& q = in[0];
    return {{1, q.shape(2), q.shape(1) * q.shape(3)}};
  }

 private:
  std::vector<int> lengths_;
  float scale_;
};

void PocketSegmentSDPA::eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) {
  out.set_data(mx::allocator::malloc(out.nbytes()));
  auto& enc = mx::cpu::get_command_encoder(stream());
  for (auto& in : inputs) enc.set_input_array(in);
  enc.set_output_array(out);
  if (out.size() == 0) return;
  const auto& q = inputs[0];
  const int64_t Hq = q.shape(1), D = q.shape(3);
  std::vector<sdpa::Args> segs;
  int64_t start = 0;
  for (size_t i = 0; i < lengths_.size(); ++i) {
    const auto &k = inputs[1 + 2 * i], &v = inputs[2 + 2 * i];
    sdpa::Args a{};
    a.B = 1;
    a.Hq = Hq;
    a.Lq = lengths_[i];
    a.D = D;
    a.Hkv = k.shape(1);
    a.Lk = k.shape(2);
    a.scale = scale_;
    a.causal = lengths_[i] > 1;
    for (int d = 0; d < 4; ++d) {
      a.qs[d] = q.strides()[d];
      a.ks[d] = k.strides()[d];
      a.vs[d] = v.strides()[d];
    }
    a.q = q.data<float>() + start * q.strides()[2];
    a.k = k.data<float>();
    a.v = v.data<float>();
    // The kernel writes [Hq, Lq, D]; for one row that is already the packed row.
    a.o = out.data<float>() + start * Hq * D;
    segs.push_back(a);
    start += lengths_[i];
  }
  enc.dispatch([segs, Hq, D]() mutable {
    std::vector<float> tmp;
    for (auto& a : segs) {
      if (a.Lq == 1) {
        sdpa::run(a);
        continue;
      }
      float* dest = a.o;  // [Lq, Hq * D]
      tmp.resize(size_t(Hq * a.Lq * D));
      a.o = tmp.data();
      sdpa::run(a);
      for (int64_t h = 0; h < Hq; ++h)
        for (int64_t l = 0; l < a.Lq; ++l)
          std::copy_n(tmp.data() + (h * a.Lq + l) * D, D, dest + (l * Hq + h) * D);
    }
  });
}

bool supported(const mx::array& q, const std::vector<mx::array>& kvs, const std::vector<int>& lengths,
               const mx::Stream& stream) {
  if (!custom_kernels(stream)) return false;
  if (q.dtype() != mx::float32 || q.ndim() != 4 || q.shape(0) != 1) return false;
  for (size_t i = 0; i < lengths.size(); ++i) {
    auto &k = kvs[2 * i], &v = kvs[2 * i + 1];
    if (k.dtype() != mx::float32 || v.dtype() != mx::float32 || k.ndim() != 4 || k.shape() != v.shape()) return false;
    if (k.shape(0) != 1 || k.shape(3) != q.shape(3) || k.shape(1) < 1 || q.shape(1) % k.shape(1) != 0) return false;
    if (k.shape(2) < lengths[i]) return false;
  }
  return true;
}

}  // namespace

mx::array pocket_segment_sdpa(const mx::array& q, const std::vector<mx::array>& kvs, std::vector<int> lengths,
                              float scale, mx::StreamOrDevice s) {
  if (kvs.size() != 2 * lengths.size() || q.ndim() != 4 ||
      std::accumulate(lengths.begin(), lengths.end(), 0) != q.shape(2))
    throw std::invalid_argument("pocket_segment_sdpa: kvs must hold (k, v) per sequence and lengths sum to q's rows");
  auto stream = mx::to_stream(s);
  int T = q.shape(2), Hq = q.shape(1), D = q.shape(3);
  if (!supported(q, kvs, lengths, stream)) {
    std::vector<mx::array> outs;
    int start = 0;
    for (size_t i = 0; i < lengths.size(); ++i) {
      int L = lengths[i];
      auto qi = mx::slice(q, {0, 0, start, 0}, {1, Hq, start + L, D}, s);
      auto o = mx::fast::scaled_dot_product_attention(qi, kvs[2 * i], kvs[2 * i + 1], scale, L > 1 ? "causal" : "",
                                                      std::nullopt, std::nullopt, false, s);
      outs.push_back(mx::reshape(mx::transpose(o, {0, 2, 1, 3}, s), {1, L, Hq * D}, s));
      start += L;
    }
    return mx::concatenate(outs, 1, s);
  }
  std::vector<mx::array> inputs{q};
  inputs.insert(inputs.end(), kvs.begin(), kvs.end());
  return mx::array({1, T, Hq * D}, mx::float32,
                   std::make_shared<PocketSegmentSDPA>(stream, std::move(lengths), scale), std::move(inputs));
}

}  // namespace pocket
