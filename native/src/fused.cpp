// PocketRMSNorm / PocketRoPE / PocketSwiGLU: custom MLX primitives wrapping the
// kernels in fused_kernels.cpp (see fused.h).
#include "fused.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

#include "backend.h"

namespace pocket {
namespace {

// The custom kernels run only on a CPU stream with the graph path off.
bool on_cpu(const mx::Stream& s) { return custom_kernels(s); }

fused::View view_of(const mx::array& a) {
  fused::View v{};
  v.p = a.data<float>();
  v.nd = int(a.ndim());
  for (int d = 0; d < v.nd; ++d) {
    v.shape[d] = a.shape(d);
    v.strides[d] = a.strides()[d];
  }
  return v;
}

// Row-major copy of a strided float array.
void gather(const mx::array& a, float* dst) {
  const fused::View v = view_of(a);
  const int64_t D = v.shape[v.nd - 1], rows = D ? int64_t(a.size()) / D : 0, s = v.last_stride();
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = v.p + v.row_offset(r);
    float* o = dst + r * D;
    if (s == 1)
      std::copy(src, src + D, o);
    else
      for (int64_t c = 0; c < D; ++c) o[c] = src[c * s];
  }
}

void begin_eval(const mx::Stream& stream, const std::vector<mx::array>& inputs, mx::array& out,
                mx::cpu::CommandEncoder*& enc) {
  out.set_data(mx::allocator::malloc(out.nbytes()));
  enc = &mx::cpu::get_command_encoder(stream);
  for (auto& in : inputs) enc->set_input_array(in);
  enc->set_output_array(out);
}

// ------------------------------------------------------------------ rms_norm
class PocketRMSNorm : public mx::UnaryPrimitive {
 public:
  PocketRMSNorm(mx::Stream s, float eps) : mx::UnaryPrimitive(s), eps_(eps) {}
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    mx::cpu::CommandEncoder* enc;
    begin_eval(stream(), inputs, out, enc);
    if (out.size() == 0) return;
    const auto &x = inputs[0], &w = inputs[1];
    fused::NormArgs a{};
    a.x = view_of(x);
    a.w = w.data<float>();
    a.ws = w.strides()[0];
    a.y = out.data<float>();
    a.D = x.shape(-1);
    a.rows = int64_t(x.size()) / a.D;
    a.eps = eps_;
    enc->dispatch([a] { fused::rms_norm(a); });
  }
  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("PocketRMSNorm has no GPU implementation");
  }
  const char* name() const override { return "PocketRMSNorm"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const PocketRMSNorm*>(&other);
    return o && o->eps_ == eps_;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& in) override {
    return {in[0].shape()};
  }

 private:
  float eps_;
};

// ------------------------------------------------------------------ rope tables
struct TableKey {
  int dims;
  bool traditional;
  float base;  // NaN when freqs are given
  float scale;
  std::vector<float> freqs;
  bool operator==(const TableKey& o) const {
    return dims == o.dims && traditional == o.traditional &&
           (base == o.base || (std::isnan(base) && std::isnan(o.base))) && scale == o.scale &&
           freqs == o.freqs;
  }
};

struct TableEntry {
  TableKey key;
  std::vector<float> inv_freq;  // [dims / 2], float32 exactly as MLX's fallback forms it
  std::shared_ptr<const fused::RopeTable> table;
};

std::mutex g_table_mu;
std::vector<TableEntry>& table_entries() {
  static auto* v = new std::vector<TableEntry>();  // leaked: outlives static destruction
  return *v;
}

// Inverse frequencies formed with MLX's own ops, mirroring mx::fast::rope's CPU path:
// exp(-i * (log(base) / (dims / 2))) or 1 / freqs[i], in float32.
std::vector<float> make_inv_freq(const TableKey& k) {
  const int half = k.dims / 2;
  std::vector<float> out(size_t(half), 0.f);
  if (half == 0) return out;
  auto cpu = mx::Device(mx::Device::DeviceType::cpu);
  mx::array inv = k.freqs.empty()
                      ? mx::exp(mx::multiply(mx::arange(0, -half, -1, mx::float32, cpu),
                                             mx::array(std::log(k.base) / half, mx::float32), cpu),
                                cpu)
                      : mx::reciprocal(mx::array(k.freqs.data(), {half}, mx::float32), cpu);
  inv = mx::contiguous(inv, false, cpu);
  mx::eval(inv);
  const float* p = inv.data<float>();
  std::copy(p, p + half, out.begin());
  return out;
}

