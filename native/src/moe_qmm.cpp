// PocketGatherQMM: MoE experts' matmul over the qmm kernels (moe_qmm.h).
#include "moe_qmm.h"

#include <cstdlib>
#include <stdexcept>
#include <vector>

#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

#include "backend.h"
#include "qmm.h"

namespace pocket {
namespace {

class PocketGatherQMM : public mx::UnaryPrimitive {
 public:
  PocketGatherQMM(mx::Stream s, int group_size, int bits) : mx::UnaryPrimitive(s), gs_(group_size), bits_(bits) {}

  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override;
  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("PocketGatherQMM has no GPU implementation");
  }
  const char* name() const override { return "PocketGatherQMM"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const PocketGatherQMM*>(&other);
    return o && o->gs_ == gs_ && o->bits_ == bits_;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& in) override {
    return {{in[0].shape(0), in[4].shape(1), in[1].shape(1)}};
  }

 private:
  int gs_, bits_;
};

struct Job {
  const float* x;
  const uint32_t* w;
  const float *scales, *biases;
  const uint32_t* indices;
  float* y;
  int64_t R, k, K, N, E;
  int gs, bits;
};

void run(const Job& j) {
  const int64_t pairs = j.R * j.k, packed = j.K * j.bits / 32, groups = j.K / j.gs;
  // Counting sort of the pairs by expert (stable: row order kept per expert).
  std::vector<int64_t> start(j.E + 1, 0), order(pairs);
  for (int64_t p = 0; p < pairs; ++p)
    if (j.indices[p] < j.E) ++start[j.indices[p] + 1];
  for (int64_t e = 0; e < j.E; ++e) start[e + 1] += start[e];
  std::vector<int64_t> fill(start.begin(), start.end() - 1);
  for (int64_t p = 0; p < pairs; ++p) {
    if (j.indices[p] < j.E) order[fill[j.indices[p]]++] = p;
    else std::fill(j.y + p * j.N, j.y + (p + 1) * j.N, 0.0f);  // no such expert
  }
  thread_local std::vector<float> xb, yb;
  for (int64_t e = 0; e < j.E; ++e) {
    int64_t M = start[e + 1] - start[e];
    if (!M) continue;
    xb.resize(M * j.K);
    yb.resize(M * j.N);
    for (int64_t m = 0; m < M; ++m) {
      const float* row = j.x + (order[start[e] + m] / j.k) * j.K;
      std::copy(row, row + j.K, xb.data() + m * j.K);
    }
    qmm::Args a{};
    a.x = xb.data();
    a.w = j.w + e * j.N * packed;
    a.scales = j.scales + e * j.N * groups;
    a.biases = j.biases + e * j.N * groups;
    a.y = yb.data();
    a.M = M;
    a.N = j.N;
    a.K = j.K;
    a.gs = j.gs;
    a.bits = j.bits;
    qmm::run(a);
    for (int64_t m = 0; m < M; ++m)
      std::copy(yb.data() + m * j.N, yb.data() + (m + 1) * j.N, j.y + order[start[e] + m] * j.N);
  }
}

void PocketGatherQMM::eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) {
  out.set_data(mx::allocator::malloc(out.nbytes()));
  auto& enc = mx::cpu::get_command_encoder(stream());
  for (auto& in : inputs) enc.set_input_array(in);
  enc.set_output_array(out);
  const auto &x = inputs[0], &w = inputs[1], &idx = inputs[4];
  Job j{x.data<float>(), w.data<uint32_t>(), inputs[2].data<float>(), inputs[3].data<float>(),
        idx.data<uint32_t>(), out.data<float>(), x.shape(0), idx.shape(1), x.shape(1), w.shape(1), w.shape(0),
        gs_, bits_};
  if (out.size() == 0) return;
  enc.dispatch([j] { run(j); });
}

}  // namespace

bool moe_qmm_supported(const mx::array& w, const mx::array& scales, const std::optional<mx::array>& biases,
                       int group_size, int bits, const std::string& mode) {
  static const bool disabled = std::getenv("POCKET_DISABLE_QMM") != nullptr;
  return !disabled && mode == "affine" && biases && pocket_qmm_supported(group_size, bits) &&
         custom_kernels(mx::default_stream(mx::default_device())) && w.dtype() == mx::uint32 && w.ndim() == 3 &&
         scales.dtype() == mx::float32 && biases->dtype() == mx::float32;
}

mx::array pocket_gather_qmm(const mx::array& x, const mx::array& w, const mx::array& scales,
                            const mx::array& biases, const mx::array& indices, int group_size, int bits) {
  if (x.ndim() != 2 || indices.ndim() != 2 || indices.shape(0) != x.shape(0) ||
      int64_t(w.shape(2)) * 32 / bits != x.shape(1) || scales.shape(2) * group_size != x.shape(1))
    throw std::invalid_argument("[pocket_gather_qmm] shapes do not match");
  auto stream = mx::to_stream(mx::Device::cpu);
  // The kernel reads plain row-major buffers.
  std::vector<mx::array> inputs{mx::contiguous(mx::astype(x, mx::float32)), mx::contiguous(w),
                                mx::contiguous(scales), mx::contiguous(biases),
                                mx::contiguous(mx::astype(indices, mx::uint32))};
  return mx::array({x.shape(0), indices.shape(1), w.shape(1)}, mx::float32,
                   std::make_shared<PocketGatherQMM>(stream, group_size, bits), std::move(inputs));
}

}  // namespace pocket
