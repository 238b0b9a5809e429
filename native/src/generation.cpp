#include "generation.h"

#include <algorithm>
#include <numeric>
#include <random>

#include <fstream>
#include <sstream>

#include "backend.h"
#include "errors.h"
#include "qmm_q8.h"

namespace pocket {

std::pair<size_t, std::list<LoadedModel::CachedSequence>::iterator> find_idle(LoadedModel& m,
                                                                               const std::vector<int>& tokens,
                                                                               bool enabled) {
  size_t best = 0;
  auto best_it = m.idle.end();
  if (!enabled) return {best, best_it};
  for (auto it = m.idle.begin(); it != m.idle.end(); ++it) {
    size_t n = std::mismatch(tokens.begin(), tokens.end(), it->tokens.begin(), it->tokens.end()).first - tokens.begin();
    if (n > best) best = n, best_it = it;
  }
  return {best, best_it};
}

std::shared_ptr<GrammarTokenizer> LoadedModel::grammar() {
#ifdef POCKET_HAVE_GRAMMAR
  if (grammar_tokenizer) return grammar_tokenizer;
  auto& cfg = llm->config();
  if (!vocab.empty()) {
    grammar_tokenizer = GrammarTokenizer::from_byte_level(vocab, vocab_types, cfg.vocab_size, cfg.eos_ids);
  } else if (!tokenizer_json_path.empty()) {
    std::ifstream in(tokenizer_json_path);
    std::stringstream text;
    text << in.rdbuf();
    grammar_tokenizer = GrammarTokenizer::from_tokenizer_json(text.str(), cfg.vocab_size, cfg.eos_ids);
  } else {
    throw unsupported("response_format: this model's vocabulary is not available to the grammar engine");
  }
  return grammar_tokenizer;
#else
  throw unsupported("response_format: the addon was built without the grammar engine");
#endif
}

ChunkCommitment top_k_commitment(int index, const float* h, int n, int k) {
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min(k, n);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int a, int b) { return h[a] > h[b] || (h[a] == h[b] && a < b); });
  ChunkCommitment c{index, {}, {}};
  for (int i = 0; i < k; ++i) {
    c.indices.push_back(idx[i]);
    c.values.push_back(h[idx[i]]);
  }
  return c;
}

std::pair<mx::array, mx::array> device_greedy(const mx::array& logits) {
  auto ids = mx::argmax(logits, -1, true);  // [rows, 1]
  auto best = mx::take_along_axis(logits, ids, -1);
  auto logprob = mx::subtract(best, mx::logsumexp(logits, -1, true));
  return {mx::astype(mx::reshape(ids, {-1}), mx::int32), mx::reshape(logprob, {-1})};
}

bool Generation::device_sampling() const {
  if (!graph_path()) return false;  // CPU kernels: the row is read in place
  auto& s = opts_.sampling;
  return s.temperature == 0.0f && s.top_logprobs == 0 && s.repetition_penalty == 1.0f && s.presence_penalty == 0.0f &&
         s.frequency_penalty == 0.0f && s.logit_bias.empty() && opts_.grammar_kind.empty() && !speculative();
}

bool Generation::host_hidden() const { return !graph_path() || opts_.commit_top_k > 0; }

void Generation::take_next(const float* logits, const float* hidden, const SampleResult* pick) {
  auto& cfg = model_->llm->config();
  if (pick) {
    device_pick_ = *pick;
    logits_.clear();
  } else {
    device_pick_.reset();
    logits_.assign(logits, logits + cfg.vocab_size);
  }
  if (hidden)
    hidden_.assign(hidden, hidden + cfg.hidden_size);
  else
    hidden_.clear();
}

Generation::Generation(int id, std::shared_ptr<LoadedModel> model, GenerationOptions opts,
                       std::unique_ptr<GenerationSink> sink, std::shared_ptr<std::atomic<bool>> cancel)
    : id_(id), model_(std::move(model)), opts_(std::move(opts)), sink_(std::move(sink)), cancel_(std::move(cancel)),
      t_start_(clock::now()), t_first_(t_start_) {}

Generation::~Generation() { Engine::instance().forget(id_); }

bool Generation::guarded(const std::function<void()>& f) {
  if (finished_) return false;
  try {
    if (cancel_->load()) {
      finish("cancelled");
      return false;
    }
    f();
  } catch (const engine_error& e) {
    finished_ = true;
    sink_->on_error(e.code(), e.what());
  } catch (const std::exception& e) {
    finished_ = true;
    sink_->on_error("E_ENGINE", e.what());
  }
  return !finished_;
}

bool Generation::prepare() {
  return guarded([&] {
    if (!started_) begin();
  });
}