std::shared_ptr<const fused::RopeTable> grow(const TableEntry& e, int64_t npos) {
  auto t = std::make_shared<fused::RopeTable>();
  const int half = e.key.dims / 2;
  t->dims = e.key.dims;
  t->traditional = e.key.traditional;
  t->npos = npos;
  t->row = e.key.traditional ? 4 * half : 2 * half;
  t->data.resize(size_t(npos * t->row));
  int64_t start = 0;
  if (e.table) {  // keep the rows already computed
    start = e.table->npos;
    std::copy(e.table->data.begin(), e.table->data.end(), t->data.begin());
  }
  for (int64_t p = start; p < npos; ++p) {
    // MLX: positions = (float(l) + float(offset)) * scale; theta = positions * inv_freq
    // (float32), then cos/sin of that float angle.
    const float pos = float(p) * e.key.scale;
    float* row = t->data.data() + p * t->row;
    for (int i = 0; i < half; ++i) {
      const float theta = pos * e.inv_freq[size_t(i)];
      const float c = float(std::cos(double(theta))), s = float(std::sin(double(theta)));
      if (e.key.traditional) {
        row[2 * i] = row[2 * i + 1] = c;
        row[2 * half + 2 * i] = -s;
        row[2 * half + 2 * i + 1] = s;
      } else {
        row[i] = c;
        row[half + i] = s;
      }
    }
  }
  return t;
}

// Table covering positions [0, npos) for this key (computed once, grown geometrically).
std::shared_ptr<const fused::RopeTable> rope_table(TableKey key, int64_t npos) {
  std::lock_guard<std::mutex> lk(g_table_mu);
  auto& entries = table_entries();
  TableEntry* e = nullptr;
  for (auto& x : entries)
    if (x.key == key) e = &x;
  if (!e) {
    TableEntry ne;
    ne.inv_freq = make_inv_freq(key);
    ne.key = std::move(key);
    entries.push_back(std::move(ne));
    e = &entries.back();
  }
  if (!e->table || e->table->npos < npos) {
    int64_t n = std::max<int64_t>(npos, 256);
    if (e->table) n = std::max<int64_t>(n, 2 * e->table->npos);
    e->table = grow(*e, n);
  }
  return e->table;
}

class PocketRoPE : public mx::UnaryPrimitive {
 public:
  PocketRoPE(mx::Stream s, int dims, int offset, std::shared_ptr<const fused::RopeTable> table,
             std::shared_ptr<const std::vector<int32_t>> positions = nullptr)
      : mx::UnaryPrimitive(s), dims_(dims), offset_(offset), table_(std::move(table)),
        positions_(std::move(positions)) {}
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    mx::cpu::CommandEncoder* enc;
    begin_eval(stream(), inputs, out, enc);
    if (out.size() == 0) return;
    const auto& x = inputs[0];
    fused::RopeArgs a{};
    a.x = view_of(x);
    a.y = out.data<float>();
    a.D = x.shape(-1);
    a.L = x.shape(-2);
    a.rows = int64_t(x.size()) / a.D;
    a.dims = dims_;
    a.offset = offset_;
    a.table = table_.get();
    a.positions = positions_ ? positions_->data() : nullptr;
    enc->dispatch([a, t = table_, p = positions_] { fused::rope(a); });  // t, p keep the tables alive
  }
  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("PocketRoPE has no GPU implementation");
  }
  const char* name() const override { return "PocketRoPE"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const PocketRoPE*>(&other);
    return o && o->dims_ == dims_ && o->offset_ == offset_ &&
           o->table_->traditional == table_->traditional && o->table_ == table_ &&
           (o->positions_ == positions_ || (o->positions_ && positions_ && *o->positions_ == *positions_));
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& in) override {
    return {in[0].shape()};
  }

 private:
  int dims_, offset_;
  std::shared_ptr<const fused::RopeTable> table_;
  std::shared_ptr<const std::vector<int32_t>> positions_;
};

