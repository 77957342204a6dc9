// `tunggal request print`: prints the card, only if the engine answers UNIQUE or adjudicated
// DISTINCT at this moment; online requests print at the kiosk (ADM) with their one-time PIN.
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "cli/engine_verdict_lookup.h"
#include "cli/request_cli.h"

namespace tunggal::cli {
namespace {

struct PrintArgs {
  RequestArgs common;
  std::string id, pin;
};

int run(const PrintArgs& a) {
  auto verdicts = make_engine_verdict_lookup(a.common.data_dir);
  if (!verdicts) {
    report_failure("print", verdicts.error());
    return kExitUnavailable;
  }
  auto session = open_request_session(a.common);
  if (!session) return report_failure("print", session.error());
  const std::optional<std::string> pin = a.pin.empty() ? std::nullopt : std::optional<std::string>(a.pin);
  auto r = session->flow->print(a.id, **verdicts, pin, session->now_ms);
  if (!r) return report_failure("print", r.error());
  print_request(*r, session->flow->options(), a.common.json);
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
