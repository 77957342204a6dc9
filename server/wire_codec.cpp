#include "server/wire_codec.h"

#include <cmath>
#include <numbers>

#include <fmt/format.h>

namespace tunggal::server {
namespace {

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

}  // namespace

Expected<wire::Request> parse_request(std::string_view payload) {
  wire::Request r;
  if (!r.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
    return malformed(fmt::format("frame of {} bytes is not a tunggal.wire.Request", payload.size()));
  if (r.body_case() == wire::Request::BODY_NOT_SET)
    return malformed("request has no operation (unknown to this server, or empty)");
  return r;
}

Expected<wire::Response> parse_response(std::string_view payload) {
  wire::Response r;
  if (!r.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
    return malformed(fmt::format("frame of {} bytes is not a tunggal.wire.Response", payload.size()));
  return r;
}

Status check_site_id(std::string_view site) {
  if (site.empty() || site.size() > 64)
    return invalid_argument(fmt::format("site id must have 1-64 characters, got {}", site.size()));
  for (char c : site)
    if (!id_char(c)) return invalid_argument(fmt::format("site id '{}' may only use A-Z a-z 0-9 . _ -", site));
  return Status::ok();
}

Status check_station_enrollment_id(std::string_view id) {
  if (id.empty() || id.size() > 60)
    return invalid_argument(fmt::format("enrollment id must have 1-60 characters, got {}", id.size()));
  for (char c : id)
    if (!id_char(c) && c != ':')
      return invalid_argument(fmt::format("enrollment id '{}' may only use A-Z a-z 0-9 . _ - :", id));
  return Status::ok();
}

std::string engine_enrollment_id(std::string_view site, std::string_view station_id) {
  std::string s;
  s.reserve(site.size() + 1 + station_id.size());
  s.append(site).append("/").append(station_id);
  return s;
}

std::string_view site_of(std::string_view engine_id) {
  const auto slash = engine_id.find('/');
  return slash == std::string_view::npos ? std::string_view{} : engine_id.substr(0, slash);
}

std::string_view station_id_of(std::string_view engine_id) {
  const auto slash = engine_id.find('/');
  return slash == std::string_view::npos ? engine_id : engine_id.substr(slash + 1);
}

Expected<Enrollment> enrollment_from_wire(const wire::Enrollment& in, std::string_view site, std::string engine_id) {
  Enrollment e;
  e.id = EnrollmentId{std::move(engine_id)};
  e.site = std::string(site);
  const std::string& id = in.id();
  auto nik = Nik::parse(in.nik());
  if (!nik) return invalid_argument(fmt::format("enrollment {}: nik: {}", id, nik.error().message()));
  e.nik = std::move(*nik);
  e.capture_time_ms = in.capture_time_ms();
  if (in.fingers_size() > kFingerCount)
    return invalid_argument(fmt::format("enrollment {}: {} fingers; at most 10", id, in.fingers_size()));
  e.fingers.reserve(static_cast<std::size_t>(in.fingers_size()));
  for (const wire::Finger& f : in.fingers()) {
    const int n = f.x_size();
    if (!f.image().empty()) {
      // An image instead of minutiae: extracted by the server before the engine sees it.
      if (n != 0 || f.y_size() != 0 || f.angle_size() != 0 || f.type_size() != 0 || f.minutia_quality_size() != 0)
        return invalid_argument(fmt::format("enrollment {}: finger {}: carries both an image and minutiae; send one",
                                            id, f.position()));
      if (f.position() < 1 || f.position() > 10)
        return invalid_argument(fmt::format("enrollment {}: finger position {} (must be 1-10)", id, f.position()));
      if (f.image_ppi() != 0 && (f.image_ppi() < kMinImagePpi || f.image_ppi() > kMaxImagePpi))
        return invalid_argument(fmt::format("enrollment {}: finger {}: image_ppi {} outside {}..{}", id, f.position(),
                                            f.image_ppi(), kMinImagePpi, kMaxImagePpi));
      FingerImage img;
      img.position = static_cast<FingerPosition>(f.position());
      img.encoded.assign(f.image().begin(), f.image().end());
      img.resolution_ppi = static_cast<std::uint16_t>(f.image_ppi() ? f.image_ppi() : 500);
      e.finger_images.push_back(std::move(img));
      continue;
    }
    if (f.y_size() != n || f.angle_size() != n || (f.type_size() != 0 && f.type_size() != n) ||
        (f.minutia_quality_size() != 0 && f.minutia_quality_size() != n))
      return invalid_argument(fmt::format(
          "enrollment {}: finger {}: minutiae columns differ in length (x {}, y {}, angle {}, type {}, quality {})", id,
          f.position(), n, f.y_size(), f.angle_size(), f.type_size(), f.minutia_quality_size()));
    if (static_cast<std::size_t>(n) > kMaxMinutiaePerFinger)
      return invalid_argument(
          fmt::format("enrollment {}: finger {}: {} minutiae; at most {}", id, f.position(), n, kMaxMinutiaePerFinger));
    if (f.position() < 1 || f.position() > 10)
      return invalid_argument(fmt::format("enrollment {}: finger position {} (must be 1-10)", id, f.position()));
    if (f.width() > 0xffff || f.height() > 0xffff || f.resolution_x() > 0xffff || f.resolution_y() > 0xffff ||
        f.quality() > 100)
      return invalid_argument(fmt::format("enrollment {}: finger {}: frame size, resolution or quality out of range", id,
                                          f.position()));
    FingerTemplate t;
    t.position = static_cast<FingerPosition>(f.position());
    t.width = static_cast<std::uint16_t>(f.width());
    t.height = static_cast<std::uint16_t>(f.height());
    t.resolution_x = static_cast<std::uint16_t>(f.resolution_x() ? f.resolution_x() : 197);
    t.resolution_y = static_cast<std::uint16_t>(f.resolution_y() ? f.resolution_y() : 197);
    t.quality = static_cast<std::uint8_t>(f.quality());
    t.minutiae.resize(static_cast<std::size_t>(n));
    for (int k = 0; k < n; ++k) {
      Minutia& m = t.minutiae[static_cast<std::size_t>(k)];
      const std::uint32_t x = f.x(k), y = f.y(k);
      const float a = f.angle(k);
      const std::uint32_t type = f.type_size() ? f.type(k) : 0;
      const std::uint32_t q = f.minutia_quality_size() ? f.minutia_quality(k) : 0;
      if (x > 0xffff || y > 0xffff || !std::isfinite(a) || type > 2 || q > 100)
        return invalid_argument(fmt::format(
            "enrollment {}: finger {}: minutia {} out of range (x {}, y {}, angle {}, type {}, quality {})", id,
            f.position(), k, x, y, a, type, q));
      m.x = static_cast<std::uint16_t>(x);
      m.y = static_cast<std::uint16_t>(y);
      m.angle = a;
      m.type = static_cast<MinutiaType>(type);
      m.quality = static_cast<std::uint8_t>(q);
    }
    e.fingers.push_back(std::move(t));
  }
  if (in.face_size() > 0) {
    auto face = FaceEmbedding::make(std::span<const float>(in.face().data(), static_cast<std::size_t>(in.face_size())));
    if (!face) return invalid_argument(fmt::format("enrollment {}: face: {}", id, face.error().message()));
    e.face = std::move(*face);
  }
  // The engine's own structural checks (positions unique, minutiae inside the frame, angles);
  // images stay until the server has extracted them (ingest/enrollment_images.h).
  if (Status s = validate(e, FingerImages::kImagesAllowed); !s) return s;
  return e;
}

void enrollment_to_wire(const Enrollment& in, wire::Enrollment* out) {
  out->set_id(std::string(station_id_of(in.id.value)));
  out->set_nik(in.nik.str());
  out->set_capture_time_ms(in.capture_time_ms);
  for (const FingerTemplate& t : in.fingers) {
    wire::Finger* f = out->add_fingers();
    f->set_position(static_cast<std::uint32_t>(t.position));
    f->set_width(t.width);
    f->set_height(t.height);
    f->set_resolution_x(t.resolution_x);
    f->set_resolution_y(t.resolution_y);
    f->set_quality(t.quality);
    const int n = static_cast<int>(t.minutiae.size());
    f->mutable_x()->Reserve(n);
    f->mutable_y()->Reserve(n);
    f->mutable_angle()->Reserve(n);
    f->mutable_type()->Reserve(n);
    f->mutable_minutia_quality()->Reserve(n);
    for (const Minutia& m : t.minutiae) {
      f->add_x(m.x);
      f->add_y(m.y);
      f->add_angle(m.angle);
      f->add_type(static_cast<std::uint32_t>(m.type));
      f->add_minutia_quality(m.quality);
    }
  }
  for (const FingerImage& img : in.finger_images) {
    wire::Finger* f = out->add_fingers();
    f->set_position(static_cast<std::uint32_t>(img.position));
    f->set_image(img.encoded.data(), img.encoded.size());
    if (img.resolution_ppi != 500) f->set_image_ppi(img.resolution_ppi);
  }
  if (in.face) out->mutable_face()->Add(in.face->values().begin(), in.face->values().end());
}

void verdict_to_wire(const Verdict& v, std::string_view shown_id, std::string_view site, bool admin,
                     wire::Verdict* out) {
  out->set_enrollment_id(std::string(shown_id));
  out->set_site(std::string(site));
  out->set_kind(static_cast<wire::VerdictKind>(v.kind));
  out->set_subject(v.subject.value);
  out->set_reject_reason(v.reject_reason);
  out->set_duplicate_threshold(v.duplicate_threshold);
  out->set_review_threshold(v.review_threshold);
  out->set_decided_at_ms(v.decided_at_ms);
  out->set_decision(static_cast<wire::Decision>(v.decision));
  out->set_adjudicated_at_ms(v.adjudicated_at_ms);
  if (!admin) return;
  out->set_linked_subject(v.linked_subject.value);
  out->set_decided_by(v.decided_by);
  out->set_decision_reason(v.decision_reason);
  for (const Candidate& c : v.candidates) {
    wire::Candidate* w = out->add_candidates();
    w->set_subject(c.subject.value);
    w->set_score(c.score);
    w->mutable_finger_scores()->Add(c.finger_scores.begin(), c.finger_scores.end());
    w->set_face_score(c.face_score);
    if (!std::isnan(c.face_led_score)) w->set_face_led_score(c.face_led_score);
  }
}

Verdict verdict_from_wire(const wire::Verdict& in) {
  Verdict v;
  v.enrollment = EnrollmentId{in.enrollment_id()};
  v.kind = in.kind() >= 0 && in.kind() <= 3 ? static_cast<VerdictKind>(in.kind()) : VerdictKind::kRejected;
  v.subject = SubjectId{in.subject()};
  v.reject_reason = in.reject_reason();
  v.duplicate_threshold = in.duplicate_threshold();
  v.review_threshold = in.review_threshold();
  v.decided_at_ms = in.decided_at_ms();
  v.decision = in.decision() >= 0 && in.decision() <= 2 ? static_cast<Decision>(in.decision()) : Decision::kNone;
  v.linked_subject = SubjectId{in.linked_subject()};
  v.decided_by = in.decided_by();
  v.decision_reason = in.decision_reason();
  v.adjudicated_at_ms = in.adjudicated_at_ms();
  for (const wire::Candidate& w : in.candidates()) {
    Candidate c;
    c.subject = SubjectId{w.subject()};
    c.score = w.score();
    for (int i = 0; i < std::min(w.finger_scores_size(), kFingerCount); ++i) c.finger_scores[static_cast<std::size_t>(i)] = w.finger_scores(i);
    c.face_score = w.face_score();
    if (w.has_face_led_score()) c.face_led_score = w.face_led_score();
    v.candidates.push_back(c);
  }
  return v;
}

}  // namespace tunggal::server
