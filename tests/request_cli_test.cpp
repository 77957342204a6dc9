// Runs the built `tunggal request …` commands the way an office script would: exit codes, JSON,
// and the refusal to touch verdicts while the engine's store is not wired in.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "admin/review_cases.h"
#include "engine/store.h"
#include "tests/cli_run.h"
#include "tests/engine_fixture.h"

namespace {

using tunggal::testing::CliRun;
// stdout, then stderr
CliRun run(const std::string& args) { return tunggal::testing::run_tunggal(args, true); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class RequestCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tunggal_request_cli_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // Every command at a fixed instant: 2026-11-25 08:00 UTC plus `offset_ms`.
  std::string req(const std::string& verb, long long offset_ms = 0) const {
    return "request " + verb + " --data-dir '" + dir_.string() + "' --now-ms " + std::to_string(1795593600000LL + offset_ms);
  }
  std::filesystem::path dir_;
};

const char* kSiti = " --nik 3273015505900002 --name 'Siti Rahayu' --birth-date 1990-05-15";

}  // namespace

TEST_F(RequestCli, NewVerifyRecordListAndOverdue) {
  CliRun created = run(req("new") + " --service wni-new --doc kk-copy --json" + kSiti);
  ASSERT_EQ(created.exit_code, 0) << created.out;
  const auto j = nlohmann::json::parse(created.out);
  EXPECT_EQ(j["id"], "REQ-00000001");
  EXPECT_EQ(j["state"], "submitted");
  EXPECT_EQ(j["fee_rupiah"], 0);
  EXPECT_EQ(j["sla_deadline_ms"], 1795593600000LL + 86400000LL);

  CliRun missing = run(req("verify-docs", 1000) + " --id REQ-00000001");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(contains(missing.out, "missing documents: form F-1.02")) << missing.out;

  CliRun verified = run(req("verify-docs", 2000) + " --id REQ-00000001 --doc form-f102 --json");
  ASSERT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_EQ(nlohmann::json::parse(verified.out)["state"], "documents_verified");

  CliRun early_print = run(req("hand-over", 3000) + " --id REQ-00000001");
  EXPECT_EQ(early_print.exit_code, 1);
  EXPECT_TRUE(contains(early_print.out, "illegal transition")) << early_print.out;

  ASSERT_EQ(run(req("record-biometrics", 4000) + " --id REQ-00000001 --enrollment ENR-1").exit_code, 0);
  CliRun listed = run(req("list") + " --json --state biometrics_recorded");
  ASSERT_EQ(listed.exit_code, 0) << listed.out;
  EXPECT_EQ(nlohmann::json::parse(listed.out).size(), 1u);

  EXPECT_EQ(nlohmann::json::parse(run(req("overdue", 86400000) + " --json").out).size(), 0u);
  CliRun late = run(req("overdue", 86400001) + " --json");
  ASSERT_EQ(late.exit_code, 0) << late.out;
  const auto jl = nlohmann::json::parse(late.out);
  ASSERT_EQ(jl.size(), 1u);
  EXPECT_EQ(jl[0]["id"], "REQ-00000001");
}

TEST_F(RequestCli, VerdictStepsNeedTheEngineStore) {
  ASSERT_EQ(run(req("new") + " --service wni-new --doc kk-copy --doc form-f102" + kSiti).exit_code, 0);
  for (const char* verb : {"refresh", "print"}) {
    CliRun r = run(req(verb) + " --id REQ-00000001");
    EXPECT_EQ(r.exit_code, 3) << verb << ": " << r.out;
    EXPECT_TRUE(contains(r.out, "engine store not available")) << r.out;
  }
}

TEST_F(RequestCli, BadInputIsAUsageErrorWithTheReason) {
  CliRun reason = run(req("new") + " --service wni-new --reason loss" + kSiti);
  EXPECT_EQ(reason.exit_code, 2);
  EXPECT_TRUE(contains(reason.out, "new card takes no reason")) << reason.out;
  CliRun doc = run(req("new") + " --service wni-new --doc passport" + kSiti);
  EXPECT_EQ(doc.exit_code, 2);
  EXPECT_TRUE(contains(doc.out, "unknown document 'passport'")) << doc.out;
  CliRun unknown = run(req("show") + " --id REQ-00000042");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.out, "no request 'REQ-00000042'")) << unknown.out;
}

TEST_F(RequestCli, ANameThatIsNotUtf8IsRefusedWithWhereAndNothingIsStored) {
  // "Sit\xe9" is "Sité" typed in a Latin-1 terminal: 0xE9 alone is not UTF-8. The name goes on the
  // card, so it is refused with the offending byte, not stored with U+FFFD in its place (nor, as
  // before json_text, thrown out of the store's commit by nlohmann's dump()).
  const std::string latin1 = " --nik 3273015505900002 --name 'Sit\xe9 Rahayu' --birth-date 1990-05-15";
  CliRun created = run(req("new") + " --service wni-new --doc kk-copy --json" + latin1);
  EXPECT_NE(created.exit_code, 0) << created.out;
  EXPECT_TRUE(contains(created.out, "not valid UTF-8 (byte 0xE9 at offset 3)")) << created.out;
  CliRun r = run(req("list") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 0u) << r.out;
  // The same name in UTF-8 is taken.
  CliRun ok = run(req("new") + " --service wni-new --doc kk-copy --json --nik 3273015505900002 --name 'Sit\xc3\xa9 Rahayu' --birth-date 1990-05-15");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_EQ(nlohmann::json::parse(ok.out)["applicant"]["name"], "Sit\xc3\xa9 Rahayu");
}

