// `tunggal request list`: every request, optionally only those in one state or still open.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "cli/request_cli.h"
#include "core/json_text.h"
#include "workflow/detail/record_json.h"
#include "workflow/request_state.h"

namespace tunggal::cli {
namespace {

struct ListArgs {
  RequestArgs common;
  std::string state;
  bool open_only = false;
};

int run(const ListArgs& a) {
  std::optional<workflow::RequestState> only;
  if (!a.state.empty()) {
    auto s = workflow::parse_request_state(a.state);
    if (!s) return report_failure("list", s.error());
    only = *s;
  }
  auto desk = open_request_desk(a.common);
  if (!desk) return report_failure("list", desk.error());
  auto all = (*desk)->list(only, a.open_only);
  if (!all) return report_failure("list", all.error());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : *all) {
    if (a.common.json) {
      out.push_back(workflow::detail::to_json(r));
    } else {
      std::cout << request_line(r) << "\n";
    }
  }
  if (a.common.json) std::cout << json_text(out) << "\n";
  return kExitOk;
}

RegisterCommand reg{{"request list", "list requests (id, register number, service, channel, state, applicant)",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<ListArgs>();
                       add_request_options(cmd, a->common);
                       cmd.add_option("--state", a->state, "only requests in this state, e.g. print_ready");
                       cmd.add_flag("--open", a->open_only, "only requests not yet handed over or rejected");
                       return [a]() { return run(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
