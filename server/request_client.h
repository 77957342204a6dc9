#pragma once
// The KTP-el request operations over the protocol (KtpOp), typed with the workflow's own types:
// what `tunggal request … --connect` uses. The server's answers arrive as the same Request,
// Notification and OldCardRecord values the workflow returns offline, so output is identical.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "server/client.h"
#include "workflow/request_workflow.h"

namespace tunggal::server {

class RequestClient {
 public:
  explicit RequestClient(Client& client) : client_(client) {}

  Expected<workflow::Request> create(const workflow::NewRequest& req);
  Expected<workflow::Request> verify_documents(const std::string& id, const std::vector<workflow::Document>& docs);
  // A site names the capture it submitted (its own id); an admin "<site>/<id>".
  Expected<workflow::Request> record_biometrics(const std::string& id, const std::string& enrollment_id);
  Expected<workflow::Request> refresh(const std::string& id);
  Expected<std::vector<workflow::Request>> refresh_all();  // the caller's requests that changed state
  Expected<workflow::Request> print(const std::string& id, const std::optional<std::string>& pin);
  Expected<workflow::Request> hand_over(const std::string& id, const std::vector<workflow::Document>& docs);
  Expected<workflow::Request> reissue_pin(const std::string& id);
  Expected<workflow::Request> reject(const std::string& id, const std::string& reason);
  Expected<workflow::Request> show(const std::string& id);
  Expected<std::vector<workflow::Request>> list(const std::optional<workflow::RequestState>& state, bool open_only);
  Expected<std::vector<workflow::OverdueRequest>> overdue();
  Expected<std::vector<workflow::Notification>> outbox(bool take);
  Expected<std::vector<workflow::OldCardRecord>> old_cards(bool send_to_dinas);

  // The SLA deadline the server gave for a request it returned on this client (0: none seen).
  std::int64_t deadline_ms(const std::string& request_id) const;

 private:
  Client& client_;
  std::map<std::string, std::int64_t> deadlines_;
};

}  // namespace tunggal::server
