#include "engine.h"

#include <algorithm>
#include <chrono>

#include "backend.h"
#include "generation.h"

namespace pocket {

Engine& Engine::instance() {
  static Engine* engine = new Engine();  // lives until process exit; shutdown() joins
  return *engine;
}

Engine::Engine() { thread_ = std::thread([this] { loop(); }); }

void Engine::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void Engine::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

int Engine::add_model(std::shared_ptr<LoadedModel> m) {
  models_[++model_ids_] = std::move(m);
  return model_ids_;
}

std::shared_ptr<LoadedModel> Engine::model(int id) {
  auto it = models_.find(id);
  return it == models_.end() ? nullptr : it->second;
}

void Engine::remove_model(int id) { models_.erase(id); }

void Engine::start(std::shared_ptr<Generation> g) { active_.push_back(std::move(g)); }

std::shared_ptr<std::atomic<bool>> Engine::cancel_flag(int request_id) {
  std::lock_guard<std::mutex> lock(cancel_mutex_);
  auto& f = cancels_[request_id];
  if (!f) f = std::make_shared<std::atomic<bool>>(false);
  return f;
}

void Engine::cancel(int request_id) {
  std::lock_guard<std::mutex> lock(cancel_mutex_);
  auto it = cancels_.find(request_id);
  if (it != cancels_.end()) it->second->store(true);
}

void Engine::forget(int request_id) {
  std::lock_guard<std::mutex> lock(cancel_mutex_);
  cancels_.erase(request_id);
}

int PrefillBudget::tokens(int streams, int max_chunk) const {
  // An unmeasured batch size first gets one decode-only step, to learn its time.
  double step = step_ms_[slot(streams)];
  if (step <= 0) return 0;
  if (token_ms_ <= 0) return std::min(kFirst, max_chunk);
  int n = int((kRatio - 1.0) * step / token_ms_);
  return std::clamp(n, std::min(kMin, max_chunk), max_chunk);
}

void PrefillBudget::record(double ms, int streams, int prefill_tokens) {
  constexpr double a = 0.2;  // exponential moving averages
  auto ema = [](double& v, double x) { v = v <= 0 ? x : (1 - a) * v + a * x; };
  if (prefill_tokens == 0) {
    ema(step_ms_[slot(streams)], ms);
  } else if (double step = step_ms_[slot(streams)]; step > 0) {
    ema(token_ms_, std::max(ms - step, 0.01) / prefill_tokens);
  }
}

namespace {

// Prompt tokens a waiting stream may add to this step: its share of the
// budget; a short prompt comes in whole (one bounded hiccup for the running
// streams, and it starts streaming at once).
int admit(int room, int remaining, int admitted, int chunk) {
  constexpr int kShortPrompt = 96;
  if (remaining <= kShortPrompt) room = std::max(room, std::min(remaining, PrefillBudget::kBurstPrefill - admitted));
  return std::min(room, chunk);
}

}  // namespace

void Engine::step_generations() {
  // 1. Start new requests. 2. Prefill: alone when nothing decodes; otherwise
  // a prompt chunk sized by the budget joins the decode forward (verified and
  // image prompts prefill alone in small chunks). 3. Decode: every stream
  // samples a token; speculative streams add draft tokens; one forward per
  // model feeds them all (verified streams: batch 1).
  auto t0 = std::chrono::steady_clock::now();
  int decoding = 0;
  for (auto& g : active_) decoding += g->prepare() && !g->prefilling();
  std::unordered_map<LoadedModel*, std::vector<Generation::Work>> work;
  int shared_prefill = 0;
  // While more prompts wait than streams run (a burst of arrivals), admitting
  // them is worth more than the few running streams' latency: a full chunk
  // per step. Otherwise the budget keeps the running streams' steps short.
  int waiting = 0;
  for (auto& g : active_) waiting += !g->finished() && g->prefilling() && g->shares_prefill();
  int budget = 0;
  if (decoding > 0 && waiting > 0)
    budget = waiting > decoding ? PrefillBudget::kBurstPrefill : budget_.tokens(decoding, PrefillBudget::kBurstPrefill);
  for (auto& g : active_) {
    if (g->finished() || !g->prefilling()) continue;
    if (!decoding) {
      g->prefill_step(0);
    } else if (!g->shares_prefill()) {
      g->prefill_step(g->model()->interleaved_prefill_chunk);
    } else if (int room = admit(budget - shared_prefill, g->prefill_remaining(), shared_prefill,
                                g->model()->prefill_chunk);
               room > 0) {
      auto chunk = g->next_prefill(room);
      shared_prefill += int(chunk.size());
      work[g->model()].push_back({g.get(), std::move(chunk)});
    }
  }
  // A lone greedy stream on the graph path decodes several tokens here, each
  // step queued before the previous pick is read (new requests wait at most
  // kPipelinedTokens tokens).
  if (constexpr int kPipelinedTokens = 16; active_.size() == 1 && work.empty() && active_[0]->pipelines()) {
    active_[0]->decode_pipelined(kPipelinedTokens);
    active_.erase(std::remove_if(active_.begin(), active_.end(), [](auto& g) { return g->finished(); }),
                  active_.end());
    return;
  }
  std::vector<std::pair<Generation*, int>> spec;
  for (auto& g : active_) {
    if (g->finished() || g->prefilling()) continue;
    int token = g->sample();
    if (token < 0) continue;
    if (g->verified())
      g->feed(token);
    else if (g->speculative())
      spec.emplace_back(g.get(), token);
    else
      work[g->model()].push_back({g.get(), {token}});
  }
  auto proposals = Generation::draft_batch(spec);
  for (size_t i = 0; i < spec.size(); ++i)
    if (!spec[i].first->finished()) work[spec[i].first->model()].push_back({spec[i].first, std::move(proposals[i])});
  for (auto& [model, list] : work)
    for (size_t i = 0; i < list.size(); i += model->max_batch)
      Generation::run_batch({list.begin() + i, list.begin() + std::min(list.size(), i + model->max_batch)});
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (decoding > 0) budget_.record(ms, decoding, shared_prefill);
  active_.erase(std::remove_if(active_.begin(), active_.end(), [](auto& g) { return g->finished(); }),
                active_.end());
}

void Engine::loop() {
  try {
    init_backend();  // the addon's init already validated POCKET_DEVICE
  } catch (const std::exception&) {
  }
  while (true) {
    std::deque<std::function<void()>> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !tasks_.empty() || !active_.empty(); });
      if (stopping_) break;
      batch.swap(tasks_);
    }
    for (auto& task : batch) task();  // tasks catch their own exceptions
    step_generations();
  }
  for (auto& g : active_) g->abort("engine shutting down");
  active_.clear();
  models_.clear();
}

} // namespace pocket
