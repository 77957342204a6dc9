// `tunggal admin …` against a real temporary data directory, run as an admin's script would:
// exit codes, --json output, and the effect on the store (verdicts, review cases, audit log).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "admin/review_cases.h"
#include "engine/store.h"
#include "tests/cli_run.h"
#include "tests/engine_fixture.h"
#include "tests/old_store_layout.h"

namespace tunggal {
namespace {

namespace fs = std::filesystem;

// The shared runner, plus the parsed JSON the admin commands print with --json.
struct CliRun : testing::CliRun {
  nlohmann::json json() const { return nlohmann::json::parse(out, nullptr, false); }
};
CliRun run(const std::string& args) { return {testing::run_tunggal(args)}; }

// 30 imported identities (subjects 1..30); then through the real submit/process path: a second
// capture of identity 2 (subject 3) and of identity 5 (subject 6) under new ids, and a newcomer.
// Plus one reprocessing case RC-8-9.
class AdminCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(testing::make_temp_dir("admin-cli"));
    const fs::path data = *root_ / "data";
    {
      auto engine = Engine::open(testing::test_engine_options(data), testing::test_fusion_model());
      ASSERT_TRUE(engine) << engine.error().to_string();
      datasets::Population pop(datasets::PopulationConfig{.seed = 99});
      std::vector<Enrollment> gallery;
      for (std::uint64_t i = 0; i < 30; ++i) gallery.push_back(pop.capture(i, 0));
      ASSERT_TRUE((*engine)->import(gallery));
      ASSERT_TRUE((*engine)->finish_import());
      std::vector<Enrollment> batch{testing::capture_as(pop, 2, 1, "dup-1"), testing::capture_as(pop, 500, 0, "new-1"),
                                    testing::capture_as(pop, 5, 1, "dup-2")};
      ASSERT_TRUE((*engine)->submit(batch));
      ASSERT_TRUE((*engine)->process_all());
    }
    engine::StoreOptions so;
    so.path = data / "store";
    auto store = engine::Store::open(so);
    ASSERT_TRUE(store);
    admin::ReviewCase c;
    c.a = SubjectId{8};
    c.b = SubjectId{9};
    c.probe = c.a;
    c.evidence.subject = c.b;
    c.evidence.score = 6.0f;
    c.kind = VerdictKind::kDuplicate;
    c.found_at_ms = 1;  // oldest of all
    ASSERT_TRUE(admin::add_cases(**store, {c}));
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*root_, ec);
    delete root_;
  }
  // A private copy for tests that change the data directory.
  static fs::path copy(const std::string& name) {
    const fs::path to = *root_ / name;
    fs::copy(*root_ / "data", to, fs::copy_options::recursive);
    return to;
  }
  static std::string dd(const fs::path& p) { return " --data-dir '" + p.string() + "'"; }
  static std::string data() { return dd(*root_ / "data"); }
  static inline fs::path* root_ = nullptr;
};

TEST_F(AdminCli, StatusCountsGalleryShardsVerdictsAndCases) {
  auto r = run("admin status --json" + data());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = r.json();
  EXPECT_EQ(j["gallery_size"], 31);  // the newcomer became a subject
  std::uint64_t sum = 0;
  for (auto& s : j["gallery_per_shard"]) sum += s.get<std::uint64_t>();
  EXPECT_EQ(sum, 31u);
  EXPECT_EQ(j["gallery_per_shard"].size(), 2u);
  EXPECT_EQ(j["queue_pending"], 0);
  EXPECT_EQ(j["verdicts"]["UNIQUE"], 1);
  EXPECT_EQ(j["verdicts"].value("DUPLICATE", 0) + j["verdicts"].value("REVIEW", 0), 2);
  EXPECT_EQ(j["awaiting_adjudication"], 2);
  EXPECT_EQ(j["review_cases_open"], 1);
  EXPECT_GT(j["thresholds"]["duplicate"].get<double>(), j["thresholds"]["review"].get<double>());
  auto text = run("admin status" + data());
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("shard 1"), std::string::npos) << text.out;
  EXPECT_EQ(run("admin status --data-dir /nonexistent/tunggal").exit_code, 3);
}

