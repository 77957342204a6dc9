// `tunggal admin review list | show ID`: the adjudication queue. It holds DUPLICATE/REVIEW verdicts
// nobody has adjudicated yet and the open review cases reprocessing found, oldest first.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "admin/review_cases.h"
#include "cli/admin_cli.h"
#include "cli/command_registry.h"
#include "core/json_text.h"

namespace tunggal::cli {
namespace {

using nlohmann::json;

std::string decision_line(const json& j) {
  if (j.value("decision", "NONE") == "NONE") return "decision        open\n";
  return fmt::format("decision        {} by {} at {}: {}\n", j.value("decision", ""), j.value("decided_by", ""),
                     format_utc(j.value("adjudicated_at_ms", std::int64_t{0})), j.value("decision_reason", ""));
}

void print_case(const json& c) {
  const auto a = c["a"].get<std::uint64_t>(), b = c["b"].get<std::uint64_t>(), probe = c["probe"].get<std::uint64_t>();
  std::cout << fmt::format("case            {} ({}, found by {} {})\n", c.value("case", ""), c.value("kind", ""),
                           c.value("source", ""), format_utc(c.value("found_at_ms", std::int64_t{0})));
  std::cout << fmt::format("subjects        {} and {} (searched: {})\n", a, b, probe);
  // The stored evidence in the candidate form: scored against the side that was not searched.
  // A server from before face-led cases sends neither face-led field.
  json evidence{{"subject", probe == a ? b : a}, {"score", c["score"]}, {"face_score", c["face_score"]},
                {"face_led_score", c.value("face_led_score", json())}, {"face_led", c.value("face_led", false)},
                {"finger_scores", json::object()}};
  for (std::size_t i = 0; i < c["finger_scores"].size(); ++i)
    if (c["finger_scores"][i].is_number()) evidence["finger_scores"][std::to_string(i + 1)] = c["finger_scores"][i];
  std::cout << "evidence        " << candidate_text(evidence) << "\n";
  std::cout << fmt::format("thresholds      duplicate {:.2f}, review {:.2f}\n", c["duplicate_threshold"].get<double>(),
                           c["review_threshold"].get<double>());
  std::cout << decision_line(c);
  std::cout << fmt::format("see also        tunggal admin show subject {} / {}\n", a, b);
}

void print_verdict(const json& v) {
  std::cout << fmt::format("enrollment      {}\nverdict         {} at {}\n", v.value("enrollment", ""), v.value("kind", ""),
                           format_utc(v.value("decided_at_ms", std::int64_t{0})));
  std::cout << fmt::format("thresholds      duplicate {:.2f}, review {:.2f}\n", v["duplicate_threshold"].get<double>(),
                           v["review_threshold"].get<double>());
  for (const auto& c : v["candidates"]) std::cout << "  candidate     " << candidate_text(c) << "\n";
  std::cout << decision_line(v);
}

void print_list(const json& j) {
  const auto& cases = j["cases"];
  if (cases.empty()) {
    std::cout << "nothing waits for adjudication\n";
    return;
  }
  std::cout << fmt::format("{:<36} {:<10} {:<9} {:>7}  {:<8} {}\n", "ID", "SOURCE", "KIND", "SCORE", "AGE", "SUBJECTS");
  for (const auto& q : cases) {
    const bool rc = q["source"] == "reprocess";
    std::cout << fmt::format("{:<36} {:<10} {:<9} {:7.2f}  {:<8} {}\n", q["id"].get<std::string>(),
                             q["source"].get<std::string>(), q["kind"].get<std::string>(), q["score"].get<double>(),
                             format_age(q["age_seconds"].get<std::int64_t>() * 1000),
                             rc ? fmt::format("{} {}", q["subjects"][0].get<std::uint64_t>(), q["subjects"][1].get<std::uint64_t>())
                                : fmt::format("best {}", q.value("best_candidate", std::uint64_t{0})));
  }
  const auto total = j["total"].get<std::size_t>();
  if (total > cases.size()) std::cout << fmt::format("… {} more (--limit 0 shows all)\n", total - cases.size());
}

RegisterCommand reg{{"admin review", "the adjudication queue: list open cases oldest first, or show one",
                     [](CLI::App& cmd) {
  auto a = std::make_shared<AdminArgs>();
  auto action = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>();
  auto limit = std::make_shared<std::size_t>(50);
  add_admin_options(cmd, *a);
  cmd.add_option("action", *action, "list or show")->required()->check(CLI::IsMember({"list", "show"}));
  cmd.add_option("id", *id, "show: an enrollment id, or a reprocessing case RC-A-B (rc-A-B and A-B too)");
  cmd.add_option("--limit", *limit, "list: at most this many (0 = all)")->capture_default_str();
  cmd.footer(R"(
Two kinds of cases wait for a person:
  enrollment  a new enrollment answered DUPLICATE or REVIEW (card blocked until adjudicated)
  RC-A-B      two enrolled subjects A < B that `tunggal reprocess` found to resemble each other
AGE is the time since the verdict (or since reprocessing found the pair): the SLA clock.
Decide with `tunggal admin adjudicate ID --decision duplicate|distinct --reason TEXT`.
Exit codes: 0 ok; 2 bad options; 3 no gallery in --data-dir or server unreachable; 4 no such case;
5 not an admin certificate.

Examples:
  tunggal admin review list --data-dir /srv/tunggal
  tunggal admin review list --connect abis.example:7700 --tls-dir ~/tls --admin budi.santoso
  tunggal admin review show RC-1042-88120 --data-dir /srv/tunggal
  tunggal admin review show 3273-KEC-SUKAJADI-01/000123 --connect abis.example:7700 \
      --tls-dir ~/tls --admin budi.santoso --json)");
  return [a, action, id, limit]() -> int {
    if (Status s = check_admin_mode(*a); !s) return admin_failure("review", s);
    using K = admin::AdminQuery::Kind;
    const bool show = *action == "show";
    if (show && id->empty()) return admin_failure("review", invalid_argument("review show needs an ID (see review list)"));
    auto j = admin_report(*a, {.kind = show ? K::kReviewShow : K::kReviewList, .id = *id, .limit = *limit});
    if (!j) return admin_failure("review", j.error());
    if (a->json) {
      std::cout << json_text(*j) << "\n";
    } else if (!show) {
      print_list(*j);
    } else if (admin::is_case_id(*id)) {
      print_case(*j);
    } else {
      print_verdict(*j);
    }
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
