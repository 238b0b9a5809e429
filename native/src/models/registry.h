// Architecture registry: which families load, and from what.
#pragma once

#include <memory>
#include <string>

#include "../causal_lm.h"
#include "../layers.h"
#include "gguf_keys.h"

namespace pocket {

// GGUF metadata -> DecoderConfig; unknown general.architecture is an
// E_UNSUPPORTED error naming it and the supported ones.
DecoderConfig config_from_gguf(const GgufMeta& meta);
// Builds the decoder for a config (from GGUF, or from config.json via TS,
// whose architecture must be one of the HF model types listed here).
std::unique_ptr<CausalLM> make_decoder(const DecoderConfig& cfg, WeightMap& weights, bool gguf);
// "llama, mistral, ..." for messages.
std::string supported_architectures(bool gguf);

}  // namespace pocket
