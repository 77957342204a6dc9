#pragma once
// The request state machine. The happy path:
//   submitted → documents_verified → biometrics_recorded → penunggalan_pending →
//   single_identity_confirmed → print_ready → printed → handed_over
// and the branches:
//   penunggalan_pending → duplicate_blocked (DUPLICATE/REVIEW) → adjudicated_distinct → print_ready
//   duplicate_blocked → rejected (adjudicated as a confirmed duplicate: never printed)
//   penunggalan_pending → documents_verified (engine REJECTED the capture: record again)
//   any state before printing → rejected (by an operator, with a reason)
#include <vector>

#include "core/status.h"
#include "workflow/request.h"

namespace tunggal::workflow {

// The states reachable from `from` in one step.
std::vector<RequestState> next_states(RequestState from);

// OK, or kFailedPrecondition naming both states and what is allowed from `from`.
Status check_transition(RequestState from, RequestState to);

// handed_over and rejected end a request.
bool is_terminal(RequestState s);

}  // namespace tunggal::workflow
