#include "workflow/print_pin.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace tunggal::workflow {
namespace {

// A few milliseconds per check on this machine (PrintPin test: 3 hashes in ~10 ms): nothing for a
// kiosk, but it multiplies the cost of trying all 10^6 PINs against a stolen store.
constexpr int kPbkdf2Iterations = 20000;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

Expected<std::string> pbkdf2_hex(std::string_view pin, const std::string& salt_hex) {
  std::array<unsigned char, kHashBytes> out{};
  if (PKCS5_PBKDF2_HMAC(pin.data(), static_cast<int>(pin.size()),
                        reinterpret_cast<const unsigned char*>(salt_hex.data()), static_cast<int>(salt_hex.size()),
                        kPbkdf2Iterations, EVP_sha256(), static_cast<int>(out.size()), out.data()) != 1) {
    return Status(ErrorCode::kInternal, "PBKDF2 failed in OpenSSL");
  }
  return to_hex(out.data(), out.size());
}

bool is_six_digits(std::string_view pin) {
  return pin.size() == 6 && std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Expected<IssuedPin> issue_print_pin(const std::string& request_id, std::int64_t now_ms, const PinPolicy& policy) {
  // Rejection sampling keeps the PIN uniform over 000000..999999.
  std::uint32_t value = 0;
  constexpr std::uint32_t kLimit = 4294000000u;  // largest multiple of 10^6 below 2^32
  do {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1) {
      return Status(ErrorCode::kInternal, "OpenSSL RAND_bytes failed: no randomness for the print PIN");
    }
  } while (value >= kLimit);
  char pin[8];
  std::snprintf(pin, sizeof pin, "%06u", value % 1000000u);

  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return Status(ErrorCode::kInternal, "OpenSSL RAND_bytes failed: no randomness for the PIN salt");
  }
  IssuedPin issued;
  issued.pin = pin;
  issued.record.request_id = request_id;
  issued.record.salt_hex = to_hex(salt.data(), salt.size());
  auto hash = pbkdf2_hex(issued.pin, issued.record.salt_hex);
  if (!hash) return hash.error();
  issued.record.hash_hex = *hash;
  issued.record.issued_at_ms = now_ms;
  issued.record.expires_at_ms = now_ms + policy.lifetime_ms;
  return issued;
}

Status redeem_print_pin(PrintPin& record, std::string_view pin, std::int64_t now_ms, const PinPolicy& policy) {
  const auto denied = [](std::string m) { return Status(ErrorCode::kPermissionDenied, std::move(m)); };
  if (record.used) return denied("this print PIN has already been used; each PIN prints once");
  if (record.failed_attempts >= policy.max_failed_attempts) {
    return denied("this print PIN is locked after " + std::to_string(record.failed_attempts) +
                  " wrong attempts; ask the office to issue a new PIN");
  }
  if (now_ms >= record.expires_at_ms) return denied("this print PIN has expired; ask the office to issue a new PIN");
  if (!is_six_digits(pin)) return invalid_argument("a print PIN is 6 digits");

  auto hash = pbkdf2_hex(pin, record.salt_hex);
  if (!hash) return hash.error();
  if (hash->size() != record.hash_hex.size() ||
      CRYPTO_memcmp(hash->data(), record.hash_hex.data(), hash->size()) != 0) {
    ++record.failed_attempts;
    const int left = policy.max_failed_attempts - record.failed_attempts;
    return denied("wrong print PIN; " +
                  (left > 0 ? std::to_string(left) + " attempt(s) left" : std::string("the PIN is now locked")));
  }
  record.used = true;
  return Status::ok();
}

}  // namespace tunggal::workflow
