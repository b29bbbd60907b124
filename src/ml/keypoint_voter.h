#pragma once
// KeypointVoter: loupe's classical first stage (docs/ml.md). RootSIFT keypoints (at most 1,500
// per image, image shrunk to a 640 px long side) of the training images are indexed with a
// FLANN kd-tree; each keypoint of a query votes for the label of its nearest training
// descriptor when that is closer than `ratio` x the nearest descriptor of any other label
// (the class-aware ratio test). No geometry. Its per-label vote counts are fused with the
// embedding head's logits by the trainer (z_c + weight * ln(1 + votes_c)).
// With a backbone that localises logos (BackboneOutput::saliency), only keypoints where the
// network sees a logo count, at training and at prediction: the image is cut to the cells
// whose saliency is within `saliency_margin` of the image's maximum (plus one cell around),
// and keypoints outside those cells are dropped. Background keypoints, which match other
// photos' backgrounds at random, stay out of the index and out of the vote.
// Thread-safe after construction: Votes() serialises on an internal mutex around the index.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "ml/backbone.h"
#include "ml/image_decode.h"

namespace loupe::ml {

struct KeypointOptions {
  int max_keypoints = 1500;
  int max_side = 640;
  float ratio = 0.8f;
  int neighbours = 8;  // k of the k-NN search (the other-label neighbour is searched among them)
  int checks = 32;     // FLANN search effort
  // Saliency gate (see above); 0 = every keypoint counts, saliency or not.
  float saliency_margin = 4;
};

// RootSIFT descriptors of one image: rows x 128 uint8 (value * 255).
struct KeypointSet {
  int rows = 0;
  std::vector<uint8_t> descriptors;
};

// `saliency` (optional) gates the keypoints when options.saliency_margin > 0.
KeypointSet ExtractKeypoints(const Image& image, const KeypointOptions& options = {},
                             const SaliencyMap* saliency = nullptr);

class KeypointVoter {
 public:
  ~KeypointVoter();
  // `sets[i]` from training image i of class `classes[i]` (in [0, num_classes)).
  static Result<std::unique_ptr<KeypointVoter>> Build(std::vector<KeypointSet> sets,
                                                      std::vector<int> classes, int num_classes,
                                                      const KeypointOptions& options = {});
  // Per-class vote counts for `query`; descriptors of training image `exclude` (>= 0) are
  // ignored (leave-one-out scores of training images).
  std::vector<int> Votes(const KeypointSet& query, int exclude = -1) const;

  // Binary serialisation (the artifact's keypoints.bin) and its inverse.
  std::string Serialize() const;
  static Result<std::unique_ptr<KeypointVoter>> Deserialize(std::string_view bytes);

  int num_classes() const { return num_classes_; }
  const KeypointOptions& options() const { return options_; }
  const KeypointSet& training_set(int i) const { return sets_[i]; }
  int training_images() const { return static_cast<int>(sets_.size()); }

 private:
  struct Index;
  KeypointVoter() = default;

  KeypointOptions options_;
  int num_classes_ = 0;
  std::vector<KeypointSet> sets_;
  std::vector<int> classes_;
  std::vector<int> row_image_;  // index row -> training image
  std::unique_ptr<Index> index_;
  mutable std::mutex mu_;
};

}  // namespace loupe::ml
