#include "ml/keypoint_voter.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

namespace loupe::ml {
namespace {

cv::Mat Logo(int pattern_seed) {
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
  return logo;
}

Image ToImage(const cv::Mat& scene) {
  Image img;
  img.width = scene.cols;
  img.height = scene.rows;
  img.rgb.assign(scene.data, scene.data + scene.total() * 3);
  return img;
}

// A textured "logo" (random shapes from `pattern_seed`) pasted at `offset` on a flat background.
Image Scene(int pattern_seed, int offset, int background) {
  cv::Mat scene(240, 320, CV_8UC3, cv::Scalar::all(background));
  Logo(pattern_seed).copyTo(scene(cv::Rect(20 + offset, 40 + offset / 2, 120, 120)));
  return ToImage(scene);
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
  auto cut = KeypointVoter::Deserialize(bytes.substr(0, bytes.size() / 2));
  EXPECT_EQ(cut.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(cut.status().message().find("truncated"), std::string::npos) << cut.status();
  auto garbage = KeypointVoter::Deserialize("garbage");
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(garbage.status().message().find("not a keypoint index"), std::string::npos)
      << garbage.status();
}

TEST(KeypointVoter, SaliencyGateKeepsOnlyTheKeypointsWhereTheNetworkSeesALogo) {
  std::vector<KeypointSet> sets;
  std::vector<int> classes;
  for (int c = 0; c < 2; ++c) {
    for (int i = 0; i < 2; ++i) {
      sets.push_back(ExtractKeypoints(Scene(200 + c, 10 * i, 90 + 20 * i)));
      classes.push_back(c);
    }
  }
  KeypointOptions opt;
  opt.saliency_margin = 2.5f;
  auto voter = KeypointVoter::Build(sets, classes, 2, opt);
  ASSERT_TRUE(voter.ok()) << voter.status();
  // Both logos in one scene: label 0 on the left, label 1 on the right.
  cv::Mat scene(240, 320, CV_8UC3, cv::Scalar::all(120));
  Logo(200).copyTo(scene(cv::Rect(16, 64, 120, 120)));
  Logo(201).copyTo(scene(cv::Rect(184, 64, 120, 120)));
  const Image both = ToImage(scene);
  // A 20 x 15 grid of 16-px cells, salient on the left logo only.
  SaliencyMap map;
  map.width = 20;
  map.height = 15;
  map.logits.assign(300, -3.0f);
  for (int r = 4; r < 12; ++r) {
    for (int c = 1; c < 9; ++c) map.logits[r * 20 + c] = 2.0f;
  }
  const KeypointSet all = ExtractKeypoints(both, opt);  // no map: every keypoint
  const KeypointSet gated = ExtractKeypoints(both, opt, &map);
  EXPECT_GT(gated.rows, 5);
  EXPECT_LT(gated.rows, all.rows);
  std::vector<int> v_all = (*voter)->Votes(all), v_gated = (*voter)->Votes(gated);
  EXPECT_GT(v_all[1], 5);  // ungated, the right logo votes too
  EXPECT_GT(v_gated[0], 5);
  EXPECT_LE(v_gated[1], 1);
  // Margin 0 turns the gate off; a malformed map is ignored.
  KeypointOptions off = opt;
  off.saliency_margin = 0;
  EXPECT_EQ(ExtractKeypoints(both, off, &map).rows, all.rows);
  SaliencyMap broken = map;
  broken.logits.resize(10);
  EXPECT_EQ(ExtractKeypoints(both, opt, &broken).rows, all.rows);

  // The margin travels with the index; a version-1 index (no gate) still loads, ungated.
  std::string bytes = (*voter)->Serialize();
  auto back = KeypointVoter::Deserialize(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FLOAT_EQ((*back)->options().saliency_margin, 2.5f);
  std::string v1 = "LKPV1" + bytes.substr(5, 24) + bytes.substr(33);  // without the margin
  auto old = KeypointVoter::Deserialize(v1);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ((*old)->options().saliency_margin, 0.0f);
  EXPECT_EQ((*old)->Votes(gated), v_gated);
}

}  // namespace
}  // namespace loupe::ml
