#include "workflow/detail/record_json.h"

#include <string>

namespace tunggal::workflow::detail {
namespace {

using nlohmann::json;

// Decoding a value of an enum by its stable name; a bad name in a stored record is corruption.
template <typename E>
E decode_enum(const json& j, const char* key, Expected<E> (*parse)(std::string_view)) {
  auto v = parse(j.at(key).get<std::string>());
  if (!v) throw std::runtime_error(std::string("field '") + key + "': " + v.error().message());
  return *v;
}

Date decode_date(const json& j, const char* key) {
  const auto text = j.at(key).get<std::string>();
  if (text.empty()) return Date{};
  auto d = Date::parse(text);
  if (!d) throw std::runtime_error(std::string("field '") + key + "': " + d.error().message());
  return *d;
}

std::string date_text(const Date& d) { return d.year == 0 ? std::string() : d.str(); }

template <typename T, typename F>
Expected<T> decoding(const char* what, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return corruption(std::string("stored ") + what + " does not decode: " + e.what());
  }
}

}  // namespace

json to_json(const Request& r) {
  json docs = json::array();
  for (Document d : r.documents) docs.push_back(to_string(d));
  json history = json::array();
  for (const auto& h : r.history) {
    history.push_back({{"from", to_string(h.from)}, {"to", to_string(h.to)}, {"at_ms", h.at_ms}, {"note", h.note}});
  }
  return {
      {"id", r.id},
      {"register_number", r.register_number},
      {"site", r.site},
      {"service", to_string(r.service)},
      {"reason", to_string(r.reason)},
      {"channel", to_string(r.channel)},
      {"applicant",
       {{"nik", r.applicant.nik.str()},
        {"name", r.applicant.name},
        {"birth_date", date_text(r.applicant.birth_date)},
        {"marital_status", to_string(r.applicant.marital_status)},
        {"email", r.applicant.email}}},
      {"documents", docs},
      {"state", to_string(r.state)},
      {"enrollment_id", r.enrollment_id},
      {"submitted_at_ms", r.submitted_at_ms},
      {"request_date", date_text(r.request_date)},
      {"fee_rupiah", r.fee_rupiah},
      {"note", r.note},
      {"history", history},
  };
}

Expected<Request> request_from_json(const json& j) {
  return decoding<Request>("request", [&] {
    Request r;
    r.id = j.at("id").get<std::string>();
    r.register_number = j.at("register_number").get<std::string>();
    r.site = j.value("site", std::string());  // absent in records written before sites existed
    r.service = decode_enum<Service>(j, "service", parse_service);
    r.reason = decode_enum<Reason>(j, "reason", parse_reason);
    r.channel = decode_enum<Channel>(j, "channel", parse_channel);
    const json& a = j.at("applicant");
    const auto nik_text = a.at("nik").get<std::string>();
    if (!nik_text.empty()) {
      auto nik = Nik::parse(nik_text);
      if (!nik) throw std::runtime_error("field 'nik': " + nik.error().message());
      r.applicant.nik = *nik;
    }
    r.applicant.name = a.at("name").get<std::string>();
    r.applicant.birth_date = decode_date(a, "birth_date");
    r.applicant.marital_status = decode_enum<MaritalStatus>(a, "marital_status", parse_marital_status);
    r.applicant.email = a.at("email").get<std::string>();
    for (const auto& d : j.at("documents")) {
      auto doc = parse_document(d.get<std::string>());
      if (!doc) throw std::runtime_error("field 'documents': " + doc.error().message());
      r.documents.push_back(*doc);
    }
    r.state = decode_enum<RequestState>(j, "state", parse_request_state);
    r.enrollment_id = j.at("enrollment_id").get<std::string>();
    r.submitted_at_ms = j.at("submitted_at_ms").get<std::int64_t>();
    r.request_date = decode_date(j, "request_date");
    r.fee_rupiah = j.at("fee_rupiah").get<std::int64_t>();
    r.note = j.at("note").get<std::string>();
    for (const auto& h : j.at("history")) {
      r.history.push_back({decode_enum<RequestState>(h, "from", parse_request_state),
                           decode_enum<RequestState>(h, "to", parse_request_state),
                           h.at("at_ms").get<std::int64_t>(), h.at("note").get<std::string>()});
    }
    return r;
  });
}

json to_json(const PrintPin& p) {
  return {{"request_id", p.request_id},       {"salt", p.salt_hex},
          {"hash", p.hash_hex},               {"issued_at_ms", p.issued_at_ms},
          {"expires_at_ms", p.expires_at_ms}, {"failed_attempts", p.failed_attempts},
          {"used", p.used}};
}

Expected<PrintPin> pin_from_json(const json& j) {
  return decoding<PrintPin>("print PIN", [&] {
    PrintPin p;
    p.request_id = j.at("request_id").get<std::string>();
    p.salt_hex = j.at("salt").get<std::string>();
    p.hash_hex = j.at("hash").get<std::string>();
    p.issued_at_ms = j.at("issued_at_ms").get<std::int64_t>();
    p.expires_at_ms = j.at("expires_at_ms").get<std::int64_t>();
    p.failed_attempts = j.at("failed_attempts").get<int>();
    p.used = j.at("used").get<bool>();
    return p;
  });
}

json to_json(const Notification& n) {
  return {{"id", n.id},
          {"request_id", n.request_id},
          {"recipient", n.recipient},
          {"subject", n.subject},
          {"body", n.body},
          {"secret", n.secret},
          {"created_at_ms", n.created_at_ms},
          {"taken_at_ms", n.taken_at_ms}};
}

Expected<Notification> notification_from_json(const json& j) {
  return decoding<Notification>("notification", [&] {
    Notification n;
    n.id = j.at("id").get<std::uint64_t>();
    n.request_id = j.at("request_id").get<std::string>();
    n.recipient = j.at("recipient").get<std::string>();
    n.subject = j.at("subject").get<std::string>();
    n.body = j.at("body").get<std::string>();
    n.secret = j.at("secret").get<std::string>();
    n.created_at_ms = j.at("created_at_ms").get<std::int64_t>();
    n.taken_at_ms = j.at("taken_at_ms").get<std::int64_t>();
    return n;
  });
}

json to_json(const OldCardRecord& c) {
  return {{"request_id", c.request_id},         {"nik", c.nik},
          {"reason", c.reason},                 {"retracted", c.retracted},
          {"received_at_ms", c.received_at_ms}, {"sent_to_dinas_at_ms", c.sent_to_dinas_at_ms}};
}

Expected<OldCardRecord> old_card_from_json(const json& j) {
  return decoding<OldCardRecord>("old-card record", [&] {
    OldCardRecord c;
    c.request_id = j.at("request_id").get<std::string>();
    c.nik = j.at("nik").get<std::string>();
    c.reason = j.at("reason").get<std::string>();
    c.retracted = j.at("retracted").get<bool>();
    c.received_at_ms = j.at("received_at_ms").get<std::int64_t>();
    c.sent_to_dinas_at_ms = j.at("sent_to_dinas_at_ms").get<std::int64_t>();
    return c;
  });
}

}  // namespace tunggal::workflow::detail
