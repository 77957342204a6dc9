#pragma once
// What the workflow keeps besides the requests themselves: print PINs, the notification outbox and
// the old-card log.
#include <cstdint>
#include <string>

namespace tunggal::workflow {

// A one-time PIN for the self-service print kiosk (ADM). Only a salted hash is kept; the PIN
// itself exists in the outbox message until the messaging integration takes it.
struct PrintPin {
  std::string request_id;
  std::string salt_hex;
  std::string hash_hex;
  std::int64_t issued_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  int failed_attempts = 0;
  bool used = false;
};

// A message a messaging integration (e-mail) would send. Nothing is sent from here.
struct Notification {
  std::uint64_t id = 0;
  std::string request_id;
  std::string recipient;  // e-mail address
  std::string subject;
  std::string body;
  std::string secret;      // the print PIN, when the message carries one; erased once taken
  std::int64_t created_at_ms = 0;
  std::int64_t taken_at_ms = 0;  // 0 while waiting in the outbox
};

// An old card handed in at the office. Data changes make the operator retract it (ditarik);
// every old card is sent to the Dinas (regency civil-registration office) for destruction.
struct OldCardRecord {
  std::string request_id;
  std::string nik;
  std::string reason;      // the reissue reason, e.g. "data-change"
  bool retracted = false;  // retracted because its data is no longer correct
  std::int64_t received_at_ms = 0;
  std::int64_t sent_to_dinas_at_ms = 0;  // 0 while still at the office
};

}  // namespace tunggal::workflow
