// tunggal: the KTP-el single-identity (penunggalan) engine. One executable, many subcommands.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "core/status.h"

namespace tunggal::cli {

std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> registry;
  return registry;
}

}  // namespace tunggal::cli

int main(int argc, char** argv) {
  using namespace tunggal::cli;
  CLI::App app{"tunggal — biometric single-identity (penunggalan) engine for KTP-el"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tunggal 0.1.0");

  auto& specs = command_registry();
  std::sort(specs.begin(), specs.end(), [](const auto& a, const auto& b) { return a.path < b.path; });

  std::map<std::string, CLI::App*> parents;
  std::function<int()> chosen;
  std::vector<std::pair<CLI::App*, std::function<int()>>> actions;
  for (const auto& spec : specs) {
    CLI::App* parent = &app;
    std::string leaf = spec.path;
    if (auto sp = spec.path.find(' '); sp != std::string::npos) {
      const std::string group = spec.path.substr(0, sp);
      leaf = spec.path.substr(sp + 1);
      auto it = parents.find(group);
      if (it == parents.end()) {
        CLI::App* g = app.add_subcommand(group, group + " subcommands");
        g->require_subcommand(1);
        it = parents.emplace(group, g).first;
      }
      parent = it->second;
    }
    CLI::App* cmd = parent->add_subcommand(leaf, spec.description);
    actions.emplace_back(cmd, spec.setup(*cmd));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  try {
    for (auto& [cmd, action] : actions) {
      if (cmd->parsed()) return action();
    }
  } catch (const tunggal::StatusError& e) {
    std::cerr << "tunggal: " << e.what() << "\n";
    return e.status.code() == tunggal::ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "tunggal: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitUsage;
}
