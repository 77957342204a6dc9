#pragma once
// JSON encoding of the workflow's records, shared by the store (on disk) and the CLI (--json).
// Private to the workflow module and the CLI: includes nlohmann/json.
#include <nlohmann/json.hpp>

#include "core/status.h"
#include "workflow/records.h"
#include "workflow/request.h"

namespace tunggal::workflow::detail {

nlohmann::json to_json(const Request& r);
nlohmann::json to_json(const PrintPin& p);
nlohmann::json to_json(const Notification& n);
nlohmann::json to_json(const OldCardRecord& c);

// kCorruption naming the field when a stored record does not decode.
Expected<Request> request_from_json(const nlohmann::json& j);
Expected<PrintPin> pin_from_json(const nlohmann::json& j);
Expected<Notification> notification_from_json(const nlohmann::json& j);
Expected<OldCardRecord> old_card_from_json(const nlohmann::json& j);

}  // namespace tunggal::workflow::detail
