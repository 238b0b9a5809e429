#include "gguf_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <regex>

#include "errors.h"

namespace pocket {
namespace {

// A read-only memory map of one file.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) : path_(path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw load_error("no such model file: " + path);
    fd_ = ::open(path.c_str(), O_RDONLY);
    if (fd_ < 0) throw load_error("cannot open " + path);
    struct stat st;
    if (fstat(fd_, &st) != 0) throw load_error("cannot stat " + path);
    size_ = uint64_t(st.st_size);
    if (size_ == 0) throw load_error("not a GGUF file (empty): " + path);
    void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) throw load_error("cannot map " + path);
    data_ = static_cast<const uint8_t*>(p);
  }
  ~MappedFile() {
    if (data_) munmap(const_cast<uint8_t*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

// Bounds-checked cursor over the header.
class Cursor {
 public:
  explicit Cursor(const MappedFile& f) : f_(f) {}
  const uint8_t* take(uint64_t n) {
    if (n > f_.size() || pos_ > f_.size() - n) throw load_error("file is truncated (header runs past the end)");
    auto p = f_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <typename T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  std::string str() {
    auto n = get<uint64_t>();
    if (n > (1u << 24)) throw load_error("implausible string length in GGUF header");
    auto p = take(n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  uint64_t pos() const { return pos_; }

 private:
  const MappedFile& f_;
  uint64_t pos_ = 0;
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> dims;  // ggml order: ne0 (innermost) first
  const GgmlType* type;
  const uint8_t* data;
  uint64_t bytes;
};

// Numeric GGUF value types -> (size, MLX dtype).
bool numeric_type(uint32_t t, size_t& size, mx::Dtype& dtype) {
  switch (t) {
    case 0: size = 1; dtype = mx::uint8; return true;
    case 1: size = 1; dtype = mx::int8; return true;
    case 2: size = 2; dtype = mx::uint16; return true;
    case 3: size = 2; dtype = mx::int16; return true;
    case 4: size = 4; dtype = mx::uint32; return true;
    case 5: size = 4; dtype = mx::int32; return true;
    case 6: size = 4; dtype = mx::float32; return true;
    case 7: size = 1; dtype = mx::bool_; return true;
    case 10: size = 8; dtype = mx::uint64; return true;
    case 11: size = 8; dtype = mx::int64; return true;
    case 12: size = 8; dtype = mx::float64; return true;
    default: return false;
  }
}

mx::array numeric_array(const uint8_t* p, uint64_t n, size_t size, mx::Dtype dtype) {
  auto* copy = new uint8_t[std::max<uint64_t>(n * size, 1)];
  std::memcpy(copy, p, n * size);
  return mx::array(static_cast<void*>(copy), mx::Shape{int(n)}, dtype, [](void* q) { delete[] static_cast<uint8_t*>(q); });
}

mx::GGUFMetaData read_value(Cursor& c, uint32_t type) {
  size_t size;
  mx::Dtype dtype = mx::float32;
  if (type == 8) return c.str();
  if (numeric_type(type, size, dtype)) return numeric_array(c.take(size), 1, size, dtype);
  if (type != 9) throw load_error("unknown GGUF metadata value type " + std::to_string(type));
  auto inner = c.get<uint32_t>();
  auto n = c.get<uint64_t>();
  if (n > (1ull << 28)) throw load_error("implausible GGUF array length");
  if (inner == 8) {
    std::vector<std::string> v;
    v.reserve(n);
    for (uint64_t i = 0; i < n; ++i) v.push_back(c.str());
    return v;
  }
  if (numeric_type(inner, size, dtype)) return numeric_array(c.take(n * size), n, size, dtype);
  if (inner == 9) {  // arrays of arrays: nothing reads them; skip
    for (uint64_t i = 0; i < n; ++i) read_value(c, 9);
    return std::monostate{};
  }
  throw load_error("unknown GGUF array element type " + std::to_string(inner));
}

// Parses one file's header; tensor data pointers point into `f`.
void parse_header(const MappedFile& f, GgufMetadata& meta, std::vector<TensorInfo>& tensors) {
  Cursor c(f);
  auto magic = c.take(4);
  if (std::memcmp(magic, "GGUF", 4) != 0) throw load_error("not a GGUF file (bad magic): " + f.path());
  auto version = c.get<uint32_t>();
  if (version < 2 || version > 3) throw unsupported("GGUF version " + std::to_string(version) + " is not supported");
  auto n_tensors = c.get<uint64_t>();
  auto n_kv = c.get<uint64_t>();
  if (n_tensors > 1000000 || n_kv > 100000) throw load_error("implausible GGUF header counts");
  uint64_t alignment = 32;
  for (uint64_t i = 0; i < n_kv; ++i) {
    auto key = c.str();
    auto type = c.get<uint32_t>();
    auto value = read_value(c, type);
    if (key == "general.alignment") {
      auto a = std::get_if<mx::array>(&value);
      alignment = a ? uint64_t(mx::astype(*a, mx::int64, mx::Device::cpu).item<int64_t>()) : 0;
      if (alignment == 0 || (alignment & (alignment - 1))) throw load_error("bad GGUF alignment");
    }
    meta.insert_or_assign(key, std::move(value));
  }
  struct Raw {
    TensorInfo info;
    uint64_t offset;
  };
  std::vector<Raw> raw;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    Raw r;
    r.info.name = c.str();
    auto n_dims = c.get<uint32_t>();
    if (n_dims == 0 || n_dims > 4) throw load_error("tensor " + r.info.name + " has bad rank");
    uint64_t elems = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      auto dim = c.get<uint64_t>();
      if (dim == 0 || dim > (1ull << 31)) throw load_error("tensor " + r.info.name + " has bad shape");
      if (elems > (1ull << 40) / dim) throw load_error("tensor " + r.info.name + " is implausibly large");
      elems *= dim;
      r.info.dims.push_back(int64_t(dim));
    }
    auto type_id = c.get<uint32_t>();
    r.offset = c.get<uint64_t>();
    r.info.type = ggml_type(type_id);
    if (!r.info.type)
      throw unsupported("unsupported tensor type id " + std::to_string(type_id) + " (tensor " + r.info.name + ")");
    if (r.info.dims[0] % r.info.type->block != 0)
      throw load_error("tensor " + r.info.name + ": row size " + std::to_string(r.info.dims[0]) +
                       " is not a multiple of the " + r.info.type->name + " block size " +
                       std::to_string(r.info.type->block));
    r.info.bytes = elems / r.info.type->block * r.info.type->bytes;
    raw.push_back(std::move(r));
  }
  uint64_t data_start = (c.pos() + alignment - 1) / alignment * alignment;
  for (auto& r : raw) {
    if (r.offset > f.size() || data_start > f.size() - r.offset || r.info.bytes > f.size() - data_start - r.offset)
      throw load_error("file is truncated: tensor " + r.info.name + " ends past the end of the file");
    r.info.data = f.data() + data_start + r.offset;
    tensors.push_back(std::move(r.info));
  }
}

mx::Shape mlx_shape(const TensorInfo& t) {
  mx::Shape s;
  for (auto it = t.dims.rbegin(); it != t.dims.rend(); ++it) s.push_back(int(*it));
  return s;
}

std::string base_name(const std::string& name) {
  const std::string suffix = ".weight";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    return name.substr(0, name.size() - suffix.size());
  return name;
}

// Every shard mapped and parsed (metadata from the first shard).
struct OpenModel {
  std::vector<std::unique_ptr<MappedFile>> files;
  GgufMetadata meta;
  std::vector<TensorInfo> tensors;
};

OpenModel open_model(const std::string& path) {
  OpenModel m;
  auto shards = gguf_shards(path);
  for (size_t i = 0; i < shards.size(); ++i) {
    m.files.push_back(std::make_unique<MappedFile>(shards[i]));
    GgufMetadata meta;
    parse_header(*m.files.back(), meta, m.tensors);
    if (i == 0) m.meta = std::move(meta);
  }
  if (shards.size() > 1) {
    auto it = m.meta.find("split.tensors.count");
    if (auto a = it == m.meta.end() ? nullptr : std::get_if<mx::array>(&it->second)) {
      auto expected = mx::astype(*a, mx::int64, mx::Device::cpu).item<int64_t>();
      if (expected != int64_t(m.tensors.size()))
        throw load_error("sharded GGUF holds " + std::to_string(m.tensors.size()) + " tensors, its header says " +
                         std::to_string(expected));
    }
  }
  return m;
}

} // namespace

std::vector<std::string> gguf_shards(const std::string& path) {
  static const std::regex shard(R"((.*)-(\d{5})-of-(\d{5})\.gguf)");
  std::smatch m;
  if (!std::regex_match(path, m, shard)) return {path};
  int count = std::stoi(m[3].str());
  if (count < 1 || count > 9999) throw load_error("bad shard count in " + path);
  std::vector<std::string> out;
  for (int i = 1; i <= count; ++i) {
    char suffix[32];
    std::snprintf(suffix, sizeof(suffix), "-%05d-of-%05d.gguf", i, count);
    auto p = m[1].str() + suffix;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec))
      throw load_error("sharded GGUF is missing part " + std::to_string(i) + " of " + std::to_string(count) + ": " + p);
    out.push_back(p);
  }
  return out;
}

