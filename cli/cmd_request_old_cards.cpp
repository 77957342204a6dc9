// `tunggal request old-cards`: the log of old cards handed in (retracted on data change), and
// --send-to-dinas to record that those still at the office went to the Dinas for destruction.
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

struct OldCardArgs {
  RequestArgs common;
  bool send = false;
};

int run(const OldCardArgs& a) {
  auto desk = open_request_desk(a.common);
  if (!desk) return report_failure("old-cards", desk.error());
  auto cards = (*desk)->old_cards(a.send);
  if (!cards) return report_failure("old-cards", cards.error());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : *cards) {
    if (a.common.json) {
      out.push_back(workflow::detail::to_json(c));
      continue;
    }
    std::cout << c.request_id << "  NIK " << c.nik << "  " << c.reason << (c.retracted ? "  retracted" : "")
              << "  received " << format_time(c.received_at_ms) << "  "
              << (c.sent_to_dinas_at_ms ? "sent to Dinas " + format_time(c.sent_to_dinas_at_ms)
                                        : std::string("at the office"))
              << "\n";
  }
  if (a.common.json) {
    std::cout << json_text(out) << "\n";
  } else {
    std::cout << cards->size() << " old card(s)" << (a.send ? " sent to the Dinas for destruction" : "") << "\n";
  }
  return kExitOk;
}

RegisterCommand reg{{"request old-cards", "old cards handed in; --send-to-dinas logs them sent for destruction",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<OldCardArgs>();
                       add_request_options(cmd, a->common);
                       cmd.add_flag("--send-to-dinas", a->send, "mark the cards still at the office as sent");
                       return [a]() { return run(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