TEST_F(AdminCli, ShowSubjectAndEnrollmentWithCandidateScores) {
  auto s = run("admin show subject 3 --json" + data());
  ASSERT_EQ(s.exit_code, 0) << s.out;
  EXPECT_EQ(s.json()["state"], "ACTIVE");
  EXPECT_GT(s.json()["fingers"].size(), 0u);
  auto e = run("admin show enrollment dup-1 --json" + data());
  ASSERT_EQ(e.exit_code, 0) << e.out;
  const auto v = e.json()["verdict"];
  EXPECT_EQ(v["candidates"][0]["subject"], 3);
  EXPECT_GT(v["candidates"][0]["finger_scores"].size(), 0u);
  EXPECT_EQ(e.json()["state"], "DECIDED");
  EXPECT_EQ(run("admin show subject 999" + data()).exit_code, 4);
  EXPECT_EQ(run("admin show enrollment nope" + data()).exit_code, 4);
  EXPECT_EQ(run("admin show subject abc" + data()).exit_code, 2);
  auto text = run("admin show enrollment dup-1" + data());
  EXPECT_NE(text.out.find("candidate"), std::string::npos) << text.out;
}

TEST_F(AdminCli, ReviewListIsOldestFirstWithBothKindsOfCases) {
  auto r = run("admin review list --json" + data());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto cases = r.json()["cases"];
  ASSERT_EQ(cases.size(), 3u) << r.out;
  EXPECT_EQ(cases[0]["id"], "RC-8-9");  // found_at 1: the oldest
  for (std::size_t i = 1; i < cases.size(); ++i)
    EXPECT_LE(cases[i - 1]["since_ms"].get<std::int64_t>(), cases[i]["since_ms"].get<std::int64_t>());
  auto show = run("admin review show RC-8-9 --json" + data());
  ASSERT_EQ(show.exit_code, 0);
  EXPECT_EQ(show.json()["score"], 6.0);
  EXPECT_EQ(run("admin review show RC-1-2" + data()).exit_code, 4);
  EXPECT_EQ(run("admin review show dup-2 --json" + data()).exit_code, 0);
}

TEST_F(AdminCli, CaseIdsAreReadAsParseCaseIdReadsThem) {
  // "rc-8-9" and "8-9" name the case RC-8-9 for every command, as parse_case_id accepts them;
  // they were taken for enrollment ids (exit 4, "no verdict") by a case-sensitive "RC-" test.
  for (const char* id : {"rc-8-9", "8-9"}) {
    auto show = run(std::string("admin review show ") + id + " --json" + data());
    ASSERT_EQ(show.exit_code, 0) << id << ": " << show.out;
    EXPECT_EQ(show.json()["case"], "RC-8-9") << id;
    auto text = run(std::string("admin review show ") + id + data());
    EXPECT_EQ(text.exit_code, 0) << id;
    EXPECT_NE(text.out.find("RC-8-9"), std::string::npos) << id << ": " << text.out;
  }
  EXPECT_TRUE(admin::is_case_id("rc-12-345"));
  EXPECT_TRUE(admin::is_case_id("12-345"));
  EXPECT_FALSE(admin::is_case_id("dup-1"));
  EXPECT_FALSE(admin::is_case_id("3273-KEC-SUKAJADI-01/000123"));
  const fs::path d = copy("adjudicate-lower-case");
  ASSERT_EQ(run("admin adjudicate rc-8-9 --decision distinct --admin sari --reason twins" + dd(d)).exit_code, 0);
  auto audit = run("admin audit --json" + dd(d)).json();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0]["target"], "RC-8-9");
}