bool Generation::prefill_step(int max_chunk) {
  return guarded([&] {
    auto& prompt = opts_.prompt;
    // Verified mode always uses the model's fixed chunk size (determinism).
    int chunk = opts_.verified || max_chunk <= 0 ? model_->prefill_chunk
                                                 : std::min(max_chunk, model_->prefill_chunk);
    int end = std::min<int>(prefill_pos_ + chunk, int(prompt.size()));
    forward(std::vector<int>(prompt.begin() + prefill_pos_, prompt.begin() + end), prefill_pos_);
    prefill_pos_ = end;
    if (end == int(prompt.size())) prefilling_ = false;
    report_prefill();
  });
}

int Generation::sample() {
  pending_token_ = -1;
  guarded([&] { emit(choose()); });
  return finished_ ? -1 : pending_token_;
}

bool Generation::feed(int token) {
  return guarded([&] {
    // Decode steps of non-verified streams take 8-bit activations (qmm_q8.h);
    // verified ones keep the float32 products an auditor's prefill recomputes.
    qmm::Q8DecodeScope q8(!opts_.verified && model_->q8_decode, !opts_.verified && model_->q8_head);
    forward({token});
  });
}

void Generation::report_prefill() {
  int total = int(opts_.prompt.size()) - stats_.cached_tokens;
  sink_->on_prefill(prefill_pos_ - stats_.cached_tokens, total);
}

std::vector<int> Generation::next_prefill(int max_tokens) const {
  auto& prompt = opts_.prompt;
  int end = std::min<int>(prefill_pos_ + std::min(max_tokens, model_->prefill_chunk), int(prompt.size()));
  return std::vector<int>(prompt.begin() + prefill_pos_, prompt.begin() + end);
}

mx::array Generation::inject_rows(mx::array h, int start) const {
  auto& inj = *opts_.inject;
  int L = h.shape(1), D = h.shape(2);
  for (size_t i = 0; i < inj.positions.size();) {
    int p = inj.positions[i];
    if (p < start || p >= start + L) {
      ++i;
      continue;
    }
    // A contiguous run of positions inside this chunk: one slice_update.
    size_t j = i;
    while (j + 1 < inj.positions.size() && inj.positions[j + 1] == inj.positions[j] + 1 &&
           inj.positions[j + 1] < start + L)
      ++j;
    int n = int(j - i + 1);
    auto rows = mx::array(inj.values.data() + i * D, {1, n, D}, mx::float32);
    h = mx::slice_update(h, mx::astype(rows, h.dtype()), mx::Shape{0, p - start, 0}, mx::Shape{1, p - start + n, D});
    i = j + 1;
  }
  return h;
}

void Generation::abort(const std::string& message) {
  if (finished_) return;
  finished_ = true;
  sink_->on_error("E_ENGINE", message);
}

