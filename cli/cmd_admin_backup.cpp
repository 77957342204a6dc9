// `tunggal admin backup DIR` / `tunggal admin restore DIR`: a consistent copy of a data directory
// (RocksDB checkpoint of the store: hard links where possible, so it is fast and small on the same
// file system; plus the index snapshots) and putting one back.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/admin_cli.h"
#include "cli/command_registry.h"

namespace tunggal::cli {
namespace {

namespace fs = std::filesystem;

// Opens a copy read-only and counts what it holds: a backup that cannot be opened is no backup.
Expected<std::uint64_t> verify_copy(const fs::path& dir) {
  auto store = open_admin_store(dir.string(), false);
  if (!store) return store.error();
  if (Status s = (*store)->verify_checksums(); !s) return s;
  return (*store)->subject_count();
}

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
engine opened on the copy does not rebuild its indexes.
Exit codes: 0 written and verified; 1 failed; 3 data directory missing or in use.

Example:
  tunggal admin backup /backup/tunggal-2026-11-25 --data-dir /srv/tunggal)");
  return [a, dir]() {
    const fs::path to = *dir;
    if (fs::exists(to)) return admin_failure("backup", {ErrorCode::kAlreadyExists,
                                                        fmt::format("{} already exists; choose a new directory", to.string())});
    auto store = open_admin_store(a->data_dir, true);
    if (!store) return admin_failure("backup", store.error());
    std::error_code ec;
    fs::create_directories(to, ec);
    if (ec) return admin_failure("backup", io_error(fmt::format("cannot create {}: {}", to.string(), ec.message())));
    if (Status s = (*store)->checkpoint(to / "store"); !s) return admin_failure("backup", s);
    store->reset();
    const fs::path index = fs::path(a->data_dir) / "index";
    if (fs::exists(index)) {
      fs::copy(index, to / "index", fs::copy_options::recursive, ec);
      if (ec) return admin_failure("backup", io_error(fmt::format("copying index snapshots: {}", ec.message())));
    }
    auto subjects = verify_copy(to);
    if (!subjects) return admin_failure("backup", subjects.error());
    if (a->json) std::cout << nlohmann::json{{"backup", to.string()}, {"subjects", *subjects}}.dump() << "\n";
    else std::cout << fmt::format("backup written to {} and verified: {} active subjects\n", to.string(), *subjects);
    return kExitOk;
  };
}}};

RegisterCommand reg_restore{{"admin restore", "restore a backup into a new data directory",
                             [](CLI::App& cmd) {
  auto a = std::make_shared<AdminArgs>();
  auto dir = std::make_shared<std::string>();
  add_admin_options(cmd, *a);
  cmd.add_option("backup", *dir, "a directory written by `tunggal admin backup`")->required();
  cmd.footer(R"(
--data-dir names where the restored data directory goes; it must not hold a gallery (restore next
to the damaged one, check it with `tunggal admin status`, then swap the directories).
Exit codes: 0 restored and verified; 1 failed (target not empty, backup damaged); 3 backup missing.

Example:
  tunggal admin restore /backup/tunggal-2026-11-25 --data-dir /srv/tunggal-restored)");
  return [a, dir]() {
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
    if (a->json) std::cout << nlohmann::json{{"restored", to.string()}, {"subjects", *restored}}.dump() << "\n";
    else std::cout << fmt::format("restored {} into {} and verified: {} active subjects\n", from.string(), to.string(), *restored);
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
