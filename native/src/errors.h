// Engine errors carry a stable code that the TS layer maps onto its error
// tree (ModelLoadError, UnsupportedModelError, InvalidOptionError, ...).
#pragma once

#include <stdexcept>
#include <string>

namespace pocket {

class engine_error : public std::runtime_error {
 public:
  engine_error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// A model file that is missing, truncated, forged or malformed.
inline engine_error load_error(const std::string& msg) {
  return engine_error("E_MODEL_LOAD", msg);
}
// An architecture, tensor type or option the engine does not implement.
inline engine_error unsupported(const std::string& msg) {
  return engine_error("E_UNSUPPORTED", msg);
}
inline engine_error invalid_arg(const std::string& msg) {
  return engine_error("E_INVALID_ARG", msg);
}
inline engine_error context_overflow(const std::string& msg) {
  return engine_error("E_CONTEXT", msg);
}

} // namespace pocket
