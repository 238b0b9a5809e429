#include "engine.h"

#include <algorithm>

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

void Engine::step_generations() {
  // 1. Start new requests; 2. one prefill chunk per prefilling stream;
  // 3. one decode step for all decoding streams, batched per model.
  bool decoding = false;
  for (auto& g : active_) decoding |= g->prepare() && !g->prefilling();
  for (auto& g : active_) {
    if (g->finished() || !g->prefilling()) continue;
    g->prefill_step(decoding ? g->model()->interleaved_prefill_chunk : 0);
  }
  std::unordered_map<LoadedModel*, std::vector<std::pair<Generation*, int>>> batches;
  for (auto& g : active_) {
    if (g->finished() || g->prefilling()) continue;
    int token = g->sample();
    if (token < 0) continue;
    if (g->verified()) {
      g->feed(token);  // verified mode: always batch size 1
    } else {
      auto& b = batches[g->model()];
      b.emplace_back(g.get(), token);
      if (int(b.size()) >= g->model()->max_batch) {
        Generation::feed_batch(b);
        b.clear();
      }
    }
  }
  for (auto& [model, b] : batches) Generation::feed_batch(b);
  active_.erase(std::remove_if(active_.begin(), active_.end(), [](auto& g) { return g->finished(); }),
                active_.end());
}

void Engine::loop() {
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
