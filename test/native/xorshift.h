// The native test drivers' reproducible pseudo-random stream (xorshift64).
#pragma once

#include <cstdint>

namespace pocket::testing {

class Xorshift64 {
 public:
  explicit Xorshift64(uint64_t seed) : state_(seed) {}
  uint32_t next_u32() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return uint32_t(state_ >> 11);
  }

 private:
  uint64_t state_;
};

}  // namespace pocket::testing
