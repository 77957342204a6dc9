// `tunggal request verify-docs`: records further documents and checks every requirement; on
// failure lists exactly what is missing.
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "cli/request_cli.h"

namespace tunggal::cli {
namespace {

struct VerifyArgs {
  RequestArgs common;
  std::string id;
  std::vector<std::string> docs;
};

int run(const VerifyArgs& a) {
  auto docs = parse_documents(a.docs);
  if (!docs) return report_failure("verify-docs", docs.error());
  auto desk = open_request_desk(a.common);
  if (!desk) return report_failure("verify-docs", desk.error());
  auto r = (*desk)->verify_documents(a.id, *docs);
  if (!r) return report_failure("verify-docs", r.error());
  print_request(*r, **desk, a.common.json);
  return kExitOk;
}

RegisterCommand reg{{"request verify-docs", "record documents and verify the requirements of the service and reason",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<VerifyArgs>();
                       add_request_options(cmd, a->common);
                       cmd.add_option("--id", a->id, "request id")->required();
                       cmd.add_option("--doc", a->docs, "a further document presented (repeat)");
                       return [a]() { return run(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
