#include "prompt_cache.h"

#include <filesystem>
#include <sstream>

#include "errors.h"
#include "file_check.h"

namespace pocket {
namespace {

constexpr const char* kFormat = "pocket-prompt-cache-v1";

std::string join_ints(const std::vector<int>& v) {
  std::ostringstream out;
  for (size_t i = 0; i < v.size(); ++i) out << (i ? "," : "") << v[i];
  return out.str();
}

std::vector<int> split_ints(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoi(item));
  return out;
}

std::string key(size_t seq, size_t layer, char kind) {
  return "s" + std::to_string(seq) + ".l" + std::to_string(layer) + "." + kind;
}

} // namespace

int save_prompt_cache(LoadedModel& model, const std::string& file) {
  auto& cfg = model.llm->config();
  std::unordered_map<std::string, mx::array> arrays;
  std::unordered_map<std::string, std::string> meta{{"format", kFormat}};
  meta["shape"] = std::to_string(cfg.num_layers) + "x" + std::to_string(cfg.num_kv_heads) + "x" +
                  std::to_string(cfg.head_dim);
  size_t seq = 0;
  for (auto& entry : model.idle) {
    int n = int(entry.tokens.size());
    // Sliding-window caches that dropped old rows cannot be restored later.
    if (!entry.cache || n == 0 || entry.cache->offset() != n || !entry.cache->complete()) continue;
    auto kv = entry.cache->prefix(n);
    for (size_t l = 0; l < kv.size(); ++l) {
      arrays.insert_or_assign(key(seq, l, 'k'), kv[l].first);
      arrays.insert_or_assign(key(seq, l, 'v'), kv[l].second);
    }
    meta["tokens." + std::to_string(seq)] = join_ints(entry.tokens);
    ++seq;
  }
  meta["sequences"] = std::to_string(seq);
  if (seq == 0) return 0;
  std::filesystem::create_directories(std::filesystem::path(file).parent_path());
  // save_safetensors appends ".safetensors" to other names, so keep the suffix.
  auto tmp = file + ".tmp.safetensors";
  mx::save_safetensors(tmp, arrays, meta);
  std::filesystem::rename(tmp, file);  // atomic replace: never a half-written cache
  return int(seq);
}

int load_prompt_cache(LoadedModel& model, const std::string& file) {
  auto& cfg = model.llm->config();
  check_safetensors_file(file);
  auto [arrays, meta] = mx::load_safetensors(file);
  auto expect_shape = std::to_string(cfg.num_layers) + "x" + std::to_string(cfg.num_kv_heads) + "x" +
                      std::to_string(cfg.head_dim);
  if (meta["format"] != kFormat) throw load_error("not a prompt cache file: " + file);
  if (meta["shape"] != expect_shape) throw invalid_arg("prompt cache: saved for a model of another shape");
  int sequences = std::stoi(meta["sequences"]);
  int restored = 0;
  for (int s = 0; s < sequences && model.idle.size() < LoadedModel::kMaxIdle; ++s) {
    auto tokens = split_ints(meta["tokens." + std::to_string(s)]);
    if (tokens.empty() || int(tokens.size()) >= model.context_length) continue;
    for (int t : tokens)
      if (t < 0 || t >= cfg.vocab_size) throw load_error("prompt cache: token id out of range");
    std::vector<std::pair<mx::array, mx::array>> kv;
    for (int l = 0; l < cfg.num_layers; ++l) {
      auto k = arrays.find(key(s, l, 'k'));
      auto v = arrays.find(key(s, l, 'v'));
      if (k == arrays.end() || v == arrays.end()) throw load_error("prompt cache: missing layer arrays");
      mx::Shape want{1, cfg.num_kv_heads, int(tokens.size()), cfg.head_dim};
      if (k->second.shape() != want || v->second.shape() != want)
        throw load_error("prompt cache: arrays do not match the saved tokens");
      kv.emplace_back(mx::astype(k->second, mx::float32), mx::astype(v->second, mx::float32));
    }
    auto cache = model.new_cache();
    cache->restore(kv);
    model.idle.push_back({std::move(cache), std::move(tokens)});
    ++restored;
  }
  return restored;
}

} // namespace pocket
