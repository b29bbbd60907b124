#include "ml/keypoint_voter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/flann.hpp>
#include <opencv2/imgproc.hpp>

namespace loupe::ml {

struct KeypointVoter::Index {
  cv::Mat data;  // CV_32F rows x 128 (FLANN keeps a reference)
  std::unique_ptr<cv::flann::Index> flann;
};

KeypointVoter::~KeypointVoter() = default;

namespace {

// The cells of `map` within `margin` of its maximum.
std::vector<uint8_t> ActiveCells(const SaliencyMap& map, float margin) {
  const double top = SaliencyPeak(&map);
  std::vector<uint8_t> active(map.logits.size());
  for (size_t i = 0; i < active.size(); ++i) active[i] = map.logits[i] >= top - margin;
  return active;
}

}  // namespace

KeypointSet ExtractKeypoints(const Image& image, const KeypointOptions& options,
                             const SaliencyMap* saliency) {
  KeypointSet out;
  const bool gated =
      saliency && options.saliency_margin > 0 && saliency->width > 0 && saliency->height > 0 &&
      saliency->logits.size() == static_cast<size_t>(saliency->width) * saliency->height;
  try {
    cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
    cv::Mat grey;
    cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
    const int long_side = std::max(grey.cols, grey.rows);
    if (long_side > options.max_side) {
      const double s = static_cast<double>(options.max_side) / long_side;
      cv::resize(grey, grey, cv::Size(), s, s, cv::INTER_AREA);
    }
    // Grid cell -> pixel rectangle of `grey`; with a gate, detect in the active cells' bounding
    // box grown by one cell, then keep the keypoints that fall in an active cell.
    std::vector<uint8_t> active;
    cv::Rect roi(0, 0, grey.cols, grey.rows);
    const double cell_w = gated ? static_cast<double>(grey.cols) / saliency->width : 1;
    const double cell_h = gated ? static_cast<double>(grey.rows) / saliency->height : 1;
    if (gated) {
      active = ActiveCells(*saliency, options.saliency_margin);
      int c0 = saliency->width, c1 = -1, r0 = saliency->height, r1 = -1;
      for (int r = 0; r < saliency->height; ++r) {
        for (int c = 0; c < saliency->width; ++c) {
          if (!active[static_cast<size_t>(r) * saliency->width + c]) continue;
          c0 = std::min(c0, c);
          c1 = std::max(c1, c);
          r0 = std::min(r0, r);
          r1 = std::max(r1, r);
        }
      }
      const int x0 = std::max(0, static_cast<int>((c0 - 1) * cell_w));
      const int y0 = std::max(0, static_cast<int>((r0 - 1) * cell_h));
      const int x1 = std::min(grey.cols, static_cast<int>(std::ceil((c1 + 2) * cell_w)));
      const int y1 = std::min(grey.rows, static_cast<int>(std::ceil((r1 + 2) * cell_h)));
      roi = cv::Rect(x0, y0, std::max(1, x1 - x0), std::max(1, y1 - y0));
    }
    cv::Ptr<cv::SIFT> sift = cv::SIFT::create(options.max_keypoints);
    std::vector<cv::KeyPoint> kps;
    cv::Mat desc;
    sift->detectAndCompute(grey(roi), cv::noArray(), kps, desc);
    if (desc.empty()) return out;
    std::vector<int> keep;
    for (int r = 0; r < desc.rows; ++r) {
      if (gated) {
        const int c =
            std::clamp(static_cast<int>((kps[r].pt.x + roi.x) / cell_w), 0, saliency->width - 1);
        const int row =
            std::clamp(static_cast<int>((kps[r].pt.y + roi.y) / cell_h), 0, saliency->height - 1);
        if (!active[static_cast<size_t>(row) * saliency->width + c]) continue;
      }
      keep.push_back(r);
    }
    out.rows = static_cast<int>(keep.size());
    out.descriptors.resize(keep.size() * 128);
    for (size_t i = 0; i < keep.size(); ++i) {
      const float* d = desc.ptr<float>(keep[i]);
      double l1 = 0;
      for (int c = 0; c < 128; ++c) l1 += std::abs(d[c]);
      for (int c = 0; c < 128; ++c) {
        const double v = l1 > 0 ? std::sqrt(std::abs(d[c]) / l1) : 0.0;  // RootSIFT
        out.descriptors[i * 128 + c] = static_cast<uint8_t>(std::lround(std::min(1.0, v) * 255));
      }
    }
  } catch (const cv::Exception&) {
    out = KeypointSet{};
  }
  return out;
}

Result<std::unique_ptr<KeypointVoter>> KeypointVoter::Build(std::vector<KeypointSet> sets,
                                                            std::vector<int> classes,
                                                            int num_classes,
                                                            const KeypointOptions& options) {
  if (sets.size() != classes.size() || num_classes < 2) {
    return InvalidArgumentError("KeypointVoter: bad shapes");
  }
  std::unique_ptr<KeypointVoter> v(new KeypointVoter());
  v->options_ = options;
  v->num_classes_ = num_classes;
  int rows = 0;
  for (size_t i = 0; i < sets.size(); ++i) {
    if (classes[i] < 0 || classes[i] >= num_classes)
      return InvalidArgumentError("class out of range");
    rows += sets[i].rows;
  }
  if (rows < 2) return FailedPreconditionError("no keypoints in the training images");
  v->index_ = std::make_unique<Index>();
  v->index_->data.create(rows, 128, CV_32F);
  int r = 0;
  for (size_t i = 0; i < sets.size(); ++i) {
    for (int k = 0; k < sets[i].rows; ++k, ++r) {
      float* dst = v->index_->data.ptr<float>(r);
      const uint8_t* src = &sets[i].descriptors[static_cast<size_t>(k) * 128];
      for (int c = 0; c < 128; ++c) dst[c] = src[c] / 255.0f;
      v->row_image_.push_back(static_cast<int>(i));
    }
  }
  try {
    cv::setRNGSeed(0);  // kd-tree construction is randomised: keep it deterministic
    v->index_->flann =
        std::make_unique<cv::flann::Index>(v->index_->data, cv::flann::KDTreeIndexParams(4));
  } catch (const cv::Exception& e) {
    return InternalError(std::string("FLANN index: ") + e.what());
  }
  v->sets_ = std::move(sets);
  v->classes_ = std::move(classes);
  return v;
}

std::vector<int> KeypointVoter::Votes(const KeypointSet& query, int exclude) const {
  std::vector<int> votes(num_classes_, 0);
  if (query.rows == 0) return votes;
  cv::Mat q(query.rows, 128, CV_32F);
  for (int r = 0; r < query.rows; ++r) {
    float* dst = q.ptr<float>(r);
    for (int c = 0; c < 128; ++c)
      dst[c] = query.descriptors[static_cast<size_t>(r) * 128 + c] / 255.0f;
  }
  const int k = std::min<int>(options_.neighbours + (exclude >= 0 ? 4 : 0), index_->data.rows);
  cv::Mat idx, dist;
  {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      index_->flann->knnSearch(q, idx, dist, k, cv::flann::SearchParams(options_.checks));
    } catch (const cv::Exception&) {
      return votes;
    }
  }
  const float ratio2 = options_.ratio * options_.ratio;  // FLANN returns squared L2
  for (int r = 0; r < q.rows; ++r) {
    int best_label = -1;
    float best = 0, last = 0;
    bool decided = false;
    for (int j = 0; j < k; ++j) {
      const int row = idx.at<int>(r, j);
      if (row < 0 || row >= static_cast<int>(row_image_.size())) continue;
      const int image = row_image_[row];
      if (image == exclude) continue;
      const int label = classes_[image];
      const float d = dist.at<float>(r, j);
      last = d;
      if (best_label < 0) {
        best_label = label;
        best = d;
      } else if (label != best_label) {
        if (best < ratio2 * d) votes[best_label]++;
        decided = true;
        break;
      }
    }
    // All k neighbours share one label: the other label is farther than the k-th neighbour.
    if (!decided && best_label >= 0 && best < ratio2 * last) votes[best_label]++;
  }
  return votes;
}

