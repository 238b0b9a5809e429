#include "registry.h"

#include "../decoder.h"
#include "../errors.h"
#include "../hybrid.h"
#include "families.h"

namespace pocket {
namespace {

struct Family {
  const char* name;
  void (*configure)(const GgufKeys&, DecoderConfig&);
};

const Family kGguf[] = {
    {"llama", configure_llama},     {"mistral", configure_llama}, {"qwen2", configure_qwen2},
    {"qwen3", configure_qwen2},     {"gemma2", configure_gemma2}, {"gemma3", configure_gemma3},
    {"phi3", configure_phi3},       {"olmo2", configure_olmo2},   {"smollm3", configure_smollm3},
    {"granite", configure_granite}, {"qwen3moe", configure_qwen3moe}, {"gpt-oss", configure_gpt_oss},
    {"qwen35", configure_qwen35},   {"qwen35moe", configure_qwen35},
    {"mistral3", configure_mistral3},
};

// HF model types src/engine/architectures/ maps onto DecoderConfig.
const char* kHf[] = {"llama",   "mistral",  "qwen2",     "qwen3",   "gemma2", "gemma3",   "gemma3_text",
                     "phi3",    "olmo2",    "smollm3",   "granite", "qwen3_moe", "mixtral", "gpt_oss",
                     "mistral3"};

}  // namespace

std::string supported_architectures(bool gguf) {
  std::string out;
  if (gguf)
    for (auto& f : kGguf) out += (out.empty() ? "" : ", ") + std::string(f.name);
  else
    for (auto* n : kHf) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

DecoderConfig config_from_gguf(const GgufMeta& meta) {
  auto it = meta.find("general.architecture");
  if (it == meta.end() || !std::get_if<std::string>(&it->second)) throw load_error("GGUF has no general.architecture");
  DecoderConfig c;
  c.architecture = std::get<std::string>(it->second);
  for (auto& f : kGguf) {
    if (c.architecture != f.name) continue;
    GgufKeys keys(meta, c.architecture);
    read_common_keys(keys, c);
    f.configure(keys, c);
    return c;
  }
  throw unsupported("architecture '" + c.architecture + "' is not supported (" + supported_architectures(true) +
                    " are)");
}

std::unique_ptr<CausalLM> make_decoder(const DecoderConfig& cfg, WeightMap& weights, bool gguf) {
  if (!gguf) {
    bool known = false;
    for (auto* n : kHf) known = known || cfg.architecture == n;
    if (!known)
      throw unsupported("architecture '" + cfg.architecture + "' is not supported (" + supported_architectures(false) +
                        " are)");
  }
  if (cfg.recurrent()) {
    if (cfg.sharded()) throw unsupported("shard: pipeline sharding of hybrid (linear-attention) models is not supported");
    return std::make_unique<HybridDecoder>(cfg, weights, gguf);
  }
  return std::make_unique<Decoder>(cfg, weights, gguf ? Decoder::Naming::gguf : Decoder::Naming::hf);
}

}  // namespace pocket