TEST_F(AdminCli, AdjudicateIsFinalAuditedAndLeavesTheQueue) {
  const fs::path d = copy("adjudicate");
  EXPECT_EQ(run("admin adjudicate dup-1 --decision duplicate --admin budi --reason 'same person, two NIKs'" + dd(d)).exit_code, 0);
  EXPECT_EQ(run("admin adjudicate dup-1 --decision distinct --admin budi --reason x" + dd(d)).exit_code, 1);
  EXPECT_EQ(run("admin adjudicate dup-2 --decision duplicate --admin budi" + dd(d)).exit_code, 2) << "--reason is required";
  EXPECT_EQ(run("admin adjudicate new-1 --decision duplicate --admin budi --reason x" + dd(d)).exit_code, 1)
      << "a UNIQUE verdict is not adjudicated";
  EXPECT_EQ(run("admin adjudicate nope --decision duplicate --admin budi --reason x" + dd(d)).exit_code, 4);
  EXPECT_EQ(run("admin adjudicate RC-8-9 --decision distinct --admin sari --reason 'twins'" + dd(d)).exit_code, 0);
  auto list = run("admin review list --json" + dd(d)).json();
  ASSERT_EQ(list["cases"].size(), 1u);
  EXPECT_EQ(list["cases"][0]["id"], "dup-2");
  auto v = run("admin show enrollment dup-1 --json" + dd(d)).json()["verdict"];
  EXPECT_EQ(v["decision"], "CONFIRMED_DUPLICATE");
  EXPECT_EQ(v["linked_subject"], 3);
  auto audit = run("admin audit --json" + dd(d)).json();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0]["target"], "dup-1");
  EXPECT_EQ(audit[0]["actor"], "budi");
  EXPECT_EQ(audit[1]["target"], "RC-8-9");
  EXPECT_EQ(audit[1]["reason"], "twins");
}

TEST_F(AdminCli, DeleteRemovesFromGalleryAndAuditSinceFilters) {
  const fs::path d = copy("delete");
  EXPECT_EQ(run("admin delete 4 --admin budi --reason 'death certificate 12/2026'" + dd(d)).exit_code, 0);
  EXPECT_EQ(run("admin delete 4 --admin budi --reason again" + dd(d)).exit_code, 1);
  EXPECT_EQ(run("admin delete 777 --admin budi --reason x" + dd(d)).exit_code, 4);
  EXPECT_EQ(run("admin show subject 4 --json" + dd(d)).json()["state"], "REVOKED");
  EXPECT_EQ(run("admin status --json" + dd(d)).json()["gallery_size"], 30);
  EXPECT_EQ(run("admin audit --since 1h --json" + dd(d)).json().size(), 1u);
  EXPECT_EQ(run("admin audit --since 2999-01-01 --json" + dd(d)).json().size(), 0u);
  EXPECT_EQ(run("admin audit --since yesterday" + dd(d)).exit_code, 2);
  // Numbers beyond int64, or ages before the epoch: a usage error, not "stoll" or an overflow.
  EXPECT_EQ(run("admin audit --since 99999999999999999999" + dd(d)).exit_code, 2);
  EXPECT_EQ(run("admin audit --since 200000000000d" + dd(d)).exit_code, 2);
  EXPECT_EQ(run("admin audit --since 9999999999999999999h" + dd(d)).exit_code, 2);
  // Deleting the newcomer (subject 31, created by enrollment new-1) takes its fingers and face out
  // of the stored enrollment too; the record, its state and its verdict stay for show and audit.
  ASSERT_GT(run("admin show enrollment new-1 --json" + dd(d)).json()["fingers"].get<int>(), 0);
  ASSERT_EQ(run("admin delete 31 --admin budi --reason 'court order 7/2026'" + dd(d)).exit_code, 0);
  auto deleted = run("admin show enrollment new-1 --json" + dd(d));
  ASSERT_EQ(deleted.exit_code, 0) << deleted.out;
  EXPECT_EQ(deleted.json()["fingers"], 0);
  EXPECT_EQ(deleted.json()["has_face"], false);
  EXPECT_EQ(deleted.json()["state"], "DECIDED");
  EXPECT_EQ(deleted.json()["verdict"]["kind"], "UNIQUE");
}

// The review cases of one subject, as `admin show subject ID --json` lists them: "RC-A-B DECISION".
std::vector<std::string> cases_shown(const CliRun& r) {
  std::vector<std::string> out;
  const auto j = r.json();
  if (j.is_discarded() || !j.contains("review_cases")) {
    ADD_FAILURE() << "exit " << r.exit_code << ": " << r.out;
    return out;
  }
  for (const auto& c : j["review_cases"])
    out.push_back(c["case"].get<std::string>() + " " + c["decision"].get<std::string>());
  return out;
}

