#include "console/http/static_routes.h"

#include <algorithm>
#include <system_error>

#include "core/file.h"

namespace loupe::console {
namespace {

namespace fs = std::filesystem;
using server::HttpRequest;
using server::HttpResponse;
using server::Role;

constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'";

bool AllowedSegmentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

// Serves one resolved file with the console's headers.
HttpResponse ServeFile(const fs::path& file, bool immutable, bool head) {
  auto bytes = ReadFile(file);
  // The client learns the file's name only, never where the console lives on disk.
  if (!bytes.ok()) {
    return HttpResponse::Error(NotFoundError("cannot read " + file.filename().string()));
  }
  HttpResponse r;
  r.content_type = StaticContentType(file);
  if (!head) r.body = std::move(bytes).value();
  AddConsoleSecurityHeaders(r);
  r.headers.emplace_back("Cache-Control",
                         immutable ? "public, max-age=31536000, immutable" : "no-cache");
  return r;
}

HttpResponse ServeIndex(const fs::path& web_dir, bool head) {
  const fs::path index = web_dir / "index.html";
  std::error_code ec;
  if (!fs::is_regular_file(index, ec)) {
    HttpResponse r = HttpResponse::Error(
        UnavailableError("the web console is not built: no index.html in " + web_dir.string() +
                         " (build the 'web' target, or pass serve --web-dir DIR)"));
    AddConsoleSecurityHeaders(r);
    return r;
  }
  return ServeFile(index, /*immutable=*/false, head);
}

}  // namespace

void AddConsoleSecurityHeaders(HttpResponse& response) {
  response.headers.emplace_back("Content-Security-Policy", kCsp);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Frame-Options", "DENY");
}

Result<fs::path> ResolveStaticPath(const fs::path& web_dir, std::string_view relative) {
  if (relative.empty() || relative.size() > 256) {
    return InvalidArgumentError("bad static path");
  }
  // Segments of [A-Za-z0-9._-], none empty, none starting with '.' (no "..", no dot files).
  size_t start = 0;
  while (start <= relative.size()) {
    size_t end = relative.find('/', start);
    if (end == std::string_view::npos) end = relative.size();
    std::string_view segment = relative.substr(start, end - start);
    if (segment.empty() || segment.front() == '.') {
      return InvalidArgumentError("bad static path");
    }
    for (char c : segment) {
      if (!AllowedSegmentChar(c)) return InvalidArgumentError("bad static path");
    }
    start = end + 1;
  }
  std::error_code ec;
  const fs::path root = fs::canonical(web_dir, ec);
  if (ec) return NotFoundError("no web directory");
  const fs::path file = fs::weakly_canonical(root / fs::path(relative), ec);
  if (ec) return NotFoundError("no such file");
  // Belt and braces against symlinks leading out of the directory.
  auto [root_end, file_it] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (root_end != root.end()) return InvalidArgumentError("bad static path");
  if (!fs::is_regular_file(file, ec)) return NotFoundError("no such file");
  return file;
}

std::string StaticContentType(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".webp") return "image/webp";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

void AddStaticRoutes(server::Router& router, const fs::path& web_dir) {
  auto index = [web_dir](const HttpRequest& req) {
    return ServeIndex(web_dir, req.method == "HEAD");
  };
  router.Add({"GET", "/", Role::kPublic, "The web console.", index});
  router.Add({"GET", "/index\\.html", Role::kPublic, "The web console.", index});
  // One exact route and one with a sub-path per console page, so the OpenAPI document (and the
  // route-role matrix test that walks it) sees plain paths.
  for (std::string_view page : kConsoleRoutes) {
    const std::string base = "/" + std::string(page);
    router.Add({"GET", base, Role::kPublic, "The web console's page (returns index.html).", index});
    router.Add({"GET", base + "/(.+)", Role::kPublic,
                "The web console's page (client-side route; returns index.html).", index});
  }
  router.Add({"GET", "/favicon\\.svg", Role::kPublic, "The console's icon.",
              [web_dir](const HttpRequest& req) {
                auto file = ResolveStaticPath(web_dir, "favicon.svg");
                if (!file.ok()) return HttpResponse::Error(file.status());
                return ServeFile(*file, /*immutable=*/false, req.method == "HEAD");
              }});
  router.Add({"GET", "/assets/(.+)", Role::kPublic,
              "The console's content-hashed assets (cached as immutable).",
              [web_dir](const HttpRequest& req) {
                auto file = ResolveStaticPath(web_dir, "assets/" + req.path_params[0]);
                if (!file.ok()) {
                  // Traversal attempts and missing files look the same to the client.
                  return HttpResponse::Error(NotFoundError("no such asset"));
                }
                return ServeFile(*file, /*immutable=*/true, req.method == "HEAD");
              }});
}

}  // namespace loupe::console
