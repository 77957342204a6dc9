#include "cli/admin_cli.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command_registry.h"
#include "cli/endpoint.h"
#include "server/client.h"

namespace tunggal::cli {

namespace fs = std::filesystem;

void add_admin_options(CLI::App& cmd, AdminArgs& args, bool remote) {
  cmd.add_option("--data-dir", args.data_dir, "engine data directory (offline, on the files)");
  cmd.add_flag("--json", args.json, "print JSON for scripts instead of text");
  cmd.add_option("--admin", args.admin,
                 "your admin name, kept in the audit log (over TLS: the name of your certificate in --tls-dir)");
  if (!remote) return;
  cmd.add_option("--connect", args.connect, "HOST:PORT of a running `tunggal serve` (instead of --data-dir)");
  cmd.add_option("--tls-dir", args.tls_dir, "--connect: directory of `tunggal certs` (ca.pem, <--admin>.pem/.key)");
  cmd.add_option("--ca", args.ca, "--connect: CA certificate (PEM) the server's certificate must chain to");
  cmd.add_option("--cert", args.cert, "--connect: your admin certificate (PEM, OU=admin)");
  cmd.add_option("--key", args.key, "--connect: its private key (PEM)");
  cmd.add_flag("--insecure-plaintext,--plain", args.plaintext,
               "--connect: no TLS, to a development server started with --insecure-plaintext (needs --admin)");
}

Status check_admin_mode(const AdminArgs& a) {
  if (a.data_dir.empty() == a.connect.empty())
    return invalid_argument("give either --data-dir DIR (offline) or --connect HOST:PORT (a running server)");
  if (!a.remote()) return Status::ok();
  const bool files = !a.ca.empty() || !a.cert.empty() || !a.key.empty();
  if (a.plaintext) {
    if (!a.tls_dir.empty() || files) return invalid_argument("--insecure-plaintext takes no TLS options");
    if (a.admin.empty()) return invalid_argument("--insecure-plaintext needs --admin NAME (the identity claimed)");
    return Status::ok();
  }
  if (!a.tls_dir.empty()) {
    if (files) return invalid_argument("give --tls-dir, or --ca/--cert/--key, not both");
    if (a.admin.empty()) return invalid_argument("--tls-dir needs --admin NAME (the certificate NAME.pem in it)");
    return Status::ok();
  }
  if (a.ca.empty() || a.cert.empty() || a.key.empty())
    return invalid_argument("--connect needs --tls-dir DIR --admin NAME, or --ca --cert --key, or --insecure-plaintext");
  return Status::ok();
}

Expected<std::unique_ptr<engine::Store>> open_admin_store(const std::string& data_dir, bool writable) {
  return admin::open_store(data_dir, writable);
}

Expected<std::unique_ptr<Engine>> open_admin_engine(const std::string& data_dir) {
  // No read-only look first: the engine takes the gallery's shape from the store, and a read-only
  // open beside a live server only adds a race before the "in use" answer.
  if (!fs::exists(fs::path(data_dir) / "store"))
    return Status{ErrorCode::kFailedPrecondition,
                  fmt::format("{} holds no gallery (no store/ inside); check --data-dir", data_dir)};
  EngineOptions eo;
  eo.data_dir = data_dir;
  eo.create_if_missing = false;
  return Engine::open(eo);
}

Expected<std::unique_ptr<server::Client>> connect_admin(const AdminArgs& a) {
  auto ep = parse_endpoint(a.connect);
  if (!ep) return ep.error();
  server::ClientOptions o;
  o.host = ep->host;
  o.port = ep->port;
  o.admin = true;
  o.client_name = "tunggal admin";
  if (a.plaintext) {
    o.site = a.admin;
  } else {
    o.tls = a.tls_dir.empty() ? server::TlsFiles{a.ca, a.cert, a.key} : server::TlsFiles::in_dir(a.tls_dir, a.admin);
    for (const fs::path& f : {o.tls->ca, o.tls->cert, o.tls->key})
      if (!fs::exists(f)) return invalid_argument(fmt::format("{} does not exist", f.string()));
  }
  auto client = server::Client::connect(o);
  if (!client) {
    const Status& s = client.error();
    // A server that is down or unreachable is "unavailable" (3), like a missing data directory.
    if (s.code() == ErrorCode::kIoError || s.code() == ErrorCode::kIncompatible || s.code() == ErrorCode::kBusy)
      return Status{ErrorCode::kBusy, fmt::format("cannot reach the server at {}: {}", a.connect, s.message())};
    return s;
  }
  if (!(*client)->hello().admin)
    return Status{ErrorCode::kPermissionDenied,
                  fmt::format("the server authenticated '{}' as a site, not an admin (use a certificate with OU=admin)",
                              (*client)->hello().site)};
  return client;
}

Expected<nlohmann::json> admin_report(const AdminArgs& a, const admin::AdminQuery& q) {
  if (a.remote()) {
    auto client = connect_admin(a);
    if (!client) return client.error();
    auto text = (*client)->admin(q);
    if (!text) {
      if (text.error().code() == ErrorCode::kIoError)  // the connection dropped: the server is unavailable
        return Status{ErrorCode::kBusy, text.error().message()};
      return text.error();
    }
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded()) return Status{ErrorCode::kMalformedRecord, "the server's answer is not JSON"};
    return j;
  }
  auto store = open_admin_store(a.data_dir, false);
  if (!store) return store.error();
  return admin::answer(**store, q, EngineOptions{}, now_ms());
}

