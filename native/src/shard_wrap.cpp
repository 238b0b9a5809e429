// JS surface of pipeline sharding (shard.h): shardConnect() joins the ring,
// shardGenerate(model, request, onEvent) runs one request on this rank.
#include "shard_wrap.h"

#include "js_bridge.h"
#include "js_convert.h"
#include "js_sink.h"
#include "model_wrap.h"
#include "shard.h"

namespace pocket {
namespace {

// shardConnect(): Promise<{ rank, size }>. Blocks the engine thread until
// the ring's neighbours have connected.
Napi::Value ShardConnect(const Napi::CallbackInfo& info) {
  return run_on_engine<ShardGroupInfo>(
      info.Env(), [] { return shard_connect(); },
      [](Napi::Env env, ShardGroupInfo& g) -> Napi::Value {
        auto o = Napi::Object::New(env);
        o.Set("rank", g.rank);
        o.Set("size", g.size);
        return o;
      });
}

// shardGenerate(model, { tokens, resumeTokens?, maxTokens?, stopTokenIds?,
// sampling fields... }, onEvent): the request id (model.cancel(id) stops it
// at rank 0). Events as generate()'s; tokens only on the last rank.
Napi::Value ShardGenerate(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 3 || !info[1].IsObject() || !info[2].IsFunction())
    throw make_js_error(env, "E_INVALID_ARG", "shardGenerate(model, options, onEvent) expects a model, an object and a function");
  int handle = model_handle(info[0]);
  if (handle <= 0) throw make_js_error(env, "E_DISPOSED", "shardGenerate: not a loaded model");
  auto req = std::make_shared<ShardRequest>();
  try {
    auto o = info[1].As<Napi::Object>();
    auto g = generation_from_js(o);
    req->prompt = std::move(g.prompt);
    req->resume = get_ints(o, "resumeTokens");
    req->sampling = g.sampling;
    req->max_tokens = g.max_tokens;
    req->stop_ids = std::move(g.stop_ids);
  } catch (const engine_error& e) {
    throw make_js_error(env, e.code(), e.what());
  }
  int id = Engine::instance().next_request_id();
  auto cancel = Engine::instance().cancel_flag(id);
  auto tsfn = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "pocket-shard", 0, 1);
  Engine::instance().post([handle, id, req, tsfn, cancel] {
    JsSink sink(tsfn);
    auto model = Engine::instance().model(handle);
    if (!model)
      sink.on_error("E_DISPOSED", "model has been unloaded");
    else
      run_shard_generation(*model, *req, sink, *cancel);
    Engine::instance().forget(id);
  });
  return Napi::Number::New(env, id);
}

}  // namespace

void InitShard(Napi::Env env, Napi::Object exports) {
  exports.Set("shardConnect", Napi::Function::New(env, ShardConnect));
  exports.Set("shardGenerate", Napi::Function::New(env, ShardGenerate));
}

}  // namespace pocket
