#pragma once
// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
// For tests and offline tools. Not thread-safe; owns the directory.

#include <filesystem>
#include <string>

namespace loupe {

class TempDir {
 public:
  // Creates "<tmp>/<prefix>XXXXXX". CHECK-fails if the directory can't be created.
  explicit TempDir(const std::string& prefix = "loupe-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace loupe