void Generation::begin() {
  started_ = true;
  t_start_ = clock::now();
  auto& cfg = model_->llm->config();
  auto& prompt = opts_.prompt;
  if (prompt.empty()) throw invalid_arg("prompt: must contain at least one token");
  for (int t : prompt)
    if (t < 0 || t >= cfg.vocab_size) throw invalid_arg("prompt: token id " + std::to_string(t) + " out of range");
  if (int(prompt.size()) >= model_->context_length)
    throw context_overflow("Prompt has " + std::to_string(prompt.size()) + " tokens but the context length is " +
                           std::to_string(model_->context_length) + ".");
  if (opts_.max_tokens == 0 || opts_.max_tokens < -1) throw invalid_arg("max_tokens: must be -1 or >= 1");
  validate_sampling(opts_.sampling, cfg.vocab_size);
  if (opts_.verified && opts_.sampling.temperature > 0 && opts_.sampling.seed == 0)
    throw invalid_arg("seed: verified mode requires an explicit seed");
  if (opts_.resumed < 0 || opts_.resumed >= int(prompt.size()))
    throw invalid_arg("resumeTokens: must be fewer than the prompt's tokens");
  if (opts_.resumed > 0) {
    if (opts_.verified || opts_.commit_top_k > 0 || !opts_.grammar_kind.empty() || opts_.draft ||
        opts_.prompt_lookup || opts_.inject)
      throw invalid_arg("resumeTokens: not with verified mode, commitments, grammars, drafts or images");
    completion_.assign(prompt.end() - opts_.resumed, prompt.end());
  }
  if (opts_.sampling.seed == 0)  // unseeded: draw one that fits a JS number, reported in stats
    opts_.sampling.seed = ((uint64_t(std::random_device{}()) << 21) ^ std::random_device{}()) % (1ull << 52) + 1;
  stats_.seed = opts_.sampling.seed;
  stats_.prompt_tokens = int(prompt.size());

  if (opts_.draft || opts_.prompt_lookup) {
    if (opts_.draft && opts_.prompt_lookup)
      throw invalid_arg("draft_model: choose a draft model or prompt lookup, not both");
    if (opts_.verified) throw invalid_arg("draft_model: verified mode does not use speculative decoding");
    if (opts_.num_draft < 1 || opts_.num_draft > 32) throw invalid_arg("numDraftTokens: must be between 1 and 32");
    // Recurrent (linear-attention) state cannot roll back rejected drafts.
    if (cfg.recurrent() || (opts_.draft && opts_.draft->llm->config().recurrent()))
      throw invalid_arg("draft_model: speculative decoding is not supported with recurrent models (Qwen3.5)");
    stats_.draft_model = "prompt-lookup";
  }
  if (opts_.draft) {
    auto& d = *opts_.draft;
    if (d.llm->config().vocab_size != cfg.vocab_size || (!d.vocab.empty() && !model_->vocab.empty() && d.vocab != model_->vocab))
      throw invalid_arg("draft_model: its vocabulary differs from the model's (speculative decoding needs the same tokenizer)");
    stats_.draft_model = d.path;
  }

  // Prefix cache: take the idle cache sharing the longest prefix.
  auto [best, best_it] = find_idle(*model_, prompt, opts_.prompt_cache);
  size_t reuse = std::min(best, prompt.size() - 1);  // always prefill >= 1 token
  if (opts_.inject) {
    auto& inj = *opts_.inject;
    int hidden = cfg.hidden_size;
    if (inj.values.size() != inj.positions.size() * size_t(hidden))
      throw invalid_arg("imageEmbeddings: values must be positions x hidden_size floats");
    for (size_t i = 0; i < inj.positions.size(); ++i)
      if (inj.positions[i] < 0 || inj.positions[i] >= int(prompt.size()) ||
          (i && inj.positions[i] <= inj.positions[i - 1]))
        throw invalid_arg("imageEmbeddings: positions must be ascending prompt positions");
    // Placeholder tokens look alike for every image: reuse only what precedes them.
    if (!inj.positions.empty()) reuse = std::min(reuse, size_t(inj.positions[0]));
  }
  // Verified mode reuses only whole prefill chunks, so chunking is identical to a cold run.
  // So does the graph path (every GPU): MLX's kernels round differently for a
  // 1-row and an n-row matmul, and a seed must replay the same tokens whether
  // or not the prompt was cached. The custom CPU kernels give every row the
  // same bits whatever the row count, so the CPU reuses any prefix.
  if (opts_.verified || graph_path()) reuse = reuse / model_->prefill_chunk * model_->prefill_chunk;
  // A sliding-window cache that dropped rows the reused prefix needs is not reused.
  if (best_it != model_->idle.end() && reuse > 0 && best_it->cache->can_trim_to(int(reuse))) {
    cache_ = std::move(best_it->cache);
    cache_tokens_.assign(prompt.begin(), prompt.begin() + reuse);
    cache_->trim_to(int(reuse));
    model_->idle.erase(best_it);
  } else {
    reuse = 0;
    cache_ = model_->new_cache();
  }
  stats_.cached_tokens = int(reuse);
#ifdef POCKET_HAVE_GRAMMAR
  if (!opts_.grammar_kind.empty())
    grammar_ = std::make_unique<GrammarMatcher>(model_->grammar(), opts_.grammar_kind, opts_.grammar_text);
#else
  if (!opts_.grammar_kind.empty()) model_->grammar();  // throws: not built
#endif
  prefill_pos_ = int(reuse);
}

void Generation::forward(const std::vector<int>& tokens, int start) {
  auto& llm = *model_->llm;
  auto ids = mx::array(tokens.data(), {1, int(tokens.size())}, mx::int32);
  auto hidden = opts_.inject && start >= 0 ? llm.forward_embeddings(inject_rows(llm.embed_tokens(ids), start), *cache_)
                                           : llm.forward(ids, *cache_);
  int L = int(tokens.size());
  auto last = mx::slice(hidden, {0, L - 1, 0}, {1, L, hidden.shape(2)});
  auto logits = mx::reshape(llm.logits(last), {1, -1});
  last = mx::reshape(mx::astype(last, mx::float32), {-1});
  auto state = cache_->state();
  bool device = device_sampling(), hidden_needed = host_hidden();
  std::optional<std::pair<mx::array, mx::array>> pick;
  if (device) {
    pick = device_greedy(logits);
    state.push_back(pick->first);
    state.push_back(pick->second);
  } else {
    state.push_back(logits);
  }
  if (hidden_needed) state.push_back(last);
  mx::eval(state);
  SampleResult r;
  if (pick) r = {pick->first.item<int32_t>(), pick->second.item<float>(), {}};
  take_next(pick ? nullptr : logits.data<float>(), hidden_needed ? last.data<float>() : nullptr, pick ? &r : nullptr);
  cache_tokens_.insert(cache_tokens_.end(), tokens.begin(), tokens.end());
}

