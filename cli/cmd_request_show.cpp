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
                         auto session = open_request_session(a->common);
                         if (!session) return report_failure("show", session.error());
                         auto r = session->flow->get(a->id);
                         if (!r) return report_failure("show", r.error());
                         print_request(*r, session->flow->options(), a->common.json);
                         return kExitOk;
                       };
                     }}};

}  // namespace
}  // namespace tunggal::cli
