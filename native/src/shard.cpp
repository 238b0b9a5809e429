#include "shard.h"

#include <mlx/distributed/distributed.h>
#include <mlx/distributed/ops.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>

#include "errors.h"
#include "qmm_q8.h"

namespace pocket {
namespace {

namespace md = mlx::core::distributed;
using clock = std::chrono::steady_clock;

std::optional<md::Group>& ring() {
  static std::optional<md::Group> group;
  return group;
}

std::string range_text(const DecoderConfig& c) {
  return "layers [" + std::to_string(c.layer_begin()) + ", " + std::to_string(c.layer_end()) + ") of " +
         std::to_string(c.num_layers);
}

// One rank's side of a request (see shard.h for the protocol).
class ShardStream {
 public:
  ShardStream(LoadedModel& m, const ShardRequest& req, GenerationSink& sink, const std::atomic<bool>& cancel)
      : m_(m), llm_(*m.llm), req_(req), sink_(sink), cancel_(cancel) {
    if (ring()) rank_ = ring()->rank(), size_ = ring()->size();
    hidden_ = llm_.config().hidden_size;
  }

  void run() {
    t_start_ = t_first_ = clock::now();
    check();
    context_ = req_.prompt;
    context_.insert(context_.end(), req_.resume.begin(), req_.resume.end());
    seen_ = context_;
    completion_ = req_.resume;
    stats_.seed = sampling_.seed;
    stats_.prompt_tokens = int(req_.prompt.size());
    cache_ = m_.new_cache();
    int chunk = std::max(1, m_.prefill_chunk);
    size_t pos = 0;  // positions held in this rank's cache
    int next = -1;   // the token fed by the next decode step (rank 0, last rank)
    while (true) {
      bool prefill = pos < context_.size();
      std::vector<int> tokens{next};
      if (prefill)
        tokens.assign(context_.begin() + pos, context_.begin() + std::min(context_.size(), pos + chunk));
      int L = int(tokens.size());
      bool sample_now = last() && (!prefill || pos + L == context_.size());
      // Decode steps take the model's decodeActivations, as in one process.
      qmm::Q8DecodeScope q8(!prefill && m_.q8_decode, !prefill && m_.q8_head);
      std::optional<mx::array> h;
      if (first()) {
        if (cancel_.load()) {
          stop_next(L);
          if (reason_.empty()) reason_ = "cancelled";
          break;
        }
        h = llm_.embed_tokens(mx::array(tokens.data(), {1, L}, mx::int32));
      } else {
        h = receive(L);
        if (!h) {
          if (!last()) stop_next(L);
          if (reason_.empty()) reason_ = "cancelled";
          break;
        }
      }
      auto out = llm_.forward_embeddings(*h, *cache_);
      pos += L;
      auto state = cache_->state();
      if (!last()) state.push_back(send_next(out, true));
      if (!sample_now) {
        mx::eval(state);
      } else {
        bool stop = sample(out, state, pos);
        next = completion_.empty() ? -1 : completion_.back();
        if (size_ == 1) {
          if (stop) break;
          continue;
        }
        mx::eval(md::send(mx::array({next, stop ? 1 : 0}), 0, *ring()));
        continue;  // the next message says whether to go on
      }
      if (first() && size_ > 1 && !(prefill && pos < context_.size())) {
        // The last rank's pick: (token, stop).
        auto msg = md::recv({2}, mx::int32, size_ - 1, *ring());
        mx::eval(msg);
        if (msg.data<int32_t>()[1]) {
          stop_next(1);
          break;
        }
        next = msg.data<int32_t>()[0];
      }
    }
    finish();
  }

 private:
  bool first() const { return rank_ == 0; }
  bool last() const { return rank_ == size_ - 1; }

  // Every rank checks the same things, so a bad request fails on all of them
  // before any message is sent.
  void check() {
    auto& cfg = llm_.config();
    if (first() != cfg.has_embeddings() || last() != cfg.has_head())
      throw invalid_arg("shard: rank " + std::to_string(rank_) + " of " + std::to_string(size_) + " holds " +
                        range_text(cfg) +
                        "; rank 0 must start at layer 0 and the last rank must end at the last layer");
    if (req_.prompt.empty()) throw invalid_arg("prompt: must contain at least one token");
    for (auto* list : {&req_.prompt, &req_.resume})
      for (int t : *list)
        if (t < 0 || t >= cfg.vocab_size) throw invalid_arg("prompt: token id " + std::to_string(t) + " out of range");
    size_t n = req_.prompt.size() + req_.resume.size();
    if (int(n) >= m_.context_length)
      throw context_overflow("Prompt has " + std::to_string(n) + " tokens but the context length is " +
                             std::to_string(m_.context_length) + ".");
    if (req_.max_tokens == 0 || req_.max_tokens < -1) throw invalid_arg("max_tokens: must be -1 or >= 1");
    validate_sampling(req_.sampling, cfg.vocab_size);
    sampling_ = req_.sampling;
    if (sampling_.temperature > 0 && sampling_.seed == 0)
      throw invalid_arg("seed: sharded sampling needs an explicit seed (a restart must draw the same tokens)");
  }

