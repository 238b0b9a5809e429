// One generation request as a resumable state machine, so the engine can
// interleave prefill chunks and batch decode steps across streams.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine.h"
#include "sampler.h"

namespace pocket {

// Rows that replace token embeddings at prompt positions (image features).
struct InjectedEmbeddings {
  std::vector<int> positions;  // ascending prompt positions
  std::vector<float> values;   // positions.size() x hidden, row-major
};

struct GenerationOptions {
  std::vector<int> prompt;
  SamplingParams sampling;
  int max_tokens = -1;  // -1 = until the context is full
  std::vector<int> stop_ids;
  bool verified = false;
  bool prompt_cache = true;
  bool logprobs = false;
  int commit_top_k = 0;  // > 0: activation commitment, top-k per 32 tokens
  std::string grammar_kind;  // "" = unconstrained; json_schema | regex | lark | llguidance
  std::string grammar_text;
  std::optional<InjectedEmbeddings> inject;
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
  int grammar_masks = 0;
  double grammar_mask_ms = 0;
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

// The engine drives a generation in phases: prepare() once, prefill_step()
// until prefilling() is false, then per decode step: sample() picks the next
// token (or finishes), and the engine feeds it back — alone (verified mode) or
// batched with other streams of the same model — through feed().
class Generation {
 public:
  Generation(int id, std::shared_ptr<LoadedModel> model, GenerationOptions opts,
             std::unique_ptr<GenerationSink> sink, std::shared_ptr<std::atomic<bool>> cancel);
  ~Generation();

  // Each returns false once the generation is finished (done, error, cancel).
  bool prepare();
  bool prefill_step(int max_chunk);
  // Samples and emits the next token; returns the token to feed, or -1 when done.
  int sample();
  // Feeds `token` alone (batch 1).
  bool feed(int token);
  // Batched feed: one forward for several generations of the same model.
  static void feed_batch(const std::vector<std::pair<Generation*, int>>& batch);

  bool finished() const { return finished_; }
  bool prefilling() const { return prefilling_; }
  bool verified() const { return opts_.verified; }
  LoadedModel* model() const { return model_.get(); }
  void abort(const std::string& message);

 private:
  template <typename F>
  bool guarded(F&& f);
  void begin();
  void decode_one();
  // Feeds tokens (prompt positions from `start` when >= 0); sets logits_/hidden_.
  void forward(const std::vector<int>& tokens, int start = -1);
  mx::array inject_rows(mx::array h, int start) const;
  void accept_row(int token, const float* logits, const float* hidden);
  void finish(const std::string& reason);
  void release_cache();

  using clock = std::chrono::steady_clock;
  int id_;
  std::shared_ptr<LoadedModel> model_;
  GenerationOptions opts_;
  std::unique_ptr<GenerationSink> sink_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::unique_ptr<KVCache> cache_;
  std::unique_ptr<GrammarMatcher> grammar_;
  std::vector<int> cache_tokens_;  // tokens whose KV is in cache_
  std::vector<int> completion_;
  std::vector<float> logits_, hidden_;
  GenerationStats stats_;
  int prefill_pos_ = 0;
  bool started_ = false, prefilling_ = true, finished_ = false;
  int pending_token_ = -1;
  clock::time_point t_start_, t_first_;
};

} // namespace pocket
