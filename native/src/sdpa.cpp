// PocketSDPA: custom MLX primitive wrapping the kernels in sdpa_kernels.cpp.
#include "sdpa.h"

#include <stdexcept>
#include <vector>

#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

#include "backend.h"

namespace pocket {
namespace {

class PocketSDPA : public mx::UnaryPrimitive {
 public:
  PocketSDPA(mx::Stream s, float scale, bool causal)
      : mx::UnaryPrimitive(s), scale_(scale), causal_(causal) {}

  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override;
  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("PocketSDPA has no GPU implementation");
  }
  const char* name() const override { return "PocketSDPA"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const PocketSDPA*>(&other);
    return o && o->scale_ == scale_ && o->causal_ == causal_;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& in) override {
    return {in[0].shape()};
  }

 private:
  float scale_;
  bool causal_;
};

void PocketSDPA::eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) {
  out.set_data(mx::allocator::malloc(out.nbytes()));
  auto& enc = mx::cpu::get_command_encoder(stream());
  for (auto& in : inputs) enc.set_input_array(in);
  enc.set_output_array(out);
  if (out.size() == 0) return;

  const auto &q = inputs[0], &k = inputs[1], &v = inputs[2];
  sdpa::Args a{};
  a.B = q.shape(0);
  a.Hq = q.shape(1);
  a.Lq = q.shape(2);
  a.D = q.shape(3);
  a.Hkv = k.shape(1);
  a.Lk = k.shape(2);
  a.scale = scale_;
  a.causal = causal_;
  // Strided reads: data() already includes the view offset; strides are in elements.
  for (int d = 0; d < 4; ++d) {
    a.qs[d] = q.strides()[d];
    a.ks[d] = k.strides()[d];
    a.vs[d] = v.strides()[d];
  }
  a.q = q.data<float>();
  a.k = k.data<float>();
  a.v = v.data<float>();
  a.o = out.data<float>();
  // The CPU eval keeps the input buffers alive until the dispatched task has run.
  enc.dispatch([a] { sdpa::run(a); });
}

}  // namespace

bool pocket_sdpa_supported(const mx::array& q, const mx::array& k, const mx::array& v,
                           bool causal, mx::StreamOrDevice s) {
  auto stream = mx::to_stream(s);
  if (!custom_kernels(stream)) return false;
  if (q.dtype() != mx::float32 || k.dtype() != mx::float32 || v.dtype() != mx::float32)
    return false;
  if (q.ndim() != 4 || k.ndim() != 4 || v.ndim() != 4) return false;
  if (k.shape() != v.shape()) return false;
  if (q.shape(0) != k.shape(0) || q.shape(3) != k.shape(3)) return false;
  if (k.shape(1) < 1 || q.shape(1) % k.shape(1) != 0) return false;
  if (k.shape(2) < 1 || q.shape(3) < 1) return false;
  if (causal && q.shape(2) > k.shape(2)) return false;
  return true;
}

mx::array pocket_sdpa(const mx::array& q, const mx::array& k, const mx::array& v, float scale,
                      bool causal, mx::StreamOrDevice s) {
  if (!pocket_sdpa_supported(q, k, v, causal, s))
    return mx::fast::scaled_dot_product_attention(q, k, v, scale, causal ? "causal" : "",
                                                   std::nullopt, std::nullopt, false, s);
  return mx::array(q.shape(), mx::float32,
                   std::make_shared<PocketSDPA>(mx::to_stream(s), scale, causal), {q, k, v});
}

}  // namespace pocket
