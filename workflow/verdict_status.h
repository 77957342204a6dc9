#pragma once
// The engine's verdict as the workflow's IdentityStatus: one translation, used by every
// VerdictLookup (the CLI's read-only store view and the server's in-process engine), so that a
// request prints under the same rule wherever it is operated.
#include <optional>
#include <string>

#include "core/verdict.h"
#include "workflow/identity_status.h"

namespace tunggal::workflow {

// `verdict` is the engine's current verdict for `enrollment_id` (nullopt while undecided);
// `received` whether the engine holds that enrollment at all (pending vs unknown).
IdentityStatus identity_status(const std::optional<Verdict>& verdict, bool received,
                               const std::string& enrollment_id);

}  // namespace tunggal::workflow
