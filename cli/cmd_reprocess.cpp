// `tunggal reprocess`: re-deduplicates the enrolled gallery against itself with the current
// matcher and thresholds (admin/reprocess.h), resumably, and turns what it finds into review
// cases for adjudicators plus a CSV/JSON report. Past verdicts are never changed.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include "admin/reprocess.h"
#include "admin/review_cases.h"
#include "cli/command_registry.h"
#include "core/durable_file.h"
#include "core/json_text.h"
#include "engine/data_copy.h"
#include "engine/engine.h"
#include "engine/store.h"

namespace tunggal::cli {
namespace {

namespace fs = std::filesystem;

Status parse_range(const std::string& text, std::uint64_t& first, std::uint64_t& last) {
  if (text.empty()) return Status::ok();
  const auto dash = text.find('-');
  auto bad = invalid_argument(fmt::format("--subjects '{}': expected FIRST-LAST subject ids, e.g. 1-50000", text));
  if (dash == std::string::npos) return bad;
  try {
    std::size_t used = 0;
    first = std::stoull(text.substr(0, dash), &used);
    if (used != dash) return bad;
    last = std::stoull(text.substr(dash + 1), &used);
    if (used != text.size() - dash - 1) return bad;
  } catch (const std::exception&) {
    return bad;
  }
  if (first == 0 || first > last) return bad;
  return Status::ok();
}

// A consistent copy of a data directory (store checkpoint + index snapshots) in `to`, marked as a
// copy of `from` (engine/data_copy.h).
Status make_checkpoint(const fs::path& from, const fs::path& to) {
  engine::StoreOptions so;
  so.path = from / "store";
  so.create_if_missing = false;
  auto store = engine::Store::open(so);
  if (!store) {
    if (store.error().code() == ErrorCode::kLocked)
      return {ErrorCode::kLocked,
              fmt::format("{0} is in use by a running engine, so the copy must come from it: `tunggal admin backup "
                          "DIR --connect HOST:PORT --tls-dir TLS --admin NAME` (written on the server's host), then "
                          "there `tunggal reprocess --data-dir DIR --record-into {0} --report R`. The review cases "
                          "can be stored in {0} only while no engine runs on it: until then they are in R, and "
                          "rerunning that command stores them without searching again",
                          from.string())};
    return store.error();
  }
  std::error_code ec;
  fs::create_directories(to, ec);
  if (Status s = engine::mark_as_copy(to, {.source = from.string(), .made_by = "reprocess --from-checkpoint"}); !s)
    return s;
  if (Status s = (*store)->checkpoint(to / "store"); !s) return s;
  // Index snapshots are replaced by rename, so a copy is always a whole snapshot; one newer than
  // the checkpoint is distrusted by Engine::open, which then rebuilds.
  if (fs::exists(from / "index", ec)) fs::copy(from / "index", to / "index", fs::copy_options::recursive, ec);
  return Status::ok();
}

// Where the review cases go must be a live gallery: cases stored in a backup or checkpoint block
// no card print and appear in no `admin review list` of the live data directory. A marked copy is
// refused before any work (a job can take hours); an unmarked one (made before the marker) cannot
// be told apart.
Status check_record_target(const fs::path& dir, bool named_by_record_into) {
  std::error_code ec;
  if (!fs::exists(dir / "store", ec))
    return {ErrorCode::kNotFound,
            fmt::format("--record-into {} holds no gallery (no store/ inside); name the live data directory", dir.string())};
  auto marker = engine::read_copy_marker(dir);
  if (!marker) return marker.error();
  if (!*marker) return Status::ok();
  const engine::CopyMarker& m = **marker;
  if (named_by_record_into)
    return invalid_argument(fmt::format(
        "--record-into {} is a copy of {} (made by `tunggal {}`), not the live gallery: review cases stored there block "
        "nothing. Name the live data directory (delete {} only if this directory has become the live gallery)",
        dir.string(), m.source, m.made_by, (dir / engine::kCopyMarkerFile).string()));
  return invalid_argument(fmt::format(
      "{} is a copy of {} (made by `tunggal {}`): review cases stored in it would block no card print and appear in "
      "no review list of the live gallery. Pass --record-into LIVE_DIR to store them in the live gallery (here "
      "probably --record-into {}), or --no-record to only write the report",
      dir.string(), m.source, m.made_by, m.source));
}

// Every finding's two subjects must be known to the gallery the cases go into: a --record-into
// naming another gallery than the copy's source would get cases about other people.
Status check_same_gallery(const fs::path& dir, const engine::Store& store,
                          const std::vector<admin::ReviewCase>& findings) {
  for (const admin::ReviewCase& c : findings)
    for (SubjectId s : {c.a, c.b}) {
      auto rec = store.subject(s);
      if (!rec) return rec.error();
      if (!*rec)
        return failed_precondition(fmt::format(
            "{} holds no subject {} (finding {}): it is not the gallery that was reprocessed; nothing recorded",
            dir.string(), s.value, c.id()));
    }
  return Status::ok();
}

// The copy a --from-checkpoint job reads: made by the first run. A rerun of the same command finds
// it and reuses it when the job's journal was written for exactly its gallery state, so that the
// job resumes as one without --from-checkpoint does; anything else there is refused, never mixed.
Status prepare_checkpoint(const fs::path& from, const fs::path& to, const fs::path& journal, bool restart,
                          bool& reused) {
  reused = false;
  std::error_code ec;
  if (!fs::exists(to / "store", ec)) return make_checkpoint(from, to);
  if (restart)
    return {ErrorCode::kAlreadyExists,
            fmt::format("checkpoint {0} already exists and --restart discards the journal that resumes on it: "
                        "remove {0} to start over on a fresh copy, or start over on this one with "
                        "`tunggal reprocess --data-dir {0} --record-into {1} --restart`",
                        to.string(), from.string())};
  engine::StoreOptions so;
  so.path = to / "store";
  so.create_if_missing = false;
  so.read_only = true;
  auto copy = engine::Store::open(so);
  if (!copy) return copy.error();
  auto matches = admin::journal_matches_gallery(journal, **copy);
  if (!matches) return matches.error();
  if (!*matches)
    return {ErrorCode::kAlreadyExists,
            fmt::format("checkpoint {0} already exists and the journal {1} does not resume a job on it (there is "
                        "none, or it was written for another gallery state); choose a new directory, or remove {0}",
                        to.string(), journal.string())};
  reused = true;
  return Status::ok();
}

// The report is the job's result: it is made durable (file, then the rename in its directory)
// before the journal that could redo the job is removed, so that a power cut leaves one of them.
Status write_report(const fs::path& report, const std::string& text) {
  const fs::path tmp = report.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return io_error("cannot write the report " + tmp.string());
  }
  if (Status s = sync_file(tmp); !s) return s;
  std::error_code ec;
  fs::rename(tmp, report, ec);
  if (ec) return io_error(fmt::format("cannot rename {} to {}: {}", tmp.string(), report.string(), ec.message()));
  return sync_directory(report.parent_path());
}

RegisterCommand reg{{"reprocess", "re-deduplicate the enrolled gallery against itself; findings become review cases",
                     [](CLI::App& cmd) {
  struct Args {
    std::string data_dir, checkpoint, subjects, site, report, journal, record_into;
    bool json = false, restart = false, no_record = false, no_face_led = false;
    std::size_t batch = 512;
  };
  auto a = std::make_shared<Args>();
  cmd.add_option("--data-dir", a->data_dir, "engine data directory whose gallery is reprocessed")->required();
  cmd.add_option("--from-checkpoint", a->checkpoint,
                 "first copy --data-dir into this new directory (store checkpoint + index snapshots) and work on the "
                 "copy; a rerun resuming the journal reuses it");
  cmd.add_option("--subjects", a->subjects, "probe only subject ids FIRST-LAST (the gallery searched is always whole)");
  cmd.add_option("--site", a->site, "probe only subjects enrolled at this recording site");
  cmd.add_option("--report", a->report, "write the findings here: .csv (one row per pair) or .json");
  cmd.add_option("--journal", a->journal,
                 "progress journal (default: REPORT.journal, or DATA_DIR/reprocess.journal); a rerun resumes from it");
  cmd.add_option("--batch", a->batch, "subjects per journal line")->capture_default_str();
  cmd.add_flag("--restart", a->restart, "discard an existing journal and start from the first subject");
  cmd.add_flag("--no-face-led", a->no_face_led,
               "no face-led REVIEW findings (EngineOptions::face_led_review off; docs/dedup.md \"Worn fingers and "
               "twins\"); a job resumes only with the setting it was started with");
  auto* no_record = cmd.add_flag("--no-record", a->no_record, "only report; do not store the findings as review cases");
  cmd.add_option("--record-into", a->record_into,
                 "store the review cases in this data directory (default: --data-dir); the live gallery's, when "
                 "--data-dir is a backup")
      ->excludes(no_record);
  cmd.add_flag("--json", a->json, "print a JSON summary with every finding on stdout");
  cmd.footer(R"(
Every selected active subject is searched 1:N against the whole gallery with the current matcher and
thresholds; another subject scoring at or above the review threshold is a finding, each pair once.
Findings are stored as review cases (`tunggal admin review list`), never as changes to past verdicts,
in --data-dir's store (the live one also with --from-checkpoint), or in --record-into's. A backup
or checkpoint is refused as where cases go: nobody reads them there. Storing needs the directory to
itself; when its engine runs, the findings stay in the report and the journal, and rerunning the
same command once it is stopped stores them without searching again.

Interrupt it at any time (Ctrl-C, kill -9): running the same command again continues after the last
completed batch and ends with the same findings as an uninterrupted run (with --from-checkpoint, on
the same copy, which the journal identifies). A journal started with other thresholds, selection or
face-led setting (--no-face-led) is refused, saying what differs: rerun as it was started, or --restart.

Exit codes: 0 done; 1 failed; 2 bad options; 3 data directory missing or in use, or the journal
held by another run of the same job (findings still in the report when it got that far).

Examples:
  tunggal reprocess --data-dir /srv/tunggal --report findings.csv
  tunggal reprocess --data-dir /srv/tunggal --from-checkpoint /srv/cp-2026-11-25 --report f.json
  tunggal reprocess --data-dir /backup/tunggal-2026-11-25 --record-into /srv/tunggal --report f.json
  tunggal reprocess --data-dir /srv/tunggal --site 3273-KEC-SUKAJADI-01 --report sukajadi.csv
  tunggal reprocess --data-dir /srv/tunggal --subjects 1-500000 --json > part1.json)");
  return [a]() {
    admin::ReprocessOptions o;
    if (Status s = parse_range(a->subjects, o.first_subject, o.last_subject); !s) throw StatusError(s);
    o.site = a->site;
    o.batch = a->batch;
    const fs::path data_dir = a->data_dir;
    if (!fs::exists(data_dir / "store")) {
      std::cerr << fmt::format("tunggal: {} holds no gallery (no store/ inside); check --data-dir\n", data_dir.string());
      return kExitUnavailable;
    }
    const fs::path record_dir = !a->record_into.empty() ? fs::path(a->record_into) : data_dir;
    if (!a->no_record) {
      if (Status s = check_record_target(record_dir, !a->record_into.empty()); !s) {
        std::cerr << "tunggal: " << s.to_string() << "\n";
        return s.code() == ErrorCode::kNotFound ? kExitUnavailable : kExitUsage;
      }
    }
    o.journal = !a->journal.empty() ? fs::path(a->journal)
                : !a->report.empty() ? fs::path(a->report + ".journal")
                                     : data_dir / "reprocess.journal";
    // Held until the journal is removed: a second run of the same job refuses instead of
    // interleaving its batches (and, with --restart, instead of emptying this run's journal).
    auto lock = admin::JournalLock::acquire(o.journal);
    if (!lock) {
      std::cerr << "tunggal: " << lock.error().to_string() << "\n";
      return lock.error().code() == ErrorCode::kLocked ? kExitUnavailable : kExitFailure;
    }
    o.lock = &*lock;
    fs::path source = data_dir;
    if (!a->checkpoint.empty()) {
      bool reused = false;
      if (Status s = prepare_checkpoint(data_dir, a->checkpoint, o.journal, a->restart, reused); !s) {
        std::cerr << "tunggal: " << s.to_string() << "\n";
        return s.code() == ErrorCode::kLocked ? kExitUnavailable : kExitFailure;
      }
      if (reused)
        std::cerr << fmt::format("resuming on checkpoint {} (the journal {} was written for it)\n", a->checkpoint,
                                 o.journal.string());
      source = a->checkpoint;
    }
    if (a->restart)
      if (Status s = lock->discard(); !s) throw StatusError(s);

    // The store first: it knows the gallery's fixed config (shards, face dimension) the engine must be opened with.
    engine::StoreOptions so;
    so.path = source / "store";
    so.create_if_missing = false;
    so.read_only = true;
    auto store = engine::Store::open(so);
    if (!store) throw StatusError(store.error());
    EngineOptions eo;
    eo.data_dir = source;
    eo.create_if_missing = false;
    eo.read_only = true;
    eo.shards = (*store)->gallery_config().shard_count;
    eo.face_dimension = (*store)->gallery_config().face_dimension;
    eo.face_led_review = !a->no_face_led;
    auto engine = Engine::open(eo);
    if (!engine) throw StatusError(engine.error());

    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t start_done = 0;
    bool first = true;
    const bool bar = !a->json;
    o.progress = [&](std::uint64_t done, std::uint64_t total, std::uint64_t findings) {
      if (first) {
        start_done = done;
        first = false;
      }
      if (!bar) return;
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double rate = s > 0 ? static_cast<double>(done - start_done) / s : 0;
      const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
      const int pct = total ? static_cast<int>(100 * done / total) : 100;
      std::string b(static_cast<std::size_t>(pct * 30 / 100), '#');
      b.append(30 - b.size(), '.');
      std::fprintf(stderr, "\rreprocess [%s] %3d%%  %llu/%llu  %.0f/s  ETA %02d:%02d:%02d  findings %llu ", b.c_str(), pct,
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), rate,
                   static_cast<int>(eta / 3600), static_cast<int>(eta / 60) % 60, static_cast<int>(eta) % 60,
                   static_cast<unsigned long long>(findings));
      std::fflush(stderr);
    };
    auto r = admin::reprocess(**engine, **store, o);
    if (bar) std::fputc('\n', stderr);
    if (!r) throw StatusError(r.error());
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    store->reset();
    engine->reset();

    if (!a->report.empty()) {
      const bool as_json = a->report.size() >= 5 && a->report.substr(a->report.size() - 5) == ".json";
      if (Status s = write_report(a->report, as_json ? admin::result_json(*r) + "\n" : admin::findings_csv(r->findings));
          !s)
        throw StatusError(s);
    }

    int code = kExitOk;
    std::uint64_t recorded = 0;
    std::string record_note;
    if (!a->no_record && !r->findings.empty()) {
      engine::StoreOptions live;
      live.path = record_dir / "store";
      live.create_if_missing = false;
      auto ls = engine::Store::open(live);
      Status same = ls ? check_same_gallery(record_dir, **ls, r->findings) : Status::ok();
      if (!ls) {
        record_note = fmt::format("findings NOT stored as review cases: {}", ls.error().message());
        if (ls.error().code() == ErrorCode::kLocked)
          record_note += "; they are in the report, and the same command run again once that engine is stopped "
                         "stores them without searching again";
        code = ls.error().code() == ErrorCode::kLocked ? kExitUnavailable : kExitFailure;
      } else if (!same) {
        record_note = fmt::format("findings NOT stored as review cases: {}", same.message());
        code = kExitFailure;
      } else {
        auto added = admin::add_cases(**ls, r->findings);
        if (!added) throw StatusError(added.error());
        recorded = *added;
      }
    }
    if (code == kExitOk)  // the job is done; a rerun starts afresh
      if (Status s = lock->remove(); !s) throw StatusError(s);

    const double rate = secs > 0 ? static_cast<double>(r->probed - r->resumed) / secs : 0;
    if (a->json) {
      auto j = nlohmann::json::parse(admin::result_json(*r));
      j["seconds"] = secs;
      j["identities_per_second"] = rate;
      j["review_cases_added"] = recorded;
      if (!a->no_record) j["review_cases_in"] = record_dir.string();
      if (!record_note.empty()) j["note"] = record_note;
      std::cout << json_text(j) << "\n";
    } else {
      std::cout << fmt::format("reprocessed {} subjects ({} resumed from an earlier run, {} unusable) in {:.1f} s: "
                               "{:.0f} identities/s\n",
                               r->probed, r->resumed, r->unusable, secs, rate);
      std::cout << fmt::format("thresholds: duplicate {:.2f}, review {:.2f} (gallery {}){}\n", r->thresholds.duplicate,
                               r->thresholds.review, r->thresholds.gallery_size,
                               r->face_led_review ? "" : "; face-led review off");
      std::cout << fmt::format("{} pairs found ({} new review cases{})\n", r->findings.size(), recorded,
                               a->no_record || r->findings.empty() ? "" : " in " + record_dir.string());
      for (std::size_t i = 0; i < std::min<std::size_t>(r->findings.size(), 20); ++i) {
        const auto& c = r->findings[i];
        std::cout << fmt::format("  {}  {}  score {:.2f}\n", c.id(), to_string(c.kind), c.evidence.score);
      }
      if (r->findings.size() > 20) std::cout << "  … (all of them in --report)\n";
      if (!a->report.empty()) std::cout << "report: " << a->report << "\n";
      if (!record_note.empty()) std::cout << record_note << "\n";
    }
    return code;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
