// One generation request as a resumable state machine, so the engine can
// interleave prefill chunks and batch decode steps across streams.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
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
  // Speculative decoding: a draft model of the same vocabulary proposes up to
  // num_draft tokens per step; the model verifies them in one forward.
  // Or prompt lookup: drafts copied from where the context's last n-gram
  // occurred before (no draft model; pays off when output repeats input).
  std::shared_ptr<LoadedModel> draft;
  bool prompt_lookup = false;
  int num_draft = 4;
  // The prompt's last `resumed` tokens are an earlier run's completion (a
  // failover): the sampler's position and the penalties continue after
  // them, so a seeded run resumes the same draw; max_tokens and the stats
  // count only new tokens.
  int resumed = 0;
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
  size_t kv_cache_bytes = 0;  // the sequence's KV cache at the end (sliding windows bound it)
  double ttft_ms = 0, prompt_tps = 0, decode_tps = 0, total_ms = 0;
  std::string stop_reason;
  int stop_token = -1;
  uint64_t seed = 0;
  std::vector<ChunkCommitment> commitments;
  int grammar_masks = 0;
  double grammar_mask_ms = 0;
  // Speculative decoding (LM Studio's names): proposed = accepted + rejected + ignored.
  std::string draft_model;
  int draft_total = 0, draft_accepted = 0, draft_rejected = 0, draft_ignored = 0;
};

class GenerationSink {
 public:
  virtual ~GenerationSink() = default;
  virtual void on_token(const SampleResult& r) = 0;
  // Prompt processing: `processed` of the `total` uncached prompt tokens are
  // in the cache (after every prefill chunk; the last call has processed == total).
  virtual void on_prefill(int /*processed*/, int /*total*/) {}
  virtual void on_done(GenerationStats stats) = 0;
  virtual void on_error(const std::string& code, const std::string& message) = 0;
};

// The idle cache of `m` sharing the longest prefix with `tokens` (length, iterator).
std::pair<size_t, std::list<LoadedModel::CachedSequence>::iterator> find_idle(LoadedModel& m,
                                                                               const std::vector<int>& tokens,
                                                                               bool enabled);

// Top-k (by value) of a hidden vector, ties by index.
ChunkCommitment top_k_commitment(int index, const float* h, int n, int k);

// Greedy picks computed where the logits live (GPU): per row of logits
// [rows, vocab], the argmax (int32 [rows]) and its log-probability (float32
// [rows]), so a decode step moves two numbers per stream instead of a row.
std::pair<mx::array, mx::array> device_greedy(const mx::array& logits);

// The engine drives a generation in phases: prepare() once, then prefill the
// prompt (alone with prefill_step(), or chunk by chunk inside a shared
// forward via next_prefill() + run_batch()), then per decode step: sample()
// picks and emits the next token (or finishes), and the engine feeds it back
// alone (verified mode, feed()) or in a shared forward with other streams of
// the same model (run_batch()). Speculative streams first get draft tokens
// (draft_batch()) and feed [token, drafts...]; run_batch() verifies them.
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

  int prefill_remaining() const { return int(opts_.prompt.size()) - prefill_pos_; }
  // The next at most max_tokens prompt tokens, for a shared forward.
  std::vector<int> next_prefill(int max_tokens) const;
  // Whether this stream's prefill may share a forward (not verified, no image rows).
  bool shares_prefill() const { return !opts_.verified && !opts_.inject; }
  bool speculative() const { return opts_.draft || opts_.prompt_lookup; }

  // One forward for several generations of the same model: each feeds its
  // tokens (a prompt chunk, one decoded token, or a token plus its drafts).
  struct Work {
    Generation* g;
    std::vector<int> tokens;
  };
  static void run_batch(const std::vector<Work>& batch);
  // Draft proposals for speculative streams (batched per draft model); each
  // entry is (generation, token just sampled). Returns [token, drafts...] per entry.
  static std::vector<std::vector<int>> draft_batch(const std::vector<std::pair<Generation*, int>>& spec);

  // Whether decode_pipelined() may run this stream: the graph path (GPU),
  // greedy on the device, no host-side logits or hidden states, decoding.
  bool pipelines() const;
  // Emits up to max_tokens tokens of a lone greedy stream, queueing each next
  // step on the device (mx::async_eval) before the host reads the current
  // pick, so graph building overlaps the device's work (what mlx-lm does).
  // Same graphs and shapes as one step at a time: the same tokens.
  void decode_pipelined(int max_tokens);

  bool finished() const { return finished_; }
  bool prefilling() const { return prefilling_; }
  bool verified() const { return opts_.verified; }
  LoadedModel* model() const { return model_.get(); }
  void abort(const std::string& message);

 private:
  bool guarded(const std::function<void()>& f);
  void begin();
  // Picks the next token from logits_ (penalties, grammar mask, sampler).
  SampleResult choose();
  // Emits a chosen token: stop checks, commitments, grammar, sink; sets pending_token_.
  void emit(const SampleResult& r);
  // Consumes the rows of a shared forward (see run_batch). `pick`: the
  // device's greedy choice, instead of host logits (device_sampling()).
  void absorb(const std::vector<int>& tokens, const float* logits, const float* hidden, int rows,
              const SampleResult* pick = nullptr);
  // Whether choose() can use the device's greedy pick instead of a host row
  // of logits: graph path (GPU), greedy, nothing that edits the logits.
  bool device_sampling() const;
  // Whether the host needs the final hidden state (activation commitments;
  // always on the CPU path, where reading it costs nothing).
  bool host_hidden() const;
  // Takes one row: host logits, or the device's pick when logits is null.
  void take_next(const float* logits, const float* hidden, const SampleResult* pick);
  // Speculative decoding: aligns the draft cache with [context..., token] and
  // returns the tokens the draft still has to read.
  std::vector<int> draft_catch_up(int token);
  int draft_budget() const;
  std::vector<int> lookup_draft(int token, int budget) const;
  void verify(const std::vector<int>& tokens, const float* logits, const float* hidden);
  // Feeds tokens (prompt positions from `start` when >= 0); sets logits_/hidden_.
  void forward(const std::vector<int>& tokens, int start = -1);
  mx::array inject_rows(mx::array h, int start) const;
  void finish(const std::string& reason);
  // Tells the sink how far prefill got (after prefill_pos_ moved).
  void report_prefill();
  void release_cache();
  bool is_stop(int token) const;

  using clock = std::chrono::steady_clock;
  int id_;
  std::shared_ptr<LoadedModel> model_;
  GenerationOptions opts_;
  std::unique_ptr<GenerationSink> sink_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::unique_ptr<KVCache> cache_;
  std::unique_ptr<GrammarMatcher> grammar_;
  std::vector<int> cache_tokens_;  // tokens whose KV is in cache_
  std::unique_ptr<KVCache> draft_cache_;
  std::vector<int> draft_tokens_;  // tokens whose KV is in draft_cache_
  std::vector<int> completion_;
  std::vector<float> logits_, hidden_;
  std::optional<SampleResult> device_pick_;  // set instead of logits_ (device_sampling())
  GenerationStats stats_;
  int prefill_pos_ = 0;
  bool started_ = false, prefilling_ = true, finished_ = false;
  int pending_token_ = -1;
  clock::time_point t_start_, t_first_;
};

} // namespace pocket
