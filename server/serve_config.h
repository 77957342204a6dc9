#pragma once
// What `tunggal serve` runs with: one table of settings that is both the TOML config file's keys
// and the command line's flags (key `max-batch` = flag `--max-batch`), so every flag can live in
// the file and a flag given on the command line overrides the file. docs/serve.example.toml
// shows every key; docs/protocol.md says what they mean.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/engine_options.h"
#include "server/server.h"

namespace tunggal::server {

struct ServeConfig {
  std::string data_dir;                  // engine data directory
  std::string listen = "127.0.0.1:7700"; // HOST:PORT (port 0: any free port, see port_file)
  std::string tls_dir;                   // ca.pem, server.pem, server.key (tunggal certs)
  bool insecure_plaintext = false;
  bool zero_cost_policy = false;         // benchmark only
  std::uint64_t seed = 1;                // calibration of a new data directory
  int shards = 4;                        // gallery shards of a new data directory
  std::string port_file;                 // written once listening: "port=N" and "metrics_port=M" lines
  std::string log_level = "info";        // trace, debug, info, warn, error, critical, off
  std::string log_file;                  // empty: stderr
  int metrics_port = -1;                 // -1: no metrics endpoint; 0: any free port
  std::string metrics_host = "127.0.0.1";
  ServerOptions server;                  // limits, timeouts and threads (host/port come from listen)
  // The engine's decision policies, defaults those of EngineOptions (docs/dedup.md); its data_dir
  // and shards are data-dir and shards above, the rest of it is not a setting.
  EngineOptions engine;
};

// One setting: a TOML key and the flag of the same name.
struct ServeSetting {
  enum class Type { kString, kInt, kBool, kSeconds, kNumber };
  std::string key;
  Type type;
  std::string help;
  // Sets the value from a TOML value or a flag's text (already converted to the type); returns an
  // error naming the allowed range.
  std::function<Status(ServeConfig&, const std::string& text)> set;
  std::function<std::string(const ServeConfig&)> get;  // the value as TOML text
};
const std::vector<ServeSetting>& serve_settings();

// Reads a TOML file over `base`. Unknown keys, wrong types and out-of-range values are
// kInvalidArgument naming the file, line and key; a missing file is kNotFound.
Expected<ServeConfig> load_serve_config(const std::filesystem::path& file, ServeConfig base = {});
// Sets one setting from its text (a flag): kInvalidArgument for unknown keys or bad values.
Status apply_serve_setting(ServeConfig& config, const std::string& key, const std::string& text);
// Checks what no single setting can: TLS or explicit plaintext, a data directory unless
// benchmarking, a parseable listen address. Fills config.server.host/port from listen.
Status finish_serve_config(ServeConfig& config);
// The effective configuration as a TOML document (loadable by load_serve_config).
std::string serve_config_toml(const ServeConfig& config);

}  // namespace tunggal::server
