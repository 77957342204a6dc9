#pragma once
// What every `tunggal admin …` subcommand shares: --data-dir/--json, opening the data directory
// (read-only for inspection, so it works while an engine runs; writable for changes), exit codes,
// and the JSON/text forms of verdicts and candidates.
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "admin/review_cases.h"
#include "core/status.h"
#include "core/verdict.h"
#include "engine/engine.h"
#include "engine/store.h"

namespace CLI {
class App;
}

namespace tunggal::cli {

// Exit codes of the admin commands (besides 0 ok, 2 usage, 3 data directory missing or in use).
inline constexpr int kExitAdminFailure = 1;   // refused: already adjudicated, wrong state, I/O
inline constexpr int kExitAdminNotFound = 4;  // no such subject, enrollment, case

struct AdminArgs {
  std::string data_dir;
  bool json = false;
};

void add_admin_options(CLI::App& cmd, AdminArgs& args);

Expected<std::unique_ptr<engine::Store>> open_admin_store(const std::string& data_dir, bool writable);
// The engine, writable, opened with the gallery config its store was created with.
Expected<std::unique_ptr<Engine>> open_admin_engine(const std::string& data_dir);

// "tunggal admin <verb>: <message>" on stderr; returns the exit code for the error.
int admin_failure(const std::string& verb, const Status& s);

std::string format_utc(std::int64_t ms);     // "2026-11-25 15:00:00 UTC"; "-" for 0
std::string format_age(std::int64_t ms);     // "3d 4h", "12m"
std::int64_t now_ms();

nlohmann::json candidate_json(const Candidate& c);
nlohmann::json verdict_json(const Verdict& v);
nlohmann::json case_json(const admin::ReviewCase& c);
// Human lines: "subject 12  score 7.31  face 0.81  fingers R-thumb 0.42 …".
std::string candidate_text(const Candidate& c);

}  // namespace tunggal::cli
