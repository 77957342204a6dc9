// `tunggal request record-biometrics`: links the enrollment (the capture submitted to the engine)
// whose penunggalan verdict gates printing.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "cli/request_cli.h"

namespace tunggal::cli {
namespace {

struct RecordArgs {
  RequestArgs common;
  std::string id, enrollment;
};

RegisterCommand reg{{"request record-biometrics", "link the biometric enrollment submitted for penunggalan",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<RecordArgs>();
                       add_request_options(cmd, a->common);
                       cmd.add_option("--id", a->id, "request id")->required();
                       cmd.add_option("--enrollment", a->enrollment, "the enrollment id the station submitted")
                           ->required();
                       return [a]() {
                         auto desk = open_request_desk(a->common);
                         if (!desk) return report_failure("record-biometrics", desk.error());
                         auto r = (*desk)->record_biometrics(a->id, a->enrollment);
                         if (!r) return report_failure("record-biometrics", r.error());
                         print_request(*r, **desk, a->common.json);
                         return kExitOk;
                       };
                     }}};

}  // namespace
}  // namespace tunggal::cli
