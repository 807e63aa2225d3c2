#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "nn/dtype.h"
#include "nn/error.h"

using namespace repscope;

// Reference: exhaustive f16 -> f32 -> f16 round trip must be the identity (NaNs stay NaN).
TEST(DType, F16RoundTripsEveryBitPattern) {
  for (std::uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = f16_to_f32(static_cast<std::uint16_t>(h));
    const std::uint16_t back = f32_to_f16(f);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16_to_f32(back))) << h;
    } else {
      ASSERT_EQ(back, h) << "pattern " << h;
    }
  }
}

// f32 -> f16 rounds to nearest even: check midpoints between consecutive halves.
TEST(DType, F16RoundsToNearestEven) {
  for (std::uint32_t h = 0; h < 0x7bff; h += 7) {
    const double a = f16_to_f32(static_cast<std::uint16_t>(h));
    const double b = f16_to_f32(static_cast<std::uint16_t>(h + 1));
    const float mid = static_cast<float>((a + b) / 2);
    if (static_cast<double>(mid) != (a + b) / 2) continue;  // midpoint not representable in f32
    const std::uint16_t want = (h % 2 == 0) ? static_cast<std::uint16_t>(h) : static_cast<std::uint16_t>(h + 1);
    ASSERT_EQ(f32_to_f16(mid), want) << "between " << a << " and " << b;
    ASSERT_EQ(f32_to_f16(std::nextafter(mid, 1e9f)), h + 1);
    ASSERT_EQ(f32_to_f16(std::nextafter(mid, -1e9f)), h);
  }
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // rounds to +Inf
  EXPECT_EQ(f32_to_f16(-1e10f), 0xfc00);
  EXPECT_EQ(f32_to_f16(1e-10f), 0);
}

TEST(DType, Bf16RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties to even (1.0).
  EXPECT_EQ(f32_to_bf16(1.00390625f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(std::nextafter(1.00390625f, 2.0f)), 0x3f81);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(DType, NamesRoundTrip) {
  for (DType t : {DType::F32, DType::F64, DType::F16, DType::BF16, DType::I64, DType::I32, DType::I16,
                  DType::I8, DType::U8, DType::Bool}) {
    EXPECT_EQ(parse_dtype(dtype_name(t)), t);
  }
  EXPECT_THROW(parse_dtype("f8", "--dtype"), Error);
}

TEST(DType, ConvertElements) {
  const std::int32_t src[3] = {-3, 0, 7};
  double dst[3];
  convert_elements(src, DType::I32, dst, DType::F64, 3);
  EXPECT_EQ(dst[0], -3.0);
  EXPECT_EQ(dst[2], 7.0);
}
