#include "core/status.h"

namespace tunggal {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kMalformedRecord: return "malformed record";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kIoError: return "I/O error";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kIncompatible: return "incompatible";
    case ErrorCode::kLocked: return "locked";
    case ErrorCode::kBusy: return "busy";
    case ErrorCode::kPermissionDenied: return "permission denied";
    case ErrorCode::kFailedPrecondition: return "failed precondition";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string s(tunggal::to_string(code_));
  s += ": ";
  s += message_;
  return s;
}

}  // namespace tunggal
