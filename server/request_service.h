#pragma once
// The KTP-el request workflow behind the protocol: a thin adapter, like engine_backend.cpp, from
// the Ktp* messages to workflow::RequestWorkflow. It adds only what the protocol needs: who may
// operate which request (a site its own, an admin all), the naming of enrollments across sites,
// the server's clock, and penunggalan answers read from the live in-process engine (Backend).
// The protobuf types are only declared here; request_service.cpp includes them.
#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "server/backend.h"
#include "workflow/request_workflow.h"

namespace tunggal::wire {
class KtpOp;
class KtpReply;
}  // namespace tunggal::wire

namespace tunggal::server {

// Who asks: the authenticated peer of a connection.
struct RequestCaller {
  std::string site;  // site id, or the admin's name
  bool admin = false;
};

class RequestService {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix epoch milliseconds
  // `flow` and `backend` must outlive the service. `clock` defaults to the system clock.
  RequestService(workflow::RequestWorkflow& flow, Backend& backend, Clock clock = {});

  // Performs one operation for `caller`, filling `out`. Errors: kPermissionDenied (another site's
  // request; printing without UNIQUE/DISTINCT), kFailedPrecondition (wrong state, missing
  // documents), kInvalidArgument (bad names, dates, ids), kNotFound (no such request).
  Status handle(const RequestCaller& caller, const wire::KtpOp& op, wire::KtpReply* out);

 private:
  workflow::RequestWorkflow& flow_;
  Backend& backend_;
  Clock clock_;
};

}  // namespace tunggal::server
