// `tunggal request overdue`: open requests past their completion target (luring 1 day, daring 3).
#include <cstdio>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "cli/request_cli.h"
#include "core/json_text.h"

namespace tunggal::cli {
namespace {

int run(const RequestArgs& a) {
  auto desk = open_request_desk(a);
  if (!desk) return report_failure("overdue", desk.error());
  auto late = (*desk)->overdue();
  if (!late) return report_failure("overdue", late.error());
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& o : *late) {
      out.push_back({{"id", o.request.id},
                     {"register_number", o.request.register_number},
                     {"channel", workflow::to_string(o.request.channel)},
                     {"state", workflow::to_string(o.request.state)},
                     {"deadline_ms", o.deadline_ms},
                     {"overdue_by_ms", o.overdue_by_ms}});
    }
    std::cout << json_text(out) << "\n";
    return kExitOk;
  }
  for (const auto& o : *late) {
    std::printf("%s  due %s  overdue by %.1f h\n", request_line(o.request).c_str(), format_time(o.deadline_ms).c_str(),
                double(o.overdue_by_ms) / 3.6e6);
  }
  std::printf("%zu overdue request(s)\n", late->size());
  return kExitOk;
}

RegisterCommand reg{{"request overdue", "list open requests past their SLA (luring 1 day, daring 3 days)",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<RequestArgs>();
                       add_request_options(cmd, *a);
                       return [a]() { return run(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
