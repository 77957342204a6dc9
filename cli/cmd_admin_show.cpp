// `tunggal admin show subject ID | enrollment ID`: one record with its verdict and candidates.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/admin_cli.h"
#include "cli/command_registry.h"
#include "core/finger_position.h"
#include "core/json_text.h"

namespace tunggal::cli {
namespace {

using nlohmann::json;

void print_subject(const json& j) {
  const bool active = j["state"] == "ACTIVE";
  std::cout << fmt::format("subject         {} ({})\n", j["subject"].get<std::uint64_t>(), j["state"].get<std::string>());
  if (!active)
    std::cout << fmt::format("revoked         {}: {}\n", format_utc(j.value("revoked_at_ms", std::int64_t{0})),
                             j.value("revoked_reason", ""));
  std::cout << fmt::format("NIK             {}\nsite            {}\nenrollment      {}\nenrolled        {}\n",
                           j["nik"].get<std::string>(), j["site"].get<std::string>(), j["enrollment"].get<std::string>(),
                           format_utc(j["enrolled_at_ms"].get<std::int64_t>()));
  if (!j["fingers"].empty()) {
    std::cout << "fingers        ";
    for (const auto& f : j["fingers"])
      std::cout << fmt::format(" {}({})", finger_name(static_cast<FingerPosition>(f["position"].get<int>())),
                               f["minutiae"].get<std::uint64_t>());
    std::cout << fmt::format("\nface            {}\n", j["has_face"].get<bool>() ? "yes" : "no");
  }
  if (j.contains("verdict")) std::cout << verdict_text(j["verdict"]);
  else std::cout << "verdict         none (imported without a 1:N search)\n";
  for (const auto& c : j["review_cases"])
    std::cout << fmt::format("review case     {} {} score {:.2f}{} {}\n", c.value("case", ""), c.value("kind", ""),
                             c.contains("score") ? c["score"].get<double>() : 0.0,
                             c.value("face_led", false) ? " [face-led]" : "",
                             c.value("decision", "NONE") == "NONE" ? std::string("open") : c.value("decision", ""));
}

void print_enrollment(const json& j) {
  std::cout << fmt::format("enrollment      {}\n", j["enrollment"].get<std::string>());
  if (j.contains("state")) {
    std::cout << fmt::format("state           {}\nsite            {}\nNIK             {}\nreceived        {}\n",
                             j["state"] == "PENDING" ? "PENDING (waiting for a verdict)" : "DECIDED",
                             j["site"].get<std::string>(), j["nik"].get<std::string>(),
                             format_utc(j["received_at_ms"].get<std::int64_t>()));
    std::cout << fmt::format("biometrics      {} fingers, face {}\n", j["fingers"].get<std::uint64_t>(),
                             j["has_face"].get<bool>() ? "yes" : "no");
  }
  if (j.contains("verdict")) std::cout << verdict_text(j["verdict"]);
}

RegisterCommand reg{{"admin show", "show a subject or an enrollment: record, verdict, candidates with scores",
                     [](CLI::App& cmd) {
  auto a = std::make_shared<AdminArgs>();
  auto what = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>();
  add_admin_options(cmd, *a);
  cmd.add_option("what", *what, "subject or enrollment")->required()->check(CLI::IsMember({"subject", "enrollment"}));
  cmd.add_option("id", *id, "subject id (a number) or enrollment id (as stored: <site>/<id> for server submissions)")->required();
  cmd.footer(R"(
Candidates are listed best first with the fused score (log10 likelihood ratio) and the per-finger
(positions 1-10: right thumb .. left little) and face similarities behind it.
Exit codes: 0 shown; 4 no such record; 2 bad id; 3 no gallery in --data-dir or server unreachable;
5 not an admin certificate.

Examples:
  tunggal admin show subject 1042 --data-dir /srv/tunggal
  tunggal admin show enrollment 3273-KEC-SUKAJADI-01/000123 --connect abis.example:7700 \
      --tls-dir ~/tls --admin budi.santoso --json)");
  return [a, what, id]() {
    if (Status s = check_admin_mode(*a); !s) return admin_failure("show", s);
    const bool subject = *what == "subject";
    auto j = admin_report(*a, {.kind = subject ? admin::AdminQuery::Kind::kShowSubject : admin::AdminQuery::Kind::kShowEnrollment,
                               .id = *id});
    if (!j) return admin_failure("show", j.error());
    if (a->json) std::cout << json_text(*j) << "\n";
    else if (subject) print_subject(*j);
    else print_enrollment(*j);
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
