#include <gtest/gtest.h>

#include <cstdint>

#include "nn/error.h"
#include "nn/tensor.h"

using namespace repscope;

TEST(Tensor, EmptyIsAlignedAndShaped) {
  Tensor t = Tensor::empty({2, 3, 5, 7});
  EXPECT_EQ(t.numel(), 210);
  EXPECT_EQ(t.ndim(), 4);
  EXPECT_EQ(t.dim(-1), 7);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.raw_data()) % kTensorAlignment, 0u);
  EXPECT_EQ(t.device(), Device::CPU);
  EXPECT_THROW(t.dim(4), Error);
}

TEST(Tensor, ZeroSizedAndScalar) {
  Tensor e = Tensor::zeros({0, 4});
  EXPECT_EQ(e.numel(), 0);
  Tensor s = Tensor::full({}, 3.5f);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.at(0), 3.5f);
}

TEST(Tensor, ReshapeSharesStorageAndInfers) {
  Tensor t = Tensor::zeros({4, 6});
  Tensor r = t.reshape({2, -1, 3});
  EXPECT_EQ(r.shape(), (Shape{2, 4, 3}));
  r.data<float>()[5] = 1.0f;
  EXPECT_EQ(t.at(5), 1.0f);
  EXPECT_THROW(t.reshape({5, -1}), Error);
  EXPECT_THROW(t.reshape({-1, -1}), Error);
}

TEST(Tensor, BatchSliceIsAView) {
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[i] = static_cast<float>(i);
  Tensor t = Tensor::from_vector({4, 2, 3}, v);
  Tensor s = t.slice0(1, 3);
  EXPECT_EQ(s.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(s.at(0), 6.0f);
  Tensor row = t[3];
  EXPECT_EQ(row.shape(), (Shape{2, 3}));
  EXPECT_EQ(row.at(5), 23.0f);
  EXPECT_THROW(t.slice0(3, 5), Error);
}

TEST(Tensor, CloneAndConvert) {
  Tensor t = Tensor::from_vector({3}, std::vector<float>{1.0f, -2.5f, 65504.0f});
  Tensor h = t.to(DType::F16);
  EXPECT_EQ(h.dtype(), DType::F16);
  Tensor back = h.to(DType::F32);
  EXPECT_EQ(back.at(0), 1.0f);
  EXPECT_EQ(back.at(1), -2.5f);
  EXPECT_EQ(back.at(2), 65504.0f);
  Tensor c = t.clone();
  c.data<float>()[0] = 9.0f;
  EXPECT_EQ(t.at(0), 1.0f);
}

TEST(Tensor, TypedAccessChecksDtype) {
  Tensor t = Tensor::zeros({2}, DType::F64);
  EXPECT_NO_THROW(t.data<double>());
  EXPECT_THROW(t.data<float>(), Error);
}

TEST(Tensor, ShapeChecksNameTheTensor) {
  Tensor t = Tensor::zeros({2, 3});
  try {
    t.expect_shape({2, 4}, "conv1.weight");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("conv1.weight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("[2, 4]"), std::string::npos);
  }
  EXPECT_NO_THROW(t.expect_shape({-1, 3}, "x"));
}

TEST(Tensor, WrappedStorageKeepsOwnerAlive) {
  auto owner = std::make_shared<std::vector<float>>(8, 2.0f);
  std::weak_ptr<std::vector<float>> weak = owner;
  Tensor t;
  {
    auto s = Storage::wrap(owner->data(), 8 * sizeof(float), Device::CPU, owner);
    owner.reset();
    t = Tensor::view_of(s, 4 * sizeof(float), {4}, DType::F32);
  }
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(t.at(3), 2.0f);
  t = Tensor();
  EXPECT_TRUE(weak.expired());
}

TEST(Storage, DerivedValuesNeedFrozenStorageAndAreMadeOnce) {
  Tensor t = Tensor::full({4}, 1.0f);
  auto make_count = std::make_shared<int>(0);
  auto make = [&] {
    ++*make_count;
    return std::shared_ptr<const void>(std::make_shared<int>(42));
  };
  EXPECT_FALSE(t.storage()->frozen());
  EXPECT_THROW(t.storage()->derived("k", make), Error) << "only frozen storage keeps derived work";
  t.storage()->freeze();
  EXPECT_TRUE(t.storage()->frozen());
  auto first = t.storage()->derived("k", make);
  auto again = t.storage()->derived("k", make);
  EXPECT_EQ(first.get(), again.get());
  EXPECT_EQ(*static_cast<const int*>(first.get()), 42);
  EXPECT_EQ(*make_count, 1);
  t.storage()->derived("other", make);
  EXPECT_EQ(*make_count, 2) << "each key is its own value";
  // The derived value lives as long as the storage (a view keeps both).
  std::weak_ptr<const void> weak = first;
  first.reset();
  again.reset();
  Tensor view = t.reshape({2, 2});
  t = Tensor{};
  EXPECT_FALSE(weak.expired());
  view = Tensor{};
  EXPECT_TRUE(weak.expired());
}
