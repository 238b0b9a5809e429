// shardConnect / shardGenerate: the JS side of pipeline sharding (shard.h).
#pragma once

#include <napi.h>

namespace pocket {

void InitShard(Napi::Env env, Napi::Object exports);

}  // namespace pocket