// ------------------------------------------------------------------ swiglu / geglu
class PocketSwiGLU : public mx::UnaryPrimitive {
 public:
  PocketSwiGLU(mx::Stream s, fused::GateAct act) : mx::UnaryPrimitive(s), act_(act) {}
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    mx::cpu::CommandEncoder* enc;
    begin_eval(stream(), inputs, out, enc);
    if (out.size() == 0) return;
    const auto &g = inputs[0], &u = inputs[1];
    fused::SwigluArgs a{};
    a.y = out.data<float>();
    a.n = int64_t(out.size());
    a.act = act_;
    if (g.flags().row_contiguous && u.flags().row_contiguous) {
      a.g = g.data<float>();
      a.u = u.data<float>();
      enc->dispatch([a] { fused::swiglu(a); });
      return;
    }
    auto gs = mx::array::unsafe_weak_copy(g), us = mx::array::unsafe_weak_copy(u);
    enc->dispatch([a, gs, us]() mutable {
      std::vector<float> gb, ub;
      if (gs.flags().row_contiguous) {
        a.g = gs.data<float>();
      } else {
        gb.resize(gs.size());
        gather(gs, gb.data());
        a.g = gb.data();
      }
      if (us.flags().row_contiguous) {
        a.u = us.data<float>();
      } else {
        ub.resize(us.size());
        gather(us, ub.data());
        a.u = ub.data();
      }
      fused::swiglu(a);
    });
  }
  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("PocketSwiGLU has no GPU implementation");
  }
  const char* name() const override { return act_ == fused::GateAct::silu ? "PocketSwiGLU" : "PocketGeGLU"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const PocketSwiGLU*>(&other);
    return o && o->act_ == act_;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& in) override {
    return {in[0].shape()};
  }

 private:
  fused::GateAct act_;
};

bool gated_fast(const mx::Stream& stream, const mx::array& gate, const mx::array& up) {
  return on_cpu(stream) && gate.dtype() == mx::float32 && up.dtype() == mx::float32 && gate.shape() == up.shape() &&
         gate.ndim() >= 1 && gate.ndim() <= 8;
}

}  // namespace

mx::array pocket_rms_norm(const mx::array& x, const mx::array& weight, float eps,
                          mx::StreamOrDevice s) {
  auto stream = mx::to_stream(s);
  const bool fast = on_cpu(stream) && x.dtype() == mx::float32 && weight.dtype() == mx::float32 &&
                    x.ndim() >= 1 && x.ndim() <= 8 && weight.ndim() == 1 &&
                    x.shape(-1) >= 1 && weight.shape(0) == x.shape(-1);
  if (!fast) return mx::fast::rms_norm(x, weight, eps, s);
  return mx::array(x.shape(), mx::float32, std::make_shared<PocketRMSNorm>(stream, eps),
                   {x, weight});
}

namespace {

// The table key when the custom kernel applies, nullopt otherwise.
// The table key of a rope configuration the custom kernel supports.
std::optional<TableKey> config_key(int dims, bool traditional, std::optional<float> base, float scale,
                                   const std::optional<mx::array>& freqs) {
  bool fast = dims > 0 && dims % 2 == 0 &&
              (freqs ? (freqs->dtype() == mx::float32 && freqs->ndim() == 1 &&
                        freqs->shape(0) == dims / 2)
                     : base.has_value());
  if (!fast) return std::nullopt;
  TableKey key{dims, traditional, std::nanf(""), scale, {}};
  if (freqs) {
    // Periods are read on the caller's thread (tiny; normally an evaluated constant).
    if (freqs->is_available() && freqs->flags().row_contiguous) {
      const float* p = freqs->data<float>();
      key.freqs.assign(p, p + dims / 2);
    } else {
      auto f = mx::contiguous(*freqs, false, mx::Device(mx::Device::DeviceType::cpu));
      mx::eval(f);
      const float* p = f.data<float>();
      key.freqs.assign(p, p + dims / 2);
    }
  } else {
    key.base = *base;
  }
  return key;
}

// The table key when the custom kernel applies to x on this stream, nullopt otherwise.
std::optional<TableKey> rope_key(const mx::array& x, int dims, bool traditional, std::optional<float> base,
                                 float scale, const std::optional<mx::array>& freqs, const mx::Stream& stream) {
  bool fast = on_cpu(stream) && x.dtype() == mx::float32 && x.ndim() >= 3 && x.ndim() <= 8 &&
              dims <= x.shape(-1);
  return fast ? config_key(dims, traditional, base, scale, freqs) : std::nullopt;
}

}  // namespace

mx::array pocket_rope(const mx::array& x, int dims, bool traditional, std::optional<float> base,
                      float scale, int offset, const std::optional<mx::array>& freqs,
                      mx::StreamOrDevice s) {
  auto stream = mx::to_stream(s);
  auto key = offset >= 0 ? rope_key(x, dims, traditional, base, scale, freqs, stream) : std::nullopt;
  if (!key) return mx::fast::rope(x, dims, traditional, base, scale, offset, freqs, s);
  auto table = rope_table(std::move(*key), int64_t(offset) + x.shape(-2));
  return mx::array(x.shape(), mx::float32,
                   std::make_shared<PocketRoPE>(stream, dims, offset, std::move(table)), {x});
}

