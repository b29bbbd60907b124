// S3, path-style (/<bucket>/<key>), over loupe's object store (store/object_store.h), so that
// `aws s3 cp photo.jpg s3://loupe/images_for_detection/` is an upload like any other (one
// ObjectCreated, a detection). Objects: Put (with Content-MD5 checked when sent), Get (ranges),
// Head, Delete, Copy (x-amz-copy-source); ListObjectsV2 with prefix, delimiter, start-after
// and continuation; multipart uploads (aws/multipart.h). Consumers may put under
// images_for_detection/ only; everything else needs an operator.

#include <ctime>
#include <pugixml.hpp>
#include <set>

#include "aws/http/handlers.h"
#include "aws/multipart.h"
#include "aws/sigv4.h"
#include "aws/verify.h"
#include "core/encoding.h"
#include "core/random.h"
#include "store/object_store.h"

namespace loupe::aws {
namespace {

using server::HttpRequest;
using server::HttpResponse;
using store::ObjectInfo;

constexpr std::string_view kDetectionPrefix = "images_for_detection/";

std::string Iso8601(TimePoint t) {
  auto ms = ToUnixMillis(t);
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

std::string HttpDate(TimePoint t) {
  std::time_t secs = ToUnixMillis(t) / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

HttpResponse XmlOk(std::string body, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/xml";
  r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + std::move(body);
  r.headers.emplace_back("x-amz-request-id", RandomHex(8));
  return r;
}

// Whether `s` is well-formed UTF-8 (PostgreSQL refuses anything else as text).
bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n;
  }
  return true;
}

// A list position after every key under `prefix`: the prefix and U+10FFFF, the largest code
// point (a noncharacter keys do not hold in practice; and it stays valid UTF-8, which the
// PostgreSQL index needs).
std::string PastPrefix(const std::string& prefix) { return prefix + "\xF4\x8F\xBF\xBF"; }

bool Has(const HttpRequest& req, std::string_view name) {
  return req.query.find(std::string(name)) != req.query.end();
}

// Who may do what: consumers put under images_for_detection/; the rest is for operators.
Status MayWrite(const HttpRequest& req, std::string_view key) {
  if (key.substr(0, kDetectionPrefix.size()) == kDetectionPrefix) {
    return Need(req, Role::kConsumer, "PutObject");
  }
  return Need(req, Role::kOperator, "PutObject");
}

void ObjectHeaders(HttpResponse& r, const ObjectInfo& info) {
  r.headers.emplace_back("ETag", ETagOfHash(info.sha256));
  r.headers.emplace_back("Last-Modified", HttpDate(info.modified));
  r.headers.emplace_back("Accept-Ranges", "bytes");
  r.headers.emplace_back("x-amz-meta-sha256", info.sha256);
}

class S3Routes {
 public:
  S3Routes(const AwsBackends& b, const AwsOptions& o) : b_(b), o_(o) {}

  HttpResponse Bucket(const HttpRequest& req) const {
    auto out = ListV2(req);
    return out.ok() ? std::move(*out) : Error(out.status(), "/" + o_.bucket);
  }

  HttpResponse Object(const HttpRequest& req) const {
    const std::string& key = req.path_params[0];
    Result<HttpResponse> out = InvalidArgumentError("unreachable");
    if (Status s = KnownQuery(req, {"uploadId", "partNumber", "uploads"}); !s.ok()) {
      out = s;
    } else if (req.method == "GET" || req.method == "HEAD") {
      out = Has(req, "uploadId") || Has(req, "partNumber") || Has(req, "uploads")
                ? NotImplemented("ListParts and GetObject by part")
                : Get(req, key);
    } else if (req.method == "PUT") {
      bool copy = !req.Header("x-amz-copy-source").empty();
      if (Has(req, "uploadId")) {
        out = copy ? NotImplemented("UploadPartCopy") : UploadPart(req, key);
      } else if (Has(req, "partNumber") || Has(req, "uploads")) {
        out = InvalidArgumentError("InvalidArgument: partNumber needs an uploadId");
      } else {
        out = copy ? CopyObject(req, key) : Put(req, key);
      }
    } else if (req.method == "DELETE") {
      out = Has(req, "uploadId") ? Abort(req, key) : Delete(req, key);
    } else if (req.method == "POST") {
      if (Has(req, "uploads")) {
        out = CreateUpload(req, key);
      } else if (Has(req, "uploadId")) {
        out = Complete(req, key);
      } else {
        out = NotImplemented("POST object");
      }
    }
    return out.ok() ? std::move(*out) : Error(out.status(), "/" + o_.bucket + "/" + key);
  }

