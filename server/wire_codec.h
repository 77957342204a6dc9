#pragma once
// Conversions between the wire messages (server/proto/tunggal.proto) and the engine's types, and
// the naming of enrollments across sites. Included by the server's own sources, its tests and the
// fuzzer only: the generated protobuf header stays out of everything else.
#include <string>
#include <string_view>

#include "core/enrollment.h"
#include "core/status.h"
#include "core/verdict.h"
#include "server/proto/tunggal.pb.h"

namespace tunggal::server {

inline constexpr std::uint32_t kProtocolVersion = wire::VERSION_1;
inline constexpr std::size_t kMaxMinutiaePerFinger = 512;

// One frame payload as a Request: kMalformedRecord when the bytes are not one, or carry no body.
Expected<wire::Request> parse_request(std::string_view payload);
Expected<wire::Response> parse_response(std::string_view payload);

// Sites are named by their certificate CN: 1-64 characters of [A-Za-z0-9._-].
Status check_site_id(std::string_view site);
// Enrollment ids chosen by stations are unique per site only, so the engine sees them as
// "<site>/<id>": two sites can use the same id, and a site can only ever address its own.
Status check_station_enrollment_id(std::string_view id);
std::string engine_enrollment_id(std::string_view site, std::string_view station_id);
// The site of an engine id ("" when it has no site prefix).
std::string_view site_of(std::string_view engine_id);
// What a site calls the enrollment (the engine id without "<site>/").
std::string_view station_id_of(std::string_view engine_id);

// A wire enrollment as an engine Enrollment for `site`, named engine_id. Everything the wire
// format allows but the engine cannot represent (ragged minutiae columns, coordinates beyond
// 16 bits, NaN, an invalid NIK, a zero face) is kInvalidArgument with the field named. Fingers sent
// as images come back in Enrollment::finger_images, still to be extracted.
Expected<Enrollment> enrollment_from_wire(const wire::Enrollment& in, std::string_view site, std::string engine_id);
void enrollment_to_wire(const Enrollment& in, wire::Enrollment* out);

// `shown_id` is the id the receiver knows the enrollment by; sites get no candidate subjects and
// no adjudicator details (other people's data), admins get everything.
void verdict_to_wire(const Verdict& v, std::string_view shown_id, std::string_view site, bool admin,
                     wire::Verdict* out);
Verdict verdict_from_wire(const wire::Verdict& in);

}  // namespace tunggal::server
