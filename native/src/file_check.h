// Structural checks of safetensors files before MLX touches them (GGUF files
// are checked by our own reader, gguf_reader.h), so that a
// truncated or forged file becomes an error instead of a crash.
#pragma once

#include <string>

namespace pocket {

// Throws load_error / unsupported with a message naming the problem.
void check_safetensors_file(const std::string& path);

} // namespace pocket
