#include "store/s3_client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <map>
#include <mutex>
#include <pugixml.hpp>
#include <thread>

#include "core/sha256.h"

namespace loupe::store {

struct S3Client::Request {
  std::string method;
  std::string key;  // empty: the bucket itself
  std::vector<std::pair<std::string, std::string>> query;
  aws::HeaderList headers;  // sent and signed, besides host and the x-amz-* of Sign
  std::string_view body;
  std::string body_sha256;  // hex; computed from `body` when empty
};

struct S3Client::Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    headers->clear();  // a new response (after 100 Continue or a redirect)
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  (*headers)[name] = std::string(value);
  return size * count;
}

std::string Unquoted(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// "2009-10-12T17:50:30.000Z"
TimePoint ParseIsoTime(const std::string& s) {
  std::tm tm{};
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6) {
    return TimePoint{};
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// "Wed, 21 Oct 2015 07:28:00 GMT"
TimePoint ParseHttpTime(const std::string& s) {
  std::tm tm{};
  if (strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return TimePoint{};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// The S3 error of a response: its XML <Error> when there is one, else the HTTP status.
Status S3Error(const S3Client::Response& r, std::string_view what) {
  std::string code;
  std::string message;
  pugi::xml_document doc;
  if (!r.body.empty() && doc.load_buffer(r.body.data(), r.body.size())) {
    pugi::xml_node error = doc.child("Error");
    code = error.child_value("Code");
    message = error.child_value("Message");
  }
  std::string text = std::string(what) + ": S3 " + std::to_string(r.status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += ": " + message;
  if (code == "NoSuchKey" || code == "NoSuchUpload" || (r.status == 404 && code.empty())) {
    return NotFoundError(text);
  }
  if (code == "NoSuchBucket") return FailedPreconditionError(text);
  if (r.status == 403) return PermissionDeniedError(text);
  if (r.status == 400 || r.status == 411 || r.status == 413) return InvalidArgumentError(text);
  return UnavailableError(text);
}

bool Transient(const S3Client::Response& r) {
  return r.status == 500 || r.status == 502 || r.status == 503 || r.status == 504;
}

std::string QueryString(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::string> parts;
  parts.reserve(query.size());
  for (const auto& [name, value] : query) {
    parts.push_back(aws::UriEncode(name, true) + "=" + aws::UriEncode(value, true));
  }
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "&") + p;
  return out;
}

}  // namespace

aws::Credentials CredentialsFromEnvironment() {
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v != nullptr ? v : "");
  };
  return {env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN")};
}

Result<std::unique_ptr<S3Client>> S3Client::Create(S3Options options) {
  if (options.bucket.empty()) return InvalidArgumentError("S3: no bucket given");
  if (options.region.empty()) options.region = "us-east-1";
  if (options.endpoint.empty()) {
    options.endpoint = "https://s3." + options.region + ".amazonaws.com";
  }
  std::string_view url = options.endpoint;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return InvalidArgumentError("S3 endpoint must be http://HOST[:PORT] or https://HOST[:PORT]: " +
                                options.endpoint);
  }
  std::string scheme(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return InvalidArgumentError("S3 endpoint scheme must be http or https: " + options.endpoint);
  }
  std::string host(url.substr(scheme_end + 3));
  while (!host.empty() && host.back() == '/') host.pop_back();
  if (host.empty() || host.find('/') != std::string::npos) {
    return InvalidArgumentError("S3 endpoint must be a base URL without a path: " +
                                options.endpoint);
  }
  if (scheme == "http" && host.ends_with(":80")) host.resize(host.size() - 3);
  if (scheme == "https" && host.ends_with(":443")) host.resize(host.size() - 4);
  if (options.part_size < (5 << 20)) return InvalidArgumentError("S3 part size below 5 MiB");
  std::string base_path = "/" + aws::UriEncode(options.bucket, true);
  if (!options.path_style) {
    host = options.bucket + "." + host;
    base_path.clear();
  }
  GlobalInit();
  return std::unique_ptr<S3Client>(
      new S3Client(std::move(options), std::move(scheme), std::move(host), std::move(base_path)));
}

S3Client::S3Client(S3Options options, std::string scheme, std::string host, std::string base_path)
    : options_(std::move(options)),
      scheme_(std::move(scheme)),
      host_(std::move(host)),
      base_path_(std::move(base_path)) {}

Result<S3Client::Response> S3Client::Send(const Request& request) const {
  auto backoff = std::chrono::milliseconds(100);
  Result<Response> last = UnavailableError("S3: no attempt made");
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
    last = SendOnce(request);
    if (last.ok() && !Transient(*last)) return last;
    if (!last.ok() && last.status().code() != StatusCode::kUnavailable) return last;
    spdlog::debug("store: S3 {} {} attempt {} failed", request.method, request.key, attempt + 1);
  }
  return last;
}

