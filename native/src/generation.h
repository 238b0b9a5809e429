// One generation request as a resumable state machine: each step() runs a
// prefill chunk or decodes one token, so the engine can interleave streams.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine.h"
#include "sampler.h"

namespace pocket {

struct GenerationOptions {
  std::vector<int> prompt;
  SamplingParams sampling;
  int max_tokens = -1;  // -1 = until the context is full
  std::vector<int> stop_ids;
  bool verified = false;
  bool prompt_cache = true;
  bool logprobs = false;
  int commit_top_k = 0;  // > 0: activation commitment, top-k per 32 tokens
};

// Top-k of the final hidden state that produced completion token `index`.
struct ChunkCommitment {
  int index = 0;
  std::vector<int> indices;
  std::vector<float> values;
};

struct GenerationStats {
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int cached_tokens = 0;
  double ttft_ms = 0, prompt_tps = 0, decode_tps = 0, total_ms = 0;
  std::string stop_reason;
  int stop_token = -1;
  uint64_t seed = 0;
  std::vector<ChunkCommitment> commitments;
};

class GenerationSink {
 public:
  virtual ~GenerationSink() = default;
  virtual void on_token(const SampleResult& r) = 0;
  virtual void on_done(GenerationStats stats) = 0;
  virtual void on_error(const std::string& code, const std::string& message) = 0;
};

// Top-k (by value) of a hidden vector, ties by index.
ChunkCommitment top_k_commitment(int index, const float* h, int n, int k);

class Generation {
 public:
  Generation(int id, std::shared_ptr<LoadedModel> model, GenerationOptions opts,
             std::unique_ptr<GenerationSink> sink, std::shared_ptr<std::atomic<bool>> cancel);
  ~Generation();
  // Returns false once finished (done, error or cancelled).
  bool step();
  void abort(const std::string& message);

 private:
  void begin();
  void prefill_chunk();
  void decode_one();
  void forward(const std::vector<int>& tokens);  // sets logits_/hidden_
  void finish(const std::string& reason);
  void release_cache();

  using clock = std::chrono::steady_clock;
  int id_;
  std::shared_ptr<LoadedModel> model_;
  GenerationOptions opts_;
  std::unique_ptr<GenerationSink> sink_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::unique_ptr<KVCache> cache_;
  std::vector<int> cache_tokens_;  // tokens whose KV is in cache_
  std::vector<int> completion_;
  std::vector<float> logits_, hidden_;
  GenerationStats stats_;
  int prefill_pos_ = 0;
  bool started_ = false, prefilling_ = true, finished_ = false;
  clock::time_point t_start_, t_first_;
};

} // namespace pocket
