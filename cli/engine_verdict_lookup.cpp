#include "cli/engine_verdict_lookup.h"

namespace tunggal::cli {

// TODO(lead): wire the engine here once its store API has landed: open the engine's store in
// `data_dir` (read-only is enough) and return a VerdictLookup mapping its Verdict for an
// enrollment id to IdentityStatus: no verdict yet → kPending; UNIQUE → kUnique; DUPLICATE →
// kDuplicate; REVIEW → kReview; REJECTED → kRejected (detail = reject_reason); after
// adjudication Decision::kDistinct → kDistinct and kConfirmedDuplicate → kConfirmedDuplicate
// (detail = linked subject); an enrollment the store has never seen → kUnknown.
// The workflow side is tested against that contract in tests/workflow_test.cpp.
Expected<std::unique_ptr<workflow::VerdictLookup>> make_engine_verdict_lookup(const std::string& data_dir) {
  return failed_precondition("engine store not available: the workflow cannot read penunggalan verdicts from " +
                             data_dir + " yet (the engine's store is not wired into the CLI)");
}

}  // namespace tunggal::cli
