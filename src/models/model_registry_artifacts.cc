// ModelRegistry, artifacts: importing a complete artifact (from the object store or a local
// directory), completing a training with the artifact it wrote, and materializing a version's
// artifact for the loader (model_registry.h).
#include <fstream>
#include <sstream>

#include "models/model_registry.h"

namespace loupe::models {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The parts of model.json worth showing in listings; InvalidArgument if it is not an artifact.
Result<json> SummaryOf(std::string_view model_json) {
  json j = json::parse(model_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != "loupe-model") {
    return InvalidArgumentError("model.json is not a loupe model artifact");
  }
  if (!j.contains("labels") || !j["labels"].is_array() || j["labels"].empty()) {
    return InvalidArgumentError("model.json has no labels");
  }
  json s = {{"labels", j["labels"]}, {"format_version", j.value("format_version", 0)}};
  if (j.contains("backbone") && j["backbone"].is_object()) {
    s["backbone"] = j["backbone"].value("id", "");
  }
  if (j.contains("metrics")) s["metrics"] = j["metrics"];
  if (j.contains("training")) s["training"] = j["training"];
  if (j.contains("created")) s["trained_at"] = j["created"];
  return s;
}

// Every regular file under `dir`, by path relative to it.
Result<std::map<std::string, std::string>> ReadDirectory(const fs::path& dir) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof()) return UnavailableError("cannot read " + it->path().string());
    files[fs::relative(it->path(), dir, ec).generic_string()] = ss.str();
  }
  if (ec) {
    return NotFoundError("cannot read artifact directory " + dir.string() + ": " + ec.message());
  }
  return files;
}

}  // namespace

Result<VersionInfo> ModelRegistry::ImportFiles(const std::map<std::string, std::string>& files,
                                               std::string_view name, std::string_view actor) {
  auto model = files.find(std::string(kModelFile));
  if (model == files.end()) {
    return InvalidArgumentError("not a model artifact: it has no model.json");
  }
  RETURN_IF_ERROR(SummaryOf(model->second).status());
  if (!name.empty()) RETURN_IF_ERROR(ValidateVersionName(name));
  // Reserve the name first so two imports can't write into the same prefix, then copy the
  // files, then mark the version complete. A crash in between leaves a TRAINING_IN_PROGRESS
  // version whose artifact is incomplete, never a complete-looking one.
  ASSIGN_OR_RETURN(VersionInfo v, CreateTraining(name, actor));
  return CompleteFiles(v.version, files, "imported artifact", actor);
}

Result<VersionInfo> ModelRegistry::CompleteFiles(const VersionId& version,
                                                 const std::map<std::string, std::string>& files,
                                                 std::string_view reason, std::string_view actor) {
  ASSIGN_OR_RETURN(VersionInfo v, Get(version));
  RETURN_IF_ERROR(CheckTransition(v.status, VersionStatus::kTrainingCompleted)
                      .WithContext("model version " + version.value()));
  auto fail = [&](const Status& why) -> Status {
    auto failed = Transition(version, VersionStatus::kTrainingFailed,
                             std::string(reason) + " failed: " + why.message(), actor);
    (void)failed;
    return why;
  };
  auto model = files.find(std::string(kModelFile));
  if (model == files.end()) {
    return fail(InvalidArgumentError("not a model artifact: it has no model.json"));
  }
  Result<json> summary = SummaryOf(model->second);
  if (!summary.ok()) return fail(summary.status());
  for (const auto& [file, bytes] : files) {
    if (file == kModelFile) continue;
    if (auto put = store_.Put(v.artifact_prefix + file, bytes); !put.ok()) {
      return fail(put.status());
    }
  }
  // model.json last: its presence marks a complete artifact.
  if (auto put = store_.Put(v.artifact_prefix + std::string(kModelFile), model->second);
      !put.ok()) {
    return fail(put.status());
  }
  std::optional<VersionInfo> out;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(tx.Exec("UPDATE model_versions SET summary = ? WHERE version = ?",
                            {summary->dump(), version.value()})
                        .status());
    ASSIGN_OR_RETURN(out,
                     Transition(tx, version, VersionStatus::kTrainingCompleted, reason, actor));
    return Status::Ok();
  }));
  return std::move(*out);
}

Result<VersionInfo> ModelRegistry::ImportFromStore(std::string_view source_prefix,
                                                   std::string_view name, std::string_view actor) {
  std::string prefix(source_prefix);
  if (prefix.empty()) return InvalidArgumentError("an artifact prefix is required");
  if (prefix.back() != '/') prefix += '/';
  std::map<std::string, std::string> files;
  std::string token;
  do {
    ASSIGN_OR_RETURN(store::ListPage page, store_.List(prefix, token));
    for (const store::ObjectInfo& o : page.objects) {
      ASSIGN_OR_RETURN(std::string bytes, store_.Get(o.key));
      files[o.key.substr(prefix.size())] = std::move(bytes);
    }
    token = page.next_page_token;
  } while (!token.empty());
  if (files.empty()) return NotFoundError("no objects under '" + prefix + "'");
  return ImportFiles(files, name, actor);
}

Result<VersionInfo> ModelRegistry::ImportDirectory(const fs::path& dir, std::string_view name,
                                                   std::string_view actor) {
  ASSIGN_OR_RETURN(auto files, ReadDirectory(dir));
  return ImportFiles(files, name, actor);
}

Result<VersionInfo> ModelRegistry::CompleteTraining(const VersionId& version, const fs::path& dir,
                                                    std::string_view actor) {
  auto files = ReadDirectory(dir);
  if (!files.ok()) {
    (void)Transition(version, VersionStatus::kTrainingFailed,
                     "training output unreadable: " + files.status().message(), actor);
    return files.status();
  }
  return CompleteFiles(version, *files, "training completed", actor);
}

Status ModelRegistry::Materialize(const VersionId& version, const fs::path& dir) const {
  ASSIGN_OR_RETURN(VersionInfo v, Get(version));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return UnavailableError("cannot create " + dir.string() + ": " + ec.message());
  std::string token;
  bool has_model = false;
  do {
    ASSIGN_OR_RETURN(store::ListPage page, store_.List(v.artifact_prefix, token));
    for (const store::ObjectInfo& o : page.objects) {
      std::string rel = o.key.substr(v.artifact_prefix.size());
      if (rel == kModelFile) has_model = true;
      ASSIGN_OR_RETURN(std::string bytes, store_.Get(o.key));
      fs::path target = dir / rel;
      fs::create_directories(target.parent_path(), ec);
      std::ofstream out(target, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) return UnavailableError("cannot write " + target.string());
    }
    token = page.next_page_token;
  } while (!token.empty());
  if (!has_model) {
    return FailedPreconditionError("model version " + version.value() +
                                   " has no complete artifact under " + v.artifact_prefix);
  }
  return Status::Ok();
}

}  // namespace loupe::models
