#pragma once
// `loupe serve`: wires every module into one process (the only place objects are created and
// connected) and runs until SIGINT/SIGTERM, then shuts down gracefully.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace loupe::app {

struct ServeOptions {
  std::string data_dir = "./loupe-data";
  // The database: empty = SQLite at <data>/loupe.db (the default); postgres://... = PostgreSQL.
  std::string database;
  // The object store: empty = the folder <data>/objects (the default); s3://bucket[/prefix] = S3.
  std::string store;
  std::string s3_endpoint;
  std::string s3_region = "us-east-1";
  bool s3_virtual_hosted = false;
  // The AWS protocol routes: the bucket S3 clients address and the region in loupe's ARNs.
  std::string aws_bucket = "loupe";
  std::string aws_region = "us-east-1";
  std::string bind = "127.0.0.1";
  int port = 8080;
  int max_body_mb = 15;
  std::string log_level = "info";
  // The built web console; empty = the build's web output dir, else `<exe dir>/web`.
  std::string web_dir;
  int train_augmentations = 3;  // augmented copies per training image (ml::TrainOptions)
  uint64_t train_seed = 0;
  // Notifications: e-mail over SMTP (docs/notifications.md); empty URL = e-mail disabled.
  std::string smtp_url;
  std::string smtp_from;
  std::string smtp_user;
  std::string smtp_password;
  bool secure_cookies = false;  // mark the session cookie Secure (serve behind HTTPS)
};

// Adds the `serve` subcommand; its callback stores the exit code in `*exit_code`.
void RegisterServeCommand(CLI::App& app, ServeOptions& options, int* exit_code);

// Runs the server; returns the process exit code.
int Serve(const ServeOptions& options);

}  // namespace loupe::app
