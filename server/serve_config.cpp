#include "server/serve_config.h"

#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace tunggal::server {
namespace {

using Type = ServeSetting::Type;

Expected<std::int64_t> parse_int(const std::string& key, const std::string& text, std::int64_t lo, std::int64_t hi) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    return invalid_argument(fmt::format("{}: expected a whole number, got '{}'", key, text));
  if (v < lo || v > hi) return invalid_argument(fmt::format("{}: {} is outside {}..{}", key, v, lo, hi));
  return v;
}

Expected<bool> parse_bool(const std::string& key, const std::string& text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  return invalid_argument(fmt::format("{}: expected true or false, got '{}'", key, text));
}

Expected<std::chrono::milliseconds> parse_seconds(const std::string& key, const std::string& text) {
  double s = 0;
  try {
    std::size_t used = 0;
    s = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    return invalid_argument(fmt::format("{}: expected seconds (a number), got '{}'", key, text));
  }
  if (!(s > 0) || s > 86'400)
    return invalid_argument(fmt::format("{}: {} s is outside (0, 86400] seconds", key, text));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(s * 1000)));
}

// A fraction or a whole number; NaN and infinities are outside every range.
Expected<double> parse_number(const std::string& key, const std::string& text, double lo, double hi) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    return invalid_argument(fmt::format("{}: expected a number, got '{}'", key, text));
  if (!(v >= lo && v <= hi)) return invalid_argument(fmt::format("{}: {} is outside {}..{}", key, text, lo, hi));
  return v;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string seconds_text(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000);
  return fmt::format("{}", static_cast<double>(ms.count()) / 1000.0);
}

// Setting builders: each binds a key to one field with its range.
template <typename T>
ServeSetting integer(std::string key, std::string help, T ServeConfig::*field, std::int64_t lo, std::int64_t hi) {
  return {key, Type::kInt, std::move(help),
          [key, field, lo, hi](ServeConfig& c, const std::string& t) -> Status {
            auto v = parse_int(key, t, lo, hi);
            if (!v) return v.error();
            c.*field = static_cast<T>(*v);
            return Status::ok();
          },
          [field](const ServeConfig& c) { return std::to_string(c.*field); }};
}
// An integer field of one of ServeConfig's option groups (ServerOptions, EngineOptions).
template <typename Group, typename T>
ServeSetting grouped_integer(std::string key, std::string help, Group ServeConfig::*group, T Group::*field,
                             std::int64_t lo, std::int64_t hi) {
  return {key, Type::kInt, std::move(help),
          [key, group, field, lo, hi](ServeConfig& c, const std::string& t) -> Status {
            auto v = parse_int(key, t, lo, hi);
            if (!v) return v.error();
            (c.*group).*field = static_cast<T>(*v);
            return Status::ok();
          },
          [group, field](const ServeConfig& c) { return std::to_string((c.*group).*field); }};
}
template <typename T>
ServeSetting server_integer(std::string key, std::string help, T ServerOptions::*field, std::int64_t lo,
                            std::int64_t hi) {
  return grouped_integer(std::move(key), std::move(help), &ServeConfig::server, field, lo, hi);
}
template <typename T>
ServeSetting engine_integer(std::string key, std::string help, T EngineOptions::*field, std::int64_t lo,
                            std::int64_t hi) {
  return grouped_integer(std::move(key), std::move(help), &ServeConfig::engine, field, lo, hi);
}
template <typename T>
ServeSetting engine_number(std::string key, std::string help, T EngineOptions::*field, double lo, double hi) {
  return {key, Type::kNumber, std::move(help),
          [key, field, lo, hi](ServeConfig& c, const std::string& t) -> Status {
            auto v = parse_number(key, t, lo, hi);
            if (!v) return v.error();
            c.engine.*field = static_cast<T>(*v);
            return Status::ok();
          },
          [field](const ServeConfig& c) {
            std::string out = fmt::format("{}", c.engine.*field);  // shortest text that reads back the same
            if (out.find_first_of(".e") == std::string::npos) out += ".0";  // a TOML float, as the key expects
            return out;
          }};
}
ServeSetting engine_boolean(std::string key, std::string help, bool EngineOptions::*field) {
  return {key, Type::kBool, std::move(help),
          [key, field](ServeConfig& c, const std::string& t) -> Status {
            auto v = parse_bool(key, t);
            if (!v) return v.error();
            c.engine.*field = *v;
            return Status::ok();
          },
          [field](const ServeConfig& c) { return std::string(c.engine.*field ? "true" : "false"); }};
}
ServeSetting seconds(std::string key, std::string help, std::chrono::milliseconds ServerOptions::*field) {
  return {key, Type::kSeconds, std::move(help),
          [key, field](ServeConfig& c, const std::string& t) -> Status {
            auto v = parse_seconds(key, t);
            if (!v) return v.error();
            c.server.*field = *v;
            return Status::ok();
          },
          [field](const ServeConfig& c) { return seconds_text(c.server.*field); }};
}
ServeSetting text(std::string key, std::string help, std::string ServeConfig::*field,
                  std::function<Status(const std::string&)> check = {}) {
  return {key, Type::kString, std::move(help),
          [field, check](ServeConfig& c, const std::string& t) -> Status {
            if (check)
              if (Status s = check(t); !s) return s;
            c.*field = t;
            return Status::ok();
          },
          [field](const ServeConfig& c) { return quoted(c.*field); }};
}
ServeSetting boolean(std::string key, std::string help, bool ServeConfig::*field) {
  return {key, Type::kBool, std::move(help),
          [key, field](ServeConfig& c, const std::string& t) -> Status {
            auto v = parse_bool(key, t);
            if (!v) return v.error();
            c.*field = *v;
            return Status::ok();
          },
          [field](const ServeConfig& c) { return std::string(c.*field ? "true" : "false"); }};
}

