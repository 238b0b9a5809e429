#include "gguf_quants.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "errors.h"

namespace pocket {
namespace {

enum : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ4_NL = 20, IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, BF16 = 30, MXFP4 = 39,
};

constexpr int kGroup = 32;
constexpr int8_t kIq4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

float half_to_float(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: renormalize
      int e = -1;
      do { ++e; man <<= 1; } while (!(man & 0x400));
      bits = sign | uint32_t(127 - 15 - e) << 23 | (man & 0x3ff) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | man << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | man << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Nearest half-precision bits of a finite float (ties to even).
uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  int exp = int((x >> 23) & 0xff) - 127 + 15;
  uint32_t man = x & 0x7fffff;
  if (exp >= 31) return uint16_t(sign | 0x7bff);  // clamp to the largest half
  if (exp <= 0) {
    if (exp < -10) return uint16_t(sign);
    man |= 0x800000;
    int shift = 14 - exp;
    uint32_t h = man >> shift, rest = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    return uint16_t(sign | (h + (rest > mid || (rest == mid && (h & 1)))));
  }
  uint32_t h = uint32_t(exp) << 10 | man >> 13, rest = man & 0x1fff;
  return uint16_t(sign | (h + (rest > 0x1000 || (rest == 0x1000 && (h & 1)))));
}

float fp16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return half_to_float(h);
}

