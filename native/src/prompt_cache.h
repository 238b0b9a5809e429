// Persists a model's idle KV caches (the prefix cache) to a safetensors file
// and restores them, so multi-turn chats survive a restart.
#pragma once

#include <string>

#include "engine.h"

namespace pocket {

// Writes every idle sequence of `model`; returns how many were saved.
int save_prompt_cache(LoadedModel& model, const std::string& file);
// Restores sequences saved for a model of the same shape; returns how many
// were restored. A file for another model or a damaged file is an error.
int load_prompt_cache(LoadedModel& model, const std::string& file);

} // namespace pocket
