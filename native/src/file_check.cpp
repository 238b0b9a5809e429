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

} // namespace

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