Result<S3Client::Response> S3Client::SendOnce(const Request& request) const {
  std::string path = request.key.empty() ? (base_path_.empty() ? "/" : base_path_)
                                         : base_path_ + "/" + aws::UriEncode(request.key, false);
  aws::SignableRequest signable;
  signable.method = request.method;
  signable.path = path;
  signable.query = request.query;
  signable.headers = request.headers;
  signable.headers.emplace_back("host", host_);
  signable.payload_sha256 =
      !request.body_sha256.empty() ? request.body_sha256 : Sha256Hex(request.body);
  std::string authorization = aws::Sign(signable, options_.credentials, options_.region, "s3",
                                        std::chrono::system_clock::now());

  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (curl == nullptr) return ResourceExhaustedError("S3: curl_easy_init failed");
  CURL* c = curl.get();
  std::string url = scheme_ + "://" + host_ + path;
  std::string query = QueryString(request.query);
  if (!query.empty()) url += "?" + query;
  curl_slist* raw_headers = nullptr;
  for (const auto& [name, value] : signable.headers) {
    std::string line = name;
    line += ": ";
    line += value;
    raw_headers = curl_slist_append(raw_headers, line.c_str());
  }
  raw_headers = curl_slist_append(raw_headers, ("Authorization: " + authorization).c_str());
  raw_headers = curl_slist_append(raw_headers, "Expect:");
  if (request.method == "PUT" || request.method == "POST") {
    raw_headers = curl_slist_append(raw_headers, "Content-Type: application/octet-stream");
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw_headers);
  Response response;
  std::array<char, CURL_ERROR_SIZE> error{};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error.data());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.method == "PUT" || request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    std::string detail = error[0] != '\0' ? std::string(error.data()) : curl_easy_strerror(rc);
    return UnavailableError("S3 " + request.method + " " + url + ": " + detail);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Result<std::string> S3Client::Put(std::string_view key, std::string_view bytes,
                                  std::string_view sha256_hex) const {
  if (static_cast<int64_t>(bytes.size()) > options_.multipart_threshold) {
    return PutMultipart(key, bytes, sha256_hex);
  }
  Request r{"PUT", std::string(key),       {}, {{"x-amz-meta-sha256", std::string(sha256_hex)}},
            bytes, std::string(sha256_hex)};
  ASSIGN_OR_RETURN(Response response, Send(r));
  if (response.status != 200) return S3Error(response, "PutObject " + std::string(key));
  return Unquoted(response.Header("etag"));
}

Result<std::string> S3Client::PutMultipart(std::string_view key, std::string_view bytes,
                                           std::string_view sha256_hex) const {
  const std::string k(key);
  Request create{"POST", k, {{"uploads", ""}}, {{"x-amz-meta-sha256", std::string(sha256_hex)}},
                 {},     {}};
  ASSIGN_OR_RETURN(Response created, Send(create));
  if (created.status != 200) return S3Error(created, "CreateMultipartUpload " + k);
  pugi::xml_document doc;
  doc.load_buffer(created.body.data(), created.body.size());
  std::string upload_id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (upload_id.empty()) return UnavailableError("CreateMultipartUpload " + k + ": no UploadId");

  auto abort = [&](Status why) {
    Request a{"DELETE", k, {{"uploadId", upload_id}}, {}, {}, {}};
    auto r = Send(a);
    if (!r.ok() || (r->status != 204 && r->status != 200)) {
      spdlog::warn("store: could not abort multipart upload {} of {}", upload_id, k);
    }
    return why;
  };
  std::string complete = "<CompleteMultipartUpload>";
  int part = 0;
  for (size_t offset = 0; offset < bytes.size(); offset += options_.part_size) {
    ++part;
    std::string_view chunk = bytes.substr(offset, options_.part_size);
    Request up{"PUT", k,     {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}},
               {},    chunk, {}};
    auto sent = Send(up);
    if (!sent.ok()) return abort(sent.status());
    if (sent->status != 200) return abort(S3Error(*sent, "UploadPart " + k));
    complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" +
                sent->Header("etag") + "</ETag></Part>";
  }
  complete += "</CompleteMultipartUpload>";
  Request done{"POST", k, {{"uploadId", upload_id}}, {}, complete, {}};
  auto finished = Send(done);
  if (!finished.ok()) return abort(finished.status());
  // CompleteMultipartUpload can fail with 200 and an <Error> body.
  pugi::xml_document result;
  result.load_buffer(finished->body.data(), finished->body.size());
  if (finished->status != 200 || result.child("Error")) {
    return abort(S3Error(*finished, "CompleteMultipartUpload " + k));
  }
  return Unquoted(result.child("CompleteMultipartUploadResult").child_value("ETag"));
}

