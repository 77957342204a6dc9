// `tunggal admin backup DIR` / `tunggal admin restore DIR`: a consistent copy of a data directory
// (RocksDB checkpoint of the store: hard links where possible, so it is fast and small on the same
// file system; plus the index snapshots) and putting one back.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/admin_cli.h"
#include "cli/command_registry.h"
#include "core/json_text.h"
#include "engine/data_copy.h"

namespace tunggal::cli {
namespace {

namespace fs = std::filesystem;

using admin::verify_copy;

RegisterCommand reg{{"admin backup", "consistent copy of a data directory (store checkpoint + index snapshots)",
                     [](CLI::App& cmd) {
  auto a = std::make_shared<AdminArgs>();
  auto dir = std::make_shared<std::string>();
  add_admin_options(cmd, *a);
  cmd.add_option("dir", *dir, "new directory for the backup (must not exist)")->required();
  cmd.footer(R"(
The copy is taken at one instant (RocksDB checkpoint), verified (opened, every block checksum read)
and is itself a data directory: `tunggal admin status --data-dir DIR` works on it, and
`tunggal admin restore DIR --data-dir NEW` puts it back. Index snapshots are copied too, so an
engine opened on the copy does not rebuild its indexes. The copy carries a COPY_OF file naming its
source, so that `tunggal reprocess` never stores review cases into it; `restore` leaves it behind.
With --connect, the running server writes the copy ONLY on its own host (DIR is a path there),
online: it snapshots its indexes and checkpoints its store while no batch is being decided, so
stations keep submitting meanwhile. Offline, the data directory must not be in use.
Exit codes: 0 written and verified; 1 failed (DIR exists, I/O); 3 data directory missing or in
use, or server unreachable; 5 not an admin.

Examples:
  tunggal admin backup /backup/tunggal-2026-11-25 --data-dir /srv/tunggal
  tunggal admin backup /backup/tunggal-2026-11-25 --connect abis.example:7700 --tls-dir ~/tls --admin budi.santoso)");
  return [a, dir]() {
    if (Status s = check_admin_mode(*a); !s) return admin_failure("backup", s);
    if (a->remote()) {
      auto j = admin_report(*a, {.kind = admin::AdminQuery::Kind::kBackup, .id = *dir});
      if (!j) return admin_failure("backup", j.error());
      if (a->json) std::cout << json_text(*j) << "\n";
      else std::cout << fmt::format("backup written on the server host to {} and verified: {} active subjects\n",
                                    (*j)["backup"].get<std::string>(), (*j)["subjects"].get<std::uint64_t>());
      return kExitOk;
    }
    const fs::path to = *dir;
    if (fs::exists(to)) return admin_failure("backup", {ErrorCode::kAlreadyExists,
                                                        fmt::format("{} already exists; choose a new directory", to.string())});
    auto store = open_admin_store(a->data_dir, true);
    if (!store) return admin_failure("backup", store.error());
    std::error_code ec;
    fs::create_directories(to, ec);
    if (ec) return admin_failure("backup", io_error(fmt::format("cannot create {}: {}", to.string(), ec.message())));
    if (Status s = engine::mark_as_copy(to, {.source = a->data_dir, .made_by = "admin backup"}); !s)
      return admin_failure("backup", s);
    if (Status s = (*store)->checkpoint(to / "store"); !s) return admin_failure("backup", s);
    store->reset();
    const fs::path index = fs::path(a->data_dir) / "index";
    if (fs::exists(index)) {
      fs::copy(index, to / "index", fs::copy_options::recursive, ec);
      if (ec) return admin_failure("backup", io_error(fmt::format("copying index snapshots: {}", ec.message())));
    }
    auto subjects = verify_copy(to);
    if (!subjects) return admin_failure("backup", subjects.error());
    if (a->json) std::cout << json_text(nlohmann::json{{"backup", to.string()}, {"subjects", *subjects}}) << "\n";
    else std::cout << fmt::format("backup written to {} and verified: {} active subjects\n", to.string(), *subjects);
    return kExitOk;
  };
}}};

RegisterCommand reg_restore{{"admin restore", "restore a backup into a new data directory",
                             [](CLI::App& cmd) {
  auto a = std::make_shared<AdminArgs>();
  auto dir = std::make_shared<std::string>();
  add_admin_options(cmd, *a, /*remote=*/false);
  cmd.add_option("backup", *dir, "a directory written by `tunggal admin backup`")->required();
  cmd.footer(R"(
--data-dir names where the restored data directory goes; it must not hold a gallery (restore next
to the damaged one, check it with `tunggal admin status`, then swap the directories).
Restoring is always offline, on the host holding the backup, with the engine stopped.
Exit codes: 0 restored and verified; 1 failed (target not empty, backup damaged); 3 backup missing.

Example:
  tunggal admin restore /backup/tunggal-2026-11-25 --data-dir /srv/tunggal-restored)");
  return [a, dir]() {
    if (a->data_dir.empty()) return admin_failure("restore", invalid_argument("--data-dir NEW is required: where the restored data directory goes"));
    const fs::path from = *dir, to = a->data_dir;
    auto source = verify_copy(from);
    if (!source) return admin_failure("restore", source.error());
    if (fs::exists(to / "store"))
      return admin_failure("restore", failed_precondition(fmt::format(
                                          "{} already holds a gallery; restore into a new directory and swap", to.string())));
    std::error_code ec;
    fs::create_directories(to, ec);
    for (const char* part : {"store", "index"}) {
      if (!fs::exists(from / part)) continue;
      fs::copy(from / part, to / part, fs::copy_options::recursive, ec);
      if (ec) return admin_failure("restore", io_error(fmt::format("copying {}: {}", part, ec.message())));
    }
    auto restored = verify_copy(to);
    if (!restored) return admin_failure("restore", restored.error());
    if (a->json) std::cout << json_text(nlohmann::json{{"restored", to.string()}, {"subjects", *restored}}) << "\n";
    else std::cout << fmt::format("restored {} into {} and verified: {} active subjects\n", from.string(), to.string(), *restored);
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
