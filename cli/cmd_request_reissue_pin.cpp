// `tunggal request reissue-pin`: a new one-time print PIN (the old one expired or locked), sent
// through the outbox.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "cli/request_cli.h"

namespace tunggal::cli {
namespace {

struct PinArgs {
  RequestArgs common;
  std::string id;
};

RegisterCommand reg{{"request reissue-pin", "issue a new one-time print PIN for an online request",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<PinArgs>();
                       add_request_options(cmd, a->common);
                       cmd.add_option("--id", a->id, "request id")->required();
                       return [a]() {
                         auto desk = open_request_desk(a->common);
                         if (!desk) return report_failure("reissue-pin", desk.error());
                         auto r = (*desk)->reissue_pin(a->id);
                         if (!r) return report_failure("reissue-pin", r.error());
                         print_request(*r, **desk, a->common.json);
                         return kExitOk;
                       };
                     }}};

}  // namespace
}  // namespace tunggal::cli
