#include "workflow/request_state.h"

#include <algorithm>
#include <string>

namespace tunggal::workflow {

std::vector<RequestState> next_states(RequestState from) {
  using S = RequestState;
  switch (from) {
    case S::kSubmitted: return {S::kDocumentsVerified, S::kRejected};
    case S::kDocumentsVerified: return {S::kBiometricsRecorded, S::kRejected};
    case S::kBiometricsRecorded: return {S::kPenunggalanPending, S::kRejected};
    case S::kPenunggalanPending:
      return {S::kSingleIdentityConfirmed, S::kDuplicateBlocked, S::kDocumentsVerified, S::kRejected};
    case S::kSingleIdentityConfirmed: return {S::kPrintReady, S::kRejected};
    case S::kDuplicateBlocked: return {S::kAdjudicatedDistinct, S::kRejected};
    case S::kAdjudicatedDistinct: return {S::kPrintReady, S::kRejected};
    // A card queued for printing can still be stopped (e.g. a later re-deduplication found a
    // duplicate); once printed, only the hand-over remains.
    case S::kPrintReady: return {S::kPrinted, S::kDuplicateBlocked, S::kRejected};
    case S::kPrinted: return {S::kHandedOver};
    case S::kHandedOver: return {};
    case S::kRejected: return {};
  }
  return {};
}

Status check_transition(RequestState from, RequestState to) {
  const auto allowed = next_states(from);
  if (std::find(allowed.begin(), allowed.end(), to) != allowed.end()) return Status::ok();
  std::string list;
  for (auto s : allowed) list += (list.empty() ? "" : ", ") + std::string(to_string(s));
  return failed_precondition("illegal transition " + std::string(to_string(from)) + " → " +
                             std::string(to_string(to)) + "; from " + std::string(to_string(from)) +
                             (allowed.empty() ? " the request is closed" : " only " + list + " may follow"));
}

bool is_terminal(RequestState s) { return s == RequestState::kHandedOver || s == RequestState::kRejected; }

}  // namespace tunggal::workflow
