#include "file_check.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_map>
#include <vector>

#include "errors.h"

namespace pocket {
namespace {

// Bounds-checked sequential reader over a file.
class Reader {
 public:
  Reader(const std::string& path, uint64_t size) : in_(path, std::ios::binary), size_(size) {
    if (!in_) throw load_error("cannot open " + path);
  }
  void read(void* dst, uint64_t n) {
    if (pos_ + n > size_) throw load_error("file is truncated (header runs past the end)");
    in_.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    if (!in_) throw load_error("read failed");
    pos_ += n;
  }
  template <typename T>
  T get() {
    T v;
    read(&v, sizeof(T));
    return v;
  }
  std::string str() {
    auto n = get<uint64_t>();
    if (n > (1u << 24)) throw load_error("implausible string length in GGUF header");
    std::string s(n, '\0');
    read(s.data(), n);
    return s;
  }
  void skip(uint64_t n) {
    if (pos_ + n > size_) throw load_error("file is truncated (header runs past the end)");
    in_.seekg(static_cast<std::streamoff>(n), std::ios::cur);
    pos_ += n;
  }
  uint64_t pos() const { return pos_; }

 private:
  std::ifstream in_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

uint64_t file_size_of(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw load_error("no such model file: " + path);
  return std::filesystem::file_size(path, ec);
}

// Scalar GGUF value sizes by type id; 0 = variable.
uint64_t gguf_scalar_size(uint32_t t) {
  switch (t) {
    case 0: case 1: case 7: return 1;
    case 2: case 3: return 2;
    case 4: case 5: case 6: return 4;
    case 10: case 11: case 12: return 8;
    default: return 0;
  }
}

void skip_gguf_value(Reader& r, uint32_t type, int depth = 0) {
  if (type == 8) {
    r.str();
  } else if (type == 9) {
    if (depth > 2) throw load_error("nested GGUF arrays too deep");
    auto inner = r.get<uint32_t>();
    auto n = r.get<uint64_t>();
    if (n > (1ull << 32)) throw load_error("implausible GGUF array length");
    if (auto sz = gguf_scalar_size(inner)) {
      r.skip(n * sz);
    } else {
      for (uint64_t i = 0; i < n; ++i) skip_gguf_value(r, inner, depth + 1);
    }
  } else if (auto sz = gguf_scalar_size(type)) {
    r.skip(sz);
  } else {
    throw load_error("unknown GGUF metadata value type " + std::to_string(type));
  }
}

struct GgmlType {
  const char* name;
  uint64_t block;  // elements per block
  uint64_t bytes;  // bytes per block
  bool supported;
};

const std::unordered_map<uint32_t, GgmlType>& ggml_types() {
  static const std::unordered_map<uint32_t, GgmlType> t = {
      {0, {"F32", 1, 4, true}},       {1, {"F16", 1, 2, true}},
      {2, {"Q4_0", 32, 18, true}},    {3, {"Q4_1", 32, 20, true}},
      {6, {"Q5_0", 32, 22, false}},   {7, {"Q5_1", 32, 24, false}},
      {8, {"Q8_0", 32, 34, true}},    {9, {"Q8_1", 32, 36, false}},
      {10, {"Q2_K", 256, 84, false}}, {11, {"Q3_K", 256, 110, false}},
      {12, {"Q4_K", 256, 144, false}}, {13, {"Q5_K", 256, 176, false}},
      {14, {"Q6_K", 256, 210, false}}, {15, {"Q8_K", 256, 292, false}},
      {24, {"I8", 1, 1, false}},      {25, {"I16", 1, 2, false}},
      {26, {"I32", 1, 4, false}},     {27, {"I64", 1, 8, false}},
      {28, {"F64", 1, 8, false}},     {30, {"BF16", 1, 2, true}},
  };
  return t;
}

} // namespace

void check_gguf_file(const std::string& path) {
  auto size = file_size_of(path);
  Reader r(path, size);
  char magic[4];
  r.read(magic, 4);
  if (std::memcmp(magic, "GGUF", 4) != 0) throw load_error("not a GGUF file (bad magic)");
  auto version = r.get<uint32_t>();
  if (version < 2 || version > 3)
    throw unsupported("GGUF version " + std::to_string(version) + " is not supported");
  auto n_tensors = r.get<uint64_t>();
  auto n_kv = r.get<uint64_t>();
  if (n_tensors > 100000 || n_kv > 100000) throw load_error("implausible GGUF header counts");
  uint64_t alignment = 32;
  for (uint64_t i = 0; i < n_kv; ++i) {
    auto key = r.str();
    auto type = r.get<uint32_t>();
    if (key == "general.alignment" && type == 4) {
      alignment = r.get<uint32_t>();
      if (alignment == 0 || (alignment & (alignment - 1))) throw load_error("bad GGUF alignment");
    } else {
      skip_gguf_value(r, type);
    }
  }
  struct Info { std::string name; uint64_t offset, bytes; };
  std::vector<Info> infos;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    auto name = r.str();
    auto n_dims = r.get<uint32_t>();
    if (n_dims == 0 || n_dims > 4) throw load_error("tensor " + name + " has bad rank");
    uint64_t elems = 1;
    uint64_t first_dim = 0;
    for (uint32_t d = 0; d < n_dims; ++d) {
      auto dim = r.get<uint64_t>();
      if (dim == 0 || dim > (1ull << 32)) throw load_error("tensor " + name + " has bad shape");
      if (d == 0) first_dim = dim;
      if (elems > (1ull << 40) / dim) throw load_error("tensor " + name + " is implausibly large");
      elems *= dim;
    }
    auto type = r.get<uint32_t>();
    auto offset = r.get<uint64_t>();
    auto it = ggml_types().find(type);
    if (it == ggml_types().end())
      throw unsupported("unsupported tensor type id " + std::to_string(type) + " (tensor " + name + ")");
    if (!it->second.supported)
      throw unsupported(std::string("unsupported tensor type ") + it->second.name + " (tensor " + name +
                        "); supported: F32, F16, BF16, Q4_0, Q4_1, Q8_0");
    if (first_dim % it->second.block != 0)
      throw load_error("tensor " + name + " row size is not a multiple of its block size");
    infos.push_back({name, offset, elems / it->second.block * it->second.bytes});
  }
  uint64_t data_start = (r.pos() + alignment - 1) / alignment * alignment;
  for (auto& t : infos) {
    if (data_start + t.offset + t.bytes > size)
      throw load_error("file is truncated: tensor " + t.name + " ends past the end of the file");
  }
}

void check_safetensors_file(const std::string& path) {
  auto size = file_size_of(path);
  Reader r(path, size);
  auto header_len = r.get<uint64_t>();
  if (header_len < 2 || header_len > (100ull << 20) || header_len + 8 > size)
    throw load_error("not a safetensors file (bad header length)");
  std::string header(header_len, '\0');
  r.read(header.data(), header_len);
  if (header[0] != '{') throw load_error("not a safetensors file (header is not JSON)");
  // Find the furthest data offset; the data block must hold it.
  uint64_t max_end = 0;
  size_t pos = 0;
  const std::string key = "\"data_offsets\"";
  while ((pos = header.find(key, pos)) != std::string::npos) {
    pos = header.find('[', pos);
    if (pos == std::string::npos) throw load_error("malformed safetensors header");
    auto comma = header.find(',', pos);
    auto close = header.find(']', pos);
    if (comma == std::string::npos || close == std::string::npos || comma > close)
      throw load_error("malformed safetensors header");
    uint64_t end = std::stoull(header.substr(comma + 1, close - comma - 1));
    max_end = std::max(max_end, end);
    pos = close;
  }
  if (8 + header_len + max_end > size)
    throw load_error("file is truncated: tensor data ends past the end of the file");
}

} // namespace pocket