namespace {

// Which tensors a pipeline shard reads (everything when not sharded).
template <typename Tensors>
std::function<bool(const std::string&)> shard_filter(const Tensors& tensors, const GgufLoadOptions& o) {
  if (o.layer_end <= 0) return [](const std::string&) { return true; };
  auto block = [](const std::string& name) {
    if (name.rfind("blk.", 0) != 0) return -1;
    return std::atoi(name.c_str() + 4);
  };
  int blocks = 0;
  bool has_output = false;
  for (auto& t : tensors) {
    blocks = std::max(blocks, block(t.name) + 1);
    has_output = has_output || t.name == "output.weight";
  }
  bool first = o.layer_begin == 0, last = o.layer_end >= blocks;
  return [=](const std::string& name) {
    int b = block(name);
    if (b >= 0) return b >= o.layer_begin && b < o.layer_end;
    if (name.rfind("token_embd.", 0) == 0) return first || (last && !has_output);
    if (name.rfind("output.", 0) == 0 || name.rfind("output_norm.", 0) == 0) return last;
    return true;  // rope tables and anything else layer-independent
  };
}

}  // namespace

GgufModel load_gguf_model(const std::string& path, const GgufLoadOptions& options) {
  auto open = open_model(path);
  GgufModel out;
  out.metadata = std::move(open.meta);
  for (auto& f : open.files) out.files.push_back(f->path());
  auto keep = shard_filter(open.tensors, options);
  auto tensor_bytes = [](const auto& t) {
    int64_t n = 1;
    for (auto d : t.dims) n *= int64_t(d);
    return double(n / t.type->block * t.type->bytes);
  };
  double total_bytes = 0, done_bytes = 0;
  for (auto& t : open.tensors)
    if (keep(t.name)) total_bytes += tensor_bytes(t);
  for (auto& t : open.tensors) {
    if (!keep(t.name)) continue;
    if (options.on_progress && total_bytes > 0) {
      options.on_progress(done_bytes / total_bytes);
      done_bytes += tensor_bytes(t);
    }
    auto shape = mlx_shape(t);
    int64_t cols = t.dims[0], rows = 1;
    for (size_t d = 1; d < t.dims.size(); ++d) rows *= t.dims[d];
    auto& summary = out.tensor_types[t.type->name];
    summary.count += 1;
    summary.elements += rows * cols;
    auto target = quant_target(t.type->id, options.five_bit_as);
    if (options.dequantize_all && target.kind != QuantTarget::Kind::dense) {
      auto* values = new float[size_t(rows * cols)];
      dequantize_row(*t.type, t.data, values, rows * cols);
      auto a = mx::array(static_cast<void*>(values), shape, mx::float32,
                         [](void* p) { delete[] static_cast<float*>(p); });
      summary.target = {QuantTarget::Kind::dense, 0, true};
      out.weights.insert_or_assign(t.name, a);
      continue;
    }
    auto c = convert_tensor(*t.type, t.data, rows, cols, shape, options.five_bit_as);
    summary.target = c.target;
    if (out.weights.count(t.name)) throw load_error("GGUF holds tensor " + t.name + " twice");
    if (!c.scales) {
      out.weights.insert_or_assign(t.name, c.weight);
      continue;
    }
    auto base = base_name(t.name);
    out.weights.insert_or_assign(base + ".weight", c.weight);
    out.weights.insert_or_assign(base + ".scales", *c.scales);
    if (c.biases) out.weights.insert_or_assign(base + ".biases", *c.biases);
  }
  // The arrays own copies; the maps close with `open`. Materialize first so
  // nothing lazily reads the mapping afterwards.
  std::vector<mx::array> all;
  for (auto& [_, a] : out.weights) all.push_back(a);
  mx::eval(all);
  return out;
}

