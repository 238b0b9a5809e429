// Helpers to run work on the engine thread and settle a JS promise with the
// result, and to turn engine errors into JS errors carrying a `code`.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <optional>

#include "engine.h"
#include "errors.h"

namespace pocket {

inline Napi::Error make_js_error(Napi::Env env, const std::string& code, const std::string& message) {
  auto err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

// Runs `work` on the engine thread; `to_js` converts its result on the JS
// thread. Every exception becomes a rejected promise.
template <typename R>
Napi::Promise run_on_engine(Napi::Env env, std::function<R()> work,
                            std::function<Napi::Value(Napi::Env, R&)> to_js) {
  auto deferred = std::make_shared<Napi::Promise::Deferred>(env);
  auto tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function(), "pocket-engine", 0, 1);
  struct Outcome {
    std::optional<R> value;
    std::string code, message;
  };
  Engine::instance().post([work = std::move(work), to_js = std::move(to_js), deferred, tsfn]() mutable {
    auto outcome = std::make_shared<Outcome>();
    try {
      outcome->value.emplace(work());
    } catch (const engine_error& e) {
      outcome->code = e.code();
      outcome->message = e.what();
    } catch (const std::exception& e) {
      outcome->code = "E_ENGINE";
      outcome->message = e.what();
    }
    tsfn.BlockingCall([outcome, deferred, to_js](Napi::Env env, Napi::Function) {
      if (!outcome->value) {
        deferred->Reject(make_js_error(env, outcome->code, outcome->message).Value());
        return;
      }
      try {
        deferred->Resolve(to_js(env, *outcome->value));
      } catch (const Napi::Error& e) {
        deferred->Reject(e.Value());
      } catch (const std::exception& e) {
        deferred->Reject(make_js_error(env, "E_ENGINE", e.what()).Value());
      }
    });
    tsfn.Release();
  });
  return deferred->Promise();
}

} // namespace pocket