TEST_F(RequestCli, DaringRegistrationIsInTheOutboxAndOldCardsAreLogged) {
  CliRun created = run(req("new") + " --service oa-reissue --reason renewal --channel daring --email a@b.id"
                                    " --nik 3273011505900001 --name 'John Smith' --birth-date 1990-05-15 --doc old-card");
  ASSERT_EQ(created.exit_code, 0) << created.out;
  EXPECT_TRUE(contains(created.out, "REG-20261125-000001")) << created.out;
  ASSERT_EQ(run(req("verify-docs") + " --id REQ-00000001").exit_code, 0);

  CliRun box = run(req("outbox") + " --json");
  ASSERT_EQ(box.exit_code, 0) << box.out;
  const auto jb = nlohmann::json::parse(box.out);
  ASSERT_EQ(jb.size(), 2u);  // registered, documents verified
  EXPECT_EQ(jb[0]["recipient"], "a@b.id");
  ASSERT_EQ(run(req("outbox", 10) + " --take").exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(run(req("outbox", 20) + " --json").out).size(), 0u);

  CliRun sent = run(req("old-cards", 30) + " --send-to-dinas --json");
  ASSERT_EQ(sent.exit_code, 0) << sent.out;
  const auto jc = nlohmann::json::parse(sent.out);
  ASSERT_EQ(jc.size(), 1u);
  EXPECT_EQ(jc[0]["reason"], "renewal");
  EXPECT_EQ(jc[0]["sent_to_dinas_at_ms"], 1795593600030LL);
}

// The review's two findings offline, over a real engine's store in the same data directory: one
// capture linked to requests under two NIKs, and a UNIQUE verdict that re-deduplication later
// contradicts (a reprocessing review case on its subject).
TEST_F(RequestCli, ACaptureServesOneApplicantAndAReviewCaseStopsPrinting) {
  tunggal::datasets::Population pop(tunggal::datasets::PopulationConfig{.seed = 5});
  tunggal::SubjectId subject;
  {
    auto engine = tunggal::Engine::open(tunggal::testing::test_engine_options(dir_), tunggal::testing::test_fusion_model());
    ASSERT_TRUE(engine) << engine.error().to_string();
    std::vector<tunggal::Enrollment> gallery;
    for (std::uint64_t i = 0; i < 10; ++i) gallery.push_back(pop.capture(i, 0));
    ASSERT_TRUE((*engine)->import(gallery));
    ASSERT_TRUE((*engine)->finish_import());
    tunggal::Enrollment capture = tunggal::testing::capture_as(pop, 50, 0, "cap-1");
    capture.nik = *tunggal::Nik::parse("3273015505900002");  // Siti's
    ASSERT_TRUE((*engine)->submit(std::vector<tunggal::Enrollment>{capture}));
    ASSERT_TRUE((*engine)->process_all());
    auto v = (*engine)->verdict(tunggal::EnrollmentId{"cap-1"});
    ASSERT_TRUE(v && *v && (*v)->kind == tunggal::VerdictKind::kUnique);
    subject = (*v)->subject;
  }
  ASSERT_EQ(run(req("new") + " --service wni-new --doc kk-copy --doc form-f102" + kSiti).exit_code, 0);
  ASSERT_EQ(run(req("new") + " --service wni-new --doc kk-copy --doc form-f102"
                             " --nik 3273015505900003 --name 'Budi Santoso' --birth-date 1990-05-15").exit_code,
            0);
  CliRun twice = run(req("new") + " --service wni-new --doc kk-copy --doc form-f102" + kSiti);
  EXPECT_EQ(twice.exit_code, 1) << twice.out;
  EXPECT_TRUE(contains(twice.out, "already has an open request REQ-00000001")) << twice.out;
  for (const char* id : {"REQ-00000001", "REQ-00000002"})
    ASSERT_EQ(run(req("verify-docs") + " --id " + id).exit_code, 0);

  ASSERT_EQ(run(req("record-biometrics") + " --id REQ-00000001 --enrollment cap-1").exit_code, 0);
  CliRun reused = run(req("record-biometrics") + " --id REQ-00000002 --enrollment cap-1");
  EXPECT_EQ(reused.exit_code, 1) << reused.out;
  EXPECT_TRUE(contains(reused.out, "already linked to request REQ-00000001")) << reused.out;
  CliRun ready = run(req("refresh") + " --id REQ-00000001 --json");
  ASSERT_EQ(ready.exit_code, 0) << ready.out;
  EXPECT_EQ(nlohmann::json::parse(ready.out)["state"], "print_ready");

  {
    tunggal::engine::StoreOptions so;
    so.path = dir_ / "store";
    so.create_if_missing = false;
    auto store = tunggal::engine::Store::open(so);
    ASSERT_TRUE(store) << store.error().to_string();
    tunggal::admin::ReviewCase c;
    c.a = tunggal::SubjectId{1};
    c.b = subject;
    c.probe = subject;
    c.evidence.subject = c.a;
    c.evidence.score = 5.0f;
    c.kind = tunggal::VerdictKind::kDuplicate;
    ASSERT_TRUE(tunggal::admin::add_cases(**store, {c}));
  }
  CliRun refused = run(req("print") + " --id REQ-00000001");
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_TRUE(contains(refused.out, "is DUPLICATE")) << refused.out;
  CliRun blocked = run(req("refresh") + " --id REQ-00000001 --json");
  ASSERT_EQ(blocked.exit_code, 0) << blocked.out;
  EXPECT_EQ(nlohmann::json::parse(blocked.out)["state"], "duplicate_blocked");
}
