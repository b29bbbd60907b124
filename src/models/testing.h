#pragma once
// Test helpers for the serving modules (header-only; for *_test.cc files and tests/ only):
// a torch-free fake backbone whose embedding is the image's mean colour, a matching
// three-label artifact ("blue", "green", "red"), a loader that can be told to fail or to
// block, a minimal PNG encoder (stored deflate blocks) so tests can make real images, and the
// load clients of the zero-failed-requests tests (units, HTTP and the real binary).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ml/artifact.h"
#include "ml/predictor.h"
#include "models/model_service.h"

namespace loupe::models::testing {

inline constexpr const char* kFakeSha = "fake-backbone-sha";

// Embedding = L2-normalised mean (R, G, B). Optionally fails, or blocks each Forward until
// released (to hold requests in flight deterministically).
class FakeBackbone final : public ml::Backbone {
 public:
  FakeBackbone() {
    info_.kind = "builtin";
    info_.id = "fake";
    info_.sha256 = kFakeSha;
    info_.embedding_dim = 3;
    info_.preprocessing.input_width = 32;
    info_.preprocessing.input_height = 32;
  }
  const ml::BackboneInfo& info() const override { return info_; }
  Result<ml::BackboneOutput> Forward(const std::vector<const ml::Image*>& images,
                                     bool) const override {
    calls.fetch_add(1);
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !blocked_; });
    }
    if (fail) return InternalError("fake backbone failure");
    ml::BackboneOutput out;
    out.count = static_cast<int>(images.size());
    out.dim = 3;
    for (const ml::Image* im : images) {
      double sum[3] = {0, 0, 0};
      size_t n = static_cast<size_t>(im->width) * im->height;
      for (size_t i = 0; i < n; ++i) {
        for (int c = 0; c < 3; ++c) sum[c] += im->rgb[i * 3 + c];
      }
      double norm = std::sqrt(sum[0] * sum[0] + sum[1] * sum[1] + sum[2] * sum[2]) + 1e-9;
      for (double s : sum) out.embeddings.push_back(static_cast<float>(s / norm));
    }
    return out;
  }
  void Block() {
    std::lock_guard lock(mu_);
    blocked_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      blocked_ = false;
    }
    cv_.notify_all();
  }

  std::atomic<bool> fail{false};
  mutable std::atomic<int64_t> calls{0};

 private:
  ml::BackboneInfo info_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool blocked_ = false;
};

// Writes a three-label artifact ("blue", "green", "red") for FakeBackbone into `dir`.
inline Status WriteFakeArtifact(const std::filesystem::path& dir) {
  ml::ModelArtifact a;
  FakeBackbone b;
  a.backbone = b.info();
  a.labels = {"blue", "green", "red"};
  a.head.num_classes = 3;
  a.head.dim = 3;
  // Row k picks channel: blue = B, green = G, red = R.
  a.head.weights = {0, 0, 10, 0, 10, 0, 10, 0, 0};
  a.head.bias = {0, 0, 0};
  a.calibration.temperature = 1.0;
  a.evaluation.labels = a.labels;
  a.evaluation.macro_f1 = 0.9;
  for (const std::string& l : a.labels) {
    ml::LabelMetrics m;
    m.name = l;
    m.assumed_threshold = 50;
    a.evaluation.per_label.push_back(m);
  }
  a.created = "2026-01-01T00:00:00.000Z";
  return ml::SaveArtifact(a, "", dir);
}

// A loader that reads the artifact and attaches `backbone`; fails while `fail_load` is set.
struct FakeLoader {
  std::shared_ptr<FakeBackbone> backbone = std::make_shared<FakeBackbone>();
  std::shared_ptr<std::atomic<bool>> fail_load = std::make_shared<std::atomic<bool>>(false);

  PredictorLoader Loader() const {
    auto b = backbone;
    auto fail = fail_load;
    return [b, fail](
               const std::filesystem::path& dir) -> Result<std::shared_ptr<const ml::Predictor>> {
      if (fail->load()) return FailedPreconditionError("fake load failure");
      ASSIGN_OR_RETURN(ml::ModelArtifact a, ml::ReadArtifact(dir));
      ASSIGN_OR_RETURN(std::unique_ptr<ml::Predictor> p, ml::Predictor::Create(std::move(a), b));
      return std::shared_ptr<const ml::Predictor>(std::move(p));
    };
  }
};

