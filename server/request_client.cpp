#include "server/request_client.h"

#include "server/proto/tunggal.pb.h"
#include "server/request_codec.h"

namespace tunggal::server {
namespace {

// Sends one KtpOp (filled by `fill`) and returns the KtpReply.
template <typename Fill>
Expected<wire::KtpReply> ktp_call(Client& c, Fill fill) {
  wire::Request req;
  fill(*req.mutable_ktp());
  wire::Response resp;
  if (Status s = c.call(req, resp); !s) return s;
  if (!resp.has_ktp()) return malformed("server answered a KTP-el request operation with something else");
  return std::move(*resp.mutable_ktp());
}

}  // namespace

namespace {
Expected<std::vector<workflow::Request>> requests_of(const wire::KtpReply& reply,
                                                     std::map<std::string, std::int64_t>& deadlines) {
  std::vector<workflow::Request> out;
  for (const auto& w : reply.requests()) {
    auto r = request_from_wire(w);
    if (!r) return r.error();
    deadlines[r->id] = w.sla_deadline_ms();
    out.push_back(std::move(*r));
  }
  return out;
}

Expected<workflow::Request> one_of(Expected<wire::KtpReply> reply, std::map<std::string, std::int64_t>& deadlines) {
  if (!reply) return reply.error();
  auto all = requests_of(*reply, deadlines);
  if (!all) return all.error();
  if (all->size() != 1) return malformed("server answered a request step with " + std::to_string(all->size()) + " requests");
  return std::move(all->front());
}

void add_docs(const std::vector<workflow::Document>& docs, google::protobuf::RepeatedPtrField<std::string>* out) {
  for (auto d : docs) out->Add(std::string(workflow::to_string(d)));
}
}  // namespace

Expected<workflow::Request> RequestClient::create(const workflow::NewRequest& req) {
  return one_of(ktp_call(client_, [&](wire::KtpOp& op) { new_request_to_wire(req, op.mutable_create()); }), deadlines_);
}

Expected<workflow::Request> RequestClient::verify_documents(const std::string& id,
                                                            const std::vector<workflow::Document>& docs) {
  return one_of(ktp_call(client_,
                         [&](wire::KtpOp& op) {
                           op.mutable_verify_documents()->set_id(id);
                           add_docs(docs, op.mutable_verify_documents()->mutable_documents());
                         }),
                deadlines_);
}

Expected<workflow::Request> RequestClient::record_biometrics(const std::string& id, const std::string& enrollment_id) {
  return one_of(ktp_call(client_,
                         [&](wire::KtpOp& op) {
                           op.mutable_record_biometrics()->set_id(id);
                           op.mutable_record_biometrics()->set_enrollment_id(enrollment_id);
                         }),
                deadlines_);
}

Expected<workflow::Request> RequestClient::refresh(const std::string& id) {
  return one_of(ktp_call(client_, [&](wire::KtpOp& op) { op.mutable_refresh()->set_id(id); }), deadlines_);
}

Expected<std::vector<workflow::Request>> RequestClient::refresh_all() {
  auto reply = ktp_call(client_, [&](wire::KtpOp& op) { op.mutable_refresh(); });
  if (!reply) return reply.error();
  return requests_of(*reply, deadlines_);
}

Expected<workflow::Request> RequestClient::print(const std::string& id, const std::optional<std::string>& pin) {
  return one_of(ktp_call(client_,
                         [&](wire::KtpOp& op) {
                           op.mutable_print()->set_id(id);
                           if (pin) op.mutable_print()->set_pin(*pin);
                         }),
                deadlines_);
}

Expected<workflow::Request> RequestClient::hand_over(const std::string& id,
                                                     const std::vector<workflow::Document>& docs) {
  return one_of(ktp_call(client_,
                         [&](wire::KtpOp& op) {
                           op.mutable_hand_over()->set_id(id);
                           add_docs(docs, op.mutable_hand_over()->mutable_documents());
                         }),
                deadlines_);
}

Expected<workflow::Request> RequestClient::reissue_pin(const std::string& id) {
  return one_of(ktp_call(client_, [&](wire::KtpOp& op) { op.mutable_reissue_pin()->set_id(id); }), deadlines_);
}

Expected<workflow::Request> RequestClient::reject(const std::string& id, const std::string& reason) {
  return one_of(ktp_call(client_,
                         [&](wire::KtpOp& op) {
                           op.mutable_reject()->set_id(id);
                           op.mutable_reject()->set_reason(reason);
                         }),
                deadlines_);
}

Expected<workflow::Request> RequestClient::show(const std::string& id) {
  return one_of(ktp_call(client_, [&](wire::KtpOp& op) { op.mutable_show()->set_id(id); }), deadlines_);
}

Expected<std::vector<workflow::Request>> RequestClient::list(const std::optional<workflow::RequestState>& state,
                                                             bool open_only) {
  auto reply = ktp_call(client_, [&](wire::KtpOp& op) {
    auto* l = op.mutable_list();
    if (state) l->set_state(std::string(workflow::to_string(*state)));
    l->set_open_only(open_only);
  });
  if (!reply) return reply.error();
  return requests_of(*reply, deadlines_);
}

Expected<std::vector<workflow::OverdueRequest>> RequestClient::overdue() {
  auto reply = ktp_call(client_, [&](wire::KtpOp& op) { op.mutable_overdue(); });
  if (!reply) return reply.error();
  std::vector<workflow::OverdueRequest> out;
  for (const auto& w : reply->overdue()) {
    auto r = request_from_wire(w.request());
    if (!r) return r.error();
    deadlines_[r->id] = w.deadline_ms();
    out.push_back({std::move(*r), w.deadline_ms(), w.overdue_by_ms()});
  }
  return out;
}

Expected<std::vector<workflow::Notification>> RequestClient::outbox(bool take) {
  auto reply = ktp_call(client_, [&](wire::KtpOp& op) { op.mutable_outbox()->set_take(take); });
  if (!reply) return reply.error();
  std::vector<workflow::Notification> out;
  for (const auto& n : reply->notifications()) out.push_back(notification_from_wire(n));
  return out;
}

Expected<std::vector<workflow::OldCardRecord>> RequestClient::old_cards(bool send_to_dinas) {
  auto reply = ktp_call(client_, [&](wire::KtpOp& op) { op.mutable_old_cards()->set_send_to_dinas(send_to_dinas); });
  if (!reply) return reply.error();
  std::vector<workflow::OldCardRecord> out;
  for (const auto& c : reply->old_cards()) out.push_back(old_card_from_wire(c));
  return out;
}

std::int64_t RequestClient::deadline_ms(const std::string& request_id) const {
  auto it = deadlines_.find(request_id);
  return it == deadlines_.end() ? 0 : it->second;
}

}  // namespace tunggal::server
