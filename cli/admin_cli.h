#pragma once
// What every `tunggal admin …` subcommand shares: where the gallery is (--data-dir offline, or a
// running server at --connect with an admin certificate), --json, exit codes, and the text forms
// of the JSON documents admin/reports.h defines. Both modes produce the same document, and the
// text is always printed from that document, so an admin sees the same thing either way.
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "admin/admin_query.h"
#include "admin/reports.h"
#include "admin/review_cases.h"
#include "core/status.h"
#include "core/verdict.h"
#include "engine/engine.h"
#include "engine/store.h"

namespace CLI {
class App;
}

namespace tunggal::server {
class Client;
}

namespace tunggal::cli {

// Exit codes of the admin commands (besides 0 ok, 2 usage, 3 data directory or server unavailable).
inline constexpr int kExitAdminFailure = 1;   // refused: already adjudicated, wrong state, I/O
inline constexpr int kExitAdminNotFound = 4;  // no such subject, enrollment, case
inline constexpr int kExitAdminDenied = 5;    // the server refused: the certificate is not an admin's

struct AdminArgs {
  std::string data_dir;
  bool json = false;
  // Remote: a running `tunggal serve` instead of a data directory.
  std::string connect;       // HOST:PORT
  std::string tls_dir;       // `tunggal certs --out` directory: ca.pem, <admin>.pem/.key
  std::string ca, cert, key; // or the three files explicitly
  bool plaintext = false;    // a development server started with --insecure-plaintext
  std::string admin;         // your admin name (audit log; over TLS the certificate's CN)
  bool remote() const { return !connect.empty(); }
};

// --data-dir | --connect (+ TLS options), --json, --admin. remote=false: offline only (restore).
void add_admin_options(CLI::App& cmd, AdminArgs& args, bool remote = true);
// Exactly one of --data-dir and --connect, with what the chosen mode needs.
Status check_admin_mode(const AdminArgs& args);

Expected<std::unique_ptr<engine::Store>> open_admin_store(const std::string& data_dir, bool writable);
// The engine, writable, opened with the gallery config its store was created with.
Expected<std::unique_ptr<Engine>> open_admin_engine(const std::string& data_dir);
// A protocol connection authenticated as an admin (hello checked: the server must say admin).
Expected<std::unique_ptr<server::Client>> connect_admin(const AdminArgs& args);

// The document for a query: from --data-dir (read-only), or from the server at --connect.
Expected<nlohmann::json> admin_report(const AdminArgs& args, const admin::AdminQuery& query);

// "tunggal admin <verb>: <message>" on stderr; returns the exit code for the error.
int admin_failure(const std::string& verb, const Status& s);

std::string format_utc(std::int64_t ms);     // "2026-11-25 15:00:00 UTC"; "-" for 0
std::string format_age(std::int64_t ms);     // "3d 4h", "12m"
std::int64_t now_ms();

using admin::candidate_json;
using admin::case_json;
using admin::verdict_json;
// Human lines from the JSON forms: "subject 12  score 7.31  face 0.812  fingers 1=0.420 …".
std::string candidate_text(const nlohmann::json& c);
// The verdict block of `show` (verdict, thresholds, adjudication, candidates).
std::string verdict_text(const nlohmann::json& v);

}  // namespace tunggal::cli
