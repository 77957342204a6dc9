// `tunggal version`: what was built, with which libraries; useful in bug reports.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"

namespace tunggal::cli {
namespace {

RegisterCommand reg{{"version", "print the version and build configuration", [](CLI::App&) {
  return []() {
    std::cout << "tunggal 0.1.0 (C++20, " <<
#ifdef NDEBUG
        "Release"
#else
        "Debug"
#endif
              << ")\n";
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
