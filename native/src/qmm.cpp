// PocketQMM: custom MLX primitive wrapping the kernels in qmm_kernels.cpp.
#include "qmm.h"

#include "backend.h"
#include "qmm_q8.h"

#include <stdexcept>
#include <vector>

#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

namespace pocket {
namespace {

class PocketQMM : public mx::UnaryPrimitive {
 public:
  PocketQMM(mx::Stream s, int group_size, int bits, bool q8, bool zero128)
      : mx::UnaryPrimitive(s), gs_(group_size), bits_(bits), q8_(q8), zero128_(zero128) {}

  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override;
  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("PocketQMM has no GPU implementation");
  }
  const char* name() const override { return "PocketQMM"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const PocketQMM*>(&other);
    return o && o->gs_ == gs_ && o->bits_ == bits_ && o->q8_ == q8_ && o->zero128_ == zero128_;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& in) override {
    mx::Shape sh = in[0].shape();
    sh.back() = in[1].shape(0);
    return {sh};
  }

 private:
  int gs_, bits_;
  bool q8_;  // 8-bit activations when M == 1 (qmm_q8.h)
  bool zero128_;
};

// Row-major copy of an arbitrary strided array (only used for non-contiguous inputs).
template <typename T>
void gather(const mx::array& a, T* dst) {
  const T* src = a.data<T>();
  const int nd = a.ndim();
  const auto& sh = a.shape();
  const auto& st = a.strides();
  std::vector<int64_t> idx(nd, 0);
  const size_t n = a.size();
  for (size_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (int d = 0; d < nd; ++d) off += idx[d] * st[d];
    dst[i] = src[off];
    for (int d = nd - 1; d >= 0; --d) {
      if (++idx[d] < sh[d]) break;
      idx[d] = 0;
    }
  }
}

void PocketQMM::eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) {
  out.set_data(mx::allocator::malloc(out.nbytes()));
  auto& enc = mx::cpu::get_command_encoder(stream());
  for (auto& in : inputs) enc.set_input_array(in);
  enc.set_output_array(out);

  const auto& x = inputs[0];
  const auto& w = inputs[1];
  qmm::Args a{};
  a.K = x.shape(-1);
  a.M = a.K ? int64_t(x.size()) / a.K : 0;
  a.N = w.shape(0);
  a.gs = gs_;
  a.bits = bits_;
  a.q8 = q8_;
  a.zero128 = zero128_;
  a.y = out.data<float>();
  if (out.size() == 0) return;

  // Inputs are read on the stream thread; the CPU eval keeps their buffers alive
  // until the dispatched task has run. Non-contiguous inputs are packed there too.
  bool contiguous = true;
  for (auto& in : inputs) contiguous = contiguous && in.flags().row_contiguous;
  if (contiguous) {
    a.x = x.data<float>();
    a.w = w.data<uint32_t>();
    a.scales = inputs[2].data<float>();
    a.biases = inputs[3].data<float>();
    if (inputs.size() == 6) {  // exact half copies of scales/biases
      a.scales16 = reinterpret_cast<const uint16_t*>(inputs[4].data<mx::float16_t>());
      a.biases16 = reinterpret_cast<const uint16_t*>(inputs[5].data<mx::float16_t>());
    }
    enc.dispatch([a] { qmm::run(a); });
    return;
  }
  auto xs = mx::array::unsafe_weak_copy(x), ws = mx::array::unsafe_weak_copy(w),
       ss = mx::array::unsafe_weak_copy(inputs[2]), bs = mx::array::unsafe_weak_copy(inputs[3]);
  enc.dispatch([a, xs, ws, ss, bs]() mutable {
    auto pack = [](const mx::array& v, auto* tag, auto& buf) {
      using T = std::remove_pointer_t<decltype(tag)>;
      if (v.flags().row_contiguous) return v.data<T>();
      buf.resize(v.size());
      gather<T>(v, buf.data());
      return static_cast<const T*>(buf.data());
    };
    std::vector<float> xb, sb, bb;
    std::vector<uint32_t> wb;
    a.x = pack(xs, (float*)nullptr, xb);
    a.w = pack(ws, (uint32_t*)nullptr, wb);
    a.scales = pack(ss, (float*)nullptr, sb);
    a.biases = pack(bs, (float*)nullptr, bb);
    qmm::run(a);
  });
}

}  // namespace

