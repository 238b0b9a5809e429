// What the engine needs of a text decoder: every caller (generation,
// continuous batching, speculative decoding, evaluate/audit, the prompt
// cache) goes through this interface and never sees an architecture.
//
// How architectures are organised:
//  - models/registry.cpp picks the architecture from GGUF metadata
//    (general.architecture) and calls models/<arch>.cpp, which turns that
//    family's metadata keys into a DecoderConfig (config.h): sizes plus
//    features (norm layout, activation, sliding windows, rope variants,
//    soft-capping, scales). config.json takes the same route in TS
//    (src/engine/architectures/). An unknown architecture is an
//    E_UNSUPPORTED error naming it and the supported ones.
//  - decoder.cpp is one transformer implementation driven by those features
//    (Llama, Mistral, Qwen2/3, Gemma 2/3, Phi-3, OLMo 2, SmolLM3, Granite);
//    decoder_attention.cpp holds its attention (rope, KV cache, sliding
//    windows, soft-capping) and rope.cpp the rotary frequency variants.
//    Layers that are plain Llama layers run as one fused primitive per layer
//    (fused_layer.h) when a step allows it; the others take the op graph.
//  - A family that is not a transformer of this shape (MoE, hybrids) is
//    another CausalLM subclass or another layer kind inside Decoder.
#pragma once

#include <mlx/mlx.h>

#include <memory>
#include <vector>

#include "config.h"
#include "kv_cache.h"

namespace pocket {

namespace mx = mlx::core;

class CausalLM {
 public:
  virtual ~CausalLM() = default;

  const DecoderConfig& config() const { return cfg_; }

  // Several sequences in one pass (continuous batching): each segment's
  // embeddings [1, L_i, hidden] are fed at its cache's offset. Rows of all
  // segments are packed into [1, T, hidden] so the projections and the MLP
  // run once; attention runs per segment against its own cache, causal
  // within the segment. Returns the final-normed hidden states [1, T, hidden]
  // and advances every cache by its segment's length.
  struct Segment {
    mx::array h;
    KVCache* cache;
  };
  virtual mx::array forward_segments(const std::vector<Segment>& segs) const = 0;
  // Token embeddings [1, L, hidden] (scaled as the architecture wants); VLMs
  // replace image-placeholder rows before forward_embeddings.
  virtual mx::array embed_tokens(const mx::array& tokens) const = 0;
  // hidden [..., hidden] -> logits [..., vocab] (float32).
  virtual mx::array logits(const mx::array& hidden) const = 0;
  virtual std::vector<mx::array> parameters() const = 0;

  // The segment that feeds `tokens` to `cache`.
  Segment token_segment(const std::vector<int>& tokens, KVCache* cache) const {
    return {embed_tokens(mx::array(tokens.data(), {1, int(tokens.size())}, mx::int32)), cache};
  }
  // tokens [1, L] int32 -> final-normed hidden states [1, L, hidden].
  mx::array forward(const mx::array& tokens, KVCache& cache) const {
    return forward_embeddings(embed_tokens(tokens), cache);
  }
  mx::array forward_embeddings(const mx::array& h, KVCache& cache) const { return forward_segments({{h, &cache}}); }
  // A KV cache laid out for this model (sliding-window layers bounded).
  std::unique_ptr<KVCache> new_cache(int kv_bits) const {
    auto cache = std::make_unique<KVCache>(cfg_.num_layers, kv_bits, kv_bits ? 32 : 0, cfg_.layer_window);
    if (cfg_.sharded()) cache->own_layers(cfg_.layer_begin(), cfg_.layer_end());
    return cache;
  }
  size_t nbytes() const {
    size_t n = 0;
    for (auto& a : parameters()) n += a.nbytes();
    return n;
  }

 protected:
  explicit CausalLM(DecoderConfig cfg) : cfg_(std::move(cfg)) {}
  DecoderConfig cfg_;
};

}  // namespace pocket
