#include "workflow/definition.h"

#include <gtest/gtest.h>

namespace loupe::workflow {
namespace {

using nlohmann::json;

std::string ErrorOf(const std::string& text) {
  auto r = ParseDefinition(std::string_view(text),
                           [](std::string_view res) { return res.starts_with("loupe:"); });
  return r.ok() ? "" : r.status().message();
}

TEST(JsonPath, ParsesFieldsIndicesAndContext) {
  auto p = ParseJsonPath("$.a.b[2]['c d']");
  ASSERT_TRUE(p.ok()) << p.status();
  json in = {{"a", {{"b", {0, 1, {{"c d", 7}}}}}}};
  EXPECT_EQ(*SelectPath(*p, in, json()), 7);
  auto c = ParseJsonPath("$$.Execution.Id");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->context);
  EXPECT_EQ(*SelectPath(*c, in, {{"Execution", {{"Id", "x"}}}}), "x");
  // Malformed paths: InvalidArgument with the reason.
  for (auto [bad, why] :
       {std::pair{"a.b", "must start with '$'"}, std::pair{"$.a..b", "empty field name"},
        std::pair{"$.a[x]", "non-negative integer"}}) {
    auto parsed = ParseJsonPath(bad);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(parsed.status().message().find(why), std::string::npos) << parsed.status();
  }
  // A missing step: InvalidArgument naming the path, so the engine can raise States.Runtime.
  auto missing = SelectPath(*ParseJsonPath("$.missing"), in, json());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("'$.missing' found nothing"), std::string::npos)
      << missing.status();
}

TEST(JsonPath, InsertAtPathCreatesObjectsAndReplacesRoot) {
  json in = {{"a", 1}};
  EXPECT_EQ(*InsertAtPath(*ParseJsonPath("$.r.s"), in, 5), json({{"a", 1}, {"r", {{"s", 5}}}}));
  EXPECT_EQ(*InsertAtPath(*ParseJsonPath("$"), in, 5), 5);
  auto crosses = InsertAtPath(*ParseJsonPath("$.a.b"), in, 5);  // "a" holds a number
  EXPECT_EQ(crosses.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(crosses.status().message().find("crosses a non-object"), std::string::npos)
      << crosses.status();
}

TEST(JsonPath, TemplateEvaluatesDollarKeysRecursively) {
  json tmpl = {{"k.$", "$.x"},
               {"lit", "$.x"},
               {"n", {{"id.$", "$$.Execution.Id"}}},
               {"arr", json::array({{{"v.$", "$.x"}}})}};
  auto out = ApplyTemplate(tmpl, {{"x", 3}}, {{"Execution", {{"Id", "e"}}}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(
      *out,
      json({{"k", 3}, {"lit", "$.x"}, {"n", {{"id", "e"}}}, {"arr", json::array({{{"v", 3}}})}}));
}

TEST(Definition, ParsesEveryStateType) {
  auto r = ParseDefinition(std::string_view(R"({
    "Comment": "all types", "StartAt": "P",
    "States": {
      "P": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.p", "Next": "T"},
      "T": {"Type": "Task", "Resource": "loupe:t", "TimeoutSeconds": 5,
            "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 2,
                       "MaxAttempts": 4, "BackoffRate": 1.5}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.err"}],
            "Next": "C"},
      "C": {"Type": "Choice", "Choices": [
              {"Variable": "$.p.x", "NumericEquals": 1, "Next": "W"},
              {"And": [{"Variable": "$.a", "IsPresent": true},
                       {"Not": {"Variable": "$.a", "StringEquals": "no"}}], "Next": "S"}],
            "Default": "F"},
      "W": {"Type": "Wait", "SecondsPath": "$.p.x", "Next": "S"},
      "S": {"Type": "Succeed"},
      "F": {"Type": "Fail", "Error": "E", "Cause": "c"}
    }})"));
  ASSERT_TRUE(r.ok()) << r.status();
  const Definition& d = **r;
  EXPECT_EQ(d.start_at, "P");
  EXPECT_EQ(d.Find("T")->retry[0].max_attempts, 4);
  EXPECT_DOUBLE_EQ(d.Find("T")->retry[0].backoff_rate, 1.5);
  EXPECT_EQ(d.Find("T")->catches[0].next, "F");
  EXPECT_EQ(d.Find("C")->choices.size(), 2u);
  EXPECT_EQ(d.Find("F")->error, "E");
}

TEST(Definition, RejectsUnknownStateTypeNamingStateAndField) {
  EXPECT_EQ(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Map","End":true}}})"),
            "state 'A': field 'Type': unknown state type 'Map' (supported: Task, Choice, Wait, "
            "Pass, Succeed, Fail)");
}

TEST(Definition, RejectsMissingNext) {
  EXPECT_EQ(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Pass"}}})"),
            "state 'A': field 'Next': missing: a Pass state needs \"Next\" or \"End\": true");
}

TEST(Definition, RejectsNextToUnknownState) {
  EXPECT_EQ(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}})"),
            "state 'A': field 'Next': no state named 'B'");
}

