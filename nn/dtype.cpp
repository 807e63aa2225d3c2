#include "nn/dtype.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "nn/error.h"

namespace repscope {

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::F64: case DType::I64: return 8;
    case DType::F32: case DType::I32: return 4;
    case DType::F16: case DType::BF16: case DType::I16: return 2;
    case DType::I8: case DType::U8: case DType::Bool: return 1;
  }
  fail("invalid dtype value ", static_cast<int>(t));
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "f32";
    case DType::F64: return "f64";
    case DType::F16: return "f16";
    case DType::BF16: return "bf16";
    case DType::I64: return "i64";
    case DType::I32: return "i32";
    case DType::I16: return "i16";
    case DType::I8: return "i8";
    case DType::U8: return "u8";
    case DType::Bool: return "bool";
  }
  return "invalid";
}

DType parse_dtype(std::string_view name, std::string_view what) {
  for (DType t : {DType::F32, DType::F64, DType::F16, DType::BF16, DType::I64, DType::I32,
                  DType::I16, DType::I8, DType::U8, DType::Bool}) {
    if (dtype_name(t) == name) return t;
  }
  fail(what, ": unknown dtype '", name, "' (expected f32, f64, f16, bf16, i64, i32, i16, i8, u8 or bool)");
}

std::uint16_t f32_to_f16(float x) {
  const std::uint32_t f = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t sign = (f >> 16) & 0x8000u;
  const std::uint32_t abs = f & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // Inf or NaN; keep NaN quiet and non-zero
    return static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u | ((abs >> 13) & 0x3ffu) : 0u));
  }
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds to Inf
  if (abs < 0x38800000u) {  // below 2^-14: a half subnormal holds round(|x| * 2^24)
    if (abs < 0x33000000u) return static_cast<std::uint16_t>(sign);  // under half the smallest subnormal
    const std::uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    // |x| * 2^24 = mant * 2^(exp - 126): drop (126 - exp) bits, 14..24 of them here.
    const std::uint32_t dropped = 126u - (abs >> 23);
    std::uint32_t q = mant >> dropped;
    const std::uint32_t rem = mant & ((1u << dropped) - 1u);
    const std::uint32_t halfway = 1u << (dropped - 1u);
    if (rem > halfway || (rem == halfway && (q & 1u))) ++q;  // may carry into the smallest normal
    return static_cast<std::uint16_t>(sign | q);
  }
  // normal: rebias exponent (127 -> 15) and round the 23-bit mantissa to 10 bits
  std::uint32_t h = ((abs >> 13) - (112u << 10));
  const std::uint32_t rem = abs & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<std::uint16_t>(sign | h);
}

float f16_to_f32(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t{h & 0x8000u} << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  const std::uint32_t mant = h & 0x3ffu;
  std::uint32_t f;
  if (exp == 0) {
    if (mant == 0) {
      f = sign;
    } else {  // subnormal: normalise
      const float v = std::ldexp(static_cast<float>(mant), -24);
      return sign ? -v : v;
    }
  } else if (exp == 31) {
    f = sign | 0x7f800000u | (mant << 13);
  } else {
    f = sign | ((exp + 112u) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(f);
}

std::uint16_t f32_to_bf16(float x) {
  std::uint32_t f = std::bit_cast<std::uint32_t>(x);
  if ((f & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((f >> 16) | 0x40u);  // quiet NaN
  const std::uint32_t rounding = 0x7fffu + ((f >> 16) & 1u);
  return static_cast<std::uint16_t>((f + rounding) >> 16);
}

namespace {

double load_as_double(const void* src, DType t, std::size_t i) {
  const auto* p = static_cast<const unsigned char*>(src);
  switch (t) {
    case DType::F32: { float v; std::memcpy(&v, p + 4 * i, 4); return v; }
    case DType::F64: { double v; std::memcpy(&v, p + 8 * i, 8); return v; }
    case DType::F16: { std::uint16_t v; std::memcpy(&v, p + 2 * i, 2); return f16_to_f32(v); }
    case DType::BF16: { std::uint16_t v; std::memcpy(&v, p + 2 * i, 2); return bf16_to_f32(v); }
    case DType::I64: { std::int64_t v; std::memcpy(&v, p + 8 * i, 8); return static_cast<double>(v); }
    case DType::I32: { std::int32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
    case DType::I16: { std::int16_t v; std::memcpy(&v, p + 2 * i, 2); return v; }
    case DType::I8: return static_cast<std::int8_t>(p[i]);
    case DType::U8: return p[i];
    case DType::Bool: return p[i] ? 1.0 : 0.0;
  }
  return 0.0;
}

template <typename T>
void store(void* dst, std::size_t i, T v) {
  std::memcpy(static_cast<unsigned char*>(dst) + sizeof(T) * i, &v, sizeof(T));
}

void store_from_double(void* dst, DType t, std::size_t i, double v) {
  switch (t) {
    case DType::F32: store(dst, i, static_cast<float>(v)); break;
    case DType::F64: store(dst, i, v); break;
    case DType::F16: store(dst, i, f32_to_f16(static_cast<float>(v))); break;
    case DType::BF16: store(dst, i, f32_to_bf16(static_cast<float>(v))); break;
    case DType::I64: store(dst, i, static_cast<std::int64_t>(v)); break;
    case DType::I32: store(dst, i, static_cast<std::int32_t>(v)); break;
    case DType::I16: store(dst, i, static_cast<std::int16_t>(v)); break;
    case DType::I8: store(dst, i, static_cast<std::int8_t>(v)); break;
    case DType::U8: store(dst, i, static_cast<std::uint8_t>(v)); break;
    case DType::Bool: store(dst, i, static_cast<std::uint8_t>(v != 0.0)); break;
  }
}

}  // namespace

void convert_elements(const void* src, DType src_type, void* dst, DType dst_type, std::size_t count) {
  if (src_type == dst_type) {
    std::memcpy(dst, src, count * dtype_size(src_type));
    return;
  }
  // Fast paths for the conversions models use on every load.
  if (dst_type == DType::F32 && (src_type == DType::F16 || src_type == DType::BF16)) {
    const auto* s = static_cast<const unsigned char*>(src);
    float* d = static_cast<float*>(dst);
    for (std::size_t i = 0; i < count; ++i) {
      std::uint16_t h;
      std::memcpy(&h, s + 2 * i, 2);
      d[i] = src_type == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
    }
    return;
  }
  if (src_type == DType::F32 && (dst_type == DType::F16 || dst_type == DType::BF16)) {
    const float* s = static_cast<const float*>(src);
    for (std::size_t i = 0; i < count; ++i) {
      store(dst, i, dst_type == DType::F16 ? f32_to_f16(s[i]) : f32_to_bf16(s[i]));
    }
    return;
  }
  for (std::size_t i = 0; i < count; ++i) store_from_double(dst, dst_type, i, load_as_double(src, src_type, i));
}

}  // namespace repscope
