#pragma once
// Where the CLI gets penunggalan answers for `tunggal request record-biometrics|refresh|print`.
#include <memory>
#include <string>

#include "core/status.h"
#include "workflow/identity_status.h"

namespace tunggal::cli {

// The engine's answers (admin::workflow_lookup: verdict, the capture's NIK, later review cases and
// revocation), read from its store in `data_dir`/store (read-only, so a running engine is not
// disturbed). kFailedPrecondition "engine store not available: ..." when there is none.
Expected<std::unique_ptr<workflow::VerdictLookup>> make_engine_verdict_lookup(const std::string& data_dir);

}  // namespace tunggal::cli
