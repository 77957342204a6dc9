// `tunggal admin … --connect` against a real server on 127.0.0.1 (a port chosen at run time, TLS
// certificates made by the test, a temporary data directory with a few enrollments including two
// duplicates): every command over the protocol, run as the real `tunggal` binary, with its exit
// codes and --json; changes are audited under the certificate's name; a site is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "admin/review_cases.h"
#include "server/client.h"
#include "server/dev_certs.h"
#include "server/server.h"
#include "tests/cli_run.h"
#include "tests/engine_fixture.h"

namespace tunggal {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using testing::run_tunggal;

// 30 imported identities (subjects 1..30); then submitted by station "site-a" over TLS: a second
// capture of identity 2 (subject 3) and of identity 5 (subject 6) under new ids, and a newcomer.
// Plus one reprocessing case RC-8-9, the oldest item of the queue.
class AdminRemote : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir("admin-remote");
    ASSERT_TRUE(server::make_dev_certs({.out = dir_ / "tls", .sites = {"site-a"}, .admins = {"alice"}}));
    auto engine = Engine::open(testing::test_engine_options(dir_ / "data"), testing::test_fusion_model());
    ASSERT_TRUE(engine) << engine.error().to_string();
    engine_ = std::move(*engine);
    datasets::Population pop(datasets::PopulationConfig{.seed = 99});
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < 30; ++i) gallery.push_back(pop.capture(i, 0));
    ASSERT_TRUE(engine_->import(gallery));
    ASSERT_TRUE(engine_->finish_import());
    ASSERT_TRUE(engine_->with_store([](engine::Store& s) -> Status {
      admin::ReviewCase c;
      c.a = SubjectId{8};
      c.b = SubjectId{9};
      c.probe = c.a;
      c.evidence.subject = c.b;
      c.evidence.score = 6.0f;
      c.kind = VerdictKind::kDuplicate;
      c.found_at_ms = 1;
      auto added = admin::add_cases(s, {c});
      return added ? Status::ok() : added.error();
    }));

    backend_ = server::engine_backend(*engine_);
    server::ServerOptions o;
    o.port = 0;
    o.tls = server::TlsFiles::in_dir(dir_ / "tls", "server");
    auto srv = server::Server::start(o, *backend_);
    ASSERT_TRUE(srv) << srv.error().to_string();
    server_ = std::move(*srv);

    auto site = server::Client::connect(options("site-a"));
    ASSERT_TRUE(site) << site.error().to_string();
    std::vector<Enrollment> batch{testing::capture_as(pop, 2, 1, "dup-1"), testing::capture_as(pop, 500, 0, "new-1"),
                                  testing::capture_as(pop, 5, 1, "dup-2")};
    auto acks = (*site)->submit(batch);
    ASSERT_TRUE(acks) << acks.error().to_string();
    const std::vector<std::string> ids{"dup-1", "new-1", "dup-2"};
    for (int i = 0; i < 300; ++i) {  // the server's decider: at most a few seconds
      auto states = (*site)->verdicts(ids);
      ASSERT_TRUE(states);
      if (std::all_of(states->begin(), states->end(),
                      [](const server::VerdictState& v) { return v.state == server::VerdictState::State::kDecided; }))
        break;
      std::this_thread::sleep_for(20ms);
    }
  }
  void TearDown() override {
    server_.reset();
    backend_.reset();
    engine_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  server::ClientOptions options(const std::string& name) const {
    server::ClientOptions o;
    o.port = server_->port();
    o.tls = server::TlsFiles::in_dir(dir_ / "tls", name);
    o.timeout = 10s;
    return o;
  }
  // The admin's command line: TLS with alice's certificate (OU=admin).
  std::string as(const std::string& name) const {
    return " --connect 127.0.0.1:" + std::to_string(server_->port()) + " --tls-dir '" + (dir_ / "tls").string() +
           "' --admin " + name;
  }
  std::string remote() const { return as("alice"); }
  static json parse(const testing::CliRun& r) { return json::parse(r.out, nullptr, false); }

  fs::path dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<server::Backend> backend_;
  std::unique_ptr<server::Server> server_;
};

