// Structural checks of model files before MLX touches them, so that a
// truncated or forged file becomes an error instead of a crash.
#pragma once

#include <string>

namespace pocket {

// Throws load_error / unsupported with a message naming the problem.
void check_gguf_file(const std::string& path);
void check_safetensors_file(const std::string& path);

} // namespace pocket
