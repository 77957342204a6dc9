// `tunggal admin review list | show ID`: the adjudication queue. It holds DUPLICATE/REVIEW verdicts
// nobody has adjudicated yet and the open review cases reprocessing found, oldest first.
#include <algorithm>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/admin_cli.h"
#include "cli/command_registry.h"

namespace tunggal::cli {
namespace {

struct QueueItem {
  std::string id;      // enrollment id or RC-a-b
  std::string source;  // "enrollment" or "reprocess"
  std::string kind;
  float score = 0;
  std::uint64_t subject_a = 0, subject_b = 0;  // reprocess: the pair; enrollment: best candidate in b
  std::int64_t since_ms = 0;
};

RegisterCommand reg{{"admin review", "the adjudication queue: list open cases oldest first, or show one",
                     [](CLI::App& cmd) {
  auto a = std::make_shared<AdminArgs>();
  auto action = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>();
  auto limit = std::make_shared<std::size_t>(50);
  add_admin_options(cmd, *a);
  cmd.add_option("action", *action, "list or show")->required()->check(CLI::IsMember({"list", "show"}));
  cmd.add_option("id", *id, "show: an enrollment id, or a reprocessing case RC-A-B");
  cmd.add_option("--limit", *limit, "list: at most this many (0 = all)")->capture_default_str();
  cmd.footer(R"(
Two kinds of cases wait for a person:
  enrollment  a new enrollment answered DUPLICATE or REVIEW (card blocked until adjudicated)
  RC-A-B      two enrolled subjects A < B that `tunggal reprocess` found to resemble each other
AGE is the time since the verdict (or since reprocessing found the pair): the SLA clock.
Decide with `tunggal admin adjudicate ID --decision duplicate|distinct --reason TEXT --admin NAME`.
Exit codes: 0 ok; 4 no such case; 3 no gallery in --data-dir.

Examples:
  tunggal admin review list --data-dir /srv/tunggal
  tunggal admin review show RC-1042-88120 --data-dir /srv/tunggal
  tunggal admin review show 3273-KEC-SUKAJADI-01-000123 --data-dir /srv/tunggal --json)");
  return [a, action, id, limit]() -> int {
    auto store = open_admin_store(a->data_dir, false);
    if (!store) return admin_failure("review", store.error());
    const engine::Store& s = **store;
    if (*action == "show") {
      if (id->empty()) return admin_failure("review", invalid_argument("review show needs an ID (see review list)"));
      if (id->rfind("RC-", 0) == 0) {
        auto pair = admin::parse_case_id(*id);
        if (!pair) return admin_failure("review", pair.error());
        auto c = admin::load_case(s, pair->first, pair->second);
        if (!c) return admin_failure("review", c.error());
        if (!*c) return admin_failure("review", not_found("no review case " + *id));
        const admin::ReviewCase& rc = **c;
        if (a->json) {
          std::cout << case_json(rc).dump() << "\n";
          return kExitOk;
        }
        std::cout << fmt::format("case            {} ({}, found by {} {})\n", rc.id(), to_string(rc.kind), rc.source,
                                 format_utc(rc.found_at_ms));
        std::cout << fmt::format("subjects        {} and {} (searched: {})\n", rc.a.value, rc.b.value, rc.probe.value);
        std::cout << "evidence        " << candidate_text(rc.evidence) << "\n";
        std::cout << fmt::format("thresholds      duplicate {:.2f}, review {:.2f}\n", rc.duplicate_threshold,
                                 rc.review_threshold);
        if (rc.decision == Decision::kNone) std::cout << "decision        open\n";
        else
          std::cout << fmt::format("decision        {} by {} at {}: {}\n", to_string(rc.decision), rc.decided_by,
                                   format_utc(rc.adjudicated_at_ms), rc.decision_reason);
        std::cout << fmt::format("see also        tunggal admin show subject {} / {}\n", rc.a.value, rc.b.value);
        return kExitOk;
      }
      auto v = s.verdict(EnrollmentId{*id});
      if (!v) return admin_failure("review", v.error());
      if (!*v) return admin_failure("review", not_found("no verdict for enrollment " + *id));
      if (a->json) {
        std::cout << verdict_json(**v).dump() << "\n";
        return kExitOk;
      }
      const Verdict& vd = **v;
      std::cout << fmt::format("enrollment      {}\nverdict         {} at {}\n", vd.enrollment.value, to_string(vd.kind),
                               format_utc(vd.decided_at_ms));
      std::cout << fmt::format("thresholds      duplicate {:.2f}, review {:.2f}\n", vd.duplicate_threshold,
                               vd.review_threshold);
      for (const Candidate& c : vd.candidates) std::cout << "  candidate     " << candidate_text(c) << "\n";
      if (vd.decision == Decision::kNone) std::cout << "decision        open\n";
      else
        std::cout << fmt::format("decision        {} by {} at {}: {}\n", to_string(vd.decision), vd.decided_by,
                                 format_utc(vd.adjudicated_at_ms), vd.decision_reason);
      return kExitOk;
    }

    std::vector<QueueItem> items;
    Status scan = s.for_each_verdict([&](const Verdict& v) {
      if ((v.kind == VerdictKind::kDuplicate || v.kind == VerdictKind::kReview) && v.decision == Decision::kNone) {
        QueueItem q{v.enrollment.value, "enrollment", std::string(to_string(v.kind)), 0, 0, 0, v.decided_at_ms};
        if (!v.candidates.empty()) {
          q.score = v.candidates.front().score;
          q.subject_b = v.candidates.front().subject.value;
        }
        items.push_back(std::move(q));
      }
      return true;
    });
    if (!scan) return admin_failure("review", scan);
    auto cases = admin::list_cases(s);
    if (!cases) return admin_failure("review", cases.error());
    for (const auto& c : *cases)
      if (c.decision == Decision::kNone)
        items.push_back({c.id(), "reprocess", std::string(to_string(c.kind)), c.evidence.score, c.a.value, c.b.value,
                         c.found_at_ms});
    std::stable_sort(items.begin(), items.end(), [](const QueueItem& x, const QueueItem& y) {
      return x.since_ms != y.since_ms ? x.since_ms < y.since_ms : x.id < y.id;
    });
    const std::size_t total = items.size();
    if (*limit && items.size() > *limit) items.resize(*limit);
    const std::int64_t now = now_ms();
    if (a->json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& q : items) {
        nlohmann::json j{{"id", q.id}, {"source", q.source}, {"kind", q.kind}, {"score", q.score},
                         {"since_ms", q.since_ms}, {"age_seconds", (now - q.since_ms) / 1000}};
        if (q.source == "reprocess") j["subjects"] = {q.subject_a, q.subject_b};
        else if (q.subject_b) j["best_candidate"] = q.subject_b;
        arr.push_back(std::move(j));
      }
      std::cout << nlohmann::json{{"total", total}, {"cases", arr}}.dump() << "\n";
      return kExitOk;
    }
    if (items.empty()) {
      std::cout << "nothing waits for adjudication\n";
      return kExitOk;
    }
    std::cout << fmt::format("{:<36} {:<10} {:<9} {:>7}  {:<8} {}\n", "ID", "SOURCE", "KIND", "SCORE", "AGE", "SUBJECTS");
    for (const auto& q : items)
      std::cout << fmt::format("{:<36} {:<10} {:<9} {:7.2f}  {:<8} {}\n", q.id, q.source, q.kind, q.score,
                               format_age(now - q.since_ms),
                               q.source == "reprocess" ? fmt::format("{} {}", q.subject_a, q.subject_b)
                                                       : fmt::format("best {}", q.subject_b));
    if (total > items.size()) std::cout << fmt::format("… {} more (--limit 0 shows all)\n", total - items.size());
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
