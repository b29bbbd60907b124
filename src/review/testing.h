#pragma once
// Test helpers for ReviewService (header-only; for review's *_test.cc files only): the
// ReviewServiceTest fixture over the foundation's database, fake clock, object store (which
// turns new objects into ObjectCreated events, as the app does) and event log, with two
// images in the store and shorthands to create loops and to claim and answer tasks.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "review/review_service.h"
#include "support/foundation.h"

namespace loupe::review {

class ReviewServiceTest : public loupe::testing::FoundationTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_->Put("images_for_detection/a.jpg", "image-a").ok());
    ASSERT_TRUE(store_->Put("images_for_detection/b.jpg", "image-b").ok());
    Reopen();
  }
  void Reopen(ReviewOptions options = {}) {
    service_.reset();
    service_ =
        std::move(ReviewService::Open(*db_, clock_, *store_, *events_, std::move(options))).value();
  }

  static LoopInput Input(const std::string& name, double confidence = 50, int tasks = 1,
                         const std::string& team = "default") {
    LoopInput in;
    in.name = name;
    in.image = "images_for_detection/a.jpg";
    in.choices = {"acme", "globex"};
    in.model_answer = {"acme", confidence};
    in.task_count = tasks;
    in.team = team;
    return in;
  }
  LoopInfo Create(const LoopInput& in) {
    auto r = service_->CreateLoop(in);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->loop : LoopInfo{};
  }
  static Caller Reviewer(const std::string& name, std::vector<std::string> teams = {"default"}) {
    return Caller{name, false, std::move(teams)};
  }
  TaskInfo Claim(const Caller& c) {
    auto t = service_->ClaimNext(c);
    EXPECT_TRUE(t.ok()) << t.status();
    EXPECT_TRUE(t.ok() && t->has_value()) << c.worker << " got no task";
    return t.ok() && t->has_value() ? **t : TaskInfo{};
  }
  bool QueueEmptyFor(const Caller& c) {
    auto t = service_->ClaimNext(c);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() && !t->has_value();
  }
  LoopInfo ClaimAndAnswer(const Caller& c, std::optional<std::string> label) {
    TaskInfo t = Claim(c);
    clock_.Advance(std::chrono::seconds(12));
    auto r = service_->Answer(t.task_id, c, label, false);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : LoopInfo{};
  }
  std::vector<events::Event> Events(events::EventKind kind) {
    return events_->List(EventId(0), 1000, kind).value().events;
  }
  int ObjectEventsFor(const std::string& key) {
    int n = 0;
    for (const auto& e : Events(events::EventKind::kObjectCreated)) n += e.payload["key"] == key;
    return n;
  }

  std::unique_ptr<ReviewService> service_;
  const Caller operator_{"olivia", true, {}};
};

}  // namespace loupe::review
