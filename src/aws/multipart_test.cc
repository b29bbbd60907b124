#include "aws/multipart.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "db/testing.h"

namespace loupe::aws {
namespace {

class MultipartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = db::testing::OpenTestDatabase(dir_.path());
    uploads_ = std::move(MultipartUploads::Open(*db_, clock_)).value();
  }
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<MultipartUploads> uploads_;
};

TEST_F(MultipartTest, PartsAssembleInTheListedOrder) {
  auto id = uploads_->Create("misc/big.bin", "admin");
  ASSERT_TRUE(id.ok()) << id.status();
  std::string first(kMinPartBytes, 'a');
  first[7] = '\0';  // binary content survives the database (BLOB / bytea)
  std::string second = "tail\xff\x01";
  auto e2 = uploads_->PutPart(*id, "misc/big.bin", 2, second);
  auto e1 = uploads_->PutPart(*id, "misc/big.bin", 1, "replaced below");
  ASSERT_TRUE(e1.ok() && e2.ok()) << e1.status() << e2.status();
  e1 = uploads_->PutPart(*id, "misc/big.bin", 1, first);  // a retried part replaces the first
  ASSERT_TRUE(e1.ok());
  EXPECT_EQ(*e1, ETagOf(first));
  auto object = uploads_->Assemble(*id, "misc/big.bin", {{1, *e1}, {2, *e2}});
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_EQ(*object, first + second);
  ASSERT_TRUE(uploads_->Remove(*id, "misc/big.bin").ok());
  EXPECT_EQ(uploads_->Assemble(*id, "misc/big.bin", {{1, *e1}}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(MultipartTest, RefusesWhatS3Refuses) {
  auto id = uploads_->Create("misc/x.bin", "admin");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(uploads_->PutPart(*id, "misc/other.bin", 1, "x").status().code(),
            StatusCode::kNotFound);  // NoSuchUpload for another key
  EXPECT_EQ(uploads_->PutPart("nope", "misc/x.bin", 1, "x").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(uploads_->PutPart(*id, "misc/x.bin", 0, "x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(uploads_->PutPart(*id, "misc/x.bin", 10001, "x").status().code(),
            StatusCode::kInvalidArgument);
  auto small = uploads_->PutPart(*id, "misc/x.bin", 1, "small");
  auto last = uploads_->PutPart(*id, "misc/x.bin", 2, "last");
  ASSERT_TRUE(small.ok() && last.ok());
  auto code = [&](std::vector<std::pair<int, std::string>> parts) {
    Status s = uploads_->Assemble(*id, "misc/x.bin", parts).status();
    return s.message().substr(0, s.message().find(':'));
  };
  EXPECT_EQ(code({{1, *small}, {2, *last}}), "EntityTooSmall");
  EXPECT_EQ(code({{2, *last}, {1, *small}}), "InvalidPartOrder");
  EXPECT_EQ(code({{1, "\"0000\""}}), "InvalidPart");
  EXPECT_EQ(code({{3, *last}}), "InvalidPart");
  EXPECT_EQ(code({}), "MalformedXML");
  EXPECT_TRUE(uploads_->Assemble(*id, "misc/x.bin", {{2, *last}}).ok());  // one part: any size
}

TEST_F(MultipartTest, StaleUploadsAreDroppedWhenANewOneStarts) {
  auto old = uploads_->Create("misc/old.bin", "admin");
  ASSERT_TRUE(old.ok());
  ASSERT_TRUE(uploads_->PutPart(*old, "misc/old.bin", 1, "x").ok());
  clock_.Advance(std::chrono::hours(24 * 8));
  ASSERT_TRUE(uploads_->Create("misc/new.bin", "admin").ok());
  EXPECT_EQ(uploads_->PutPart(*old, "misc/old.bin", 2, "y").status().code(), StatusCode::kNotFound);
}

TEST(ETagTest, Md5OfContentMd5Headers) {
  // RFC 1321's test vector "abc" -> 900150983cd24fb0d6963f7d28e17f72, in base64.
  EXPECT_EQ(Md5Base64("abc"), "kAFQmDzST7DWlj99KOF/cg==");
  EXPECT_EQ(ETagOf("abc"), "\"ba7816bf8f01cfea414140de5dae2223\"");
}

}  // namespace
}  // namespace loupe::aws
