// `tunggal admin status`: the state of a gallery at a glance, offline or from a running server.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/admin_cli.h"
#include "cli/command_registry.h"
#include "core/json_text.h"

namespace tunggal::cli {
namespace {

void print_status(const nlohmann::json& j, const AdminArgs& a) {
  if (a.remote()) std::cout << fmt::format("server          {}\n", a.connect);
  else std::cout << fmt::format("data directory  {}\n", a.data_dir);
  std::cout << fmt::format("gallery         {} active subjects ({} with a face), highest id {}\n",
                           j["gallery_size"].get<std::uint64_t>(), j["subjects_with_face"].get<std::uint64_t>(),
                           j["max_subject_id"].get<std::uint64_t>());
  const auto& shards = j["gallery_per_shard"];
  for (std::size_t i = 0; i < shards.size(); ++i) std::cout << fmt::format("  shard {:<3}     {}\n", i, shards[i].get<std::uint64_t>());
  std::cout << fmt::format("queue           {} enrollments waiting for a verdict\n", j["queue_pending"].get<std::uint64_t>());
  std::cout << "verdicts       ";
  for (const char* k : {"UNIQUE", "DUPLICATE", "REVIEW", "REJECTED"})
    std::cout << fmt::format(" {} {}", k, j["verdicts"].value(k, std::uint64_t{0}));
  std::cout << "\n";
  std::cout << fmt::format("adjudication    {} awaiting ({} confirmed duplicate, {} distinct so far)\n",
                           j["awaiting_adjudication"].get<std::uint64_t>(),
                           j["adjudicated"].value("CONFIRMED_DUPLICATE", std::uint64_t{0}),
                           j["adjudicated"].value("DISTINCT", std::uint64_t{0}));
  std::cout << fmt::format("review cases    {} open of {} found by reprocessing\n", j["review_cases_open"].get<std::uint64_t>(),
                           j["review_cases"].get<std::uint64_t>());
  const auto& t = j["thresholds"];
  std::cout << fmt::format("thresholds      DUPLICATE at score >= {:.2f} (FPIR {:g}), REVIEW at >= {:.2f} (FPIR {:g})\n",
                           t["duplicate"].get<double>(), t["target_fpir"].get<double>(), t["review"].get<double>(),
                           t["review_fpir"].get<double>());
  std::cout << fmt::format("audit log       {} entries (tunggal admin audit)\n", j["audit_entries"].get<std::uint64_t>());
  if (j.contains("server")) {
    const auto& s = j["server"];
    const double up = s["uptime_s"].get<double>();
    std::cout << fmt::format("uptime          {} ({} connections open)\n", format_age(static_cast<std::int64_t>(up * 1000)),
                             s["connections"].get<std::int64_t>());
    std::cout << fmt::format("throughput      {:.1f} accepted/s, {:.1f} verdicts/s since start\n",
                             s["accepted_per_s"].get<double>(), s["verdicts_per_s"].get<double>());
  }
  if (j.contains("engine")) {
    const auto& e = j["engine"];
    std::cout << fmt::format("engine RAM      gallery {:.1f} MB, indexes {:.1f} MB\n",
                             static_cast<double>(e["gallery_bytes"].get<std::uint64_t>()) / 1e6,
                             static_cast<double>(e["index_bytes"].get<std::uint64_t>()) / 1e6);
    if (e.contains("indexes_at_open"))
      std::cout << fmt::format("indexes         {} at start\n", e["indexes_at_open"].get<std::string>() == "rebuilt"
                                                                   ? "rebuilt from the gallery"
                                                                   : "loaded from their snapshots");
    if (e.contains("changes_since_snapshot"))
      std::cout << fmt::format("snapshots       {} changes since the last (a crash now replays them at open); "
                               "{} replayed at start\n",
                               e["changes_since_snapshot"].get<std::uint64_t>(),
                               e["changes_replayed_at_open"].get<std::uint64_t>());
  }
}

RegisterCommand reg{{"admin status", "gallery size per shard, queue, verdicts by kind, review load, thresholds",
                     [](CLI::App& cmd) {
  auto a = std::make_shared<AdminArgs>();
  add_admin_options(cmd, *a);
  cmd.footer(R"(
Offline (--data-dir) it reads the data directory read-only, so it also works while an engine serves
it (showing the state at the moment it opened). Against a server (--connect) it also shows the
server's uptime, open connections and throughput (accepted and decided per second since start)
and the engine's RAM. Thresholds are those the engine derives for the current gallery size from
its target false-positive identification rates (FPIR).
Exit codes: 0 shown; 2 bad options; 3 no gallery in --data-dir, or server unreachable/busy;
5 the server refused the certificate as not an admin's.

Examples:
  tunggal admin status --data-dir /srv/tunggal
  tunggal admin status --connect abis.example:7700 --tls-dir ~/tls --admin budi.santoso
  tunggal admin status --connect 127.0.0.1:7700 --ca ca.pem --cert budi.pem --key budi.key --json | jq .verdicts)");
  return [a]() {
    if (Status s = check_admin_mode(*a); !s) return admin_failure("status", s);
    auto j = admin_report(*a, {.kind = admin::AdminQuery::Kind::kStatus});
    if (!j) return admin_failure("status", j.error());
    if (a->json) {
      if (!a->remote()) (*j)["data_dir"] = a->data_dir;
      std::cout << json_text(*j) << "\n";
    } else {
      print_status(*j, *a);
    }
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
