#include "workflow/request.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "workflow/identity_status.h"

namespace tunggal::workflow {
namespace {

// One table per enum, indexed by the enum's value, so that to_string and parse cannot disagree.
constexpr std::array kServiceNames{"wni-new", "wni-reissue", "oa-new", "oa-reissue"};
constexpr std::array kReasonNames{"none", "move", "data-change", "damage", "loss", "renewal"};
constexpr std::array kChannelNames{"luring", "daring"};
constexpr std::array kMaritalNames{"single", "married", "divorced", "widowed"};
constexpr std::array kDocumentNames{"kk-copy",           "form-f102",           "skp",
                                    "old-card",          "civil-reg-evidence",  "police-loss-report",
                                    "travel-doc-copy",   "kitap-copy",          "registration-proof"};
constexpr std::array kDocumentDescriptions{
    "copy of the family card (KK)",
    "form F-1.02",
    "moving certificate (SKP)",
    "the old KTP-el",
    "evidence of the civil-registration change",
    "police loss report",
    "copy of the travel document",
    "copy of the permanent stay permit (KITAP)",
    "registration proof of the online request",
};
constexpr std::array kStateNames{"submitted",          "documents_verified",
                                 "biometrics_recorded", "penunggalan_pending",
                                 "single_identity_confirmed", "print_ready",
                                 "printed",            "handed_over",
                                 "rejected",           "duplicate_blocked",
                                 "adjudicated_distinct"};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<const char*, N>& names, E v) {
  const auto i = static_cast<std::size_t>(v);
  return i < N ? names[i] : "?";
}

template <typename E, std::size_t N>
Expected<E> parse_of(const std::array<const char*, N>& names, std::string_view s, const char* what) {
  for (std::size_t i = 0; i < N; ++i) {
    if (s == names[i]) return static_cast<E>(i);
  }
  std::string allowed;
  for (std::size_t i = 0; i < N; ++i) allowed += (i ? ", " : "") + std::string(names[i]);
  return invalid_argument("unknown " + std::string(what) + " '" + std::string(s) + "'; expected one of: " + allowed);
}

}  // namespace

std::string_view to_string(Service v) { return name_of(kServiceNames, v); }
std::string_view to_string(Reason v) { return name_of(kReasonNames, v); }
std::string_view to_string(Channel v) { return name_of(kChannelNames, v); }
std::string_view to_string(MaritalStatus v) { return name_of(kMaritalNames, v); }
std::string_view to_string(Document v) { return name_of(kDocumentNames, v); }
std::string_view to_string(RequestState v) { return name_of(kStateNames, v); }
std::string_view describe(Document v) { return name_of(kDocumentDescriptions, v); }

Expected<Service> parse_service(std::string_view s) { return parse_of<Service>(kServiceNames, s, "service"); }
Expected<Reason> parse_reason(std::string_view s) { return parse_of<Reason>(kReasonNames, s, "reason"); }
Expected<Channel> parse_channel(std::string_view s) { return parse_of<Channel>(kChannelNames, s, "channel"); }
Expected<MaritalStatus> parse_marital_status(std::string_view s) {
  return parse_of<MaritalStatus>(kMaritalNames, s, "marital status");
}
Expected<Document> parse_document(std::string_view s) { return parse_of<Document>(kDocumentNames, s, "document"); }
Expected<RequestState> parse_request_state(std::string_view s) {
  return parse_of<RequestState>(kStateNames, s, "request state");
}

std::string_view to_string(IdentityStatus::Kind k) {
  switch (k) {
    case IdentityStatus::kPending: return "PENDING";
    case IdentityStatus::kUnique: return "UNIQUE";
    case IdentityStatus::kDuplicate: return "DUPLICATE";
    case IdentityStatus::kReview: return "REVIEW";
    case IdentityStatus::kRejected: return "REJECTED";
    case IdentityStatus::kConfirmedDuplicate: return "CONFIRMED_DUPLICATE";
    case IdentityStatus::kDistinct: return "DISTINCT";
    case IdentityStatus::kUnknown: return "UNKNOWN";
    case IdentityStatus::kRevoked: return "REVOKED";
  }
  return "?";
}

Expected<Date> Date::parse(std::string_view iso) {
  const std::string text(iso);
  int y = 0, m = 0, d = 0, consumed = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &m, &d, &consumed) != 3 ||
      consumed != 10 || text[4] != '-' || text[7] != '-' ||
      !std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || c == '-'; })) {
    return invalid_argument("date '" + text + "' is not in the form YYYY-MM-DD");
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (y < 1900 || !ymd.ok()) return invalid_argument("date '" + text + "' does not exist");
  return Date{y, m, d};
}

Date Date::from_epoch_ms_wib(std::int64_t ms) {
  using namespace std::chrono;
  constexpr std::int64_t kWibOffsetMs = 7LL * 3600 * 1000;
  const sys_days day = floor<days>(sys_time<milliseconds>{milliseconds{ms + kWibOffsetMs}});
  const year_month_day ymd{day};
  return Date{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
              static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

std::string Date::str() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

bool Request::has_document(Document d) const {
  return std::find(documents.begin(), documents.end(), d) != documents.end();
}

}  // namespace tunggal::workflow
