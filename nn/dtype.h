// Element types a tensor can hold, their sizes and names, and half-precision conversion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace repscope {

enum class DType : std::uint8_t { F32, F64, F16, BF16, I64, I32, I16, I8, U8, Bool };

std::size_t dtype_size(DType t);
// Short lower-case name: "f32", "f16", "bf16", "i64", "u8", "bool", ...
std::string_view dtype_name(DType t);
// Parses dtype_name()'s spelling; throws Error naming `what` (e.g. the argument) otherwise.
DType parse_dtype(std::string_view name, std::string_view what = "dtype");

// IEEE binary16 and bfloat16 <-> binary32, round to nearest even, NaN and Inf preserved.
std::uint16_t f32_to_f16(float x);
float f16_to_f32(std::uint16_t h);
std::uint16_t f32_to_bf16(float x);
inline float bf16_to_f32(std::uint16_t h) {
  std::uint32_t bits = std::uint32_t{h} << 16;
  float out;
  __builtin_memcpy(&out, &bits, sizeof out);
  return out;
}

// Element-wise conversion between any two dtypes (through double for integer/float mixes).
void convert_elements(const void* src, DType src_type, void* dst, DType dst_type, std::size_t count);

}  // namespace repscope