// An 8-bit RGB PNG (stored deflate blocks): real bytes for the image intake.
// REQUIRES: rgb.size() == width * height * 3.
inline std::string EncodePng(int width, int height, const std::vector<uint8_t>& rgb) {
  auto crc32 = [](const std::string& data) {
    uint32_t c = 0xFFFFFFFFu;
    for (unsigned char ch : data) {
      c ^= ch;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
  };
  auto be32 = [](uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xFF);
    return s;
  };
  auto chunk = [&](const std::string& type, const std::string& data) {
    return be32(static_cast<uint32_t>(data.size())) + type + data + be32(crc32(type + data));
  };
  std::string raw;
  const size_t row = static_cast<size_t>(width) * 3;
  for (int y = 0; y < height; ++y) {
    raw += '\0';  // filter: none
    raw.append(reinterpret_cast<const char*>(rgb.data()) + y * row, row);
  }
  std::string z = "\x78\x01";  // zlib header, stored blocks
  for (size_t pos = 0;;) {
    size_t n = std::min<size_t>(65535, raw.size() - pos);
    bool last = pos + n >= raw.size();
    z += static_cast<char>(last ? 1 : 0);
    z += static_cast<char>(n & 0xFF);
    z += static_cast<char>(n >> 8);
    z += static_cast<char>(~n & 0xFF);
    z += static_cast<char>((~n >> 8) & 0xFF);
    z += raw.substr(pos, n);
    pos += n;
    if (last) break;
  }
  uint32_t a = 1, bsum = 0;
  for (unsigned char ch : raw) {
    a = (a + ch) % 65521;
    bsum = (bsum + a) % 65521;
  }
  z += be32((bsum << 16) | a);
  std::string ihdr = be32(static_cast<uint32_t>(width)) + be32(static_cast<uint32_t>(height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", z) +
         chunk("IEND", "");
}

// A width x height PNG filled with (r, g, b).
inline std::string SolidPng(int width, int height, uint8_t r, uint8_t g, uint8_t b) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = r;
    rgb[i + 1] = g;
    rgb[i + 2] = b;
  }
  return EncodePng(width, height, rgb);
}

// `png` with its IHDR width and height rewritten to 100000 x 100000 (CRC left stale): a
// decompression bomb for the image intake to refuse before decoding.
inline std::string WithHugeDimensions(std::string png) {
  for (size_t off : {16, 20}) {
    png[off] = 0;
    png[off + 1] = 0x01;
    png[off + 2] = static_cast<char>(0x86);
    png[off + 3] = static_cast<char>(0xA0);
  }
  return png;
}

// Load for the zero-failed-requests tests: `clients` threads, each with its own request
// function made by `make_client` on that thread, send requests one after the other until Stop()
// or `max_requests` each. A request returns the version that answered it, or an error (a failed
// request, kept for the report). Thread-safe; the destructor stops and joins the clients.
class LoadClients {
 public:
  using Request = std::function<Result<std::string>()>;

  LoadClients(int clients, int max_requests, std::function<Request()> make_client)
      : clients_(clients) {
    for (int t = 0; t < clients; ++t) {
      threads_.emplace_back([this, max_requests, make_client] {
        Request request = make_client();
        for (int i = 0; i < max_requests && !stop_.load(); ++i) Record(request());
        {
          std::lock_guard lock(mu_);
          ++ended_;
        }
        cv_.notify_all();
      });
    }
  }
  ~LoadClients() { Stop(); }
  LoadClients(const LoadClients&) = delete;
  LoadClients& operator=(const LoadClients&) = delete;

  // Blocks until the clients did `n` more good requests, one failed, all ended or `timeout`
  // passed; whether the `n` were done.
  bool WaitFor(int64_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    const int64_t target = ok_ + n;
    cv_.wait_for(lock, timeout, [&] { return ok_ >= target || failed_ > 0 || ended_ == clients_; });
    return ok_ >= target;
  }
  // Stops the clients after their current request and joins them. Idempotent.
  void Stop() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  int64_t ok() const {
    std::lock_guard lock(mu_);
    return ok_;
  }
  int64_t failed() const {
    std::lock_guard lock(mu_);
    return failed_;
  }
  // Good requests that `version` answered.
  int64_t AnsweredBy(const std::string& version) const {
    std::lock_guard lock(mu_);
    auto it = by_version_.find(version);
    return it == by_version_.end() ? 0 : it->second;
  }
  // The first failures, one a line (empty if none).
  std::string FailureReport() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const std::string& f : failures_) out += f + "\n";
    return out;
  }

 private:
  void Record(const Result<std::string>& r) {
    {
      std::lock_guard lock(mu_);
      if (r.ok()) {
        ++ok_;
        ++by_version_[*r];
      } else {
        ++failed_;
        if (failures_.size() < 10) failures_.push_back(r.status().ToString());
      }
    }
    cv_.notify_all();
  }

  const int clients_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t ok_ = 0;                             // guarded by mu_
  int64_t failed_ = 0;                         // guarded by mu_
  int ended_ = 0;                              // guarded by mu_
  std::map<std::string, int64_t> by_version_;  // guarded by mu_
  std::vector<std::string> failures_;          // guarded by mu_
  std::vector<std::thread> threads_;           // last: the clients use everything above
};

}  // namespace loupe::models::testing
