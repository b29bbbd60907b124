#include "ml/keypoint_voter.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

namespace loupe::ml {
namespace {

// A textured "logo" (random shapes from `pattern_seed`) pasted at `offset` on a flat background.
Image Scene(int pattern_seed, int offset, int background) {
  cv::Mat logo(120, 120, CV_8UC3, cv::Scalar::all(255));
  std::mt19937 rng(pattern_seed);
  for (int i = 0; i < 25; ++i) {
    cv::Point a(rng() % 120, rng() % 120), b(rng() % 120, rng() % 120);
    cv::Scalar colour(rng() % 256, rng() % 256, rng() % 256);
    if (i % 2) {
      cv::rectangle(logo, a, b, colour, -1);
    } else {
      cv::line(logo, a, b, colour, 3);
    }
  }
  cv::Mat scene(240, 320, CV_8UC3, cv::Scalar::all(background));
  logo.copyTo(scene(cv::Rect(20 + offset, 40 + offset / 2, 120, 120)));
  Image img;
  img.width = scene.cols;
  img.height = scene.rows;
  img.rgb.assign(scene.data, scene.data + scene.total() * 3);
  return img;
}

TEST(KeypointVoter, VotesForTheLabelWhoseKeypointsMatchAndRoundTrips) {
  std::vector<KeypointSet> sets;
  std::vector<int> classes;
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 2; ++i) {
      sets.push_back(ExtractKeypoints(Scene(100 + c, 10 * i, 90 + 20 * i)));
      classes.push_back(c);
      EXPECT_GT(sets.back().rows, 10);
    }
  }
  auto voter = KeypointVoter::Build(sets, classes, 3);
  ASSERT_TRUE(voter.ok()) << voter.status();
  for (int c = 0; c < 3; ++c) {
    std::vector<int> votes = (*voter)->Votes(ExtractKeypoints(Scene(100 + c, 60, 140)));
    int top = static_cast<int>(std::max_element(votes.begin(), votes.end()) - votes.begin());
    EXPECT_EQ(top, c);
    EXPECT_GT(votes[c], 5);
  }
  // Leave-one-out: excluding training image 0 still finds its twin (image 1, same label).
  std::vector<int> loo = (*voter)->Votes(sets[0], 0);
  EXPECT_EQ(std::max_element(loo.begin(), loo.end()) - loo.begin(), 0);
  // A plain image gets no keypoints and no votes.
  Image flat;
  flat.width = 100;
  flat.height = 100;
  flat.rgb.assign(100 * 100 * 3, 128);
  std::vector<int> none = (*voter)->Votes(ExtractKeypoints(flat));
  EXPECT_EQ(none, std::vector<int>(3, 0));

  std::string bytes = (*voter)->Serialize();
  auto back = KeypointVoter::Deserialize(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  KeypointSet q = ExtractKeypoints(Scene(101, 30, 60));
  EXPECT_EQ((*back)->Votes(q), (*voter)->Votes(q));
  EXPECT_FALSE(KeypointVoter::Deserialize(bytes.substr(0, bytes.size() / 2)).ok());
  EXPECT_FALSE(KeypointVoter::Deserialize("garbage").ok());
}

}  // namespace
}  // namespace loupe::ml
