// The string tables of notify's enums (Topic, Protocol, DeliveryState): every value names and
// parses back; unknown names are InvalidArgument with the accepted names.

#include "notify/notify_tables.h"

#include <gtest/gtest.h>

#include <string>

namespace loupe::notify {
namespace {

TEST(NotifyTables, TopicNamesRoundTrip) {
  for (Topic t : kTopicNames.Values()) {
    auto parsed = ParseTopic(TopicName(t));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_EQ(TopicName(Topic::kOperator), "operator");
  auto unknown = ParseTopic("everyone");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(), "unknown topic 'everyone' (operator|consumer)");
}

TEST(NotifyTables, ProtocolNamesRoundTrip) {
  for (Protocol p : kProtocolNames.Values()) {
    auto parsed = ParseProtocol(ProtocolName(p));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_EQ(ProtocolName(Protocol::kEmail), "email");
  auto unknown = ParseProtocol("Webhook");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(), "unknown protocol 'Webhook' (webhook|email)");
}

TEST(NotifyTables, DeliveryStateNamesRoundTrip) {
  for (DeliveryState s : kDeliveryStateNames.Values()) {
    auto parsed = kDeliveryStateNames.Parse(StateName(s), "delivery state");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(StateName(DeliveryState::kPending), "pending");
  EXPECT_EQ(StateName(DeliveryState::kDropped), "dropped");
  EXPECT_EQ(kDeliveryStateNames.Parse("queued", "delivery state").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loupe::notify
