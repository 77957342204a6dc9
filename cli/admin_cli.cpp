#include "cli/admin_cli.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command_registry.h"
#include "core/finger_position.h"

namespace tunggal::cli {

namespace fs = std::filesystem;

void add_admin_options(CLI::App& cmd, AdminArgs& args) {
  cmd.add_option("--data-dir", args.data_dir, "engine data directory (works offline, on the files)")->required();
  cmd.add_flag("--json", args.json, "print JSON for scripts instead of text");
}

Expected<std::unique_ptr<engine::Store>> open_admin_store(const std::string& data_dir, bool writable) {
  const fs::path path = fs::path(data_dir) / "store";
  if (!fs::exists(path))
    return Status{ErrorCode::kFailedPrecondition,
                  fmt::format("{} holds no gallery (no store/ inside); check --data-dir", data_dir)};
  engine::StoreOptions so;
  so.path = path;
  so.create_if_missing = false;
  so.read_only = !writable;
  return engine::Store::open(so);
}

Expected<std::unique_ptr<Engine>> open_admin_engine(const std::string& data_dir) {
  engine::GalleryConfig config;
  {
    auto store = open_admin_store(data_dir, false);
    if (!store) return store.error();
    config = (*store)->gallery_config();
  }
  EngineOptions eo;
  eo.data_dir = data_dir;
  eo.create_if_missing = false;
  eo.shards = config.shard_count;
  eo.face_dimension = config.face_dimension;
  return Engine::open(eo);
}

int admin_failure(const std::string& verb, const Status& s) {
  std::cerr << "tunggal admin " << verb << ": " << s.to_string() << "\n";
  switch (s.code()) {
    case ErrorCode::kInvalidArgument: return kExitUsage;
    case ErrorCode::kNotFound: return kExitAdminNotFound;
    case ErrorCode::kLocked: return kExitUnavailable;
    case ErrorCode::kFailedPrecondition:
      return s.message().find("holds no gallery") != std::string::npos ? kExitUnavailable : kExitAdminFailure;
    default: return kExitAdminFailure;
  }
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_utc(std::int64_t ms) {
  if (ms <= 0) return "-";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string format_age(std::int64_t ms) {
  if (ms < 0) ms = 0;
  const std::int64_t m = ms / 60000, h = m / 60, d = h / 24;
  if (d > 0) return fmt::format("{}d {}h", d, h % 24);
  if (h > 0) return fmt::format("{}h {}m", h, m % 60);
  return fmt::format("{}m", m);
}

namespace {
nlohmann::json num(float v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }
}  // namespace

nlohmann::json candidate_json(const Candidate& c) {
  nlohmann::json fingers = nlohmann::json::object();
  for (std::size_t i = 0; i < c.finger_scores.size(); ++i)
    if (!std::isnan(c.finger_scores[i])) fingers[std::to_string(i + 1)] = c.finger_scores[i];
  return {{"subject", c.subject.value}, {"score", c.score}, {"face_score", num(c.face_score)}, {"finger_scores", fingers}};
}

nlohmann::json verdict_json(const Verdict& v) {
  nlohmann::json cands = nlohmann::json::array();
  for (const Candidate& c : v.candidates) cands.push_back(candidate_json(c));
  nlohmann::json j{{"enrollment", v.enrollment.value},
                   {"kind", std::string(to_string(v.kind))},
                   {"candidates", cands},
                   {"duplicate_threshold", v.duplicate_threshold},
                   {"review_threshold", v.review_threshold},
                   {"decided_at_ms", v.decided_at_ms},
                   {"decision", std::string(to_string(v.decision))}};
  if (v.subject.valid()) j["subject"] = v.subject.value;
  if (!v.reject_reason.empty()) j["reject_reason"] = v.reject_reason;
  if (v.decision != Decision::kNone) {
    j["decided_by"] = v.decided_by;
    j["decision_reason"] = v.decision_reason;
    j["adjudicated_at_ms"] = v.adjudicated_at_ms;
    if (v.linked_subject.valid()) j["linked_subject"] = v.linked_subject.value;
  }
  return j;
}

nlohmann::json case_json(const admin::ReviewCase& c) {
  auto j = nlohmann::json::parse(admin::encode_case(c));
  j["case"] = c.id();
  return j;
}

std::string candidate_text(const Candidate& c) {
  std::string s = fmt::format("subject {:<10} score {:7.2f}", c.subject.value, c.score);
  if (!std::isnan(c.face_score)) s += fmt::format("  face {:.3f}", c.face_score);
  std::string fingers;
  for (std::size_t i = 0; i < c.finger_scores.size(); ++i)
    if (!std::isnan(c.finger_scores[i]))
      fingers += fmt::format(" {}={:.3f}", i + 1, c.finger_scores[i]);
  if (!fingers.empty()) s += "  fingers" + fingers;
  return s;
}

}  // namespace tunggal::cli
