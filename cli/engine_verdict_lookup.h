#pragma once
// Where the CLI gets penunggalan answers for `tunggal request refresh|print`.
#include <memory>
#include <string>

#include "core/status.h"
#include "workflow/identity_status.h"

namespace tunggal::cli {

// The engine's verdicts over its store in `data_dir`. Until the engine's store API lands this
// answers kFailedPrecondition "engine store not available"; see the TODO in the .cpp.
Expected<std::unique_ptr<workflow::VerdictLookup>> make_engine_verdict_lookup(const std::string& data_dir);

}  // namespace tunggal::cli
