#include "gguf_keys.h"

#include "../errors.h"

namespace pocket {

std::optional<float> GgufKeys::any_num(const std::string& key) const {
  auto it = meta_.find(key);
  if (it == meta_.end()) return std::nullopt;
  auto a = std::get_if<mx::array>(&it->second);
  if (!a || a->size() < 1) return std::nullopt;
  auto first = mx::astype(mx::slice(mx::reshape(*a, {-1}), {0}, {1}), mx::float32);
  return first.item<float>();
}

std::vector<float> GgufKeys::nums(const std::string& key) const {
  auto it = meta_.find(arch_ + "." + key);
  if (it == meta_.end()) return {};
  auto a = std::get_if<mx::array>(&it->second);
  if (!a) return {};
  auto f = mx::astype(mx::reshape(*a, {-1}), mx::float32);
  mx::eval(f);
  return std::vector<float>(f.data<float>(), f.data<float>() + f.size());
}

float GgufKeys::required(const std::string& key) const {
  auto v = num(key);
  if (!v) throw load_error("GGUF is missing " + arch_ + "." + key);
  return *v;
}

std::optional<std::string> GgufKeys::any_str(const std::string& key) const {
  auto it = meta_.find(key);
  if (it == meta_.end()) return std::nullopt;
  if (auto s = std::get_if<std::string>(&it->second)) return *s;
  return std::nullopt;
}

const std::vector<std::string>* GgufKeys::strings(const std::string& key) const {
  auto it = meta_.find(key);
  return it == meta_.end() ? nullptr : std::get_if<std::vector<std::string>>(&it->second);
}

void read_common_keys(const GgufKeys& k, DecoderConfig& c) {
  c.hidden_size = int(k.required("embedding_length"));
  c.num_layers = int(k.required("block_count"));
  c.num_heads = int(k.required("attention.head_count"));
  c.num_kv_heads = int(k.num("attention.head_count_kv").value_or(c.num_heads));
  if (c.num_heads <= 0) throw load_error("GGUF " + k.arch() + ".attention.head_count must be positive");
  c.head_dim = int(k.num("attention.key_length").value_or(c.hidden_size / c.num_heads));
  if (auto v = k.num("attention.value_length"); v && int(*v) != c.head_dim)
    throw unsupported("attention value length differs from the key length");
  c.intermediate_size = int(k.required("feed_forward_length"));
  c.context_length = int(k.num("context_length").value_or(2048));
  c.rms_eps = k.num("attention.layer_norm_rms_epsilon").value_or(1e-5f);
  c.rope_theta = k.num("rope.freq_base").value_or(10000.0f);
  c.rope_dims = int(k.num("rope.dimension_count").value_or(0));
  if (auto type = k.any_str(k.arch() + ".rope.scaling.type")) {
    c.rope_scaling.type = *type == "none" ? "" : *type;
    c.rope_scaling.factor = k.num("rope.scaling.factor").value_or(1.0f);
    if (auto orig = k.num("rope.scaling.original_context_length")) c.rope_scaling.original_max_position = int(*orig);
    c.rope_scaling.attn_factor = k.num("rope.scaling.attn_factor").value_or(0.0f);
    if (auto f = k.num("rope.scaling.yarn_beta_fast")) c.rope_scaling.beta_fast = *f;
    if (auto f = k.num("rope.scaling.yarn_beta_slow")) c.rope_scaling.beta_slow = *f;
  }
  auto tokens = k.strings("tokenizer.ggml.tokens");
  if (tokens) c.vocab_size = int(tokens->size());
  if (auto vs = k.num("vocab_size")) c.vocab_size = int(*vs);
  auto add_eos = [&](int id) {
    if (id >= 0 && std::find(c.eos_ids.begin(), c.eos_ids.end(), id) == c.eos_ids.end()) c.eos_ids.push_back(id);
  };
  if (auto eos = k.any_num("tokenizer.ggml.eos_token_id")) add_eos(int(*eos));
  if (auto eot = k.any_num("tokenizer.ggml.eot_token_id")) add_eos(int(*eot));
  if (auto bos = k.any_num("tokenizer.ggml.bos_token_id")) c.bos_id = int(*bos);
  // End-of-turn control tokens of chat templates end generation too (as in
  // llama.cpp), whether or not the file names them as eot.
  if (tokens) {
    static const char* kTurnEnds[] = {"<end_of_turn>", "<|end|>", "<|eot_id|>", "<|im_end|>"};
    for (size_t i = 0; i < tokens->size(); ++i)
      for (auto* t : kTurnEnds)
        if ((*tokens)[i] == t) add_eos(int(i));
  }
}

std::vector<int> sliding_layers(const GgufKeys& k, int layers, int window, int default_period) {
  auto flags = k.nums("attention.sliding_window_pattern");
  if (flags.size() > 1) {
    if (int(flags.size()) != layers) throw load_error("sliding_window_pattern does not match the layer count");
    std::vector<int> w(layers);
    for (int i = 0; i < layers; ++i) w[i] = flags[i] != 0 ? window : 0;
    return w;
  }
  return window_pattern(layers, window, flags.empty() ? default_period : int(flags[0]));
}

std::vector<int> window_pattern(int layers, int window, int period) {
  std::vector<int> w(layers, 0);
  for (int i = 0; i < layers; ++i)
    if (period == 0 || i % period < period - 1) w[i] = window;
  return w;
}

}  // namespace pocket
