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
                         auto session = open_request_session(a->common);
                         if (!session) return report_failure("reissue-pin", session.error());
                         auto r = session->flow->reissue_pin(a->id, session->now_ms);
                         if (!r) return report_failure("reissue-pin", r.error());
                         print_request(*r, session->flow->options(), a->common.json);
                         return kExitOk;
                       };
                     }}};

}  // namespace
}  // namespace tunggal::cli
