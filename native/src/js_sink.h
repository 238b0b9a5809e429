// GenerationSink that forwards tokens, stats and errors to a JS callback
// through a thread-safe function (called on the engine thread).
#pragma once

#include <napi.h>

#include "generation.h"
#include "js_bridge.h"

namespace pocket {

class JsSink : public GenerationSink {
 public:
  explicit JsSink(Napi::ThreadSafeFunction tsfn) : tsfn_(tsfn) {}
  ~JsSink() override { release(); }

  void on_token(const SampleResult& r) override {
    auto copy = std::make_shared<SampleResult>(r);
    tsfn_.NonBlockingCall([copy](Napi::Env env, Napi::Function cb) {
      auto ev = Napi::Object::New(env);
      ev.Set("type", "token");
      ev.Set("token", copy->token);
      ev.Set("logprob", copy->logprob);
      if (!copy->top.empty()) {
        auto top = Napi::Array::New(env, copy->top.size());
        for (size_t i = 0; i < copy->top.size(); ++i) {
          auto pair = Napi::Array::New(env, 2);
          pair.Set(0u, copy->top[i].first);
          pair.Set(1u, copy->top[i].second);
          top.Set(uint32_t(i), pair);
        }
        ev.Set("top", top);
      }
      cb.Call({ev});
    });
  }

  void on_prefill(int processed, int total) override {
    tsfn_.NonBlockingCall([processed, total](Napi::Env env, Napi::Function cb) {
      auto ev = Napi::Object::New(env);
      ev.Set("type", "prefill");
      ev.Set("processed", processed);
      ev.Set("total", total);
      cb.Call({ev});
    });
  }

  void on_done(GenerationStats stats) override {
    auto s = std::make_shared<GenerationStats>(std::move(stats));
    tsfn_.NonBlockingCall([s](Napi::Env env, Napi::Function cb) {
      auto o = Napi::Object::New(env);
      o.Set("promptTokens", s->prompt_tokens);
      o.Set("completionTokens", s->completion_tokens);
      o.Set("cachedTokens", s->cached_tokens);
      o.Set("kvCacheBytes", double(s->kv_cache_bytes));
      o.Set("timeToFirstTokenMs", s->ttft_ms);
      o.Set("promptTokensPerSecond", s->prompt_tps);
      o.Set("tokensPerSecond", s->decode_tps);
      o.Set("totalTimeMs", s->total_ms);
      o.Set("stopReason", s->stop_reason);
      o.Set("stopToken", s->stop_token);
      o.Set("grammarMasks", s->grammar_masks);
      o.Set("grammarMaskMs", s->grammar_mask_ms);
      o.Set("seed", double(s->seed));
      o.Set("commitments", commitments_to_js(env, s->commitments));
      if (!s->draft_model.empty()) {
        auto d = Napi::Object::New(env);
        d.Set("draftModel", s->draft_model);
        d.Set("totalDraftTokens", s->draft_total);
        d.Set("acceptedDraftTokens", s->draft_accepted);
        d.Set("rejectedDraftTokens", s->draft_rejected);
        d.Set("ignoredDraftTokens", s->draft_ignored);
        o.Set("speculative", d);
      }
      auto ev = Napi::Object::New(env);
      ev.Set("type", "done");
      ev.Set("stats", o);
      cb.Call({ev});
    });
    release();
  }

  void on_error(const std::string& code, const std::string& message) override {
    tsfn_.NonBlockingCall([code, message](Napi::Env env, Napi::Function cb) {
      auto ev = Napi::Object::New(env);
      ev.Set("type", "error");
      ev.Set("error", make_js_error(env, code, message).Value());
      cb.Call({ev});
    });
    release();
  }

 private:
  void release() {
    if (!released_) {
      released_ = true;
      tsfn_.Release();
    }
  }
  Napi::ThreadSafeFunction tsfn_;
  bool released_ = false;
};

} // namespace pocket
