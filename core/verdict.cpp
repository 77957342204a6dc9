#include "core/verdict.h"

namespace tunggal {

std::string_view to_string(VerdictKind k) {
  switch (k) {
    case VerdictKind::kUnique: return "UNIQUE";
    case VerdictKind::kDuplicate: return "DUPLICATE";
    case VerdictKind::kReview: return "REVIEW";
    case VerdictKind::kRejected: return "REJECTED";
  }
  return "?";
}

std::string_view to_string(Decision d) {
  switch (d) {
    case Decision::kNone: return "NONE";
    case Decision::kConfirmedDuplicate: return "CONFIRMED_DUPLICATE";
    case Decision::kDistinct: return "DISTINCT";
  }
  return "?";
}

}  // namespace tunggal