bool Generation::is_stop(int token) const {
  auto& eos = model_->llm->config().eos_ids;
  return std::find(eos.begin(), eos.end(), token) != eos.end() ||
         std::find(opts_.stop_ids.begin(), opts_.stop_ids.end(), token) != opts_.stop_ids.end();
}

SampleResult Generation::choose() {
  if (device_pick_) return *device_pick_;
  std::vector<float> processed = logits_;
  apply_penalties(processed, opts_.sampling, cache_tokens_, completion_);
#ifdef POCKET_HAVE_GRAMMAR
  if (grammar_) grammar_->mask_logits(processed);  // EOS stays allowed only where the grammar accepts
#endif
  return sample_token(processed, opts_.sampling, uint64_t(completion_.size()));
}

void Generation::emit(const SampleResult& r) {
  int index = int(completion_.size());
  if (index == opts_.resumed) t_first_ = clock::now();
  if (is_stop(r.token)) {
    stats_.stop_token = r.token;
    finish("eos");
    return;
  }
  if (opts_.commit_top_k > 0) {
    // One commitment per 32-token chunk: the hidden state behind its last token.
    auto c = top_k_commitment(index, hidden_.data(), int(hidden_.size()), opts_.commit_top_k);
    if (!stats_.commitments.empty() && stats_.commitments.back().index / 32 == index / 32)
      stats_.commitments.back() = std::move(c);
    else
      stats_.commitments.push_back(std::move(c));
  }
  completion_.push_back(r.token);
#ifdef POCKET_HAVE_GRAMMAR
  if (grammar_) grammar_->consume(r.token);
#endif
  sink_->on_token(r);
#ifdef POCKET_HAVE_GRAMMAR
  if (grammar_ && grammar_->stopped()) {  // the grammar is complete: nothing may follow
    finish("eos");
    return;
  }
#endif
  if (opts_.max_tokens > 0 && int(completion_.size()) - opts_.resumed >= opts_.max_tokens) {
    finish("maxTokens");
    return;
  }
  if (int(cache_tokens_.size()) + 1 >= model_->context_length) {
    finish("contextFull");
    return;
  }
  pending_token_ = r.token;
}

void Generation::finish(const std::string& reason) {
  finished_ = true;
  auto now = clock::now();
  auto ms = [](clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  stats_.stop_reason = reason;
#ifdef POCKET_HAVE_GRAMMAR
  if (grammar_) {
    stats_.grammar_masks = grammar_->stats().masks;
    stats_.grammar_mask_ms = grammar_->stats().mask_ms;
  }
#endif
  int generated = int(completion_.size()) - opts_.resumed;
  stats_.completion_tokens = generated;
  if (cache_) stats_.kv_cache_bytes = cache_->nbytes();
  stats_.total_ms = ms(now - t_start_);
  if (generated > 0) {
    stats_.ttft_ms = ms(t_first_ - t_start_);
    int prefilled = stats_.prompt_tokens - stats_.cached_tokens;
    stats_.prompt_tps = stats_.ttft_ms > 0 ? prefilled / (stats_.ttft_ms / 1000.0) : 0;
    double decode_ms = ms(now - t_first_);
    stats_.decode_tps = generated > 1 && decode_ms > 0 ? (generated - 1) / (decode_ms / 1000.0) : 0;
  }
  release_cache();
  sink_->on_done(std::move(stats_));
}

void Generation::release_cache() {
  // A cache holding image features must not be matched by token ids later.
  if (!opts_.prompt_cache || opts_.inject) return;
  auto keep = [](LoadedModel& m, std::unique_ptr<KVCache>& cache, std::vector<int>& tokens) {
    if (!cache || tokens.empty() || !cache->can_trim_to(int(tokens.size()))) return;
    cache->trim_to(int(tokens.size()));  // drops rejected draft rows
    m.idle.push_front({std::move(cache), std::move(tokens)});
    while (m.idle.size() > LoadedModel::kMaxIdle) m.idle.pop_back();
  };
  keep(*model_, cache_, cache_tokens_);
  if (opts_.draft) keep(*opts_.draft, draft_cache_, draft_tokens_);
}

} // namespace pocket