TEST_F(AdminRemote, StatusShowsGalleryVerdictsThresholdsAndServer) {
  auto r = run_tunggal("admin status --json" + remote());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = parse(r);
  EXPECT_EQ(j["gallery_size"], 31);  // the newcomer became a subject
  std::uint64_t sum = 0;
  for (const auto& s : j["gallery_per_shard"]) sum += s.get<std::uint64_t>();
  EXPECT_EQ(sum, 31u);
  EXPECT_EQ(j["verdicts"]["UNIQUE"], 1);
  EXPECT_EQ(j["verdicts"].value("DUPLICATE", 0) + j["verdicts"].value("REVIEW", 0), 2);
  EXPECT_EQ(j["awaiting_adjudication"], 2);
  EXPECT_EQ(j["review_cases_open"], 1);
  EXPECT_EQ(j["thresholds"]["target_fpir"], engine_->options().target_fpir);
  EXPECT_FLOAT_EQ(j["thresholds"]["duplicate"].get<float>(), engine_->thresholds().duplicate);
  EXPECT_GT(j["server"]["uptime_s"].get<double>(), 0.0);
  EXPECT_GE(j["server"]["connections"].get<int>(), 1);  // this one
  EXPECT_EQ(j["server"]["counters"]["accepted_items"], 3);
  EXPECT_EQ(j["engine"]["shards"], 2);
  // The finger-code index in use, described: the fused one (the per-position lists are off).
  EXPECT_NE(j["engine"]["finger_index"].get<std::string>(), "");
  EXPECT_EQ(j["engine"]["finger_index"], j["engine"]["fused_finger_index"]);
  // What a crash now would replay: the engine's own count (the newcomer's commit at least).
  const EngineStats st = engine_->stats();
  EXPECT_EQ(j["engine"]["changes_since_snapshot"], st.changes_since_snapshot);
  EXPECT_EQ(j["engine"]["snapshot_change_seq"], st.snapshot_change_seq);
  EXPECT_EQ(j["engine"]["changes_replayed_at_open"], st.changes_replayed_at_open);
  EXPECT_GE(st.changes_since_snapshot, 1u);

  auto text = run_tunggal("admin status" + remote());
  ASSERT_EQ(text.exit_code, 0);
  for (const char* line : {"shard 1", "UNIQUE 1", "uptime", "throughput", "thresholds", "changes since the last"})
    EXPECT_NE(text.out.find(line), std::string::npos) << line << " in:\n" << text.out;
}

TEST_F(AdminRemote, ShowEnrollmentAndSubjectWithPerFingerScores) {
  auto e = run_tunggal("admin show enrollment site-a/dup-1 --json" + remote());
  ASSERT_EQ(e.exit_code, 0) << e.out;
  const json v = parse(e)["verdict"];
  EXPECT_EQ(parse(e)["state"], "DECIDED");
  EXPECT_EQ(parse(e)["site"], "site-a");
  EXPECT_EQ(v["candidates"][0]["subject"], 3);
  EXPECT_GT(v["candidates"][0]["finger_scores"].size(), 0u);
  auto s = run_tunggal("admin show subject 3 --json" + remote());
  ASSERT_EQ(s.exit_code, 0) << s.out;
  EXPECT_EQ(parse(s)["state"], "ACTIVE");
  EXPECT_GT(parse(s)["fingers"].size(), 0u);
  auto text = run_tunggal("admin show enrollment site-a/dup-1" + remote());
  EXPECT_NE(text.out.find("candidate     subject 3"), std::string::npos) << text.out;
  EXPECT_EQ(run_tunggal("admin show subject 999" + remote()).exit_code, 4);
  EXPECT_EQ(run_tunggal("admin show enrollment site-a/nope" + remote()).exit_code, 4);
  EXPECT_EQ(run_tunggal("admin show subject abc" + remote()).exit_code, 2);
}

