// `tunggal request print`: prints the card, only if the engine answers UNIQUE or adjudicated
// DISTINCT at this moment; online requests print at the kiosk (ADM) with their one-time PIN.
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "cli/request_cli.h"

namespace tunggal::cli {
namespace {

struct PrintArgs {
  RequestArgs common;
  std::string id, pin;
};

int run(const PrintArgs& a) {
  auto desk = open_request_desk(a.common);
  if (!desk) return report_failure("print", desk.error());
  if (Status s = (*desk)->need_verdicts(); !s) {
    report_failure("print", s);
    return kExitUnavailable;
  }
  const std::optional<std::string> pin = a.pin.empty() ? std::nullopt : std::optional<std::string>(a.pin);
  auto r = (*desk)->print(a.id, pin);
  if (!r) return report_failure("print", r.error());
  print_request(*r, **desk, a.common.json);
  return kExitOk;
}

RegisterCommand reg{{"request print", "print the card (refused unless penunggalan says UNIQUE or DISTINCT)",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<PrintArgs>();
                       add_request_options(cmd, a->common);
                       cmd.add_option("--id", a->id, "request id")->required();
                       cmd.add_option("--pin", a->pin, "the 6-digit one-time PIN (online requests, at the kiosk)");
                       return [a]() { return run(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
