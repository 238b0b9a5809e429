// Pipelined greedy decoding for a lone stream on the graph path: step n+1 is
// built on step n's lazy pick and queued before the host reads that pick.
#include "backend.h"
#include "generation.h"

namespace pocket {

bool Generation::pipelines() const {
  return graph_path() && device_sampling() && !host_hidden() && !opts_.inject && !prefilling_ && !finished_ &&
         device_pick_.has_value();
}

void Generation::decode_pipelined(int max_tokens) {
  auto& llm = *model_->llm;
  // One decode step fed by a [1] int32 token array (lazy or not); the pick
  // and the cache's new state are queued together.
  auto step = [&](const mx::array& token) {
    auto hidden = llm.forward(mx::reshape(token, {1, 1}), *cache_);
    auto pick = device_greedy(mx::reshape(llm.logits(hidden), {1, -1}));
    auto outs = cache_->state();
    outs.push_back(pick.first);
    outs.push_back(pick.second);
    mx::async_eval(outs);
    return pick;
  };
  int token = sample();  // the pick already on the host
  if (token < 0) return;
  std::optional<std::pair<mx::array, mx::array>> current;
  guarded([&] { current = step(mx::array(&token, {1}, mx::int32)); });
  if (finished_) return;
  cache_tokens_.push_back(token);
  for (int n = 1; n < max_tokens; ++n) {
    std::optional<std::pair<mx::array, mx::array>> ahead;
    // Queued on the device's unread pick: if that pick ends the stream, this
    // step's row is past the tokens the cache keeps and is trimmed away.
    guarded([&] { ahead = step(current->first); });
    if (finished_) return;
    SampleResult r{current->first.item<int32_t>(), current->second.item<float>(), {}};
    take_next(nullptr, nullptr, &r);
    token = sample();
    if (token < 0) return;
    cache_tokens_.push_back(token);
    current = std::move(ahead);
  }
  SampleResult r{current->first.item<int32_t>(), current->second.item<float>(), {}};
  take_next(nullptr, nullptr, &r);
}

}  // namespace pocket
