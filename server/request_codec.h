#pragma once
// Conversions between the KTP-el request messages of the protocol (KtpRequest, KtpNotification,
// ...) and the workflow's types. Private to the server's sources and its tests: includes the
// generated protobuf header.
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "server/proto/tunggal.pb.h"
#include "workflow/records.h"
#include "workflow/request.h"
#include "workflow/request_workflow.h"

namespace tunggal::server {

void request_to_wire(const workflow::Request& r, std::int64_t sla_deadline_ms, wire::KtpRequest* out);
// kMalformedRecord naming the field when the server sent a name this build does not know.
Expected<workflow::Request> request_from_wire(const wire::KtpRequest& in);

void applicant_to_wire(const workflow::Applicant& a, wire::KtpApplicant* out);
// kInvalidArgument naming the field (NIK, birth date, marital status).
Expected<workflow::Applicant> applicant_from_wire(const wire::KtpApplicant& in);

// kInvalidArgument naming the unknown document.
Expected<std::vector<workflow::Document>> documents_from_wire(
    const google::protobuf::RepeatedPtrField<std::string>& names);

// The create message as the workflow's NewRequest (without the site: the server sets it).
Expected<workflow::NewRequest> new_request_from_wire(const wire::KtpCreate& in);
void new_request_to_wire(const workflow::NewRequest& in, wire::KtpCreate* out);

void notification_to_wire(const workflow::Notification& n, wire::KtpNotification* out);
workflow::Notification notification_from_wire(const wire::KtpNotification& in);
void old_card_to_wire(const workflow::OldCardRecord& c, wire::KtpOldCard* out);
workflow::OldCardRecord old_card_from_wire(const wire::KtpOldCard& in);

}  // namespace tunggal::server
