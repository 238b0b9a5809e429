#include "kv_cache.h"

namespace pocket {

std::pair<mx::array, mx::array> KVCache::update(int layer, const mx::array& k, const mx::array& v) {
  int n = k.shape(2);
  auto& K = keys_[layer];
  auto& V = values_[layer];
  int needed = offset_ + n;
  if (!K || K->shape(2) < needed) {
    int grow = ((needed - (K ? K->shape(2) : 0) + kStep - 1) / kStep) * kStep;
    auto kshape = k.shape();
    auto vshape = v.shape();
    kshape[2] = grow;
    vshape[2] = grow;
    auto kz = mx::zeros(kshape, k.dtype());
    auto vz = mx::zeros(vshape, v.dtype());
    if (K) {
      // Keep only the valid prefix, then extend.
      K = mx::concatenate({mx::slice(*K, {0, 0, 0, 0}, {K->shape(0), K->shape(1), offset_, K->shape(3)}), kz}, 2);
      V = mx::concatenate({mx::slice(*V, {0, 0, 0, 0}, {V->shape(0), V->shape(1), offset_, V->shape(3)}), vz}, 2);
    } else {
      K = kz;
      V = vz;
    }
  }
  K = mx::slice_update(*K, k, mx::Shape{0, 0, offset_, 0}, mx::Shape{k.shape(0), k.shape(1), needed, k.shape(3)});
  V = mx::slice_update(*V, v, mx::Shape{0, 0, offset_, 0}, mx::Shape{v.shape(0), v.shape(1), needed, v.shape(3)});
  auto keys = mx::slice(*K, {0, 0, 0, 0}, {K->shape(0), K->shape(1), needed, K->shape(3)});
  auto vals = mx::slice(*V, {0, 0, 0, 0}, {V->shape(0), V->shape(1), needed, V->shape(3)});
  return {keys, vals};
}

std::vector<mx::array> KVCache::state() const {
  std::vector<mx::array> out;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i]) out.push_back(*keys_[i]);
    if (values_[i]) out.push_back(*values_[i]);
  }
  return out;
}

std::vector<std::pair<mx::array, mx::array>> KVCache::prefix(int n) const {
  std::vector<std::pair<mx::array, mx::array>> out;
  for (size_t i = 0; i < keys_.size(); ++i) {
    auto& K = *keys_[i];
    auto& V = *values_[i];
    out.emplace_back(mx::slice(K, {0, 0, 0, 0}, {K.shape(0), K.shape(1), n, K.shape(3)}),
                     mx::slice(V, {0, 0, 0, 0}, {V.shape(0), V.shape(1), n, V.shape(3)}));
  }
  return out;
}

void KVCache::restore(const std::vector<std::pair<mx::array, mx::array>>& kv) {
  for (size_t i = 0; i < kv.size() && i < keys_.size(); ++i) {
    keys_[i] = kv[i].first;
    values_[i] = kv[i].second;
    mx::eval({*keys_[i], *values_[i]});
  }
  offset_ = kv.empty() ? 0 : kv[0].first.shape(2);
}

size_t KVCache::nbytes() const {
  size_t n = 0;
  for (auto& a : state()) n += a.nbytes();
  return n;
}

} // namespace pocket
