// `tunggal admin status`: the state of a data directory at a glance.
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/admin_cli.h"
#include "cli/command_registry.h"
#include "engine/verdict_policy.h"
#include "index/detail/vector_checks.h"  // mix_id: the shard a subject's index rows live in

namespace tunggal::cli {
namespace {

RegisterCommand reg{{"admin status", "gallery size per shard, queue, verdicts by kind, review load, thresholds",
                     [](CLI::App& cmd) {
  auto a = std::make_shared<AdminArgs>();
  add_admin_options(cmd, *a);
  cmd.footer(R"(
Reads the data directory read-only, so it also works while an engine serves it (it then shows the
state at the moment it opened). Thresholds are those the engine derives for the current gallery
size from its target false-positive identification rates (FPIR).

Examples:
  tunggal admin status --data-dir /srv/tunggal
  tunggal admin status --data-dir /srv/tunggal --json | jq .verdicts)");
  return [a]() {
    auto store = open_admin_store(a->data_dir, false);
    if (!store) return admin_failure("status", store.error());
    const engine::Store& s = **store;
    const int shards = s.gallery_config().shard_count;
    std::vector<std::uint64_t> per_shard(static_cast<std::size_t>(shards), 0);
    std::uint64_t with_face = 0;
    Status scan = s.for_each_subject([&](const engine::StoredSubject& sub) {
      ++per_shard[index::detail::mix_id(sub.record.id.value) % static_cast<std::uint64_t>(shards)];
      if (sub.face) ++with_face;
      return true;
    });
    if (!scan) return admin_failure("status", scan);
    std::map<std::string, std::uint64_t> kinds, decisions;
    std::uint64_t awaiting = 0;
    scan = s.for_each_verdict([&](const Verdict& v) {
      ++kinds[std::string(to_string(v.kind))];
      if (v.decision != Decision::kNone) ++decisions[std::string(to_string(v.decision))];
      else if (v.kind == VerdictKind::kDuplicate || v.kind == VerdictKind::kReview) ++awaiting;
      return true;
    });
    if (!scan) return admin_failure("status", scan);
    auto cases = admin::list_cases(s);
    if (!cases) return admin_failure("status", cases.error());
    std::uint64_t open_cases = 0;
    for (const auto& c : *cases) open_cases += c.decision == Decision::kNone;
    const EngineOptions defaults;
    const Thresholds t = thresholds_for(defaults.target_fpir, defaults.review_fpir, std::max<std::uint64_t>(s.subject_count(), 1));

    if (a->json) {
      nlohmann::json j{{"data_dir", a->data_dir},
                       {"gallery_size", s.subject_count()},
                       {"gallery_per_shard", per_shard},
                       {"subjects_with_face", with_face},
                       {"max_subject_id", s.max_subject_id()},
                       {"queue_pending", s.pending_count()},
                       {"verdicts", kinds},
                       {"adjudicated", decisions},
                       {"awaiting_adjudication", awaiting},
                       {"review_cases", cases->size()},
                       {"review_cases_open", open_cases},
                       {"audit_entries", s.last_audit_seq()},
                       {"thresholds",
                        {{"duplicate", t.duplicate},
                         {"review", t.review},
                         {"target_fpir", t.target_fpir},
                         {"review_fpir", t.review_fpir}}}};
      std::cout << j.dump() << "\n";
      return kExitOk;
    }
    std::cout << fmt::format("data directory  {}\n", a->data_dir);
    std::cout << fmt::format("gallery         {} active subjects ({} with a face), highest id {}\n", s.subject_count(),
                             with_face, s.max_subject_id());
    for (int i = 0; i < shards; ++i) std::cout << fmt::format("  shard {:<3}     {}\n", i, per_shard[static_cast<std::size_t>(i)]);
    std::cout << fmt::format("queue           {} enrollments waiting for a verdict\n", s.pending_count());
    std::cout << "verdicts       ";
    for (const char* k : {"UNIQUE", "DUPLICATE", "REVIEW", "REJECTED"})
      std::cout << fmt::format(" {} {}", k, kinds.count(k) ? kinds[k] : 0);
    std::cout << "\n";
    std::cout << fmt::format("adjudication    {} awaiting ({} confirmed duplicate, {} distinct so far)\n", awaiting,
                             decisions["CONFIRMED_DUPLICATE"], decisions["DISTINCT"]);
    std::cout << fmt::format("review cases    {} open of {} found by reprocessing\n", open_cases, cases->size());
    std::cout << fmt::format("thresholds      DUPLICATE at score >= {:.2f} (FPIR {:g}), REVIEW at >= {:.2f} (FPIR {:g})\n",
                             t.duplicate, t.target_fpir, t.review, t.review_fpir);
    std::cout << fmt::format("audit log       {} entries (tunggal admin audit)\n", s.last_audit_seq());
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
