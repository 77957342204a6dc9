// `tunggal request show`: one request with its documents, SLA deadline and history.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "cli/request_cli.h"

namespace tunggal::cli {
namespace {

struct ShowArgs {
  RequestArgs common;
  std::string id;
};

RegisterCommand reg{{"request show", "show one request: documents, state, SLA deadline, history",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<ShowArgs>();
                       add_request_options(cmd, a->common);
                       cmd.add_option("--id", a->id, "request id, e.g. REQ-00000001")->required();
                       return [a]() {
                         auto desk = open_request_desk(a->common);
                         if (!desk) return report_failure("show", desk.error());
                         auto r = (*desk)->show(a->id);
                         if (!r) return report_failure("show", r.error());
                         print_request(*r, **desk, a->common.json);
                         return kExitOk;
                       };
                     }}};

}  // namespace
}  // namespace tunggal::cli
