#pragma once
// The request workflow's view of an engine's data directory: workflow::VerdictLookup over the
// engine's store, the one implementation behind `tunggal request` offline (a read-only store) and
// the server (its live engine's store). Besides the verdict it reports the capture's NIK and what
// was learnt about the verdict's subject later: reprocessing review cases (review_cases.h) and
// revocation. Data flows one way: this reads the engine's records; the engine knows nothing of
// requests.
#include <memory>

#include "engine/store.h"
#include "workflow/identity_status.h"

namespace tunggal::admin {

// `store` must outlive the lookup. Every status() reads the store at that moment.
std::unique_ptr<workflow::VerdictLookup> workflow_lookup(const engine::Store& store);

// The same, owning the store (the CLI's read-only copy).
std::unique_ptr<workflow::VerdictLookup> workflow_lookup(std::unique_ptr<engine::Store> store);

}  // namespace tunggal::admin