std::string KeypointVoter::Serialize() const {
  std::string out = "LKPV2";
  auto put = [&](int32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); };
  put(num_classes_);
  put(options_.max_keypoints);
  put(options_.max_side);
  put(static_cast<int32_t>(std::lround(options_.ratio * 1000)));
  put(options_.neighbours);
  put(options_.checks);
  put(static_cast<int32_t>(std::lround(options_.saliency_margin * 1000)));
  put(static_cast<int32_t>(sets_.size()));
  for (size_t i = 0; i < sets_.size(); ++i) {
    put(classes_[i]);
    put(sets_[i].rows);
    out.append(reinterpret_cast<const char*>(sets_[i].descriptors.data()),
               sets_[i].descriptors.size());
  }
  return out;
}

Result<std::unique_ptr<KeypointVoter>> KeypointVoter::Deserialize(std::string_view bytes) {
  size_t pos = 5;
  // LKPV1 (no saliency gate) is still read: its models were trained on ungated keypoints.
  const bool v1 = bytes.substr(0, 5) == "LKPV1";
  if (!v1 && bytes.substr(0, 5) != "LKPV2") return InvalidArgumentError("not a keypoint index");
  auto get = [&](int32_t* v) {
    if (pos + 4 > bytes.size()) return false;
    std::memcpy(v, bytes.data() + pos, 4);
    pos += 4;
    return true;
  };
  int32_t num_classes, max_kp, max_side, ratio, neighbours, checks, margin = 0, n;
  if (!get(&num_classes) || !get(&max_kp) || !get(&max_side) || !get(&ratio) || !get(&neighbours) ||
      !get(&checks) || (!v1 && !get(&margin)) || !get(&n) || n < 0 || margin < 0) {
    return InvalidArgumentError("truncated keypoint index");
  }
  KeypointOptions opt;
  opt.max_keypoints = max_kp;
  opt.max_side = max_side;
  opt.ratio = ratio / 1000.0f;
  opt.neighbours = neighbours;
  opt.checks = checks;
  opt.saliency_margin = margin / 1000.0f;
  std::vector<KeypointSet> sets(n);
  std::vector<int> classes(n);
  for (int32_t i = 0; i < n; ++i) {
    int32_t rows;
    if (!get(&classes[i]) || !get(&rows) || rows < 0 ||
        pos + static_cast<size_t>(rows) * 128 > bytes.size()) {
      return InvalidArgumentError("truncated keypoint index");
    }
    sets[i].rows = rows;
    sets[i].descriptors.assign(bytes.begin() + pos,
                               bytes.begin() + pos + static_cast<size_t>(rows) * 128);
    pos += static_cast<size_t>(rows) * 128;
  }
  return Build(std::move(sets), std::move(classes), num_classes, opt);
}

}  // namespace loupe::ml
