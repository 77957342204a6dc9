// `tunggal request refresh`: applies the engine's current penunggalan answers (one request or every
// open one): UNIQUE/DISTINCT release printing, DUPLICATE/REVIEW block, REJECTED asks to record again.
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "cli/request_cli.h"
#include "core/json_text.h"
#include "workflow/detail/record_json.h"

namespace tunggal::cli {
namespace {

struct RefreshArgs {
  RequestArgs common;
  std::string id;
};

int run(const RefreshArgs& a) {
  auto desk = open_request_desk(a.common);
  if (!desk) return report_failure("refresh", desk.error());
  if (Status s = (*desk)->need_verdicts(); !s) {
    report_failure("refresh", s);
    return kExitUnavailable;
  }
  if (!a.id.empty()) {
    auto r = (*desk)->refresh(a.id);
    if (!r) return report_failure("refresh", r.error());
    print_request(*r, **desk, a.common.json);
    return kExitOk;
  }
  auto changed = (*desk)->refresh_all();
  if (!changed) return report_failure("refresh", changed.error());
  if (a.common.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *changed) out.push_back(workflow::detail::to_json(r));
    std::cout << json_text(out) << "\n";
  } else {
    for (const auto& r : *changed) std::cout << request_line(r) << "\n";
    std::cout << changed->size() << " request(s) changed state\n";
  }
  return kExitOk;
}

RegisterCommand reg{{"request refresh", "apply the engine's penunggalan verdicts to one request or all open ones",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<RefreshArgs>();
                       add_request_options(cmd, a->common);
                       cmd.add_option("--id", a->id, "request id (default: every request waiting on the engine)");
                       return [a]() { return run(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
