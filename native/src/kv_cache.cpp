#include "kv_cache.h"

#include <stdexcept>
#include <string>

#include "backend.h"

namespace pocket {
namespace {

mx::array rows_of(const mx::array& a, int from, int to) {
  return mx::slice(a, {0, 0, from, 0}, {a.shape(0), a.shape(1), to, a.shape(3)});
}

}  // namespace

KVCache::KVCache(int num_layers, int bits, int group, std::vector<int> windows)
    : keys_(num_layers), values_(num_layers), recurrent_(num_layers), windows_(std::move(windows)), start_(num_layers, 0),
      bits_(bits), group_(group) {
  windows_.resize(num_layers, 0);
}

KVCache::Parts KVCache::encode(const mx::array& in) const {
  // Restored prompt caches arrive as float32; store them in the cache's dtype.
  auto x = mx::issubdtype(in.dtype(), mx::floating) && in.dtype() != dtype_ ? mx::astype(in, dtype_) : in;
  if (!bits_) return {x};
  return mx::quantize(x, group_, bits_);
}

mx::array KVCache::decode(const Parts& parts, int n) const {
  if (!bits_) return rows_of(parts[0], 0, n);
  return mx::dequantize(rows_of(parts[0], 0, n), rows_of(parts[1], 0, n), rows_of(parts[2], 0, n), group_, bits_,
                        "affine", std::nullopt, dtype_);
}

void KVCache::grow(std::optional<Parts>& buf, const Parts& like, int needed, int valid) {
  if (buf && (*buf)[0].shape(2) >= needed) return;
  int have = buf ? (*buf)[0].shape(2) : 0;
  int step = ((needed - have + kStep - 1) / kStep) * kStep;
  Parts grown;
  for (size_t i = 0; i < like.size(); ++i) {
    auto shape = like[i].shape();
    shape[2] = step;
    auto zeros = mx::zeros(shape, like[i].dtype());
    // Keep only the valid rows of the old buffer, then extend.
    grown.push_back(buf ? mx::concatenate({rows_of((*buf)[i], 0, valid), zeros}, 2) : zeros);
  }
  buf = std::move(grown);
}

void KVCache::write(std::optional<Parts>& buf, const mx::array& x, int at, int needed, int valid) {
  auto parts = encode(x);
  grow(buf, parts, needed, valid);
  for (auto i = 0u; i < parts.size(); ++i) {
    auto& p = parts[i];
    (*buf)[i] = mx::slice_update((*buf)[i], p, mx::Shape{0, 0, at, 0},
                                 mx::Shape{p.shape(0), p.shape(1), needed, p.shape(3)});
  }
}

bool KVCache::reserve(int n, int kv_heads, int head_dim) {
  if (bits_ || has_recurrent() || dtype_ != mx::float32 || graph_path()) return false;
  std::vector<mx::array> grown;
  const Parts fresh{mx::zeros({1, kv_heads, 0, head_dim}, mx::float32)};
  int end = own_end_ < 0 ? int(keys_.size()) : own_end_;
  for (auto* side : {&keys_, &values_})
    for (int l = own_begin_; l < end; ++l) {
      auto& buf = (*side)[l];
      const int rows = n - start_[l];  // a sliding-window layer that dropped rows holds [start, n)
      if (buf && (*buf)[0].shape(2) >= rows) {
        if (!(*buf)[0].is_available()) grown.push_back((*buf)[0]);  // drop_old's fresh buffer
        continue;
      }
      grow(buf, buf ? *buf : fresh, rows, offset_ - start_[l]);
      grown.push_back((*buf)[0]);
    }
  if (!grown.empty()) mx::eval(grown);
  return true;
}

std::pair<mx::array, mx::array> KVCache::update(int layer, const mx::array& k, const mx::array& v) {
  int at = offset_ - start_[layer], needed = at + k.shape(2);
  write(keys_[layer], k, at, needed, at);
  write(values_[layer], v, at, needed, at);
  return {decode(*keys_[layer], needed), decode(*values_[layer], needed)};
}

void KVCache::drop_old(int layer, const std::optional<mx::array>& written_by) {
  int w = windows_[layer];
  int stored = offset_ - start_[layer];
  int keep = w - 1 + kSlack;
  if (!w || !keys_[layer] || stored <= keep + kStep) return;
  int drop = stored - keep;
  for (auto* buf : {&keys_[layer], &values_[layer]}) {
    Parts moved;
    // A fresh buffer (never a view of the old one), so the old rows are freed.
    for (auto& p : **buf) {
      auto shape = p.shape();
      shape[2] = kStep;
      auto src = written_by ? mx::depends({p}, {*written_by})[0] : p;
      moved.push_back(mx::concatenate({rows_of(src, drop, stored), mx::zeros(shape, p.dtype())}, 2));
    }
    *buf = std::move(moved);
  }
  start_[layer] += drop;
}

void KVCache::advance(int n, const std::optional<mx::array>& written_by) {
  offset_ += n;
  for (size_t l = 0; l < keys_.size(); ++l) drop_old(int(l), written_by);
}

bool KVCache::has_recurrent() const {
  for (auto& r : recurrent_)
    if (r) return true;
  return false;
}

bool KVCache::can_trim_to(int n) const {
  if (has_recurrent() && n < offset_) return false;
  for (size_t l = 0; l < keys_.size(); ++l)
    if (start_[l] > 0 && n < std::min(offset_, start_[l] + windows_[l] - 1)) return false;
  return true;
}

void KVCache::trim_to(int n) {
  if (!can_trim_to(n))
    throw std::logic_error("[KVCache::trim_to] a sliding-window or recurrent layer no longer holds the state position " +
                           std::to_string(n) + " needs");
  offset_ = std::min(offset_, n);
}

bool KVCache::complete() const {
  if (has_recurrent()) return false;
  for (int s : start_)
    if (s > 0) return false;
  return true;
}

std::vector<mx::array> KVCache::state() const {
  std::vector<mx::array> out;
  for (auto* side : {&keys_, &values_})
    for (auto& buf : *side)
      if (buf) out.insert(out.end(), buf->begin(), buf->end());
  for (auto& r : recurrent_)
    if (r) out.insert(out.end(), r->begin(), r->end());
  return out;
}

std::vector<std::pair<mx::array, mx::array>> KVCache::prefix(int n) const {
  if (!complete()) throw std::logic_error("[KVCache::prefix] sliding-window layers dropped old rows, or the cache is recurrent");
  std::vector<std::pair<mx::array, mx::array>> out;
  for (size_t i = 0; i < keys_.size(); ++i) out.emplace_back(decode(*keys_[i], n), decode(*values_[i], n));
  return out;
}

void KVCache::restore(const std::vector<std::pair<mx::array, mx::array>>& kv) {
  offset_ = 0;
  std::fill(start_.begin(), start_.end(), 0);
  for (auto& r : recurrent_) r.reset();
  for (size_t i = 0; i < kv.size() && i < keys_.size(); ++i) {
    keys_[i].reset();
    values_[i].reset();
    int n = kv[i].first.shape(2);
    write(keys_[i], kv[i].first, 0, n, 0);
    write(values_[i], kv[i].second, 0, n, 0);
  }
  offset_ = kv.empty() ? 0 : kv[0].first.shape(2);
  mx::eval(state());
}

size_t KVCache::nbytes() const {
  size_t n = 0;
  for (auto& a : state()) n += a.nbytes();
  return n;
}

}  // namespace pocket