  // NotImplemented for a query parameter outside `known` and the harmless ones (response-*
  // overrides, x-id): S3 sub-resources such as ?tagging or ?acl must never fall through to the
  // plain object operation (a PUT ?tagging would overwrite the object with XML).
  static Status KnownQuery(const HttpRequest& req, std::initializer_list<std::string_view> known) {
    for (const auto& [name, value] : req.query) {
      if (name.rfind("response-", 0) == 0 || name == "x-id") continue;
      if (std::find(known.begin(), known.end(), name) != known.end()) continue;
      return NotImplemented("?" + name);
    }
    return Status::Ok();
  }

  static HttpResponse Error(const Status& s, const std::string& resource) {
    Status shaped = s;
    if (s.code() == StatusCode::kNotFound && AwsCodeOf(s).empty()) {
      shaped = WithCode("NoSuchKey", s);
    } else if (s.code() == StatusCode::kPermissionDenied) {
      shaped = WithCode("AccessDenied", s);  // S3's word for every refused role
    }
    return ErrorResponse(Service::kS3, shaped, resource);
  }

 private:
  static Status NotImplemented(std::string_view what) {
    return Status(StatusCode::kUnimplemented, "NotImplemented: loupe's S3 does not implement " +
                                                  std::string(what) +
                                                  " (see docs/aws-compatibility.md)");
  }

  Result<HttpResponse> Put(const HttpRequest& req, const std::string& key) const {
    RETURN_IF_ERROR(MayWrite(req, key));
    RETURN_IF_ERROR(CheckMd5(req));
    ASSIGN_OR_RETURN(ObjectInfo info, b_.store.Put(key, req.body));
    HttpResponse r;
    r.content_type.clear();
    r.headers.emplace_back("ETag", ETagOfHash(info.sha256));
    return r;
  }

  static Status CheckMd5(const HttpRequest& req) {
    // The HTTP server parses form bodies away; S3 objects are sent as they are.
    if (req.Header("content-type").rfind("multipart/form-data", 0) == 0) {
      return InvalidArgumentError(
          "InvalidArgument: multipart/form-data bodies (browser POST "
          "uploads) are not supported; PUT the object");
    }
    std::string md5 = req.Header("content-md5");
    if (!md5.empty() && md5 != Md5Base64(req.body)) {
      return InvalidArgumentError(
          "BadDigest: the Content-MD5 you specified did not match what "
          "we received");
    }
    return Status::Ok();
  }

  Result<HttpResponse> Get(const HttpRequest& req, const std::string& key) const {
    RETURN_IF_ERROR(Need(req, Role::kOperator, "GetObject"));
    ASSIGN_OR_RETURN(ObjectInfo info, b_.store.Head(key));
    ASSIGN_OR_RETURN(std::string bytes, b_.store.Get(key));
    HttpResponse r;
    // With a Range header the HTTP server answers 206 with the slice and its Content-Range.
    r.status = req.Header("range").empty() ? 200 : 206;
    r.content_type = server::ContentTypeForKey(key);
    r.body = std::move(bytes);
    ObjectHeaders(r, info);
    return r;
  }

