#include "kv_cache.h"

#include "backend.h"

namespace pocket {
namespace {

mx::array prefix_of(const mx::array& a, int n) {
  return mx::slice(a, {0, 0, 0, 0}, {a.shape(0), a.shape(1), n, a.shape(3)});
}

} // namespace

KVCache::Parts KVCache::encode(const mx::array& in) const {
  // Restored prompt caches arrive as float32; store them in the cache's dtype.
  auto x = mx::issubdtype(in.dtype(), mx::floating) && in.dtype() != dtype_ ? mx::astype(in, dtype_) : in;
  if (!bits_) return {x};
  return mx::quantize(x, group_, bits_);
}

mx::array KVCache::decode(const Parts& parts, int n) const {
  if (!bits_) return prefix_of(parts[0], n);
  return mx::dequantize(prefix_of(parts[0], n), prefix_of(parts[1], n), prefix_of(parts[2], n), group_, bits_,
                        "affine", std::nullopt, dtype_);
}

void KVCache::grow(std::optional<Parts>& buf, const Parts& like, int needed) {
  if (buf && (*buf)[0].shape(2) >= needed) return;
  int have = buf ? (*buf)[0].shape(2) : 0;
  int step = ((needed - have + kStep - 1) / kStep) * kStep;
  Parts grown;
  for (size_t i = 0; i < like.size(); ++i) {
    auto shape = like[i].shape();
    shape[2] = step;
    auto zeros = mx::zeros(shape, like[i].dtype());
    // Keep only the valid prefix of the old buffer, then extend.
    grown.push_back(buf ? mx::concatenate({prefix_of((*buf)[i], offset_), zeros}, 2) : zeros);
  }
  buf = std::move(grown);
}

void KVCache::write(std::optional<Parts>& buf, const mx::array& x, int needed) {
  auto parts = encode(x);
  grow(buf, parts, needed);
  for (size_t i = 0; i < parts.size(); ++i) {
    auto& p = parts[i];
    (*buf)[i] = mx::slice_update((*buf)[i], p, mx::Shape{0, 0, offset_, 0},
                                 mx::Shape{p.shape(0), p.shape(1), needed, p.shape(3)});
  }
}

bool KVCache::reserve(int n, int kv_heads, int head_dim) {
  if (bits_ || dtype_ != mx::float32 || graph_path()) return false;
  std::vector<mx::array> grown;
  const Parts fresh{mx::zeros({1, kv_heads, 0, head_dim}, mx::float32)};
  for (auto* side : {&keys_, &values_})
    for (auto& buf : *side) {
      if (buf && (*buf)[0].shape(2) >= n) continue;
      grow(buf, buf ? *buf : fresh, n);
      grown.push_back((*buf)[0]);
    }
  if (!grown.empty()) mx::eval(grown);
  return true;
}

std::pair<mx::array, mx::array> KVCache::update(int layer, const mx::array& k, const mx::array& v) {
  int needed = offset_ + k.shape(2);
  write(keys_[layer], k, needed);
  write(values_[layer], v, needed);
  return {decode(*keys_[layer], needed), decode(*values_[layer], needed)};
}

std::vector<mx::array> KVCache::state() const {
  std::vector<mx::array> out;
  for (auto* side : {&keys_, &values_})
    for (auto& buf : *side)
      if (buf) out.insert(out.end(), buf->begin(), buf->end());
  return out;
}

std::vector<std::pair<mx::array, mx::array>> KVCache::prefix(int n) const {
  std::vector<std::pair<mx::array, mx::array>> out;
  for (size_t i = 0; i < keys_.size(); ++i) out.emplace_back(decode(*keys_[i], n), decode(*values_[i], n));
  return out;
}

void KVCache::restore(const std::vector<std::pair<mx::array, mx::array>>& kv) {
  offset_ = 0;
  for (size_t i = 0; i < kv.size() && i < keys_.size(); ++i) {
    keys_[i].reset();
    values_[i].reset();
    int n = kv[i].first.shape(2);
    write(keys_[i], kv[i].first, n);
    write(values_[i], kv[i].second, n);
  }
  offset_ = kv.empty() ? 0 : kv[0].first.shape(2);
  mx::eval(state());
}

size_t KVCache::nbytes() const {
  size_t n = 0;
  for (auto& a : state()) n += a.nbytes();
  return n;
}

} // namespace pocket
