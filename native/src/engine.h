// The engine thread: the only thread that touches MLX. JS posts tasks; the
// loop runs them, then advances every active generation by one step
// (a prefill chunk or one decoded token), round-robin.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "grammar.h"
#include "kv_cache.h"
#include "causal_lm.h"

namespace pocket {

// One loaded decoder plus its idle KV caches for prefix reuse.
struct LoadedModel {
  std::string path;
  std::unique_ptr<CausalLM> llm;
  int context_length = 0;
  int prefill_chunk = 256;
  // KV-cache quantization: 0 (float), 8 or 4 bits.
  int kv_bits = 0;
  // Decode steps of non-verified streams quantize activations to 8 bits
  // (integer-dot kernels, qmm_q8.h): q8_decode every product's, q8_head the
  // LM head's only; neither keeps float32 (decodeActivations).
  bool q8_decode = false;
  bool q8_head = false;
  // Activation dtype (weights' floats, hidden states, float KV caches).
  mx::Dtype dtype = mx::float32;
  // Vocabulary for the grammar engine: GGUF byte-level tokens + types, or a
  // tokenizer.json path; the GrammarTokenizer is built on first use.
  std::vector<std::string> vocab;
  std::vector<int> vocab_types;
  std::string tokenizer_json_path;
  std::shared_ptr<GrammarTokenizer> grammar_tokenizer;
  std::shared_ptr<GrammarTokenizer> grammar();  // throws when unavailable
  std::unique_ptr<KVCache> new_cache() const {
    auto cache = llm->new_cache(kv_bits);
    cache->set_dtype(dtype);
    return cache;
  }
  // Continuous batching: up to this many non-verified streams share a decode step.
  int max_batch = 8;
  // Prefill chunk for prompts that cannot share the decode forward (image
  // rows) while other streams decode; verified requests keep prefill_chunk.
  int interleaved_prefill_chunk = 32;
  struct CachedSequence {
    std::unique_ptr<KVCache> cache;
    std::vector<int> tokens;  // exactly the tokens held in the cache
  };
  std::list<CachedSequence> idle;  // most recently used first
  static constexpr size_t kMaxIdle = 4;
};

class Generation;

// How many prompt tokens may join a decode step so that running streams'
// inter-token latency stays within kRatio of a decode-only step. Learns the
// decode step time and the marginal cost of a prompt token as it goes.
class PrefillBudget {
 public:
  // Prompt tokens that may join a step in which `streams` streams decode.
  int tokens(int streams, int max_chunk) const;
  void record(double step_ms, int streams, int prefill_tokens);

 private:
  static constexpr double kRatio = 1.4;
  static constexpr int kFirst = 16, kMin = 4, kMaxStreams = 65;
  static int slot(int streams) { return std::min(streams, kMaxStreams - 1); }
 public:
  // Prompt tokens per step while a burst of prompts waits.
  static constexpr int kBurstPrefill = 256;
 private:
  double step_ms_[kMaxStreams] = {};  // decode-only step time by batch size
  double token_ms_ = 0;               // marginal cost of one prompt token
};

class Engine {
 public:
  static Engine& instance();
  void post(std::function<void()> task);
  void shutdown();

  // Engine-thread only.
  int add_model(std::shared_ptr<LoadedModel> m);
  std::shared_ptr<LoadedModel> model(int id);
  void remove_model(int id);
  void start(std::shared_ptr<Generation> g);

  // Any thread.
  std::shared_ptr<std::atomic<bool>> cancel_flag(int request_id);
  void cancel(int request_id);
  void forget(int request_id);
  int next_request_id() { return ++request_ids_; }

 private:
  Engine();
  void loop();
  void step_generations();
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<Generation>> active_;
  PrefillBudget budget_;
  std::unordered_map<int, std::shared_ptr<LoadedModel>> models_;
  int model_ids_ = 0;
  std::atomic<int> request_ids_{0};
  std::mutex cancel_mutex_;
  std::unordered_map<int, std::shared_ptr<std::atomic<bool>>> cancels_;
};

} // namespace pocket