DequantizedTensor dequantize_gguf_tensor(const std::string& path, const std::string& name, int five_bit_as) {
  auto open = open_model(path);
  for (auto& t : open.tensors) {
    if (t.name != name) continue;
    int64_t cols = t.dims[0], rows = t.bytes / t.type->bytes * t.type->block / cols;
    auto c = convert_tensor(*t.type, t.data, rows, cols, mlx_shape(t), five_bit_as);
    mx::array v = c.weight;
    if (c.target.kind == QuantTarget::Kind::affine)
      v = mx::dequantize(c.weight, *c.scales, c.biases, 32, c.target.bits, "affine", std::nullopt, mx::float32);
    else if (c.target.kind == QuantTarget::Kind::mxfp4)
      v = mx::dequantize(c.weight, *c.scales, std::nullopt, 32, 4, "mxfp4", std::nullopt, mx::float32);
    else
      v = mx::astype(v, mx::float32);
    v = mx::reshape(v, {-1});
    mx::eval(v);
    DequantizedTensor out;
    out.values.assign(v.data<float>(), v.data<float>() + v.size());
    for (auto d : mlx_shape(t)) out.shape.push_back(d);
    out.type_name = t.type->name;
    out.target = c.target;
    return out;
  }
  throw invalid_arg("no tensor named " + name + " in " + path);
}

} // namespace pocket