int admin_failure(const std::string& verb, const Status& s) {
  std::cerr << "tunggal admin " << verb << ": " << s.to_string() << "\n";
  switch (s.code()) {
    case ErrorCode::kInvalidArgument: return kExitUsage;
    case ErrorCode::kNotFound: return kExitAdminNotFound;
    case ErrorCode::kLocked:
    case ErrorCode::kBusy: return kExitUnavailable;
    case ErrorCode::kPermissionDenied: return kExitAdminDenied;
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

std::string candidate_text(const nlohmann::json& c) {
  std::string s = fmt::format("subject {:<10} score {:7.2f}", c.value("subject", std::uint64_t{0}), c.value("score", 0.0));
  if (c.contains("face_score") && c["face_score"].is_number()) s += fmt::format("  face {:.3f}", c["face_score"].get<double>());
  if (c.value("face_led", false) && c.contains("face_led_score") && c["face_led_score"].is_number())
    s += fmt::format("  [face-led {:.2f}: listed for its face alone, fingers worn or unclear; never a DUPLICATE]",
                     c["face_led_score"].get<double>());
  std::string fingers;
  if (c.contains("finger_scores"))
    for (int p = 1; p <= 10; ++p)  // JSON objects sort keys as text ("10" < "2"): walk positions in order
      if (auto it = c["finger_scores"].find(std::to_string(p)); it != c["finger_scores"].end())
        fingers += fmt::format(" {}={:.3f}", p, it->get<double>());
  if (!fingers.empty()) s += "  fingers" + fingers;
  return s;
}

std::string verdict_text(const nlohmann::json& v) {
  std::string s = fmt::format("verdict         {} decided {}", v.value("kind", ""), format_utc(v.value("decided_at_ms", std::int64_t{0})));
  if (v.contains("subject")) s += fmt::format(", subject {}", v["subject"].get<std::uint64_t>());
  s += "\n";
  if (v.contains("reject_reason")) s += "  reason        " + v["reject_reason"].get<std::string>() + "\n";
  s += fmt::format("thresholds      duplicate {:.2f}, review {:.2f}\n", v.value("duplicate_threshold", 0.0),
                   v.value("review_threshold", 0.0));
  if (v.value("decision", "NONE") != "NONE") {
    s += fmt::format("adjudicated     {} by {} at {}: {}", v.value("decision", ""), v.value("decided_by", ""),
                     format_utc(v.value("adjudicated_at_ms", std::int64_t{0})), v.value("decision_reason", ""));
    if (v.contains("linked_subject")) s += fmt::format(" (linked to subject {})", v["linked_subject"].get<std::uint64_t>());
    s += "\n";
  }
  for (const auto& c : v.value("candidates", nlohmann::json::array())) s += "  candidate     " + candidate_text(c) + "\n";
  return s;
}

}  // namespace tunggal::cli