  Result<HttpResponse> Delete(const HttpRequest& req, const std::string& key) const {
    RETURN_IF_ERROR(Need(req, Role::kOperator, "DeleteObject"));
    Status s = b_.store.Delete(key);
    // S3 answers 204 also for a key that does not exist.
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    HttpResponse r;
    r.status = 204;
    r.content_type.clear();
    return r;
  }

  Result<HttpResponse> CopyObject(const HttpRequest& req, const std::string& key) const {
    RETURN_IF_ERROR(MayWrite(req, key));
    RETURN_IF_ERROR(Need(req, Role::kOperator, "CopyObject"));
    ASSIGN_OR_RETURN(std::string source, PercentDecode(req.Header("x-amz-copy-source")));
    if (!source.empty() && source.front() == '/') source.erase(0, 1);
    std::string prefix = o_.bucket + "/";
    if (source.rfind(prefix, 0) != 0) {
      return InvalidArgumentError("InvalidArgument: x-amz-copy-source must be in bucket '" +
                                  o_.bucket + "'");
    }
    source.erase(0, prefix.size());
    if (size_t q = source.find("?versionId="); q != std::string::npos) source.resize(q);
    ASSIGN_OR_RETURN(ObjectInfo info, b_.store.Copy(source, key));
    return XmlOk("<CopyObjectResult><LastModified>" + Iso8601(info.modified) +
                 "</LastModified><ETag>" + XmlEscape(ETagOfHash(info.sha256)) +
                 "</ETag></CopyObjectResult>");
  }

  Result<HttpResponse> CreateUpload(const HttpRequest& req, const std::string& key) const {
    RETURN_IF_ERROR(MayWrite(req, key));
    RETURN_IF_ERROR(store::ValidateKey(key));
    ASSIGN_OR_RETURN(std::string id, b_.multipart.Create(key, req.principal));
    return XmlOk(
        "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Bucket>" +
        XmlEscape(o_.bucket) + "</Bucket><Key>" + XmlEscape(key) + "</Key><UploadId>" + id +
        "</UploadId></InitiateMultipartUploadResult>");
  }

  Result<HttpResponse> UploadPart(const HttpRequest& req, const std::string& key) const {
    RETURN_IF_ERROR(MayWrite(req, key));
    RETURN_IF_ERROR(CheckMd5(req));
    ASSIGN_OR_RETURN(int64_t number,
                     server::IntQueryParam(req, "partNumber", 0, 1, kMaxPartNumber));
    if (number == 0) return InvalidArgumentError("InvalidArgument: partNumber is required");
    ASSIGN_OR_RETURN(std::string etag, b_.multipart.PutPart(*req.QueryParam("uploadId"), key,
                                                            static_cast<int>(number), req.body));
    HttpResponse r;
    r.content_type.clear();
    r.headers.emplace_back("ETag", etag);
    return r;
  }

  Result<HttpResponse> Complete(const HttpRequest& req, const std::string& key) const {
    RETURN_IF_ERROR(MayWrite(req, key));
    pugi::xml_document doc;
    if (!doc.load_buffer(req.body.data(), req.body.size())) {
      return InvalidArgumentError("MalformedXML: the CompleteMultipartUpload body is not XML");
    }
    std::vector<std::pair<int, std::string>> parts;
    for (pugi::xml_node part : doc.child("CompleteMultipartUpload").children("Part")) {
      int number = part.child("PartNumber").text().as_int(0);
      parts.emplace_back(number, part.child("ETag").text().as_string());
    }
    std::string id = *req.QueryParam("uploadId");
    // Taken (assembled and forgotten) in one transaction: a concurrent or repeated Complete
    // gets NoSuchUpload instead of storing the object twice.
    ASSIGN_OR_RETURN(std::string object, b_.multipart.Take(id, key, parts));
    ASSIGN_OR_RETURN(ObjectInfo info, b_.store.Put(key, object));
    return XmlOk(
        "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Location>/" +
        XmlEscape(o_.bucket) + "/" + XmlEscape(key) + "</Location><Bucket>" + XmlEscape(o_.bucket) +
        "</Bucket><Key>" + XmlEscape(key) + "</Key><ETag>" + XmlEscape(ETagOfHash(info.sha256)) +
        "</ETag></CompleteMultipartUploadResult>");
  }