TEST_F(AdminCli, ShowSubjectListsItsOwnReviewCasesWhateverTheOthersHold) {
  using V = std::vector<std::string>;
  const fs::path d = copy("show-cases");
  {
    engine::StoreOptions so;
    so.path = d / "store";
    auto store = engine::Store::open(so);
    ASSERT_TRUE(store) << store.error().to_string();
    std::vector<admin::ReviewCase> more;
    for (auto [a, b] : {std::pair{3, 12}, {12, 20}, {8, 12}, {5, 7}}) {
      admin::ReviewCase c;
      c.a = SubjectId{static_cast<std::uint64_t>(a)};
      c.b = SubjectId{static_cast<std::uint64_t>(b)};
      c.probe = c.b;
      c.evidence.subject = c.a;
      c.evidence.score = 7.5f;
      c.found_at_ms = 2;
      more.push_back(c);
    }
    ASSERT_EQ(*admin::add_cases(**store, more), 4u);
    // One case damaged (as a bad disk block or a bug would leave it): it is another subject's
    // business, not subject 12's; reading every case to find 12's failed on it.
    auto b = (*store)->batch();
    b.put_meta("review_case/00000000000000000005-00000000000000000007", "{not json");
    ASSERT_TRUE((*store)->commit(std::move(b)));
  }
  auto show = [&](int subject) { return run(fmt::format("admin show subject {} --json", subject) + dd(d)); };
  EXPECT_EQ(cases_shown(show(12)), (V{"RC-3-12 NONE", "RC-8-12 NONE", "RC-12-20 NONE"}));
  EXPECT_EQ(cases_shown(show(8)), (V{"RC-8-9 NONE", "RC-8-12 NONE"}));
  EXPECT_EQ(cases_shown(show(10)), V{});
  EXPECT_EQ(show(5).exit_code, 1) << "subject 5's own case is the damaged one";
  auto text = run("admin show subject 12" + dd(d));
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("review case     RC-12-20 REVIEW score 7.50 open"), std::string::npos) << text.out;

  // An adjudication shows on both subjects' pages; a deletion keeps the subject's cases on its page.
  ASSERT_EQ(run("admin adjudicate RC-8-12 --decision distinct --admin sari --reason twins" + dd(d)).exit_code, 0);
  EXPECT_EQ(cases_shown(show(12)), (V{"RC-3-12 NONE", "RC-8-12 DISTINCT", "RC-12-20 NONE"}));
  EXPECT_EQ(cases_shown(show(8)), (V{"RC-8-9 NONE", "RC-8-12 DISTINCT"}));
  ASSERT_EQ(run("admin delete 12 --admin budi --reason 'death certificate'" + dd(d)).exit_code, 0);
  EXPECT_EQ(show(12).json()["state"], "REVOKED");
  EXPECT_EQ(cases_shown(show(12)), (V{"RC-3-12 NONE", "RC-8-12 DISTINCT", "RC-12-20 NONE"}));
  EXPECT_EQ(cases_shown(show(20)), V{"RC-12-20 NONE"});

  // A store whose cases were stored before the per-subject index: the same pages.
  testing::edit_store_meta(d / "store", [](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* meta) {
    ASSERT_TRUE(db.DeleteRange({}, meta, "review_case_of/", "review_case_of0").ok());  // '0' follows '/'
    ASSERT_TRUE(db.Delete({}, meta, "review_case_of.complete").ok());
    ASSERT_TRUE(db.Delete({}, meta, "review_case/00000000000000000005-00000000000000000007").ok());
  });
  EXPECT_EQ(cases_shown(show(12)), (V{"RC-3-12 NONE", "RC-8-12 DISTINCT", "RC-12-20 NONE"}));
  EXPECT_EQ(cases_shown(show(9)), V{"RC-8-9 NONE"});
}

