#include "server/request_service.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "admin/workflow_lookup.h"
#include "server/proto/tunggal.pb.h"
#include "server/request_codec.h"
#include "server/wire_codec.h"
#include "workflow/request_state.h"
#include "workflow/verdict_status.h"

namespace tunggal::server {
namespace {

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Penunggalan answers from the engine the server runs, at the moment they are asked: read from its
// store by the same lookup as offline (admin/workflow_lookup.h), so review cases and revocations
// block printing here too. A backend without a store (zero-cost benchmark) answers verdicts only.
class EngineVerdicts final : public workflow::VerdictLookup {
 public:
  explicit EngineVerdicts(const Backend& be)
      : be_(be), store_(be.store() ? admin::workflow_lookup(*be.store()) : nullptr) {}
  workflow::IdentityStatus status(const std::string& enrollment_id) const override {
    if (store_) return store_->status(enrollment_id);
    const EnrollmentId id{enrollment_id};
    auto v = be_.verdict(id);
    if (!v) return {workflow::IdentityStatus::kUnknown, "the engine could not be read: " + v.error().message()};
    bool received = v->has_value();
    if (!received) {
      auto r = be_.received(id);
      received = r && *r;
    }
    return workflow::identity_status(*v, received, enrollment_id);
  }

 private:
  const Backend& be_;
  std::unique_ptr<workflow::VerdictLookup> store_;
};

class Call {
 public:
  Call(workflow::RequestWorkflow& flow, const Backend& be, const RequestCaller& who, std::int64_t now,
       wire::KtpReply* out)
      : flow_(flow), verdicts_(be), who_(who), now_(now), out_(out) {}

  bool mine(const workflow::Request& r) const { return who_.admin || r.site == who_.site; }
  std::optional<std::string> site_filter() const {
    return who_.admin ? std::nullopt : std::optional<std::string>(who_.site);
  }

  // The request, if the caller may operate it. Another site's request is refused without saying
  // whose it is.
  Expected<workflow::Request> owned(const std::string& id) {
    if (id.empty()) return invalid_argument("the request id is missing");
    auto r = flow_.get(id);
    if (!r) return r.error();
    if (!mine(*r)) {
      return Status(ErrorCode::kPermissionDenied,
                    fmt::format("request {} was not registered by site '{}'; a site operates only its own requests",
                                id, who_.site));
    }
    return r;
  }

  Status put(const Expected<workflow::Request>& r) {
    if (!r) return r.error();
    request_to_wire(*r, workflow::sla_deadline_ms(*r, flow_.options().sla), out_->add_requests());
    return Status::ok();
  }

  // The engine id a caller means: sites name their own captures, admins "<site>/<id>".
  Expected<std::string> engine_id(const std::string& id) const {
    if (who_.admin && id.find('/') != std::string::npos) return id;
    if (Status s = check_station_enrollment_id(id); !s) return Status(s.code(), "enrollment_id: " + s.message());
    return engine_enrollment_id(who_.site, id);
  }