  Result<HttpResponse> Abort(const HttpRequest& req, const std::string& key) const {
    RETURN_IF_ERROR(MayWrite(req, key));
    RETURN_IF_ERROR(b_.multipart.Remove(*req.QueryParam("uploadId"), key));
    HttpResponse r;
    r.status = 204;
    r.content_type.clear();
    return r;
  }

  Result<HttpResponse> ListV2(const HttpRequest& req) const {
    RETURN_IF_ERROR(Need(req, Role::kOperator, "ListObjectsV2"));
    if (Has(req, "location")) {
      return XmlOk("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
                   XmlEscape(o_.region) + "</LocationConstraint>");
    }
    if (req.method == "HEAD") {  // HeadBucket
      HttpResponse r;
      r.content_type.clear();
      return r;
    }
    RETURN_IF_ERROR(
        KnownQuery(req, {"list-type", "prefix", "delimiter", "max-keys", "continuation-token",
                         "start-after", "marker", "encoding-type", "fetch-owner"}));
    bool v2 = req.QueryParam("list-type").value_or("") == "2";
    // encoding-type=url (the aws CLI and botocore ask for it): names in the answer are
    // URI-encoded, and the client decodes them.
    bool url = req.QueryParam("encoding-type").value_or("") == "url";
    auto name = [url](const std::string& v) { return XmlEscape(url ? UriEncode(v, false) : v); };
    std::string prefix = req.QueryParam("prefix").value_or("");
    std::string delimiter = req.QueryParam("delimiter").value_or("");
    ASSIGN_OR_RETURN(int64_t max_keys, server::IntQueryParam(req, "max-keys", 1000, 0, 1000));
    // Where the page starts: after the continuation token (the last key or common prefix
    // returned, hex), else after start-after (v2) or marker (v1).
    std::string after;
    std::string token = req.QueryParam("continuation-token").value_or("");
    if (!token.empty()) {
      auto decoded = HexDecode(token, "continuation token");
      if (!decoded.ok()) return InvalidArgumentError("InvalidArgument: bad continuation token");
      after = std::move(*decoded);
    } else {
      after = req.QueryParam(v2 ? "start-after" : "marker").value_or("");
    }
    std::string contents;
    std::string prefixes;
    int64_t count = 0;
    bool truncated = false;
    std::string last;  // the last key or common prefix returned
    bool last_is_prefix = false;
    std::string cursor = after;
    for (const std::string* text : {&prefix, &delimiter, &after}) {
      if (!IsUtf8(*text)) {
        return InvalidArgumentError(
            "InvalidArgument: prefix, delimiter, marker and tokens "
            "must be UTF-8");
      }
    }
    if (!delimiter.empty() && after.size() >= delimiter.size() &&
        after.compare(after.size() - delimiter.size(), delimiter.size(), delimiter) == 0 &&
        after.rfind(prefix, 0) == 0) {
      // A marker that is a common prefix (v1's NextMarker): continue after all its keys.
      last = after;
      last_is_prefix = true;
      cursor = PastPrefix(after);
    }
    while (!truncated && max_keys > 0) {
      ASSIGN_OR_RETURN(store::ListPage page, b_.store.List(prefix, cursor, 1000));
      for (const ObjectInfo& info : page.objects) {
        std::string common;
        if (!delimiter.empty()) {
          size_t at = info.key.find(delimiter, prefix.size());
          if (at != std::string::npos) common = info.key.substr(0, at + delimiter.size());
        }
        if (!common.empty() && last_is_prefix && common == last) continue;
        if (count == max_keys) {
          truncated = true;
          break;
        }
        ++count;
        if (!common.empty()) {
          prefixes += "<CommonPrefixes><Prefix>" + name(common) + "</Prefix></CommonPrefixes>";
          last = common;
          last_is_prefix = true;
        } else {
          contents +=
              "<Contents><Key>" + name(info.key) + "</Key><LastModified>" + Iso8601(info.modified) +
              "</LastModified><ETag>" + XmlEscape(ETagOfHash(info.sha256)) + "</ETag><Size>" +
              std::to_string(info.size) + "</Size><StorageClass>STANDARD</StorageClass></Contents>";
          last = info.key;
          last_is_prefix = false;
        }
      }
      if (page.next_page_token.empty() || truncated) break;
      cursor = page.next_page_token;
      if (last_is_prefix && PastPrefix(last) > cursor) cursor = PastPrefix(last);
    }
    // The next page starts after the last entry returned (a common prefix: after its keys).
    std::string next = last_is_prefix ? PastPrefix(last) : last;
    std::string body =
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>" +
        XmlEscape(o_.bucket) + "</Name><Prefix>" + name(prefix) + "</Prefix><MaxKeys>" +
        std::to_string(max_keys) + "</MaxKeys>";
    if (!delimiter.empty()) body += "<Delimiter>" + name(delimiter) + "</Delimiter>";
    if (url) body += "<EncodingType>url</EncodingType>";
    body += std::string("<IsTruncated>") + (truncated ? "true" : "false") + "</IsTruncated>";
    if (v2) {
      body += "<KeyCount>" + std::to_string(count) + "</KeyCount>";
      if (!token.empty()) body += "<ContinuationToken>" + XmlEscape(token) + "</ContinuationToken>";
      if (truncated) {
        body += "<NextContinuationToken>" + HexEncode(next) + "</NextContinuationToken>";
      }
    } else {
      body += "<Marker>" + name(req.QueryParam("marker").value_or("")) + "</Marker>";
      if (truncated) body += "<NextMarker>" + name(last) + "</NextMarker>";
    }
    body += contents + prefixes + "</ListBucketResult>";
    return XmlOk(std::move(body));
  }

