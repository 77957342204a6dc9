// `tunggal request outbox`: the notifications waiting for the messaging integration. --take hands
// them over (printing them, PINs included, once) and marks them taken, as the integration would.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "cli/request_cli.h"
#include "core/json_text.h"
#include "workflow/detail/record_json.h"

namespace tunggal::cli {
namespace {

struct OutboxArgs {
  RequestArgs common;
  bool take = false;
};

int run(const OutboxArgs& a) {
  auto desk = open_request_desk(a.common);
  if (!desk) return report_failure("outbox", desk.error());
  auto msgs = (*desk)->outbox(a.take);
  if (!msgs) return report_failure("outbox", msgs.error());
  nlohmann::json out = nlohmann::json::array();
  for (auto n : *msgs) {
    // Listing shows that a PIN is there, not the PIN: only taking the message hands it over.
    if (!a.take && !n.secret.empty()) n.secret = "(withheld until taken)";
    if (a.common.json) {
      out.push_back(workflow::detail::to_json(n));
      continue;
    }
    std::cout << "#" << n.id << "  " << format_time(n.created_at_ms) << "  to " << n.recipient << "  [" << n.request_id
              << "]\n  " << n.subject << "\n  " << n.body << "\n";
    if (!n.secret.empty()) std::cout << "  PIN: " << n.secret << "\n";
  }
  if (a.common.json) std::cout << json_text(out) << "\n";
  return kExitOk;
}

RegisterCommand reg{{"request outbox", "notifications waiting to be sent; --take hands them over once",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<OutboxArgs>();
                       add_request_options(cmd, a->common);
                       cmd.add_flag("--take", a->take, "hand the messages over (with PINs) and mark them taken");
                       return [a]() { return run(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
