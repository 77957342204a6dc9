// `tunggal request hand-over`: the printed card goes to the applicant; online applicants show
// their registration proof.
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "cli/request_cli.h"

namespace tunggal::cli {
namespace {

struct HandOverArgs {
  RequestArgs common;
  std::string id;
  std::vector<std::string> docs;
};

int run(const HandOverArgs& a) {
  auto docs = parse_documents(a.docs);
  if (!docs) return report_failure("hand-over", docs.error());
  auto desk = open_request_desk(a.common);
  if (!desk) return report_failure("hand-over", desk.error());
  auto r = (*desk)->hand_over(a.id, *docs);
  if (!r) return report_failure("hand-over", r.error());
  print_request(*r, **desk, a.common.json);
  return kExitOk;
}

RegisterCommand reg{{"request hand-over", "hand the printed card over to the applicant",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<HandOverArgs>();
                       add_request_options(cmd, a->common);
                       cmd.add_option("--id", a->id, "request id")->required();
                       cmd.add_option("--doc", a->docs, "a document shown at hand-over, e.g. registration-proof");
                       return [a]() { return run(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
