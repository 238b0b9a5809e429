#include "backend.h"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <variant>

namespace pocket {
namespace {

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::string(v) != "0";
}

BackendInfo detect() {
  BackendInfo b;
  b.gpu_available = mx::is_available(mx::Device(mx::Device::gpu));
#ifdef __APPLE__
  const std::string gpu_kind = "metal";
#else
  const std::string gpu_kind = "cuda";
#endif
  std::string wanted = std::getenv("POCKET_DEVICE") ? std::getenv("POCKET_DEVICE") : "";
  if (!wanted.empty() && wanted != "cpu" && wanted != "gpu")
    throw std::invalid_argument("[backend] POCKET_DEVICE must be 'cpu' or 'gpu', not '" + wanted + "'");
  if (wanted == "gpu" && !b.gpu_available)
    throw std::invalid_argument(
        "[backend] POCKET_DEVICE=gpu but this MLX build has no usable GPU "
        "(install with POCKET_BACKEND=cuda on a machine with CUDA 13, or use the Metal wheel on macOS)");
  bool gpu = wanted == "gpu" || (wanted.empty() && b.gpu_available);
  b.device = gpu ? "gpu" : "cpu";
  b.kind = gpu ? gpu_kind : "cpu";
  if (gpu) {
    try {
      auto& info = mx::device_info(mx::Device(mx::Device::gpu));
      auto it = info.find("device_name");
      if (it != info.end())
        if (auto s = std::get_if<std::string>(&it->second)) b.device_name = *s;
    } catch (const std::exception&) {
    }
  }
  return b;
}

std::atomic<bool>& graph_flag() {
  static std::atomic<bool> flag{env_flag("POCKET_GRAPH_PATH")};
  return flag;
}

thread_local mx::Dtype t_compute_dtype = mx::float32;

}  // namespace

const BackendInfo& backend_info() {
  static const BackendInfo info = detect();
  return info;
}

void init_backend() {
  auto& b = backend_info();
  mx::set_default_device(mx::Device(b.device == "gpu" ? mx::Device::gpu : mx::Device::cpu));
}

bool on_gpu() { return backend_info().device == "gpu"; }

bool graph_path() { return on_gpu() || graph_flag().load(std::memory_order_relaxed); }

void set_graph_path(bool on) { graph_flag().store(on, std::memory_order_relaxed); }

bool custom_kernels(const mx::Stream& s) {
  return s.device.type == mx::Device::DeviceType::cpu && !graph_flag().load(std::memory_order_relaxed);
}

std::string backend_name() {
  if (on_gpu()) return backend_info().kind;
  return graph_path() ? "cpu-graph" : "cpu";
}

mx::Dtype default_activation_dtype() { return on_gpu() ? mx::float16 : mx::float32; }

std::optional<mx::Dtype> parse_dtype(const std::string& name) {
  if (name == "float32") return mx::float32;
  if (name == "float16") return mx::float16;
  if (name == "bfloat16") return mx::bfloat16;
  return std::nullopt;
}

std::string dtype_name(mx::Dtype d) {
  if (d == mx::float16) return "float16";
  if (d == mx::bfloat16) return "bfloat16";
  if (d == mx::float32) return "float32";
  return "other";
}

mx::Dtype compute_dtype() { return t_compute_dtype; }

ComputeDtypeScope::ComputeDtypeScope(mx::Dtype d) : saved_(t_compute_dtype) { t_compute_dtype = d; }
ComputeDtypeScope::~ComputeDtypeScope() { t_compute_dtype = saved_; }

mx::array to_device(const mx::array& a) { return on_gpu() ? mx::copy(a) : a; }

}  // namespace pocket