Status check_log_level(const std::string& level) {
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (levels.count(level)) return Status::ok();
  return invalid_argument(
      fmt::format("log-level: '{}' is not one of trace, debug, info, warn, error, critical, off", level));
}

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
Expected<HostPort> parse_listen(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    return invalid_argument("listen: expected HOST:PORT, got '" + s + "'");
  auto p = parse_int("listen port", s.substr(colon + 1), 0, 65535);
  if (!p) return p.error();
  return HostPort{s.substr(0, colon), static_cast<std::uint16_t>(*p)};
}

}  // namespace

const std::vector<ServeSetting>& serve_settings() {
  static const std::vector<ServeSetting> settings = [] {
    constexpr std::int64_t kU32 = 0xffffffffLL;
    std::vector<ServeSetting> s;
    s.push_back(text("data-dir", "engine data directory (a new one gets a calibrated score model)",
                     &ServeConfig::data_dir));
    s.push_back(text("listen", "HOST:PORT to listen on (port 0: any free port; see port-file)", &ServeConfig::listen,
                     [](const std::string& t) { return parse_listen(t).status(); }));
    s.push_back(text("tls-dir", "directory with ca.pem, server.pem, server.key (tunggal certs)", &ServeConfig::tls_dir));
    s.push_back(boolean("insecure-plaintext", "no TLS: identities claimed in hello are trusted (local development only)",
                        &ServeConfig::insecure_plaintext));
    s.push_back(boolean("zero-cost-policy",
                        "BENCHMARK ONLY: no engine; every enrollment is UNIQUE at once (measures protocol overhead)",
                        &ServeConfig::zero_cost_policy));
    s.push_back(integer("seed", "calibration population seed for a new data directory", &ServeConfig::seed, 0,
                        INT64_MAX));
    s.push_back(integer("shards", "gallery shards of a new data directory", &ServeConfig::shards, 1,
                        EngineOptions::kMaxShards));
    s.push_back(text("port-file", "file written once listening: lines port=N and metrics_port=M (for scripts)",
                     &ServeConfig::port_file));
    s.push_back(text("log-level", "trace, debug, info, warn, error, critical or off", &ServeConfig::log_level,
                     check_log_level));
    s.push_back(text("log-file", "append the log to this file instead of stderr", &ServeConfig::log_file));
    s.push_back(integer("metrics-port", "Prometheus GET /metrics on this port (0: any free port; -1: none)",
                        &ServeConfig::metrics_port, -1, 65535));
    s.push_back(text("metrics-host", "address of the metrics endpoint (keep it local: it has no authentication)",
                     &ServeConfig::metrics_host));
    s.push_back(server_integer("io-threads", "network threads", &ServerOptions::io_threads, 1, 256));
    s.push_back(server_integer("blocking-threads", "threads for engine reads, identify and admin operations",
                               &ServerOptions::blocking_threads, 1, 256));
    s.push_back(server_integer("extract-threads", "threads extracting fingers sent as images (0: one per core)",
                               &ServerOptions::extract_threads, 0, 256));
    s.push_back(server_integer("max-batch", "enrollments per submit", &ServerOptions::max_batch_items, 1, 100000));
    s.push_back(server_integer("max-queued", "enrollments waiting for the engine before BUSY",
                               &ServerOptions::max_queued_items, 1, kU32));
    s.push_back(server_integer("max-in-flight", "requests per connection before BUSY",
                               &ServerOptions::max_in_flight_per_connection, 1, 100000));
    s.push_back(server_integer("max-in-flight-total", "requests on the server before BUSY",
                               &ServerOptions::max_in_flight_total, 1, kU32));
    s.push_back(server_integer("max-connections", "connections; more are closed at once",
                               &ServerOptions::max_connections, 1, kU32));
    s.push_back(server_integer("max-frame-bytes", "largest frame accepted", &ServerOptions::max_frame_bytes, 1024,
                               1LL << 30));
    s.push_back(server_integer("max-output-bytes", "unread answers per connection before it is closed",
                               &ServerOptions::max_output_bytes, 1024, 1LL << 40));
    s.push_back(server_integer("max-receiving-bytes",
                               "frame bodies being received, all connections together; a frame waits for room "
                               "(never below max-frame-bytes)",
                               &ServerOptions::max_receiving_bytes, 1024, 1LL << 40));
    s.push_back(server_integer("max-queued-images",
                               "finger images waiting for or in extraction before BUSY (at least 10: one "
                               "ten-finger enrollment)",
                               &ServerOptions::max_queued_images, 10, kU32));
    s.push_back(server_integer("max-verdicts-per-reply",
                               "verdicts in one 'since cursor' reply (a station asking for fewer gets fewer)",
                               &ServerOptions::max_verdicts_per_reply, 1, 10000));
    s.push_back(server_integer("max-verdicts-scanned",
                               "verdict log entries one 'since cursor' reply looks at (a site's verdicts are "
                               "filtered from everyone's); at least max-verdicts-per-reply",
                               &ServerOptions::max_verdicts_scanned, 1, 100'000'000));
    s.push_back(server_integer("snapshot-every-changes",
                               "save index snapshots while serving once this many gallery changes are committed "
                               "since the last (a crash replays at most about this many at the next open); "
                               "0: only at a clean stop",
                               &ServerOptions::snapshot_every_changes, 0, 1'000'000'000));
    s.push_back(seconds("idle-timeout", "seconds a connection may stay silent", &ServerOptions::idle_timeout));
    s.push_back(seconds("read-timeout", "seconds to complete a begun frame", &ServerOptions::read_timeout));
    s.push_back(seconds("write-timeout", "seconds a client may take to read an answer", &ServerOptions::write_timeout));
    s.push_back(seconds("handshake-timeout", "seconds to complete the TLS handshake",
                        &ServerOptions::handshake_timeout));
    s.push_back(seconds("drain-timeout", "seconds a graceful stop waits for answers still owed",
                        &ServerOptions::drain_timeout));
    // The engine's decision policies (EngineOptions, measured in docs/dedup.md).
    s.push_back(engine_number("target-fpir",
                              "false-positive identification rate the duplicate threshold is set for at the current "
                              "gallery size (tunggal admin thresholds shows what a change would do)",
                              &EngineOptions::target_fpir, 1e-12, 1));
    s.push_back(engine_number("review-fpir",
                              "the looser rate the review threshold is set for (extra alarms go to a person); at "
                              "least target-fpir",
                              &EngineOptions::review_fpir, 1e-12, 1));
    s.push_back(engine_boolean("face-led-review",
                               "a candidate whose face alone meets the duplicate threshold goes to REVIEW when its "
                               "fingers do not rule it out (worn fingers; never a DUPLICATE); "
                               "--face-led-review=false turns it off",
                               &EngineOptions::face_led_review));
    s.push_back(engine_number("face-led-min-finger-llr",
                              "face-led REVIEW only when the compared fingers' LLRs sum to at least this (a "
                              "look-alike twin's clear prints sum far below it)",
                              &EngineOptions::face_led_min_finger_llr, -100, 100));
    s.push_back(engine_integer("poor-probe-quality",
                               "a capture whose indexed fingers' mean reported quality (0..100) is below this "
                               "searches deeper (0: none does)",
                               &EngineOptions::poor_probe_quality, 0, 100));
    s.push_back(engine_integer("poor-probe-depth", "how many times deeper such a capture searches (1: off)",
                               &EngineOptions::poor_probe_depth, 1, 16));
    s.push_back(engine_integer("engine-threads",
                               "threads each candidate index searches with, and the engine matches candidates with; "
                               "shared by all callers (0: all cores)",
                               &EngineOptions::threads, 0, 256));
    s.push_back(engine_integer("engine-max-batch",
                               "enrollments decided together, against the gallery and each other, in one commit",
                               &EngineOptions::max_batch, 1, 100000));
    return s;
  }();
  return settings;
}

Status apply_serve_setting(ServeConfig& config, const std::string& key, const std::string& value) {
  for (const ServeSetting& s : serve_settings())
    if (s.key == key) return s.set(config, value);
  return invalid_argument(fmt::format("unknown setting '{}'", key));
}

Expected<ServeConfig> load_serve_config(const std::filesystem::path& file, ServeConfig base) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return not_found(fmt::format("config file {} does not exist (or is not a file)", file.string()));
  toml::table doc;
  try {
    doc = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return invalid_argument(fmt::format("{}:{}:{}: not valid TOML: {}", file.string(), e.source().begin.line,
                                        e.source().begin.column, e.description()));
  }
  for (const auto& [k, node] : doc) {
    const std::string key(k.str());
    const auto where = fmt::format("{}:{}", file.string(), node.source().begin.line);
    const ServeSetting* setting = nullptr;
    for (const ServeSetting& s : serve_settings())
      if (s.key == key) setting = &s;
    if (!setting) {
      std::string known;
      for (const ServeSetting& s : serve_settings()) known += (known.empty() ? "" : ", ") + s.key;
      return invalid_argument(fmt::format("{}: unknown key '{}' (known keys: {})", where, key, known));
    }
    std::string value;
    bool typed = false;
    switch (setting->type) {
      case Type::kString:
        if (auto v = node.value_exact<std::string>()) value = *v, typed = true;
        break;
      case Type::kInt:
        if (auto v = node.value_exact<std::int64_t>()) value = std::to_string(*v), typed = true;
        break;
      case Type::kBool:
        if (auto v = node.value_exact<bool>()) value = *v ? "true" : "false", typed = true;
        break;
      case Type::kSeconds:
      case Type::kNumber:
        if (auto v = node.value_exact<std::int64_t>()) value = std::to_string(*v), typed = true;
        else if (auto d = node.value_exact<double>()) value = fmt::format("{}", *d), typed = true;
        break;
    }
    if (!typed) {
      static constexpr const char* kWant[] = {"a string", "a whole number", "true or false", "seconds (a number)",
                                              "a number"};
      return invalid_argument(fmt::format("{}: {} must be {}", where, key, kWant[static_cast<int>(setting->type)]));
    }
    if (Status s = setting->set(base, value); !s) return invalid_argument(fmt::format("{}: {}", where, s.message()));
  }
  return base;
}

Status finish_serve_config(ServeConfig& c) {
  auto ep = parse_listen(c.listen);
  if (!ep) return ep.error();
  c.server.host = ep->host;
  c.server.port = ep->port;
  if (c.tls_dir.empty() == !c.insecure_plaintext)
    return invalid_argument("give tls-dir (mutual TLS), or insecure-plaintext = true for local development");
  if (!c.zero_cost_policy && c.data_dir.empty())
    return invalid_argument("data-dir is required (or zero-cost-policy for protocol benchmarks)");
  if (Status s = check_log_level(c.log_level); !s) return s;
  // Every entry a reply looks at may be one of its verdicts (an admin's are all), so a scan
  // shorter than a reply would cap every reply below what the operator set, silently.
  if (c.server.max_verdicts_scanned < c.server.max_verdicts_per_reply)
    return invalid_argument(fmt::format("max-verdicts-scanned ({}) is below max-verdicts-per-reply ({}): no reply "
                                        "could hold that many verdicts; raise the one or lower the other",
                                        c.server.max_verdicts_scanned, c.server.max_verdicts_per_reply));
  // The engine would raise the review rate to the target silently (thresholds_for), leaving no
  // band between the two thresholds: no REVIEW but face-led ones, not what the operator wrote.
  if (c.engine.review_fpir < c.engine.target_fpir)
    return invalid_argument(fmt::format("review-fpir ({}) is below target-fpir ({}): the review threshold would be "
                                        "above the duplicate one; raise review-fpir or lower target-fpir",
                                        c.engine.review_fpir, c.engine.target_fpir));
  c.server.tls.reset();
  if (!c.tls_dir.empty()) c.server.tls = TlsFiles::in_dir(c.tls_dir, "server");
  return Status::ok();
}

std::string serve_config_toml(const ServeConfig& config) {
  std::string out;
  for (const ServeSetting& s : serve_settings()) out += fmt::format("{} = {}\n", s.key, s.get(config));
  return out;
}

}  // namespace tunggal::server
