// `tunggal request reject`: an operator closes a request that cannot proceed, with a reason.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "cli/request_cli.h"

namespace tunggal::cli {
namespace {

struct RejectArgs {
  RequestArgs common;
  std::string id, reason;
};

RegisterCommand reg{{"request reject", "close a request that cannot proceed (not after printing)",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<RejectArgs>();
                       add_request_options(cmd, a->common);
                       cmd.add_option("--id", a->id, "request id")->required();
                       cmd.add_option("--reason", a->reason, "why, in words the applicant can act on")->required();
                       return [a]() {
                         auto desk = open_request_desk(a->common);
                         if (!desk) return report_failure("reject", desk.error());
                         auto r = (*desk)->reject(a->id, a->reason);
                         if (!r) return report_failure("reject", r.error());
                         print_request(*r, **desk, a->common.json);
                         return kExitOk;
                       };
                     }}};

}  // namespace
}  // namespace tunggal::cli