Result<std::string> S3Client::Get(std::string_view key, S3Object* meta) const {
  Request r{"GET", std::string(key), {}, {}, {}, {}};
  ASSIGN_OR_RETURN(Response response, Send(r));
  if (response.status != 200) return S3Error(response, "GetObject " + std::string(key));
  if (meta != nullptr) {
    meta->key = std::string(key);
    meta->size = static_cast<int64_t>(response.body.size());
    meta->etag = Unquoted(response.Header("etag"));
    meta->modified = ParseHttpTime(response.Header("last-modified"));
    meta->sha256 = response.Header("x-amz-meta-sha256");
  }
  return std::move(response.body);
}

Result<S3Object> S3Client::Head(std::string_view key) const {
  Request r{"HEAD", std::string(key), {}, {}, {}, {}};
  ASSIGN_OR_RETURN(Response response, Send(r));
  if (response.status != 200) return S3Error(response, "HeadObject " + std::string(key));
  S3Object o;
  o.key = std::string(key);
  o.size = std::strtoll(response.Header("content-length").c_str(), nullptr, 10);
  o.etag = Unquoted(response.Header("etag"));
  o.modified = ParseHttpTime(response.Header("last-modified"));
  o.sha256 = response.Header("x-amz-meta-sha256");
  return o;
}

Status S3Client::Delete(std::string_view key) const {
  Request r{"DELETE", std::string(key), {}, {}, {}, {}};
  ASSIGN_OR_RETURN(Response response, Send(r));
  if (response.status != 204 && response.status != 200) {
    return S3Error(response, "DeleteObject " + std::string(key));
  }
  return Status::Ok();
}

Result<std::string> S3Client::Copy(std::string_view from, std::string_view to) const {
  std::string source =
      "/" + aws::UriEncode(options_.bucket, true) + "/" + aws::UriEncode(from, false);
  Request r{"PUT", std::string(to), {}, {{"x-amz-copy-source", source}}, {}, {}};
  ASSIGN_OR_RETURN(Response response, Send(r));
  pugi::xml_document doc;
  doc.load_buffer(response.body.data(), response.body.size());
  if (response.status != 200 || doc.child("Error")) {
    return S3Error(response, "CopyObject " + std::string(from) + " -> " + std::string(to));
  }
  return Unquoted(doc.child("CopyObjectResult").child_value("ETag"));
}

Result<S3ListPage> S3Client::List(std::string_view prefix, std::string_view token,
                                  int max_keys) const {
  Request r{"GET", "", {{"list-type", "2"}, {"max-keys", std::to_string(max_keys)}}, {}, {}, {}};
  if (!prefix.empty()) r.query.emplace_back("prefix", std::string(prefix));
  if (!token.empty()) r.query.emplace_back("continuation-token", std::string(token));
  ASSIGN_OR_RETURN(Response response, Send(r));
  if (response.status != 200) return S3Error(response, "ListObjectsV2 " + std::string(prefix));
  pugi::xml_document doc;
  if (!doc.load_buffer(response.body.data(), response.body.size())) {
    return UnavailableError("ListObjectsV2: unreadable XML");
  }
  pugi::xml_node result = doc.child("ListBucketResult");
  S3ListPage page;
  for (pugi::xml_node item : result.children("Contents")) {
    S3Object o;
    o.key = item.child_value("Key");
    o.size = std::strtoll(item.child_value("Size"), nullptr, 10);
    o.etag = Unquoted(item.child_value("ETag"));
    o.modified = ParseIsoTime(item.child_value("LastModified"));
    page.objects.push_back(std::move(o));
  }
  if (std::string_view(result.child_value("IsTruncated")) == "true") {
    page.next_token = result.child_value("NextContinuationToken");
    if (page.next_token.empty()) {
      return UnavailableError("ListObjectsV2: truncated without a token");
    }
  }
  return page;
}

Status S3Client::CheckBucket() const {
  Request r{"HEAD", "", {}, {}, {}, {}};
  ASSIGN_OR_RETURN(Response response, Send(r));
  if (response.status != 200) return S3Error(response, "HeadBucket " + options_.bucket);
  return Status::Ok();
}

}  // namespace loupe::store
