#pragma once
// Static routes of the web console: serves the built console (index.html, hashed assets) from a
// directory on disk at `/`, on the same port as the API. Files are read per request (so a
// rebuilt console needs no restart); paths are confined to the directory. Every response carries
// nosniff, a strict Content-Security-Policy and a Cache-Control suited to the file (hashed
// assets are immutable; index.html is revalidated). The console's client-side routes (e.g.
// `/review`, `/models/v3`) return index.html. Thread-safe (stateless handlers).

#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"
#include "server/router.h"

namespace loupe::console {

// The first path segments of the console's client-side routes; GET /<segment>[/...] returns
// index.html so a reload or a shared link lands on the right page.
inline constexpr std::string_view kConsoleRoutes[] = {
    "login", "review", "parameters", "models", "executions", "dataset", "notifications"};

// The headers every console response carries (CSP, nosniff, referrer and framing policy).
void AddConsoleSecurityHeaders(server::HttpResponse& response);

// Resolves `relative` (a path below the web directory, as requested) to a regular file inside
// `web_dir`. InvalidArgument for traversal attempts or disallowed characters, NotFound when no
// such file exists.
Result<std::filesystem::path> ResolveStaticPath(const std::filesystem::path& web_dir,
                                                std::string_view relative);

// Content type by file extension ("application/octet-stream" when unknown).
std::string StaticContentType(const std::filesystem::path& file);

// Adds GET `/`, `/index.html`, `/favicon.svg`, `/assets/...` and the console's client-side
// routes, all public. When `web_dir` has no index.html the routes answer 503 with a JSON error
// that says how to build the console.
void AddStaticRoutes(server::Router& router, const std::filesystem::path& web_dir);

}  // namespace loupe::console