bool pocket_qmm_supported(int group_size, int bits) {
  return (bits == 4 || bits == 8) && (group_size == 32 || group_size == 64);
}

namespace {

// Our kernel takes float32 x, scales, biases and a 2-D uint32 weight.
bool custom_layout(const mx::array& x, const mx::array& w, const mx::array& scales, const mx::array& biases,
                   int group_size, int bits) {
  return pocket_qmm_supported(group_size, bits) && x.dtype() == mx::float32 && w.dtype() == mx::uint32 &&
         scales.dtype() == mx::float32 && biases.dtype() == mx::float32 && x.ndim() >= 1 && w.ndim() == 2 &&
         scales.ndim() == 2 && biases.ndim() == 2 && x.shape(-1) % group_size == 0 &&
         int64_t(w.shape(1)) * 32 / bits == x.shape(-1) &&
         scales.shape() == mx::Shape{w.shape(0), x.shape(-1) / group_size} && biases.shape() == scales.shape();
}

mx::array custom_qmm(const mx::array& x, const mx::array& w, const mx::array& scales, const mx::array& biases,
                     int group_size, int bits, const mx::Stream& stream,
                     const std::optional<std::pair<mx::array, mx::array>>& half, bool zero128) {
  mx::Shape out_shape = x.shape();
  out_shape.back() = w.shape(0);
  std::vector<mx::array> inputs{x, w, scales, biases};
  if (half && half->first.dtype() == mx::float16 && half->second.dtype() == mx::float16 &&
      half->first.shape() == scales.shape() && half->second.shape() == biases.shape()) {
    inputs.push_back(half->first);
    inputs.push_back(half->second);
  }
  return mx::array(std::move(out_shape), mx::float32, std::make_shared<PocketQMM>(stream, group_size, bits, qmm::q8_decode(), zero128),
                   std::move(inputs));
}

// A float32-accumulating product on the CPU whatever the graph flag: our
// kernel where the layout allows, else MLX's float32 qmm.
mx::array float32_qmm(const mx::array& x, const mx::array& w, const mx::array& scales, const mx::array& biases,
                      int group_size, int bits, const mx::Stream& stream) {
  if (custom_layout(x, w, scales, biases, group_size, bits))
    return custom_qmm(x, w, scales, biases, group_size, bits, stream, std::nullopt, false);
  return mx::quantized_matmul(x, w, scales, biases, true, group_size, bits, "affine", stream);
}

}  // namespace

mx::array pocket_qmm(const mx::array& x, const mx::array& w, const mx::array& scales,
                     const mx::array& biases, int group_size, int bits, mx::StreamOrDevice s,
                     const std::optional<std::pair<mx::array, mx::array>>& half, bool zero128) {
  auto stream = mx::to_stream(s);
  if (stream.device == mx::Device::cpu && (x.dtype() == mx::float16 || x.dtype() == mx::bfloat16) &&
      scales.dtype() == x.dtype() && biases.dtype() == x.dtype()) {
    // MLX's CPU qmm accumulates half inputs in half precision (scalar, soft
    // float); its GPU kernels accumulate in float32 and round the output.
    // Do the same here, so the CPU graph path has a GPU's numerics at half
    // precision: a float32 product of the same half values, rounded back.
    auto f = [&](const mx::array& a) { return mx::astype(a, mx::float32, stream); };
    auto y = float32_qmm(f(x), w, f(scales), f(biases), group_size, bits, stream);
    return mx::astype(y, x.dtype(), stream);
  }
  if (!custom_kernels(stream) || !custom_layout(x, w, scales, biases, group_size, bits))
    return mx::quantized_matmul(x, w, scales, biases, true, group_size, bits, "affine", s);
  return custom_qmm(x, w, scales, biases, group_size, bits, stream, half, zero128);
}

}  // namespace pocket