TEST_F(AdminCli, BackupRestoreRoundTrip) {
  const fs::path b = *root_ / "backup";
  auto r = run("admin backup '" + b.string() + "' --json" + data());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.json()["subjects"], 31);
  EXPECT_TRUE(fs::exists(b / "index"));
  EXPECT_EQ(run("admin backup '" + b.string() + "'" + data()).exit_code, 1) << "an existing directory is not overwritten";
  const fs::path restored = *root_ / "restored";
  ASSERT_EQ(run("admin restore '" + b.string() + "'" + dd(restored)).exit_code, 0);
  auto before = run("admin status --json" + data()).json();
  auto after = run("admin status --json" + dd(restored)).json();
  before.erase("data_dir");
  after.erase("data_dir");
  EXPECT_EQ(before, after);
  EXPECT_EQ(run("admin restore '" + b.string() + "'" + dd(restored)).exit_code, 1) << "restore never overwrites a gallery";
  EXPECT_EQ(run("admin show enrollment dup-1 --json" + dd(restored)).exit_code, 0);
}

TEST_F(AdminCli, ThresholdsWhatIfReplaysStoredScores) {
  auto same = run("admin thresholds --target-fpir 1e-3 --json" + data());
  ASSERT_EQ(same.exit_code, 0) << same.out;
  EXPECT_EQ(same.json()["verdicts_changed"], 0);
  EXPECT_EQ(same.json()["review_load_before"], same.json()["review_load_after"]);

  // A strict target: compare with the stored best scores directly.
  auto strict = run("admin thresholds --target-fpir 1e-12 --review-fpir 1e-11 --json" + data());
  ASSERT_EQ(strict.exit_code, 0) << strict.out;
  const auto j = strict.json();
  const double review = j["what_if"]["review"].get<double>();
  engine::StoreOptions so;
  so.path = *root_ / "data" / "store";
  so.read_only = true;
  auto store = engine::Store::open(so);
  ASSERT_TRUE(store);
  std::uint64_t flagged_after = 0;
  ASSERT_TRUE((*store)->for_each_verdict([&](const Verdict& v) {
    if (!v.candidates.empty() && v.candidates.front().score >= review) ++flagged_after;
    return true;
  }));
  EXPECT_EQ(j["review_load_after"], flagged_after);
  EXPECT_EQ(j["review_load_before"], 2);
  EXPECT_EQ(j["verdicts_changed"], 2 - flagged_after);
  EXPECT_EQ(run("admin thresholds --target-fpir 0.1 --review-fpir 0.01" + data()).exit_code, 2);
}

TEST_F(AdminCli, ChangesNeedTheDataDirectoryToThemselvesReadsDoNot) {
  const fs::path d = copy("locked");
  auto engine = Engine::open(testing::test_engine_options(d));
  ASSERT_TRUE(engine) << engine.error().to_string();
  // stderr is kept: it says which directory is held, and is what to read if this ever fails.
  auto adjudicate = testing::run_tunggal("admin adjudicate dup-1 --decision duplicate --admin budi --reason x" + dd(d), true);
  EXPECT_EQ(adjudicate.exit_code, 3) << adjudicate.out;
  EXPECT_NE(adjudicate.out.find("in use"), std::string::npos) << adjudicate.out;
  auto del = testing::run_tunggal("admin delete 4 --admin budi --reason x" + dd(d), true);
  EXPECT_EQ(del.exit_code, 3) << del.out;
  auto case_decision = testing::run_tunggal("admin adjudicate RC-8-9 --decision distinct --admin budi --reason x" + dd(d), true);
  EXPECT_EQ(case_decision.exit_code, 3) << case_decision.out;
  // Reads go on beside the live engine, again and again (a read-only open retries a file the
  // writer replaced instead of calling the store damaged).
  for (int i = 0; i < 5; ++i) {
    auto status = testing::run_tunggal("admin status" + dd(d), true);
    EXPECT_EQ(status.exit_code, 0) << status.out;
  }
}

TEST_F(AdminCli, EveryCommandHasHelpWithExamples) {
  for (const char* c : {"status", "show", "review", "adjudicate", "delete", "audit", "backup", "restore", "thresholds"}) {
    auto r = run(std::string("admin ") + c + " --help");
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << c << ":\n" << r.out;
  }
}

}  // namespace
}  // namespace tunggal
