#pragma once
// Subcommands register themselves here, one cmd_*.cpp file per command, so adding a command
// touches no shared file. A path like "eval fvc" nests under "eval".
#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace tunggal::cli {

struct CommandSpec {
  std::string path;         // "demo", "eval fvc"
  std::string description;  // one line for --help
  // Adds options to `cmd` and returns the action run when the command is chosen; the action
  // returns the process exit code.
  std::function<std::function<int()>(CLI::App& cmd)> setup;
};

std::vector<CommandSpec>& command_registry();

struct RegisterCommand {
  explicit RegisterCommand(CommandSpec spec) { command_registry().push_back(std::move(spec)); }
};

// Exit codes that mean something to scripts.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // the command ran and found a problem
inline constexpr int kExitUsage = 2;        // bad options or input
inline constexpr int kExitUnavailable = 3;  // a needed resource (data dir, server) is missing

}  // namespace tunggal::cli
