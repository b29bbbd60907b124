#include "core/file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/temp_dir.h"

namespace loupe {
namespace {

TEST(ReadFile, ReturnsTheWholeFileByteForByte) {
  TempDir dir;
  const std::string bytes("a\0b\nc\xff", 6);
  std::ofstream(dir.path() / "f.bin", std::ios::binary) << bytes;
  auto read = ReadFile(dir.path() / "f.bin");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, bytes);
  std::ofstream(dir.path() / "empty");
  EXPECT_EQ(ReadFile(dir.path() / "empty").value(), "");
}

TEST(ReadFile, MissingFileIsNotFoundAndNamesThePath) {
  TempDir dir;
  auto read = ReadFile(dir.path() / "missing.txt");
  EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("missing.txt"), std::string::npos);
}

TEST(ReadFile, DirectoryIsUnavailable) {
  TempDir dir;
  EXPECT_EQ(ReadFile(dir.path()).status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace loupe