TEST(Definition, RejectsUnreachableState) {
  EXPECT_EQ(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}})"),
            "state 'B': field 'Type': unreachable: no state leads here from StartAt 'A'");
}

TEST(Definition, RejectsBadPaths) {
  EXPECT_EQ(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"x","End":true}}})"),
            "state 'A': field 'InputPath': bad path 'x': must start with '$'");
  EXPECT_NE(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Pass",
            "Parameters":{"k.$":"$.a[b]"},"End":true}}})")
                .find("state 'A': field 'Parameters'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$$.x",
            "End":true}}})")
                .find("field 'ResultPath'"),
            std::string::npos);
}

TEST(Definition, RejectsUnknownResourceAndBadRetry) {
  EXPECT_EQ(
      ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Task","Resource":"aws:x","End":true}}})"),
      "state 'A': field 'Resource': no task handler registered as 'aws:x'");
  EXPECT_NE(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Task","Resource":"loupe:x",
     "Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}}})")
                .find("field 'Retry[0]': a States.ALL retrier must be the last one"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Task","Resource":"loupe:x",
     "Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}],"End":true}}})")
                .find("Retry[0].BackoffRate"),
            std::string::npos);
}

TEST(Definition, RejectsUnsupportedFieldsAndBadChoiceAndWait) {
  EXPECT_EQ(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Resource":"x","End":true}}})"),
            "state 'A': field 'Resource': not supported in a Pass state");
  EXPECT_NE(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[
     {"Variable":"$.x","StringEquals":"a"}]}}})")
                .find("state 'A': field 'Choices[0]'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Wait","End":true}}})")
                .find("state 'A': field 'Seconds': a Wait needs exactly one"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,
     "Timestamp":"2026-01-01T00:00:00Z","End":true}}})")
                .find("exactly one"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("[1]"), "a definition must be a JSON object");
  EXPECT_EQ(ErrorOf(R"({"States":{}})"), "field 'StartAt': missing: the name of the first state");
}

TEST(Definition, ChoiceComparisonsAndPathForms) {
  auto def = ParseDefinition(std::string_view(R"({"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[
      {"Variable":"$.s","StringEquals":"a","Next":"S1"},
      {"Variable":"$.n","NumericLessThanPath":"$.limit","Next":"S2"},
      {"Variable":"$.n","NumericGreaterThanEquals":10,"Next":"S3"},
      {"Variable":"$.b","BooleanEquals":true,"Next":"S4"},
      {"Or":[{"Variable":"$.n","NumericEquals":7},{"Variable":"$.n","NumericLessThanEquals":-1}],
       "Next":"S5"},
      {"Variable":"$.n","NumericGreaterThan":8,"Next":"S6"},
      {"Variable":"$$.Params.P","StringEqualsPath":"$.s","Next":"S7"}],
     "Default":"D"},
    "S1":{"Type":"Succeed"},"S2":{"Type":"Succeed"},"S3":{"Type":"Succeed"},
    "S4":{"Type":"Succeed"},"S5":{"Type":"Succeed"},"S6":{"Type":"Succeed"},
    "S7":{"Type":"Succeed"},"D":{"Type":"Succeed"}}})"));
  ASSERT_TRUE(def.ok()) << def.status();
  const State& c = *(*def)->Find("C");
  json ctx = {{"Params", {{"P", "zz"}}}};
  auto pick = [&](const json& in) { return EvaluateChoice(c, in, ctx)->value_or("none"); };
  EXPECT_EQ(pick({{"s", "a"}, {"n", 0}}), "S1");
  EXPECT_EQ(pick({{"s", "b"}, {"n", 3}, {"limit", 4}}), "S2");
  EXPECT_EQ(pick({{"s", "b"}, {"n", 10}, {"limit", 4}}), "S3");
  EXPECT_EQ(pick({{"s", "b"}, {"n", 5}, {"limit", 4}, {"b", true}}), "S4");
  EXPECT_EQ(pick({{"s", "b"}, {"n", 7}, {"limit", 4}, {"b", false}}), "S5");
  EXPECT_EQ(pick({{"s", "b"}, {"n", 9}, {"limit", 4}, {"b", false}}), "S6");
  EXPECT_EQ(pick({{"s", "zz"}, {"n", 5}, {"limit", 4}, {"b", false}}), "S7");
  EXPECT_EQ(pick({{"s", "b"}, {"n", 5}, {"limit", 4}, {"b", false}}), "D");
  // A comparison on a missing variable is a runtime error.
  auto missing = EvaluateChoice(c, {{"n", 1}}, ctx);
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("found nothing"), std::string::npos)
      << missing.status();
}

TEST(Definition, ErrorMatchingRules) {
  EXPECT_TRUE(ErrorMatches({"States.ALL"}, "Custom"));
  EXPECT_TRUE(ErrorMatches({"States.TaskFailed"}, "Custom"));
  EXPECT_FALSE(ErrorMatches({"States.TaskFailed"}, "States.Timeout"));
  EXPECT_TRUE(ErrorMatches({"States.Timeout"}, "States.Timeout"));
  EXPECT_FALSE(ErrorMatches({"A", "B"}, "C"));
}

}  // namespace
}  // namespace loupe::workflow