TEST_F(AdminRemote, ReviewQueueOldestFirstWithSlaAge) {
  auto r = run_tunggal("admin review list --json" + remote());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json cases = parse(r)["cases"];
  ASSERT_EQ(cases.size(), 3u) << r.out;
  EXPECT_EQ(cases[0]["id"], "RC-8-9");
  EXPECT_GT(cases[0]["age_seconds"].get<std::int64_t>(), 1'000'000'000);  // found at epoch ms 1
  for (std::size_t i = 1; i < cases.size(); ++i) {
    EXPECT_LE(cases[i - 1]["since_ms"].get<std::int64_t>(), cases[i]["since_ms"].get<std::int64_t>());
    EXPECT_EQ(cases[i]["source"], "enrollment");
  }
  auto show = run_tunggal("admin review show RC-8-9 --json" + remote());
  ASSERT_EQ(show.exit_code, 0);
  EXPECT_EQ(parse(show)["score"], 6.0);
  EXPECT_EQ(run_tunggal("admin review show site-a/dup-2" + remote()).exit_code, 0);
  EXPECT_EQ(run_tunggal("admin review show RC-1-2" + remote()).exit_code, 4);
  auto text = run_tunggal("admin review list --limit 1" + remote());
  EXPECT_NE(text.out.find("2 more"), std::string::npos) << text.out;
}

TEST_F(AdminRemote, AdjudicateAndDeleteAreAuditedUnderTheCertificateName) {
  const std::string r = remote();
  EXPECT_EQ(run_tunggal("admin adjudicate site-a/dup-1 --decision duplicate --reason 'same person, two NIKs'" + r).exit_code, 0);
  EXPECT_EQ(run_tunggal("admin adjudicate site-a/dup-1 --decision distinct --reason again" + r).exit_code, 1)
      << "a decision is final";
  EXPECT_EQ(run_tunggal("admin adjudicate site-a/new-1 --decision duplicate --reason x" + r).exit_code, 1)
      << "a UNIQUE verdict is not adjudicated";
  EXPECT_EQ(run_tunggal("admin adjudicate site-a/nope --decision duplicate --reason x" + r).exit_code, 4);
  EXPECT_EQ(run_tunggal("admin adjudicate RC-8-9 --decision distinct --reason twins" + r).exit_code, 0);
  EXPECT_EQ(run_tunggal("admin adjudicate RC-8-9 --decision distinct --reason twins" + r).exit_code, 1);
  EXPECT_EQ(run_tunggal("admin delete 4 --reason 'death certificate 12/2026'" + r).exit_code, 0);
  EXPECT_EQ(run_tunggal("admin delete 4 --reason again" + r).exit_code, 1);
  EXPECT_EQ(run_tunggal("admin delete 777 --reason x" + r).exit_code, 4);

  auto v = parse(run_tunggal("admin show enrollment site-a/dup-1 --json" + r))["verdict"];
  EXPECT_EQ(v["decision"], "CONFIRMED_DUPLICATE");
  EXPECT_EQ(v["decided_by"], "alice");
  EXPECT_EQ(v["linked_subject"], 3);
  EXPECT_EQ(parse(run_tunggal("admin show subject 4 --json" + r))["state"], "REVOKED");
  auto list = parse(run_tunggal("admin review list --json" + r));
  ASSERT_EQ(list["cases"].size(), 1u);
  EXPECT_EQ(list["cases"][0]["id"], "site-a/dup-2");
  EXPECT_EQ(parse(run_tunggal("admin status --json" + r))["gallery_size"], 30);
  // Removed from the running engine's indexes, not only marked in the store.
  EXPECT_EQ(engine_->stats().gallery_size, 30u);

  auto audit = run_tunggal("admin audit --json" + r);
  ASSERT_EQ(audit.exit_code, 0) << audit.out;
  const json log = parse(audit);
  ASSERT_EQ(log.size(), 3u) << audit.out;
  EXPECT_EQ(log[0]["target"], "site-a/dup-1");
  EXPECT_EQ(log[1]["target"], "RC-8-9");
  EXPECT_EQ(log[1]["reason"], "twins");
  EXPECT_EQ(log[2]["reason"], "death certificate 12/2026");
  for (const auto& e : log) EXPECT_EQ(e["actor"], "alice");
  EXPECT_EQ(parse(run_tunggal("admin audit --since 1h --json" + r)).size(), 3u);
  EXPECT_EQ(parse(run_tunggal("admin audit --since 2999-01-01 --json" + r)).size(), 0u);
  EXPECT_EQ(parse(run_tunggal("admin audit --after-seq 2 --json" + r)).size(), 1u);
  auto text = run_tunggal("admin audit" + r);
  EXPECT_NE(text.out.find("reason: twins"), std::string::npos) << text.out;
}

TEST_F(AdminRemote, BackupIsWrittenOnTheServerHostOnlineAndRestoresOffline) {
  const fs::path b = dir_ / "backup";
  auto r = run_tunggal("admin backup '" + b.string() + "' --json" + remote());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(parse(r)["subjects"], 31);
  EXPECT_TRUE(fs::exists(b / "index"));
  EXPECT_EQ(run_tunggal("admin backup '" + b.string() + "'" + remote()).exit_code, 1) << "never overwritten";
  // The server keeps serving while and after it copies.
  EXPECT_EQ(run_tunggal("admin status" + remote()).exit_code, 0);

  const fs::path restored = dir_ / "restored";
  ASSERT_EQ(run_tunggal("admin restore '" + b.string() + "' --data-dir '" + restored.string() + "'").exit_code, 0);
  auto live = parse(run_tunggal("admin status --json" + remote()));
  auto copy = parse(run_tunggal("admin status --json --data-dir '" + restored.string() + "'"));
  // Same document offline and remote: every offline field is there with the same value.
  for (const auto& [key, value] : copy.items()) {
    if (key != "data_dir") {
      EXPECT_EQ(live[key], value) << key;
    }
  }
  // The copy's index snapshots cover its store: an engine opens it without rebuilding and finds the duplicate.
  auto eo = testing::test_engine_options(restored);
  eo.create_if_missing = false;
  auto reopened = Engine::open(eo);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->stats().gallery_size, 31u);
}

