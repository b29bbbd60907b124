#include "core/file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace loupe {

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    return NotFoundError("cannot read " + path.string() + ": no such file");
  }
  if (std::filesystem::is_directory(status)) {
    return UnavailableError("cannot read " + path.string() + ": is a directory");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return UnavailableError("cannot read " + path.string() + ": " +
                            (errno != 0 ? std::strerror(errno) : "cannot open"));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return UnavailableError("cannot read " + path.string() + ": read error");
  return out.str();
}

}  // namespace loupe
