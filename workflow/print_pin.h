#pragma once
// One-time PINs for printing at the self-service kiosk (ADM, anjungan dukcapil mandiri). A 6-digit
// PIN has only 10^6 values, so the hash alone cannot protect it against someone who reads the
// store; what protects it is that it is single use, expires, and locks after a few wrong tries.
// The hash (salted PBKDF2-HMAC-SHA256) keeps it out of plain sight in backups and logs.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "workflow/records.h"

namespace tunggal::workflow {

struct PinPolicy {
  std::int64_t lifetime_ms = 24LL * 3600 * 1000;  // valid for 24 hours after issue
  int max_failed_attempts = 3;                    // then locked until the office issues a new one
};

struct IssuedPin {
  std::string pin;  // 6 digits, to be sent to the applicant; never stored
  PrintPin record;  // what is stored
};

// A fresh uniformly random 6-digit PIN (OpenSSL RAND_bytes) and its salted hash.
Expected<IssuedPin> issue_print_pin(const std::string& request_id, std::int64_t now_ms, const PinPolicy& policy);

// Checks `pin` against `record` at `now_ms` and updates the record: a wrong PIN counts one failed
// attempt, the right one marks it used. Errors (kPermissionDenied unless the input is not 6 digits):
// used, expired, locked, wrong (with the attempts left).
Status redeem_print_pin(PrintPin& record, std::string_view pin, std::int64_t now_ms, const PinPolicy& policy);

}  // namespace tunggal::workflow
