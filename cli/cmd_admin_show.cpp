// `tunggal admin show subject ID | enrollment ID`: one record with its verdict and candidates.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/admin_cli.h"
#include "cli/command_registry.h"
#include "core/finger_position.h"

namespace tunggal::cli {
namespace {

void print_verdict_text(const Verdict& v) {
  std::cout << fmt::format("verdict         {} decided {}", to_string(v.kind), format_utc(v.decided_at_ms));
  if (v.subject.valid()) std::cout << fmt::format(", subject {}", v.subject.value);
  std::cout << "\n";
  if (!v.reject_reason.empty()) std::cout << "  reason        " << v.reject_reason << "\n";
  std::cout << fmt::format("thresholds      duplicate {:.2f}, review {:.2f}\n", v.duplicate_threshold, v.review_threshold);
  if (v.decision != Decision::kNone) {
    std::cout << fmt::format("adjudicated     {} by {} at {}: {}", to_string(v.decision), v.decided_by,
                             format_utc(v.adjudicated_at_ms), v.decision_reason);
    if (v.linked_subject.valid()) std::cout << fmt::format(" (linked to subject {})", v.linked_subject.value);
    std::cout << "\n";
  }
  for (const Candidate& c : v.candidates) std::cout << "  candidate     " << candidate_text(c) << "\n";
}

int show_subject(const engine::Store& s, const std::string& id_text, bool json) {
  std::uint64_t id = 0;
  try {
    std::size_t used = 0;
    id = std::stoull(id_text, &used);
    if (used != id_text.size()) throw std::invalid_argument("");
  } catch (const std::exception&) {
    return admin_failure("show", invalid_argument(fmt::format("'{}' is not a subject id (a number)", id_text)));
  }
  auto rec = s.subject(SubjectId{id});
  if (!rec) return admin_failure("show", rec.error());
  if (!*rec) return admin_failure("show", not_found(fmt::format("no subject {}", id)));
  const engine::SubjectRecord& r = **rec;
  auto full = s.load_subject(r.id);
  if (!full) return admin_failure("show", full.error());
  auto verdict = s.verdict(r.enrollment);
  if (!verdict) return admin_failure("show", verdict.error());
  auto cases = admin::list_cases(s);
  if (!cases) return admin_failure("show", cases.error());
  const bool active = r.state == engine::SubjectState::kActive;
  if (json) {
    nlohmann::json fingers = nlohmann::json::array();
    if (*full)
      for (const FingerTemplate& f : (*full)->fingers)
        fingers.push_back({{"position", static_cast<int>(f.position)}, {"minutiae", f.minutiae.size()}});
    nlohmann::json rc = nlohmann::json::array();
    for (const auto& c : *cases)
      if (c.a == r.id || c.b == r.id) rc.push_back(case_json(c));
    nlohmann::json j{{"subject", r.id.value},
                     {"state", active ? "ACTIVE" : "REVOKED"},
                     {"nik", r.nik},
                     {"site", r.site},
                     {"enrollment", r.enrollment.value},
                     {"enrolled_at_ms", r.enrolled_at_ms},
                     {"fingers", fingers},
                     {"has_face", *full && (*full)->face.has_value()},
                     {"review_cases", rc}};
    if (!active) {
      j["revoked_reason"] = r.revoked_reason;
      j["revoked_at_ms"] = r.revoked_at_ms;
    }
    if (*verdict) j["verdict"] = verdict_json(**verdict);
    std::cout << j.dump() << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("subject         {} ({})\n", r.id.value, active ? "ACTIVE" : "REVOKED");
  if (!active) std::cout << fmt::format("revoked         {}: {}\n", format_utc(r.revoked_at_ms), r.revoked_reason);
  std::cout << fmt::format("NIK             {}\nsite            {}\nenrollment      {}\nenrolled        {}\n", r.nik, r.site,
                           r.enrollment.value, format_utc(r.enrolled_at_ms));
  if (*full) {
    std::cout << "fingers        ";
    for (const FingerTemplate& f : (*full)->fingers)
      std::cout << fmt::format(" {}({})", finger_name(f.position), f.minutiae.size());
    std::cout << fmt::format("\nface            {}\n", (*full)->face ? "yes" : "no");
  }
  if (*verdict) print_verdict_text(**verdict);
  else std::cout << "verdict         none (imported without a 1:N search)\n";
  for (const auto& c : *cases)
    if (c.a == r.id || c.b == r.id)
      std::cout << fmt::format("review case     {} {} score {:.2f} {}\n", c.id(), to_string(c.kind), c.evidence.score,
                               c.decision == Decision::kNone ? "open" : std::string(to_string(c.decision)));
  return kExitOk;
}

int show_enrollment(const engine::Store& s, const std::string& id, bool json) {
  auto rec = s.enrollment(EnrollmentId{id});
  if (!rec) return admin_failure("show", rec.error());
  auto verdict = s.verdict(EnrollmentId{id});
  if (!verdict) return admin_failure("show", verdict.error());
  if (!*rec && !*verdict) return admin_failure("show", not_found(fmt::format("no enrollment {}", id)));
  if (json) {
    nlohmann::json j{{"enrollment", id}};
    if (*rec) {
      const Enrollment& e = (*rec)->enrollment;
      j["state"] = (*rec)->state == engine::JobState::kPending ? "PENDING" : "DECIDED";
      j["site"] = e.site;
      j["nik"] = e.nik.str();
      j["received_at_ms"] = (*rec)->received_at_ms;
      j["capture_time_ms"] = e.capture_time_ms;
      j["fingers"] = e.fingers.size();
      j["has_face"] = e.face.has_value();
    }
    if (*verdict) j["verdict"] = verdict_json(**verdict);
    std::cout << j.dump() << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("enrollment      {}\n", id);
  if (*rec) {
    const Enrollment& e = (*rec)->enrollment;
    std::cout << fmt::format("state           {}\nsite            {}\nNIK             {}\nreceived        {}\n",
                             (*rec)->state == engine::JobState::kPending ? "PENDING (waiting for a verdict)" : "DECIDED",
                             e.site, e.nik.str(), format_utc((*rec)->received_at_ms));
    std::cout << fmt::format("biometrics      {} fingers, face {}\n", e.fingers.size(), e.face ? "yes" : "no");
  }
  if (*verdict) print_verdict_text(**verdict);
  return kExitOk;
}

RegisterCommand reg{{"admin show", "show a subject or an enrollment: record, verdict, candidates with scores",
                     [](CLI::App& cmd) {
  auto a = std::make_shared<AdminArgs>();
  auto what = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>();
  add_admin_options(cmd, *a);
  cmd.add_option("what", *what, "subject or enrollment")->required()->check(CLI::IsMember({"subject", "enrollment"}));
  cmd.add_option("id", *id, "subject id (a number) or enrollment id (as the station sent it)")->required();
  cmd.footer(R"(
Candidates are listed best first with the fused score (log10 likelihood ratio) and the per-finger
(positions 1-10: right thumb .. left little) and face similarities behind it.
Exit codes: 0 shown; 4 no such record; 2 bad id; 3 no gallery in --data-dir.

Examples:
  tunggal admin show subject 1042 --data-dir /srv/tunggal
  tunggal admin show enrollment 3273-KEC-SUKAJADI-01-000123 --data-dir /srv/tunggal --json)");
  return [a, what, id]() {
    auto store = open_admin_store(a->data_dir, false);
    if (!store) return admin_failure("show", store.error());
    return *what == "subject" ? show_subject(**store, *id, a->json) : show_enrollment(**store, *id, a->json);
  };
}}};

}  // namespace
}  // namespace tunggal::cli