TEST_F(AdminRemote, ThresholdsWhatIfUsesTheServersTargets) {
  const auto& o = engine_->options();
  auto same = run_tunggal("admin thresholds --json --target-fpir " + std::to_string(o.target_fpir) + " --review-fpir " +
                          std::to_string(o.review_fpir) + remote());
  ASSERT_EQ(same.exit_code, 0) << same.out;
  EXPECT_EQ(parse(same)["verdicts_changed"], 0);
  EXPECT_EQ(parse(same)["review_load_before"], 2);
  EXPECT_EQ(parse(same)["review_load_after"], 2);
  auto strict = run_tunggal("admin thresholds --target-fpir 1e-12 --review-fpir 1e-11" + remote());
  ASSERT_EQ(strict.exit_code, 0);
  EXPECT_NE(strict.out.find("what if"), std::string::npos) << strict.out;
}

TEST_F(AdminRemote, ASiteCertificateIsRefused) {
  // The CLI with a site's certificate: the server refuses the admin claim at hello (exit 5).
  EXPECT_EQ(run_tunggal("admin status" + as("site-a")).exit_code, 5);
  EXPECT_EQ(run_tunggal("admin delete 4 --reason x" + as("site-a")).exit_code, 5);
  // A site speaking the protocol directly gets PERMISSION_DENIED for every admin operation.
  auto site = server::Client::connect(options("site-a"));
  ASSERT_TRUE(site) << site.error().to_string();
  using K = admin::AdminQuery::Kind;
  for (K k : {K::kStatus, K::kShowSubject, K::kShowEnrollment, K::kReviewList, K::kReviewShow, K::kAudit,
              K::kThresholds, K::kBackup, K::kAdjudicateCase}) {
    admin::AdminQuery q{.kind = k, .id = k == K::kShowSubject ? "3" : "RC-8-9", .target_fpir = 1e-3, .review_fpir = 1e-2};
    if (k == K::kBackup) q.id = (dir_ / "site-backup").string();
    auto r = (*site)->admin(q);
    ASSERT_FALSE(r) << static_cast<int>(k);
    EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied) << static_cast<int>(k);
  }
  EXPECT_FALSE(fs::exists(dir_ / "site-backup"));
  EXPECT_EQ(engine_->store().last_audit_seq(), 0u) << "nothing a site asked for was done";
}

TEST_F(AdminRemote, ModeAndConnectionErrorsHaveTheirExitCodes) {
  const std::string tls = " --tls-dir '" + (dir_ / "tls").string() + "' --admin alice";
  EXPECT_EQ(run_tunggal("admin status --data-dir /x" + remote()).exit_code, 2) << "both modes";
  EXPECT_EQ(run_tunggal("admin status").exit_code, 2) << "no mode";
  EXPECT_EQ(run_tunggal("admin status --connect 127.0.0.1:" + std::to_string(server_->port())).exit_code, 2)
      << "--connect without certificates";
  EXPECT_EQ(run_tunggal("admin adjudicate x --decision distinct --reason r --data-dir /x").exit_code, 2)
      << "offline decisions need --admin";
  // Nobody listens on port 1.
  EXPECT_EQ(run_tunggal("admin status --connect 127.0.0.1:1" + tls).exit_code, 3);
}

TEST_F(AdminRemote, HelpShowsRemoteExamples) {
  for (const char* c : {"status", "show", "review", "adjudicate", "delete", "audit", "backup", "thresholds"}) {
    auto r = run_tunggal(std::string("admin ") + c + " --help");
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_NE(r.out.find("--connect"), std::string::npos) << c << ":\n" << r.out;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << c;
  }
}

}  // namespace
}  // namespace tunggal
