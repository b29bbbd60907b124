#include "core/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/enum_table.h"
#include "core/result.h"
#include "core/sha256.h"

namespace loupe {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

TEST(Status, CodeNamesRoundTrip) {
  // The table names every code (the enum is dense from kOk to kPayloadTooLarge), once each.
  const std::vector<StatusCode> codes = StatusCodeNames().Values();
  ASSERT_EQ(static_cast<int>(codes.size()), static_cast<int>(StatusCode::kPayloadTooLarge) + 1);
  for (int c = 0; c <= static_cast<int>(StatusCode::kPayloadTooLarge); ++c) {
    EXPECT_EQ(codes[c], static_cast<StatusCode>(c)) << "table out of enum order at " << c;
  }
  for (StatusCode code : codes) {
    EXPECT_EQ(StatusCodeFromName(StatusCodeName(code)), code) << StatusCodeName(code);
    Result<StatusCode> parsed = StatusCodeNames().Parse(StatusCodeName(code), "status code");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, code);
  }
  EXPECT_EQ(StatusCodeName(StatusCode::kInvalidArgument), "InvalidArgument");
  EXPECT_EQ(StatusCodeName(StatusCode::kFailedPrecondition), "FailedPrecondition");
  EXPECT_EQ(StatusCodeFromName("NoSuchCode"), StatusCode::kUnknown);
  EXPECT_EQ(StatusCodeNames().Parse("NoSuchCode", "status code").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Status, ToStringAndContext) {
  EXPECT_EQ(Status::Ok().ToString(), "Ok");
  Status s = NotFoundError("no such thing");
  EXPECT_EQ(s.ToString(), "NotFound: no such thing");
  EXPECT_EQ(s.WithContext("loading").message(), "loading: no such thing");
  EXPECT_EQ(s.WithContext("loading").code(), StatusCode::kNotFound);
}

TEST(Result, PropagatesErrorsThroughMacros) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(3), InvalidArgumentError("odd"));  // returned as it came
}

TEST(Result, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
  EXPECT_EQ(Result<int>(NotFoundError("x")).value_or(7), 7);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = InternalError("boom");
  EXPECT_DEATH((void)r.value(), "boom");
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.Update("ab");
  h.Update("c");
  EXPECT_EQ(h.HexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace loupe