  // [control; rows] to rank + 1 (lazy; the caller evaluates it).
  mx::array send_next(const mx::array& rows, bool go) {
    auto control = mx::full({1, 1, hidden_}, go ? 1.0f : 0.0f, m_.dtype);
    return md::send(mx::concatenate({control, mx::astype(rows, m_.dtype)}, 1), rank_ + 1, *ring());
  }
  void stop_next(int L) {
    if (size_ > 1) mx::eval(send_next(mx::zeros({1, L, hidden_}, m_.dtype), false));
  }
  // The L rows rank - 1 sent, or nullopt when it said stop.
  std::optional<mx::array> receive(int L) {
    auto msg = md::recv({1, L + 1, hidden_}, m_.dtype, rank_ - 1, *ring());
    mx::eval(msg);
    auto go = mx::astype(mx::slice(msg, {0, 0, 0}, {1, 1, 1}), mx::float32).item<float>();
    if (go == 0.0f) return std::nullopt;
    return mx::slice(msg, {0, 1, 0}, {1, L + 1, hidden_});
  }

  // Last rank: picks and emits the next token from the last row of `out`;
  // true when the stream stops here.
  bool sample(const mx::array& out, std::vector<mx::array>& state, size_t pos) {
    int L = out.shape(1);
    auto row = mx::slice(out, {0, L - 1, 0}, {1, L, hidden_});
    auto logits = mx::reshape(llm_.logits(row), {-1});
    state.push_back(logits);
    mx::eval(state);
    std::vector<float> processed(logits.data<float>(), logits.data<float>() + logits.size());
    apply_penalties(processed, sampling_, seen_, completion_);
    auto r = sample_token(processed, sampling_, uint64_t(completion_.size()));
    auto& eos = llm_.config().eos_ids;
    if (std::count(eos.begin(), eos.end(), r.token) || std::count(req_.stop_ids.begin(), req_.stop_ids.end(), r.token)) {
      stats_.stop_token = r.token;
      reason_ = "eos";
      return true;
    }
    if (generated_++ == 0) t_first_ = clock::now();
    completion_.push_back(r.token);
    seen_.push_back(r.token);
    sink_.on_token(r);
    if (req_.max_tokens > 0 && int(completion_.size()) >= req_.max_tokens) {
      reason_ = "maxTokens";
      return true;
    }
    if (int(pos) + 1 >= m_.context_length) {
      reason_ = "contextFull";
      return true;
    }
    return false;
  }

  void finish() {
    auto ms = [](clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
    auto now = clock::now();
    stats_.stop_reason = reason_.empty() ? "eos" : reason_;
    stats_.completion_tokens = generated_;
    stats_.kv_cache_bytes = cache_->nbytes();
    stats_.total_ms = ms(now - t_start_);
    if (generated_ > 0) {
      stats_.ttft_ms = ms(t_first_ - t_start_);
      stats_.prompt_tps = stats_.ttft_ms > 0 ? context_.size() / (stats_.ttft_ms / 1000.0) : 0;
      double decode_ms = ms(now - t_first_);
      stats_.decode_tps = generated_ > 1 && decode_ms > 0 ? (generated_ - 1) / (decode_ms / 1000.0) : 0;
    }
    sink_.on_done(std::move(stats_));
  }

  LoadedModel& m_;
  const CausalLM& llm_;
  const ShardRequest& req_;
  GenerationSink& sink_;
  const std::atomic<bool>& cancel_;
  int rank_ = 0, size_ = 1, hidden_ = 0;
  SamplingParams sampling_;
  std::unique_ptr<KVCache> cache_;
  std::vector<int> context_, seen_, completion_;
  int generated_ = 0;
  std::string reason_;
  GenerationStats stats_;
  clock::time_point t_start_, t_first_;
};

}  // namespace

ShardGroupInfo shard_connect() {
  auto& group = ring();
  if (!group) {
    if (!std::getenv("MLX_HOSTFILE")) return {};
    try {
      group = md::init(true, "ring");
    } catch (const std::exception& e) {
      throw engine_error("E_SHARD", std::string("could not join the ring (MLX_RANK, MLX_HOSTFILE): ") + e.what());
    }
  }
  return {group->rank(), group->size()};
}

void run_shard_generation(LoadedModel& m, const ShardRequest& req, GenerationSink& sink,
                          const std::atomic<bool>& cancel) {
  try {
    ShardStream(m, req, sink, cancel).run();
  } catch (const engine_error& e) {
    sink.on_error(e.code(), e.what());
  } catch (const std::exception& e) {
    sink.on_error("E_ENGINE", e.what());
  }
}

}  // namespace pocket
