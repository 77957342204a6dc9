#pragma once
// Typed errors for every module: a code a program can branch on and a message a person can act on.
// Modelled on rocksdb::Status; Expected<T> stands in for C++23 std::expected.
#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tunggal {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,   // the caller's input is wrong; the message says which field and why
  kMalformedRecord,   // a binary record (ISO/ANSI, protobuf frame) does not parse
  kNotFound,
  kAlreadyExists,
  kIoError,           // disk, network
  kCorruption,        // stored data fails a check
  kIncompatible,      // stored data from another format version
  kLocked,            // another process holds the data directory
  kBusy,              // overload: try again later
  kPermissionDenied,
  kFailedPrecondition,
  kInternal,
};

std::string_view to_string(ErrorCode code);

class Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  bool is_ok() const { return code_ == ErrorCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid argument: NIK must have 16 digits, got 15"
  std::string to_string() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status malformed(std::string m) { return {ErrorCode::kMalformedRecord, std::move(m)}; }
inline Status not_found(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status io_error(std::string m) { return {ErrorCode::kIoError, std::move(m)}; }
inline Status corruption(std::string m) { return {ErrorCode::kCorruption, std::move(m)}; }
inline Status failed_precondition(std::string m) { return {ErrorCode::kFailedPrecondition, std::move(m)}; }

// Either a value or a non-ok Status.
template <typename T>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
  Expected(Status error) : v_(std::move(error)) { assert(!std::get<Status>(v_).is_ok()); }  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Status& error() const { return std::get<Status>(v_); }
  Status status() const { return has_value() ? Status::ok() : error(); }

 private:
  std::variant<T, Status> v_;
};

// Thrown only at executable boundaries (CLI) where an Expected must become an exit code.
struct StatusError : std::exception {
  explicit StatusError(Status s) : status(std::move(s)), text(status.to_string()) {}
  const char* what() const noexcept override { return text.c_str(); }
  Status status;
  std::string text;
};

}  // namespace tunggal
