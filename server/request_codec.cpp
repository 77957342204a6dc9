#include "server/request_codec.h"

namespace tunggal::server {
namespace {

std::string date_text(const workflow::Date& d) { return d.year == 0 ? std::string() : d.str(); }

// A name from the wire as an enum value; `what` names the field in the error.
template <typename E>
Expected<E> named(const std::string& text, const char* what, Expected<E> (*parse)(std::string_view), ErrorCode code) {
  auto v = parse(text);
  if (!v) return Status(code, std::string(what) + ": " + v.error().message());
  return *v;
}

}  // namespace

void applicant_to_wire(const workflow::Applicant& a, wire::KtpApplicant* out) {
  out->set_nik(a.nik.str());
  out->set_name(a.name);
  out->set_birth_date(date_text(a.birth_date));
  out->set_marital_status(std::string(workflow::to_string(a.marital_status)));
  out->set_email(a.email);
}

Expected<workflow::Applicant> applicant_from_wire(const wire::KtpApplicant& in) {
  workflow::Applicant a;
  auto nik = Nik::parse(in.nik());
  if (!nik) return invalid_argument("applicant.nik: " + nik.error().message());
  a.nik = *nik;
  a.name = in.name();
  auto birth = workflow::Date::parse(in.birth_date());
  if (!birth) return invalid_argument("applicant.birth_date: " + birth.error().message());
  a.birth_date = *birth;
  if (!in.marital_status().empty()) {
    auto m = named(in.marital_status(), "applicant.marital_status", workflow::parse_marital_status,
                   ErrorCode::kInvalidArgument);
    if (!m) return m.error();
    a.marital_status = *m;
  }
  a.email = in.email();
  return a;
}

Expected<std::vector<workflow::Document>> documents_from_wire(
    const google::protobuf::RepeatedPtrField<std::string>& names) {
  std::vector<workflow::Document> docs;
  for (const std::string& n : names) {
    auto d = named(n, "documents", workflow::parse_document, ErrorCode::kInvalidArgument);
    if (!d) return d.error();
    docs.push_back(*d);
  }
  return docs;
}

Expected<workflow::NewRequest> new_request_from_wire(const wire::KtpCreate& in) {
  workflow::NewRequest req;
  auto service = named(in.service(), "service", workflow::parse_service, ErrorCode::kInvalidArgument);
  if (!service) return service.error();
  req.service = *service;
  if (!in.reason().empty()) {
    auto reason = named(in.reason(), "reason", workflow::parse_reason, ErrorCode::kInvalidArgument);
    if (!reason) return reason.error();
    req.reason = *reason;
  }
  if (!in.channel().empty()) {
    auto channel = named(in.channel(), "channel", workflow::parse_channel, ErrorCode::kInvalidArgument);
    if (!channel) return channel.error();
    req.channel = *channel;
  }
  auto applicant = applicant_from_wire(in.applicant());
  if (!applicant) return applicant.error();
  req.applicant = std::move(*applicant);
  auto docs = documents_from_wire(in.documents());
  if (!docs) return docs.error();
  req.documents = std::move(*docs);
  return req;
}

void new_request_to_wire(const workflow::NewRequest& in, wire::KtpCreate* out) {
  out->set_service(std::string(workflow::to_string(in.service)));
  out->set_reason(std::string(workflow::to_string(in.reason)));
  out->set_channel(std::string(workflow::to_string(in.channel)));
  applicant_to_wire(in.applicant, out->mutable_applicant());
  for (auto d : in.documents) out->add_documents(std::string(workflow::to_string(d)));
}

void request_to_wire(const workflow::Request& r, std::int64_t sla_deadline_ms, wire::KtpRequest* out) {
  out->set_id(r.id);
  out->set_register_number(r.register_number);
  out->set_site(r.site);
  out->set_service(std::string(workflow::to_string(r.service)));
  out->set_reason(std::string(workflow::to_string(r.reason)));
  out->set_channel(std::string(workflow::to_string(r.channel)));
  applicant_to_wire(r.applicant, out->mutable_applicant());
  for (auto d : r.documents) out->add_documents(std::string(workflow::to_string(d)));
  out->set_state(std::string(workflow::to_string(r.state)));
  out->set_enrollment_id(r.enrollment_id);
  out->set_submitted_at_ms(r.submitted_at_ms);
  out->set_request_date(date_text(r.request_date));
  out->set_fee_rupiah(r.fee_rupiah);
  out->set_note(r.note);
  for (const auto& h : r.history) {
    auto* w = out->add_history();
    w->set_from(std::string(workflow::to_string(h.from)));
    w->set_to(std::string(workflow::to_string(h.to)));
    w->set_at_ms(h.at_ms);
    w->set_note(h.note);
  }
  out->set_sla_deadline_ms(sla_deadline_ms);
}

Expected<workflow::Request> request_from_wire(const wire::KtpRequest& in) {
  constexpr auto bad = ErrorCode::kMalformedRecord;
  workflow::Request r;
  r.id = in.id();
  r.register_number = in.register_number();
  r.site = in.site();
  auto service = named(in.service(), "request.service", workflow::parse_service, bad);
  if (!service) return service.error();
  r.service = *service;
  auto reason = named(in.reason(), "request.reason", workflow::parse_reason, bad);
  if (!reason) return reason.error();
  r.reason = *reason;
  auto channel = named(in.channel(), "request.channel", workflow::parse_channel, bad);
  if (!channel) return channel.error();
  r.channel = *channel;
  if (!in.applicant().nik().empty()) {
    auto a = applicant_from_wire(in.applicant());
    if (!a) return Status(bad, "request." + a.error().message());
    r.applicant = std::move(*a);
  }
  auto docs = documents_from_wire(in.documents());
  if (!docs) return Status(bad, "request." + docs.error().message());
  r.documents = std::move(*docs);
  auto state = named(in.state(), "request.state", workflow::parse_request_state, bad);
  if (!state) return state.error();
  r.state = *state;
  r.enrollment_id = in.enrollment_id();
  r.submitted_at_ms = in.submitted_at_ms();
  if (!in.request_date().empty()) {
    auto d = workflow::Date::parse(in.request_date());
    if (!d) return Status(bad, "request.request_date: " + d.error().message());
    r.request_date = *d;
  }
  r.fee_rupiah = in.fee_rupiah();
  r.note = in.note();
  for (const auto& h : in.history()) {
    auto from = named(h.from(), "request.history.from", workflow::parse_request_state, bad);
    if (!from) return from.error();
    auto to = named(h.to(), "request.history.to", workflow::parse_request_state, bad);
    if (!to) return to.error();
    r.history.push_back({*from, *to, h.at_ms(), h.note()});
  }
  return r;
}

void notification_to_wire(const workflow::Notification& n, wire::KtpNotification* out) {
  out->set_id(n.id);
  out->set_request_id(n.request_id);
  out->set_recipient(n.recipient);
  out->set_subject(n.subject);
  out->set_body(n.body);
  out->set_secret(n.secret);
  out->set_created_at_ms(n.created_at_ms);
  out->set_taken_at_ms(n.taken_at_ms);
}

workflow::Notification notification_from_wire(const wire::KtpNotification& in) {
  workflow::Notification n;
  n.id = in.id();
  n.request_id = in.request_id();
  n.recipient = in.recipient();
  n.subject = in.subject();
  n.body = in.body();
  n.secret = in.secret();
  n.created_at_ms = in.created_at_ms();
  n.taken_at_ms = in.taken_at_ms();
  return n;
}

void old_card_to_wire(const workflow::OldCardRecord& c, wire::KtpOldCard* out) {
  out->set_request_id(c.request_id);
  out->set_nik(c.nik);
  out->set_reason(c.reason);
  out->set_retracted(c.retracted);
  out->set_received_at_ms(c.received_at_ms);
  out->set_sent_to_dinas_at_ms(c.sent_to_dinas_at_ms);
}

workflow::OldCardRecord old_card_from_wire(const wire::KtpOldCard& in) {
  workflow::OldCardRecord c;
  c.request_id = in.request_id();
  c.nik = in.nik();
  c.reason = in.reason();
  c.retracted = in.retracted();
  c.received_at_ms = in.received_at_ms();
  c.sent_to_dinas_at_ms = in.sent_to_dinas_at_ms();
  return c;
}

}  // namespace tunggal::server
