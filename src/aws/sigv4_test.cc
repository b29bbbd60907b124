#include "aws/sigv4.h"

#include <gtest/gtest.h>

#include "core/sha256.h"

namespace loupe::aws {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::sys_days;

// AWS's SigV4 test suite credentials and moment (get-vanilla and friends).
const Credentials kSuite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const TimePoint kSuiteTime = sys_days{std::chrono::year{2015} / 8 / 30} + hours(12) + minutes(36);
// The S3 documentation's examples (sig-v4-header-based-auth: examplebucket, 2013-05-24).
const Credentials kS3Docs{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const TimePoint kS3DocsTime = sys_days{std::chrono::year{2013} / 5 / 24};
const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string SignatureOf(const std::string& authorization) {
  return authorization.substr(authorization.rfind('=') + 1);
}

TEST(SigV4Test, GetVanilla) {
  SignableRequest r{"GET", "/", {}, {{"Host", "example.amazonaws.com"}}, kEmptySha256};
  std::string auth = Sign(r, kSuite, "us-east-1", "service", kSuiteTime);
  EXPECT_EQ(auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, GetVanillaQueryOrderKeyCase) {
  SignableRequest r{"GET",
                    "/",
                    {{"Param2", "value2"}, {"Param1", "value1"}},
                    {{"Host", "example.amazonaws.com"}},
                    kEmptySha256};
  EXPECT_EQ(SignatureOf(Sign(r, kSuite, "us-east-1", "service", kSuiteTime)),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Test, S3GetObjectWithRange) {
  SignableRequest r{"GET",
                    "/test.txt",
                    {},
                    {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}},
                    kEmptySha256};
  std::string auth = Sign(r, kS3Docs, "us-east-1", "s3", kS3DocsTime);
  EXPECT_EQ(CanonicalRequest(r),
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" +
                kEmptySha256 +
                "\nx-amz-date:20130524T000000Z\n\n"
                "host;range;x-amz-content-sha256;x-amz-date\n" +
                kEmptySha256);
  EXPECT_EQ(SignatureOf(auth), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, S3PutObjectWithAnEncodedKey) {
  std::string body = "Welcome to Amazon S3.";
  SignableRequest r{"PUT",
                    "/" + UriEncode("test$file.text", false),
                    {},
                    {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                     {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                    Sha256Hex(body)};
  EXPECT_EQ(r.path, "/test%24file.text");
  EXPECT_EQ(SignatureOf(Sign(r, kS3Docs, "us-east-1", "s3", kS3DocsTime)),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4Test, S3ListObjectsSortsAndEncodesTheQuery) {
  SignableRequest r{"GET",
                    "/",
                    {{"prefix", "J"}, {"max-keys", "2"}},
                    {{"Host", "examplebucket.s3.amazonaws.com"}},
                    kEmptySha256};
  EXPECT_EQ(SignatureOf(Sign(r, kS3Docs, "us-east-1", "s3", kS3DocsTime)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Test, EncodesLikeAws) {
  EXPECT_EQ(UriEncode("a b/c~d_e.f-g+h=*", false), "a%20b/c~d_e.f-g%2Bh%3D%2A");
  EXPECT_EQ(UriEncode("a/b", true), "a%2Fb");
  EXPECT_EQ(UriEncode("\xc3\xa9", true), "%C3%A9");
  EXPECT_EQ(AmzDate(kSuiteTime), "20150830T123600Z");
}

TEST(SigV4Test, SessionTokenIsSigned) {
  Credentials temporary = kSuite;
  temporary.session_token = "token/with+chars";
  SignableRequest r{"GET", "/", {}, {{"Host", "example.amazonaws.com"}}, kEmptySha256};
  std::string auth = Sign(r, temporary, "us-east-1", "service", kSuiteTime);
  EXPECT_NE(auth.find("SignedHeaders=host;x-amz-date;x-amz-security-token,"), std::string::npos)
      << auth;
  EXPECT_NE(SignatureOf(auth), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

}  // namespace
}  // namespace loupe::aws