  AwsBackends b_;
  AwsOptions o_;
};

std::string RegexEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void AddS3Routes(server::Router& router, const AwsBackends& b, const AwsOptions& o) {
  auto routes = std::make_shared<S3Routes>(b, o);
  std::string bucket = "/" + RegexEscape(o.bucket);
  auto bucket_refusal = [o](const Status& s) { return S3Routes::Error(s, "/" + o.bucket); };
  auto object_refusal = [o](const Status& s) { return S3Routes::Error(s, "/" + o.bucket + "/"); };
  auto on_bucket = [routes](const HttpRequest& req) { return routes->Bucket(req); };
  auto on_object = [routes](const HttpRequest& req) { return routes->Object(req); };
  for (const std::string& path : {bucket, bucket + "/"}) {
    router.Add({"GET", path, Role::kAuthenticated,
                "S3 ListObjectsV2 (?list-type=2), ListObjects, GetBucketLocation (SigV4).",
                on_bucket, bucket_refusal});
    router.Add(
        {"HEAD", path, Role::kAuthenticated, "S3 HeadBucket (SigV4).", on_bucket, bucket_refusal});
  }
  for (const char* method : {"GET", "HEAD", "PUT", "DELETE", "POST"}) {
    router.Add({method, bucket + "/(.+)", Role::kAuthenticated,
                std::string("S3 object ") + method +
                    " (SigV4): GetObject/HeadObject, PutObject/CopyObject/UploadPart, "
                    "DeleteObject/AbortMultipartUpload, Create/CompleteMultipartUpload.",
                on_object, object_refusal});
  }
}

}  // namespace loupe::aws