std::shared_ptr<const fused::RopeTable> fused::rope_table_for(int dims, bool traditional, std::optional<float> base,
                                                              float scale, const std::optional<mx::array>& freqs,
                                                              int64_t npos) {
  if (graph_path()) return nullptr;  // fused layers are a CPU-only path
  auto key = config_key(dims, traditional, base, scale, freqs);
  return key ? rope_table(std::move(*key), npos) : nullptr;
}

mx::array pocket_rope_positions(const mx::array& x, int dims, bool traditional, std::optional<float> base,
                                float scale, std::vector<int32_t> positions, const std::optional<mx::array>& freqs,
                                mx::StreamOrDevice s) {
  if (x.ndim() < 2 || int64_t(positions.size()) != x.shape(-2))
    throw std::invalid_argument("pocket_rope_positions: one position per row of axis -2");
  auto stream = mx::to_stream(s);
  int32_t lowest = 0, highest = 0;
  if (!positions.empty()) {
    lowest = *std::min_element(positions.begin(), positions.end());
    highest = *std::max_element(positions.begin(), positions.end());
  }
  auto key = lowest >= 0 ? rope_key(x, dims, traditional, base, scale, freqs, stream) : std::nullopt;
  if (!key && lowest >= 0 && x.ndim() == 4 && x.shape(0) == 1 && !positions.empty()) {
    // MLX ops (GPU, graph path): every row as its own batch entry of length
    // one at its own offset, so one rope covers all sequences of the batch.
    auto rows = mx::transpose(x, {2, 1, 0, 3}, s);  // [T, H, 1, D]
    auto offsets = mx::array(positions.data(), {int(positions.size())}, mx::int32);
    auto y = mx::fast::rope(rows, dims, traditional, base, scale, offsets, freqs, s);
    return mx::transpose(y, {2, 1, 0, 3}, s);
  }
  if (!key) {  // one MLX rope per run of consecutive positions
    std::vector<mx::array> parts;
    int axis = x.ndim() - 2;
    for (size_t i = 0; i < positions.size();) {
      size_t j = i + 1;
      while (j < positions.size() && positions[j] == positions[j - 1] + 1) ++j;
      auto start = mx::Shape(x.ndim(), 0), stop = x.shape();
      start[axis] = int(i);
      stop[axis] = int(j);
      parts.push_back(mx::fast::rope(mx::slice(x, start, stop, s), dims, traditional, base, scale,
                                     positions[i], freqs, s));
      i = j;
    }
    return parts.size() == 1 ? parts[0] : mx::concatenate(parts, axis, s);
  }
  auto table = rope_table(std::move(*key), int64_t(highest) + 1);
  auto shared = std::make_shared<const std::vector<int32_t>>(std::move(positions));
  return mx::array(x.shape(), mx::float32,
                   std::make_shared<PocketRoPE>(stream, dims, 0, std::move(table), std::move(shared)), {x});
}

mx::array pocket_swiglu(const mx::array& gate, const mx::array& up, mx::StreamOrDevice s) {
  auto stream = mx::to_stream(s);
  if (!gated_fast(stream, gate, up)) return mx::multiply(mx::multiply(gate, mx::sigmoid(gate, s), s), up, s);
  return mx::array(gate.shape(), mx::float32, std::make_shared<PocketSwiGLU>(stream, fused::GateAct::silu),
                   {gate, up});
}

mx::array pocket_geglu_tanh(const mx::array& gate, const mx::array& up, mx::StreamOrDevice s) {
  auto stream = mx::to_stream(s);
  if (!gated_fast(stream, gate, up)) {
    // Constants in g's dtype: a float32 scalar would promote a half-precision
    // graph (GPU) to float32 from here on.
    const auto t = gate.dtype();
    const auto& g = gate;
    auto g3 = mx::multiply(g, mx::multiply(g, g, s), s);
    auto inner = mx::multiply(mx::array(std::sqrt(2.0f / float(M_PI)), t),
                              mx::add(g, mx::multiply(mx::array(0.044715f, t), g3, s), s), s);
    auto gelu = mx::multiply(mx::multiply(mx::array(0.5f, t), g, s),
                             mx::add(mx::array(1.0f, t), mx::tanh(inner, s), s), s);
    return mx::multiply(gelu, up, s);
  }
  return mx::array(gate.shape(), mx::float32, std::make_shared<PocketSwiGLU>(stream, fused::GateAct::gelu_tanh),
                   {gate, up});
}

}  // namespace pocket