// Q4_K / Q5_K: 6-bit scale and min of sub-block j from the packed 12 bytes.
void scale_min_k4(int j, const uint8_t* q, uint8_t& sc, uint8_t& m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// One group of 32 as integer codes q with value = scale * q + bias, exactly
// the value llama.cpp computes. `g` is the group's index inside its block.
struct AffineGroup {
  uint8_t q[kGroup];
  float scale, bias;
};

void affine_group(uint32_t type, const uint8_t* b, int g, AffineGroup& out) {
  switch (type) {
    case Q4_0: case Q4_1: {
      float d = fp16(b);
      const uint8_t* qs = b + (type == Q4_0 ? 2 : 4);
      for (int j = 0; j < 16; ++j) {
        out.q[j] = qs[j] & 0xF;
        out.q[j + 16] = qs[j] >> 4;
      }
      out.scale = d;
      out.bias = type == Q4_0 ? -8.0f * d : fp16(b + 2);
      return;
    }
    case Q5_0: case Q5_1: {
      float d = fp16(b);
      const uint8_t* p = b + (type == Q5_0 ? 2 : 4);
      uint32_t qh;
      std::memcpy(&qh, p, 4);
      const uint8_t* qs = p + 4;
      for (int j = 0; j < 16; ++j) {
        out.q[j] = (qs[j] & 0xF) | (((qh >> j) << 4) & 0x10);
        out.q[j + 16] = (qs[j] >> 4) | ((qh >> (j + 12)) & 0x10);
      }
      out.scale = d;
      out.bias = type == Q5_0 ? -16.0f * d : fp16(b + 2);
      return;
    }
    case Q8_0: {
      float d = fp16(b);
      auto qs = reinterpret_cast<const int8_t*>(b + 2);
      for (int j = 0; j < 32; ++j) out.q[j] = uint8_t(int(qs[j]) + 128);
      out.scale = d;
      out.bias = -128.0f * d;
      return;
    }
    case IQ4_NL: {
      float d = fp16(b);
      const uint8_t* qs = b + 2;
      for (int j = 0; j < 16; ++j) {
        out.q[j] = uint8_t(kIq4Values[qs[j] & 0xF] + 128);
        out.q[j + 16] = uint8_t(kIq4Values[qs[j] >> 4] + 128);
      }
      out.scale = d;
      out.bias = -128.0f * d;
      return;
    }
    case IQ4_XS: {  // d, scales_h (u16), scales_l[4], qs[128]
      float d = fp16(b);
      uint16_t sh;
      std::memcpy(&sh, b + 2, 2);
      const uint8_t* sl = b + 4;
      const uint8_t* qs = b + 8 + 16 * g;
      int ls = ((sl[g / 2] >> (4 * (g % 2))) & 0xF) | (((sh >> (2 * g)) & 3) << 4);
      float dl = d * float(ls - 32);
      for (int j = 0; j < 16; ++j) {
        out.q[j] = uint8_t(kIq4Values[qs[j] & 0xF] + 128);
        out.q[j + 16] = uint8_t(kIq4Values[qs[j] >> 4] + 128);
      }
      out.scale = dl;
      out.bias = -128.0f * dl;
      return;
    }
    case Q4_K: case Q5_K: {  // d, dmin, scales[12], (qh[32]), qs[128]
      float d = fp16(b), dmin = fp16(b + 2);
      const uint8_t* scales = b + 4;
      const uint8_t* qh = type == Q5_K ? b + 16 : nullptr;
      const uint8_t* qs = b + (type == Q5_K ? 48 : 16) + 32 * (g / 2);
      uint8_t sc, m;
      scale_min_k4(g, scales, sc, m);
      int shift = (g % 2) * 4;
      for (int l = 0; l < 32; ++l) {
        int q = (qs[l] >> shift) & 0xF;
        if (qh && (qh[l] >> g) & 1) q += 16;
        out.q[l] = uint8_t(q);
      }
      out.scale = d * float(sc);
      out.bias = -(dmin * float(m));
      return;
    }
    default:
      throw unsupported(std::string("[affine_group] no exact mapping for type ") + std::to_string(type));
  }
}

// K-quant blocks with 16-element sub-blocks: llama.cpp's dequantization.
void dequantize_q2_k(const uint8_t* b, float* y) {
  const uint8_t* scales = b;
  const uint8_t* q = b + 16;
  float d = fp16(b + 80), dmin = fp16(b + 82);
  int is = 0;
  for (int n = 0; n < 256; n += 128) {
    int shift = 0;
    for (int j = 0; j < 4; ++j) {
      for (int half = 0; half < 2; ++half) {
        uint8_t sc = scales[is++];
        float dl = d * float(sc & 0xF), ml = dmin * float(sc >> 4);
        for (int l = 0; l < 16; ++l) *y++ = dl * float((q[l + 16 * half] >> shift) & 3) - ml;
      }
      shift += 2;
    }
    q += 32;
  }
}

void dequantize_q3_k(const uint8_t* b, float* y) {
  const uint8_t* hm = b;
  const uint8_t* q = b + 32;
  float d_all = fp16(b + 108);
  uint32_t aux[4];
  std::memcpy(aux, b + 96, 12);
  const uint32_t kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
  uint32_t tmp = aux[2];
  aux[2] = ((aux[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
  aux[3] = ((aux[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
  aux[0] = (aux[0] & kmask2) | (((tmp >> 0) & kmask1) << 4);
  aux[1] = (aux[1] & kmask2) | (((tmp >> 2) & kmask1) << 4);
  int8_t scales[16];
  std::memcpy(scales, aux, 16);
  int is = 0;
  uint8_t m = 1;
  for (int n = 0; n < 256; n += 128) {
    int shift = 0;
    for (int j = 0; j < 4; ++j) {
      for (int half = 0; half < 2; ++half) {
        float dl = d_all * float(scales[is++] - 32);
        for (int l = 0; l < 16; ++l) {
          int v = int((q[l + 16 * half] >> shift) & 3) - ((hm[l + 16 * half] & m) ? 0 : 4);
          *y++ = dl * float(v);
        }
      }
      shift += 2;
      m <<= 1;
    }
    q += 32;
  }
}

void dequantize_q6_k(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  auto sc = reinterpret_cast<const int8_t*>(b + 192);
  float d = fp16(b + 208);
  for (int n = 0; n < 256; n += 128) {
    for (int l = 0; l < 32; ++l) {
      int is = l / 16;
      int q1 = int((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      int q2 = int((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      int q3 = int((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      int q4 = int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * float(sc[is]) * float(q1);
      y[l + 32] = d * float(sc[is + 2]) * float(q2);
      y[l + 64] = d * float(sc[is + 4]) * float(q3);
      y[l + 96] = d * float(sc[is + 6]) * float(q4);
    }
    y += 128;
    ql += 64;
    qh += 32;
    sc += 8;
  }
}

float e8m0_half(uint8_t e) {  // 2^(e - 128), as ggml's GGML_E8M0_TO_FP32_HALF
  uint32_t bits = e < 2 ? 0x00200000u << e : uint32_t(e - 1) << 23;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

void dequantize_mxfp4(const uint8_t* b, float* y) {
  static constexpr int8_t kv[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
  float d = e8m0_half(b[0]);
  for (int j = 0; j < 16; ++j) {
    y[j] = float(kv[b[1 + j] & 0xF]) * d;
    y[j + 16] = float(kv[b[1 + j] >> 4]) * d;
  }
}

bool has_affine_groups(uint32_t t) {
  return t == Q4_0 || t == Q4_1 || t == Q5_0 || t == Q5_1 || t == Q8_0 || t == IQ4_NL || t == IQ4_XS ||
         t == Q4_K || t == Q5_K;
}

// Packs `n` codes of `bits` bits as one little-endian bit stream (MLX's
// layout for every bit width) into `out` (n * bits / 32 words).
void pack_codes(const uint8_t* q, int64_t n, int bits, uint32_t* out) {
  std::memset(out, 0, size_t(n * bits / 8));
  auto bytes = reinterpret_cast<uint8_t*>(out);
  for (int64_t i = 0; i < n; ++i) {
    int64_t bit = i * bits;
    uint32_t v = uint32_t(q[i]) << (bit % 8);
    for (int64_t k = bit / 8; v; ++k, v >>= 8) bytes[k] |= uint8_t(v & 0xFF);
  }
}

template <typename F>
void parallel_rows(int64_t rows, F&& fn) {
  int threads = int(std::min<int64_t>(std::max(1u, std::thread::hardware_concurrency()), std::max<int64_t>(rows / 64, 1)));
  if (threads <= 1) return fn(0, rows);
  std::vector<std::thread> pool;
  std::exception_ptr error;
  std::mutex m;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      try {
        fn(rows * t / threads, rows * (t + 1) / threads);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        error = std::current_exception();
      }
    });
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

template <typename T>
mx::array owned_array(T* data, mx::Shape shape, mx::Dtype dtype) {
  return mx::array(static_cast<void*>(data), std::move(shape), dtype, [](void* p) { delete[] static_cast<T*>(p); });
}

} // namespace

const GgmlType* ggml_type(uint32_t id) {
  static const std::unordered_map<uint32_t, GgmlType> types = {
      {F32, {F32, "F32", 1, 4}},         {F16, {F16, "F16", 1, 2}},       {BF16, {BF16, "BF16", 1, 2}},
      {F64, {F64, "F64", 1, 8}},         {I8, {I8, "I8", 1, 1}},          {I16, {I16, "I16", 1, 2}},
      {I32, {I32, "I32", 1, 4}},         {I64, {I64, "I64", 1, 8}},       {Q4_0, {Q4_0, "Q4_0", 32, 18}},
      {Q4_1, {Q4_1, "Q4_1", 32, 20}},    {Q5_0, {Q5_0, "Q5_0", 32, 22}},  {Q5_1, {Q5_1, "Q5_1", 32, 24}},
      {Q8_0, {Q8_0, "Q8_0", 32, 34}},    {Q8_1, {Q8_1, "Q8_1", 32, 36}},  {Q2_K, {Q2_K, "Q2_K", 256, 84}},
      {Q3_K, {Q3_K, "Q3_K", 256, 110}},  {Q4_K, {Q4_K, "Q4_K", 256, 144}}, {Q5_K, {Q5_K, "Q5_K", 256, 176}},
      {Q6_K, {Q6_K, "Q6_K", 256, 210}},  {Q8_K, {Q8_K, "Q8_K", 256, 292}}, {IQ4_NL, {IQ4_NL, "IQ4_NL", 32, 18}},
      {IQ4_XS, {IQ4_XS, "IQ4_XS", 256, 136}}, {MXFP4, {MXFP4, "MXFP4", 32, 17}},
      // Known to llama.cpp but not loadable here (listed for the error message).
      {16, {16, "IQ2_XXS", 256, 66}},    {17, {17, "IQ2_XS", 256, 74}},   {18, {18, "IQ3_XXS", 256, 98}},
      {19, {19, "IQ1_S", 256, 50}},      {21, {21, "IQ3_S", 256, 110}},   {22, {22, "IQ2_S", 256, 82}},
      {29, {29, "IQ1_M", 256, 56}},      {34, {34, "TQ1_0", 256, 54}},    {35, {35, "TQ2_0", 256, 66}},
  };
  auto it = types.find(id);
  return it == types.end() ? nullptr : &it->second;
}

std::string QuantTarget::describe() const {
  if (kind == Kind::dense) return "float32";
  std::string s = kind == Kind::mxfp4 ? "mxfp4 g32" : "affine " + std::to_string(bits) + "-bit g32";
  return s + (exact ? " (exact)" : " (converted)");
}

QuantTarget quant_target(uint32_t t, int five_bit_as) {
  using K = QuantTarget::Kind;
  switch (t) {
    case F32: case F16: case BF16: case F64: case I8: case I16: case I32: case I64:
      return {K::dense, 0, true};
    case Q4_0: case Q4_1: case Q4_K: return {K::affine, 4, true};
    case Q5_0: case Q5_1: case Q5_K: return {K::affine, five_bit_as == 5 ? 5 : 8, true};
    case Q8_0: case IQ4_NL: case IQ4_XS: return {K::affine, 8, true};
    case Q2_K: case Q3_K: case Q6_K: return {K::affine, 8, false};
    case MXFP4: return {K::mxfp4, 4, true};
    default: {
      auto* info = ggml_type(t);
      throw unsupported(std::string("unsupported tensor type ") + (info ? info->name : std::to_string(t)) +
                        "; supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, "
                        "IQ4_NL, IQ4_XS, MXFP4");
    }
  }
}

void dequantize_row(const GgmlType& type, const uint8_t* data, float* out, int64_t n) {
  int64_t blocks = n / type.block;
  for (int64_t i = 0; i < blocks; ++i) {
    const uint8_t* b = data + i * type.bytes;
    float* y = out + i * type.block;
    switch (type.id) {
      case Q2_K: dequantize_q2_k(b, y); break;
      case Q3_K: dequantize_q3_k(b, y); break;
      case Q6_K: dequantize_q6_k(b, y); break;
      case MXFP4: dequantize_mxfp4(b, y); break;
      default: {
        if (!has_affine_groups(type.id))
          throw unsupported(std::string("[dequantize_row] type ") + type.name);
        AffineGroup g;
        for (int k = 0; k < type.block / kGroup; ++k) {
          affine_group(type.id, b, k, g);
          for (int j = 0; j < kGroup; ++j) y[k * kGroup + j] = g.scale * float(g.q[j]) + g.bias;
        }
      }
    }
  }
}

ConvertedTensor convert_tensor(const GgmlType& type, const uint8_t* data, int64_t rows, int64_t cols,
                               mx::Shape shape, int five_bit_as) {
  auto target = quant_target(type.id, five_bit_as);
  if (cols % type.block != 0)
    throw load_error(std::string("row size ") + std::to_string(cols) + " is not a multiple of the " + type.name +
                     " block size " + std::to_string(type.block));
  int64_t n = rows * cols;
  if (target.kind == QuantTarget::Kind::dense) {
    auto dtype = type.id == F32 ? mx::float32 : type.id == F16 ? mx::float16 : type.id == BF16 ? mx::bfloat16
                 : type.id == I8 ? mx::int8 : type.id == I16 ? mx::int16 : type.id == I32 ? mx::int32
                 : type.id == I64 ? mx::int64 : mx::float64;
    auto* copy = new uint8_t[size_t(n * type.bytes)];
    std::memcpy(copy, data, size_t(n * type.bytes));
    auto a = owned_array(copy, shape, dtype);
    if (dtype == mx::float64) a = mx::astype(a, mx::float32, mx::Device::cpu);
    return {a, std::nullopt, std::nullopt, target};
  }
  int64_t groups_per_row = cols / kGroup, blocks_per_row = cols / type.block;
  int64_t row_bytes = blocks_per_row * type.bytes;
  auto packed_shape = shape;
  packed_shape.back() = int(cols * target.bits / 32);
  auto group_shape = shape;
  group_shape.back() = int(groups_per_row);
  // Buffers are filled first and wrapped last: MLX may copy a wrapped buffer
  // (and free it) at construction.
  auto* words = new uint32_t[size_t(n * target.bits / 32)];
  if (target.kind == QuantTarget::Kind::mxfp4) {
    auto* e = new uint8_t[size_t(rows * groups_per_row)];
    parallel_rows(rows, [&](int64_t r0, int64_t r1) {
      std::vector<uint8_t> codes(cols);
      for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* row = data + r * row_bytes;
        for (int64_t g = 0; g < groups_per_row; ++g) {
          const uint8_t* b = row + g * type.bytes;
          e[r * groups_per_row + g] = b[0];
          for (int j = 0; j < 16; ++j) {
            codes[g * 32 + j] = b[1 + j] & 0xF;
            codes[g * 32 + j + 16] = b[1 + j] >> 4;
          }
        }
        pack_codes(codes.data(), cols, 4, words + r * cols / 8);
      }
    });
    return {owned_array(words, packed_shape, mx::uint32), owned_array(e, group_shape, mx::uint8), std::nullopt,
            target};
  }
  auto* sc = new float[size_t(rows * groups_per_row)];
  auto* bi = new float[size_t(rows * groups_per_row)];
  bool exact_groups = has_affine_groups(type.id);
  parallel_rows(rows, [&](int64_t r0, int64_t r1) {
    std::vector<uint8_t> codes(cols);
    std::vector<float> values(exact_groups ? 0 : cols);
    AffineGroup g;
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* row = data + r * row_bytes;
      float* rs = sc + r * groups_per_row;
      float* rb = bi + r * groups_per_row;
      if (exact_groups) {
        int per_block = int(type.block / kGroup);
        for (int64_t k = 0; k < groups_per_row; ++k) {
          affine_group(type.id, row + (k / per_block) * type.bytes, int(k % per_block), g);
          std::memcpy(&codes[k * kGroup], g.q, kGroup);
          rs[k] = g.scale;
          rb[k] = g.bias;
        }
      } else {
        // Requantize llama.cpp's exact values to 8 bits over each group of 32.
        dequantize_row(type, row, values.data(), cols);
        for (int64_t k = 0; k < groups_per_row; ++k) {
          const float* v = &values[k * kGroup];
          // Scale and bias are rounded to half precision (scale upwards, so
          // the range stays covered): the one-row kernels then read 16-bit
          // group constants, 9 bits per weight instead of 10.
          auto [lo, hi] = std::minmax_element(v, v + kGroup);
          float bias = half_to_float(float_to_half(*lo));
          uint16_t sh = float_to_half((*hi - bias) / 255.0f);
          if (half_to_float(sh) * 255.0f < *hi - bias) ++sh;
          float scale = std::max(half_to_float(sh), 0.0f);
          float inv = scale > 0 ? 1.0f / scale : 0.0f;
          for (int j = 0; j < kGroup; ++j)
            codes[k * kGroup + j] = uint8_t(std::clamp(std::lround((v[j] - bias) * inv), 0L, 255L));
          rs[k] = scale;
          rb[k] = bias;
        }
      }
      pack_codes(codes.data(), cols, target.bits, words + r * cols * target.bits / 32);
    }
  });
  return {owned_array(words, packed_shape, mx::uint32), owned_array(sc, group_shape, mx::float32),
          owned_array(bi, group_shape, mx::float32), target};
}

} // namespace pocket
