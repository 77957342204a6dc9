#pragma once
// A KTP-el request as the Dukcapil service page describes it: which service, why, through which
// channel, for whom, with which documents, and where it stands.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/nik.h"
#include "core/status.h"

namespace tunggal::workflow {

// The four services on the service page.
enum class Service : std::uint8_t {
  kWniNew,      // new card for a citizen (WNI)
  kWniReissue,  // replacement for a citizen
  kOaNew,       // new card for a foreign resident (orang asing) holding a KITAP
  kOaReissue,   // replacement for a foreign resident
};

// Why a card is reissued; kNone for new cards.
enum class Reason : std::uint8_t { kNone, kMove, kDataChange, kDamage, kLoss, kRenewal };

// luring: at the office, target 1 day. daring: online, target 3 days.
enum class Channel : std::uint8_t { kLuring, kDaring };

// As on the family card (KK): belum kawin, kawin, cerai hidup, cerai mati.
enum class MaritalStatus : std::uint8_t { kSingle, kMarried, kDivorced, kWidowed };

enum class Document : std::uint8_t {
  kKkCopy,                     // copy of the family card (kartu keluarga)
  kFormF102,                   // form F-1.02 (biodata)
  kSkp,                        // moving certificate (surat keterangan pindah)
  kOldCard,                    // the old (or damaged) KTP-el, handed in
  kCivilRegistrationEvidence,  // evidence of the civil-registration change (akta, court order)
  kPoliceLossReport,           // surat keterangan kehilangan from the police
  kTravelDocumentCopy,         // passport copy (OA)
  kKitapCopy,                  // permanent stay permit copy (OA)
  kRegistrationProof,          // daring: the registration proof shown at hand-over
};

enum class RequestState : std::uint8_t {
  kSubmitted,
  kDocumentsVerified,
  kBiometricsRecorded,
  kPenunggalanPending,
  kSingleIdentityConfirmed,
  kPrintReady,
  kPrinted,
  kHandedOver,
  kRejected,
  kDuplicateBlocked,
  kAdjudicatedDistinct,
};

// Stable lowercase names, used by the CLI and the persisted records ("wni-new", "data-change").
std::string_view to_string(Service v);
std::string_view to_string(Reason v);
std::string_view to_string(Channel v);
std::string_view to_string(MaritalStatus v);
std::string_view to_string(Document v);
std::string_view to_string(RequestState v);
std::string_view describe(Document v);  // "copy of the family card (KK)": for people
Expected<Service> parse_service(std::string_view s);
Expected<Reason> parse_reason(std::string_view s);
Expected<Channel> parse_channel(std::string_view s);
Expected<MaritalStatus> parse_marital_status(std::string_view s);
Expected<Document> parse_document(std::string_view s);
Expected<RequestState> parse_request_state(std::string_view s);

// A calendar date (no time zone: birth dates and request dates are civil dates).
struct Date {
  int year = 0, month = 0, day = 0;
  static Expected<Date> parse(std::string_view iso);  // "YYYY-MM-DD", checked against the calendar
  // The civil date in Western Indonesia Time (WIB, UTC+7) at a Unix epoch instant.
  static Date from_epoch_ms_wib(std::int64_t ms);
  std::string str() const;  // "YYYY-MM-DD"
  auto operator<=>(const Date&) const = default;
};

struct Applicant {
  Nik nik;
  std::string name;
  Date birth_date;
  MaritalStatus marital_status = MaritalStatus::kSingle;
  std::string email;  // required for daring: where notifications and the print PIN go
};

struct StateChange {
  RequestState from = RequestState::kSubmitted;
  RequestState to = RequestState::kSubmitted;
  std::int64_t at_ms = 0;
  std::string note;
};

struct Request {
  std::string id;               // "REQ-000001"
  std::string register_number;  // daring only: "REG-20261125-000001"
  // The office (recording station / district office, by its protocol site id) that registered
  // the request; only it and admins may operate it over the protocol. Empty when registered
  // offline with `tunggal request new --data-dir`.
  std::string site;
  Service service = Service::kWniNew;
  Reason reason = Reason::kNone;
  Channel channel = Channel::kLuring;
  Applicant applicant;
  std::vector<Document> documents;  // presented (luring) or uploaded (daring)
  RequestState state = RequestState::kSubmitted;
  std::string enrollment_id;  // the biometric capture whose verdict gates printing
  std::int64_t submitted_at_ms = 0;
  Date request_date;           // civil date of submission; age is computed on it
  std::int64_t fee_rupiah = 0;  // the service is free (Rp 0); recorded so that receipts show it
  std::string note;             // the latest reason: missing documents, rejection, verdict detail
  std::vector<StateChange> history;

  bool has_document(Document d) const;
};

}  // namespace tunggal::workflow
