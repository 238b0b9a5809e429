// Where the engine computes: MLX's GPU (CUDA, Metal) when the wheel has one,
// else the CPU; and which kernels run there. On the CPU the engine uses its
// own primitives (qmm, sdpa, fused layers); on a GPU stream, and on the CPU
// when the graph path is forced (POCKET_GRAPH_PATH=1, for CI to exercise the
// GPU code), every pocket_* wrapper builds MLX's own ops instead. The custom
// CPU primitives are never scheduled on a GPU stream.
//
//   POCKET_DEVICE=cpu|gpu   force the device (gpu errors when absent)
//   POCKET_GRAPH_PATH=1     MLX ops even on the CPU
#pragma once

#include <optional>
#include <string>

#include <mlx/mlx.h>

namespace pocket {

namespace mx = mlx::core;

struct BackendInfo {
  std::string device;       // "cpu" | "gpu"
  std::string kind;         // "cpu" | "cuda" | "metal"
  std::string device_name;  // e.g. "NVIDIA H200" (empty on the CPU)
  bool gpu_available = false;
};

// Reads POCKET_DEVICE and picks the device; throws std::invalid_argument
// when a GPU is asked for and the MLX build has none. Any thread, no MLX arrays.
const BackendInfo& backend_info();

// Engine thread, once: makes the chosen device MLX's default.
void init_backend();

bool on_gpu();

// The graph path (MLX ops instead of the custom CPU primitives). Always on
// for a GPU; POCKET_GRAPH_PATH=1 or set_graph_path(true) turn it on for the CPU.
bool graph_path();
void set_graph_path(bool on);

// True when the custom CPU primitives may run on stream s: a CPU stream and
// the graph path off. Every pocket_* wrapper asks this first.
bool custom_kernels(const mx::Stream& s);

// "cpu", "cpu-graph", "cuda" or "metal": the kernels that run, as receipts
// and model info report it.
std::string backend_name();

// Activation dtype: float32 on the CPU, float16 on a GPU (what Metal users of
// mlx-lm get for GGUF/fp16 checkpoints). Loads may ask for another.
mx::Dtype default_activation_dtype();
std::optional<mx::Dtype> parse_dtype(const std::string& name);
std::string dtype_name(mx::Dtype d);

// Dtype that floating weights are cast to while a decoder loads (set by the
// loader around the model's constructor); float32 otherwise, which is what
// the encoders use.
mx::Dtype compute_dtype();
class ComputeDtypeScope {
 public:
  explicit ComputeDtypeScope(mx::Dtype d);
  ~ComputeDtypeScope();
  ComputeDtypeScope(const ComputeDtypeScope&) = delete;
  ComputeDtypeScope& operator=(const ComputeDtypeScope&) = delete;

 private:
  mx::Dtype saved_;
};

// On a GPU, a copy of `a` in device memory (GGUF tensors are read into host
// memory that the GPU would otherwise page through); `a` itself on the CPU.
mx::array to_device(const mx::array& a);

}  // namespace pocket
