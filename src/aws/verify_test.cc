#include "aws/verify.h"

#include <gtest/gtest.h>

#include "aws/sigv4.h"
#include "core/encoding.h"
#include "core/sha256.h"

namespace loupe::aws {
namespace {

const Credentials kKey{"LKIATESTKEY0000001", "secret/with+chars=", ""};
const TimePoint kNow = std::chrono::sys_days{std::chrono::year{2026} / 12 / 4} +
                       std::chrono::hours(20) + std::chrono::minutes(5);

// A request signed as an SDK signs it, and the same request as the server receives it.
struct Signed {
  ReceivedRequest received;
  std::string body;
};

Signed SignedRequest(const std::string& service, const std::string& raw_target,
                     const std::string& body, TimePoint at = kNow) {
  Signed out;
  out.body = body;
  SignableRequest r;
  r.method = "PUT";
  size_t q = raw_target.find('?');
  std::string path = raw_target.substr(0, q);
  r.path = service == "s3" ? path : UriEncode(path, false);
  if (q != std::string::npos) r.query = *ParseQuery(raw_target.substr(q + 1));
  r.headers = {{"host", "127.0.0.1:8080"}, {"content-type", "application/x-amz-json-1.1"}};
  r.payload_sha256 = Sha256Hex(body);
  std::string authorization = Sign(r, kKey, "us-east-1", service, at);
  out.received.method = "PUT";
  out.received.raw_target = raw_target;
  for (const auto& [k, v] : r.headers) out.received.headers[k] = v;
  out.received.headers["authorization"] = authorization;
  return out;
}

Status Check(Signed& s, TimePoint now = kNow, const std::string& secret = kKey.secret_access_key) {
  s.received.body = s.body;
  auto auth = ParseAuthorization(s.received.headers["authorization"]);
  if (!auth.ok()) return auth.status();
  return Verify(*auth, secret, s.received, now);
}

TEST(VerifyTest, AcceptsWhatSignFigures) {
  Signed s3 =
      SignedRequest("s3", "/loupe/images%20for/a%2Bb.jpg?partNumber=2&uploadId=x%2Fy", "bytes");
  EXPECT_TRUE(Check(s3).ok()) << Check(s3).ToString();
  Signed json = SignedRequest("rekognition", "/", "{}");
  EXPECT_TRUE(Check(json).ok()) << Check(json).ToString();
  Signed a2i = SignedRequest("sagemaker", "/human-loops/loop-1", "");
  EXPECT_TRUE(Check(a2i).ok()) << Check(a2i).ToString();
}

TEST(VerifyTest, ParsesTheCredentialScope) {
  Signed s = SignedRequest("ssm", "/", "{}");
  auto auth = ParseAuthorization(s.received.headers["authorization"]);
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->access_key_id, kKey.access_key_id);
  EXPECT_EQ(auth->date, "20261204");
  EXPECT_EQ(auth->region, "us-east-1");
  EXPECT_EQ(auth->service, "ssm");
  EXPECT_FALSE(ParseAuthorization("AWS4-HMAC-SHA256 Credential=a/b, Signature=00").ok());
  EXPECT_EQ(AwsCodeOf(ParseAuthorization("Bearer x").status()), "IncompleteSignature");
}

TEST(VerifyTest, RefusesAWrongSecretATamperedBodyAndPath) {
  Signed s = SignedRequest("ssm", "/", "{\"Name\":\"a\"}");
  EXPECT_EQ(AwsCodeOf(Check(s, kNow, "other")), "SignatureDoesNotMatch");
  s.body = "{\"Name\":\"b\"}";
  EXPECT_EQ(AwsCodeOf(Check(s)), "SignatureDoesNotMatch");
  Signed p = SignedRequest("s3", "/loupe/a.jpg", "x");
  p.received.raw_target = "/loupe/b.jpg";
  EXPECT_EQ(AwsCodeOf(Check(p)), "SignatureDoesNotMatch");
  Signed h = SignedRequest("s3", "/loupe/a.jpg", "x");
  h.received.headers["content-type"] = "image/png";
  EXPECT_EQ(AwsCodeOf(Check(h)), "SignatureDoesNotMatch");
}

TEST(VerifyTest, RefusesABodyThatIsNotTheSignedHash) {
  Signed s = SignedRequest("s3", "/loupe/a.jpg", "original");
  s.body = "changed";
  Status st = Check(s);
  EXPECT_EQ(AwsCodeOf(st), "XAmzContentSHA256Mismatch") << st.ToString();
}

TEST(VerifyTest, RefusesRequestsOutsideTheClockSkew) {
  Signed s = SignedRequest("s3", "/loupe/a.jpg", "x");
  EXPECT_TRUE(Check(s, kNow + std::chrono::minutes(14)).ok());
  EXPECT_EQ(AwsCodeOf(Check(s, kNow + std::chrono::minutes(16))), "RequestTimeTooSkewed");
  EXPECT_EQ(AwsCodeOf(Check(s, kNow - std::chrono::minutes(16))), "RequestTimeTooSkewed");
  s.received.headers.erase("x-amz-date");
  EXPECT_EQ(AwsCodeOf(Check(s)), "IncompleteSignature");
}

TEST(VerifyTest, RefusesHeadersTheHandlersReadWhenUnsigned) {
  for (const char* header : {"x-amz-target", "x-amz-copy-source", "content-md5", "range"}) {
    Signed s = SignedRequest("s3", "/loupe/a.jpg", "x");
    s.received.headers[header] = "added after signing";
    EXPECT_EQ(AwsCodeOf(Check(s)), "AccessDenied") << header;
  }
  Signed fine = SignedRequest("s3", "/loupe/a.jpg", "x");
  fine.received.headers["user-agent"] = "not acted on";
  EXPECT_TRUE(Check(fine).ok());
}

TEST(VerifyTest, UnsignedPayloadsOnlyForS3) {
  for (const char* service : {"s3", "ssm"}) {
    SignableRequest r{"POST", "/", {}, {{"host", "h"}}, "UNSIGNED-PAYLOAD"};
    // Sign adds x-amz-content-sha256 for s3; another service's client would add it itself.
    if (std::string(service) != "s3")
      r.headers.emplace_back("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    std::string authorization = Sign(r, kKey, "us-east-1", service, kNow);
    ReceivedRequest received{"POST", "/", {}, "{\"any\":\"body\"}"};
    for (const auto& [k, v] : r.headers) received.headers[k] = v;
    auto auth = ParseAuthorization(authorization);
    ASSERT_TRUE(auth.ok());
    Status st = Verify(*auth, kKey.secret_access_key, received, kNow);
    EXPECT_EQ(st.ok(), std::string(service) == "s3") << service << ": " << st.ToString();
  }
}

TEST(VerifyTest, MessagesKeepTheirCodeApart) {
  Status s = UnauthenticatedError("SignatureDoesNotMatch: the signature differs");
  EXPECT_EQ(AwsCodeOf(s), "SignatureDoesNotMatch");
  EXPECT_EQ(AwsMessageOf(s), "the signature differs");
  EXPECT_EQ(AwsCodeOf(UnauthenticatedError("unknown API token")), "");
  EXPECT_EQ(AwsMessageOf(UnauthenticatedError("unknown API token")), "unknown API token");
}

TEST(VerifyTest, QueryDecoding) {
  auto q = ParseQuery("uploads&a=%2F%20b&c=");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[0], (std::pair<std::string, std::string>{"uploads", ""}));
  EXPECT_EQ((*q)[1].second, "/ b");
  EXPECT_FALSE(PercentDecode("%2").ok());
  EXPECT_FALSE(PercentDecode("%zz").ok());
}

}  // namespace
}  // namespace loupe::aws
