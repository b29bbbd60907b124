#include "store/object_store.h"

#include <gtest/gtest.h>

#include <string>

namespace loupe::store {
namespace {

void ExpectInvalid(std::string_view key) {
  Status s = ValidateKey(key);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "key '" << key << "': " << s;
}

TEST(ValidateKey, AcceptsOrdinaryKeys) {
  for (std::string_view key :
       {"a", "images_for_detection/a.jpg", "images_labeled_by_folder/Acme Corp/x (1).png",
        "models/3/evaluation.json", "détection/ロゴ.jpg", ".hidden/file", "a/.b", "a..b/c..d",
        "_none/x.jpg"}) {
    EXPECT_TRUE(ValidateKey(key).ok()) << key << ": " << ValidateKey(key);
  }
}

TEST(ValidateKey, RejectsDotSegments) {
  ExpectInvalid("..");
  ExpectInvalid("../etc/passwd");
  ExpectInvalid("a/../../b");
  ExpectInvalid("a/..");
  ExpectInvalid(".");
  ExpectInvalid("a/./b");
}

TEST(ValidateKey, RejectsLeadingSlashAndEmptySegments) {
  ExpectInvalid("/etc/passwd");
  ExpectInvalid("/");
  ExpectInvalid("a//b");
  ExpectInvalid("a/");
  ExpectInvalid("");
}

TEST(ValidateKey, RejectsControlCharactersAndBackslashes) {
  ExpectInvalid(std::string("a\0b", 3));
  ExpectInvalid("a\nb");
  ExpectInvalid("a\tb");
  ExpectInvalid("a\x7f");
  ExpectInvalid("a\xc2\x85");  // U+0085, a C1 control (NEL)
  ExpectInvalid("a\\b");
}

TEST(ValidateKey, RejectsMalformedUtf8) {
  ExpectInvalid("a\xff");
  ExpectInvalid("a\xc3");             // truncated sequence
  ExpectInvalid("\xc0\xaf");          // overlong '/'
  ExpectInvalid("\xed\xa0\x80");      // surrogate
  ExpectInvalid("\xf4\x90\x80\x80");  // above U+10FFFF
}

TEST(ValidateKey, RejectsReservedSegments) {
  ExpectInvalid(".loupe");
  ExpectInvalid("a/.loupe-tmp/b");
  ExpectInvalid(".loupe_state");
}

TEST(ValidateKey, LimitsLengthTo1024Bytes) {
  EXPECT_TRUE(ValidateKey(std::string(1024, 'a')).ok());
  ExpectInvalid(std::string(1025, 'a'));
  // Segments count towards the total length too.
  std::string deep;
  for (int i = 0; i < 600; ++i) deep += "a/";
  deep += "b";
  ExpectInvalid(deep);
}

}  // namespace
}  // namespace loupe::store