  Status run(const wire::KtpOp& op) {
    using Op = wire::KtpOp;
    switch (op.op_case()) {
      case Op::kCreate: {
        auto req = new_request_from_wire(op.create());
        if (!req) return req.error();
        req->site = who_.site;
        return put(flow_.submit(*req, now_));
      }
      case Op::kVerifyDocuments: {
        const auto& m = op.verify_documents();
        auto docs = documents_from_wire(m.documents());
        if (!docs) return docs.error();
        if (auto r = owned(m.id()); !r) return r.error();
        return put(flow_.verify_documents(m.id(), *docs, now_));
      }
      case Op::kRecordBiometrics: {
        const auto& m = op.record_biometrics();
        if (m.enrollment_id().empty()) return invalid_argument("the enrollment id of the biometric capture is missing");
        auto eid = engine_id(m.enrollment_id());
        if (!eid) return eid.error();
        if (auto r = owned(m.id()); !r) return r.error();
        return put(flow_.record_biometrics(m.id(), *eid, verdicts_, now_));
      }
      case Op::kRefresh: {
        const std::string& id = op.refresh().id();
        if (!id.empty()) {
          if (auto r = owned(id); !r) return r.error();
          return put(flow_.refresh(id, verdicts_, now_));
        }
        if (who_.admin) {
          auto changed = flow_.refresh_all(verdicts_, now_);
          if (!changed) return changed.error();
          for (const auto& r : *changed) put(r);
          return Status::ok();
        }
        auto all = flow_.list();
        if (!all) return all.error();
        for (const auto& before : *all) {
          if (!mine(before) || workflow::is_terminal(before.state)) continue;
          auto after = flow_.refresh(before.id, verdicts_, now_);
          if (!after) return after.error();
          if (after->state != before.state) put(after);
        }
        return Status::ok();
      }
      case Op::kPrint: {
        const auto& m = op.print();
        if (auto r = owned(m.id()); !r) return r.error();
        const auto pin = m.pin().empty() ? std::nullopt : std::optional<std::string>(m.pin());
        return put(flow_.print(m.id(), verdicts_, pin, now_));
      }
      case Op::kHandOver: {
        const auto& m = op.hand_over();
        auto docs = documents_from_wire(m.documents());
        if (!docs) return docs.error();
        if (auto r = owned(m.id()); !r) return r.error();
        return put(flow_.hand_over(m.id(), *docs, now_));
      }
      case Op::kReissuePin: {
        if (auto r = owned(op.reissue_pin().id()); !r) return r.error();
        return put(flow_.reissue_pin(op.reissue_pin().id(), now_));
      }
      case Op::kReject: {
        if (auto r = owned(op.reject().id()); !r) return r.error();
        return put(flow_.reject(op.reject().id(), op.reject().reason(), now_));
      }
      case Op::kShow: return put(owned(op.show().id()));
      case Op::kList: {
        std::optional<workflow::RequestState> only;
        if (!op.list().state().empty()) {
          auto s = workflow::parse_request_state(op.list().state());
          if (!s) return invalid_argument("list.state: " + s.error().message());
          only = *s;
        }
        auto all = flow_.list();
        if (!all) return all.error();
        for (const auto& r : *all) {
          if (!mine(r) || (only && r.state != *only)) continue;
          if (op.list().open_only() && workflow::is_terminal(r.state)) continue;
          put(r);
        }
        return Status::ok();
      }
      case Op::kOverdue: {
        auto late = flow_.overdue(now_);
        if (!late) return late.error();
        for (const auto& o : *late) {
          if (!mine(o.request)) continue;
          auto* w = out_->add_overdue();
          request_to_wire(o.request, o.deadline_ms, w->mutable_request());
          w->set_deadline_ms(o.deadline_ms);
          w->set_overdue_by_ms(o.overdue_by_ms);
        }
        return Status::ok();
      }
      case Op::kOutbox: {
        const bool take = op.outbox().take();
        auto msgs = take ? flow_.take_outbox(now_, site_filter()) : flow_.outbox();
        if (!msgs) return msgs.error();
        auto own = own_ids();
        if (!own) return own.error();
        for (auto n : *msgs) {
          if (!among(*own, n.request_id)) continue;
          // Listing shows that a PIN is there, not the PIN: only taking the message hands it over.
          if (!take && !n.secret.empty()) n.secret = "(withheld until taken)";
          notification_to_wire(n, out_->add_notifications());
        }
        return Status::ok();
      }
      case Op::kOldCards: {
        auto cards = op.old_cards().send_to_dinas() ? flow_.send_old_cards_to_dinas(now_, site_filter())
                                                    : flow_.old_cards();
        if (!cards) return cards.error();
        auto own = own_ids();
        if (!own) return own.error();
        for (const auto& c : *cards) {
          if (among(*own, c.request_id)) old_card_to_wire(c, out_->add_old_cards());
        }
        return Status::ok();
      }
      case Op::OP_NOT_SET: break;
    }
    return invalid_argument("the KTP-el request operation is missing or unknown to this server");
  }

 private:
  // The caller's request ids (sorted); nullopt for an admin, who sees all.
  Expected<std::optional<std::vector<std::string>>> own_ids() const {
    if (who_.admin) return std::optional<std::vector<std::string>>();
    auto ids = flow_.request_ids_of_site(who_.site);
    if (!ids) return ids.error();
    return std::optional<std::vector<std::string>>(std::move(*ids));
  }
  static bool among(const std::optional<std::vector<std::string>>& ids, const std::string& id) {
    return !ids || std::binary_search(ids->begin(), ids->end(), id);
  }

  workflow::RequestWorkflow& flow_;
  EngineVerdicts verdicts_;
  const RequestCaller& who_;
  std::int64_t now_;
  wire::KtpReply* out_;
};

}  // namespace

RequestService::RequestService(workflow::RequestWorkflow& flow, Backend& backend, Clock clock)
    : flow_(flow), backend_(backend), clock_(clock ? std::move(clock) : Clock(system_ms)) {}

Status RequestService::handle(const RequestCaller& caller, const wire::KtpOp& op, wire::KtpReply* out) {
  Call call(flow_, backend_, caller, clock_(), out);
  Status s = call.run(op);
  if (!s) out->Clear();
  return s;
}

}  // namespace tunggal::server
