// `tunggal request … --connect`: the real CLI binary against a real server on 127.0.0.1 (run-time
// port, mutual TLS with certificates made here) serving a real engine and the workflow. Same
// output and --json fields as offline; the office is the certificate's site.
#include <gtest/gtest.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "server/client.h"
#include "server/dev_certs.h"
#include "server/request_service.h"
#include "server/server.h"
#include "tests/cli_run.h"
#include "tests/engine_fixture.h"

namespace tunggal::server {
namespace {

using namespace std::chrono_literals;
using tunggal::testing::capture_as;
using tunggal::testing::CliRun;
using tunggal::testing::make_temp_dir;

CliRun run(const std::string& args) { return tunggal::testing::run_tunggal(args, true); }
// stdout only: for JSON
CliRun run_json(const std::string& args) { return tunggal::testing::run_tunggal(args, false); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const char* kSiti = " --nik 3273015505900002 --name 'Siti Rahayu' --birth-date 1990-05-15";

class RequestCliRemote : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("request-cli-remote");
    ASSERT_TRUE(make_dev_certs({.out = dir_ / "tls", .sites = {"kec-a", "kec-b"}, .admins = {"alice"}}));
    auto store = workflow::WorkflowStore::open((dir_ / "data").string());
    ASSERT_TRUE(store) << store.error().to_string();
    store_ = std::move(*store);
    flow_ = std::make_unique<workflow::RequestWorkflow>(*store_);
    auto e = Engine::open(tunggal::testing::test_engine_options(dir_ / "engine"), tunggal::testing::test_fusion_model());
    ASSERT_TRUE(e) << e.error().to_string();
    engine_ = std::move(*e);
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < 20; ++i) gallery.push_back(pop_.capture(i, 0));
    ASSERT_TRUE(engine_->import(gallery));
    ASSERT_TRUE(engine_->finish_import());
    backend_ = engine_backend(*engine_);
    service_ = std::make_unique<RequestService>(*flow_, *backend_);
    ServerOptions o;
    o.port = 0;
    o.tls = TlsFiles::in_dir(dir_ / "tls", "server");
    auto s = Server::start(o, *backend_, service_.get());
    ASSERT_TRUE(s) << s.error().to_string();
    server_ = std::move(*s);
  }
  void TearDown() override {
    server_.reset();
    service_.reset();
    backend_.reset();
    engine_.reset();
    flow_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  // `tunggal request <verb>` as the office holding `name`'s certificate.
  std::string req(const std::string& verb, const std::string& name = "kec-a") const {
    const auto tls = dir_ / "tls";
    return "request " + verb + " --connect " + endpoint() + " --ca '" + (tls / "ca.pem").string() + "' --cert '" +
           (tls / (name + ".pem")).string() + "' --key '" + (tls / (name + ".key")).string() + "'";
  }

  std::filesystem::path dir_;
  datasets::Population pop_{datasets::PopulationConfig{.seed = 42}};
  std::unique_ptr<workflow::WorkflowStore> store_;
  std::unique_ptr<workflow::RequestWorkflow> flow_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<RequestService> service_;
  std::unique_ptr<Server> server_;
};

TEST_F(RequestCliRemote, AnOfficeTakesANewCardFromRegistrationToHandOver) {
  CliRun created = run_json(req("new") + " --service wni-new --doc kk-copy --doc form-f102 --json" + kSiti);
  ASSERT_EQ(created.exit_code, 0) << created.out;
  const auto j = nlohmann::json::parse(created.out);
  EXPECT_EQ(j["id"], "REQ-00000001");
  EXPECT_EQ(j["site"], "kec-a");
  EXPECT_EQ(j["state"], "submitted");
  EXPECT_EQ(j["sla_deadline_ms"].get<std::int64_t>(), j["submitted_at_ms"].get<std::int64_t>() + 86400000LL);

  ASSERT_EQ(run(req("verify-docs") + " --id REQ-00000001").exit_code, 0);
  // The recording station submits the capture over the same protocol.
  ClientOptions co;
  co.port = server_->port();
  co.tls = TlsFiles::in_dir(dir_ / "tls", "kec-a");
  auto station = Client::connect(co);
  ASSERT_TRUE(station) << station.error().to_string();
  Enrollment capture = capture_as(pop_, 100, 0, "cap-100");
  capture.nik = *Nik::parse("3273015505900002");  // taken for the applicant, Siti
  ASSERT_TRUE((*station)->submit(std::vector<Enrollment>{capture}));
  CliRun linked = run_json(req("record-biometrics") + " --id REQ-00000001 --enrollment cap-100 --json");
  ASSERT_EQ(linked.exit_code, 0) << linked.out;
  EXPECT_EQ(nlohmann::json::parse(linked.out)["enrollment_id"], "kec-a/cap-100");

  std::string state;
  for (int i = 0; i < 200 && state != "print_ready"; ++i) {
    CliRun r = run_json(req("refresh") + " --id REQ-00000001 --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    state = nlohmann::json::parse(r.out)["state"];
    if (state != "print_ready") std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(state, "print_ready");

  // Another office can neither see nor print it.
  CliRun foreign = run(req("print", "kec-b") + " --id REQ-00000001");
  EXPECT_EQ(foreign.exit_code, 1) << foreign.out;
  EXPECT_TRUE(contains(foreign.out, "not registered by site 'kec-b'")) << foreign.out;
  EXPECT_EQ(nlohmann::json::parse(run_json(req("list", "kec-b") + " --json").out).size(), 0u);

  CliRun printed = run(req("print") + " --id REQ-00000001");
  ASSERT_EQ(printed.exit_code, 0) << printed.out;
  EXPECT_TRUE(contains(printed.out, "printed")) << printed.out;
  EXPECT_TRUE(contains(printed.out, "office      kec-a")) << printed.out;
  CliRun handed = run_json(req("hand-over") + " --id REQ-00000001 --json");
  ASSERT_EQ(handed.exit_code, 0) << handed.out;
  EXPECT_EQ(nlohmann::json::parse(handed.out)["state"], "handed_over");
  EXPECT_EQ(flow_->get("REQ-00000001")->state, workflow::RequestState::kHandedOver);
}

TEST_F(RequestCliRemote, WrongOptionCombinationsAreUsageErrorsAndNoServerIsUnavailable) {
  CliRun clock = run(req("list") + " --now-ms 1795593600000");
  EXPECT_EQ(clock.exit_code, 2);
  EXPECT_TRUE(contains(clock.out, "server's clock")) << clock.out;
  CliRun no_tls = run("request list --connect " + endpoint());
  EXPECT_EQ(no_tls.exit_code, 2);
  EXPECT_TRUE(contains(no_tls.out, "--ca, --cert and --key")) << no_tls.out;
  CliRun both = run(req("list") + " --data-dir '" + (dir_ / "other").string() + "'");
  EXPECT_EQ(both.exit_code, 2) << both.out;
  CliRun neither = run("request list");
  EXPECT_EQ(neither.exit_code, 2) << neither.out;
  const std::uint16_t port = server_->port();
  server_.reset();
  CliRun gone = run("request list --connect 127.0.0.1:" + std::to_string(port) + " --plain --site kec-a");
  EXPECT_EQ(gone.exit_code, 3) << gone.out;
}

TEST_F(RequestCliRemote, PlainDevelopmentServerTrustsTheClaimedSite) {
  server_.reset();
  ServerOptions o;
  o.port = 0;  // no TLS: --insecure-plaintext
  auto s = Server::start(o, *backend_, service_.get());
  ASSERT_TRUE(s) << s.error().to_string();
  server_ = std::move(*s);
  const std::string plain = " --connect " + endpoint() + " --plain";
  CliRun created = run_json("request new" + plain + " --site kec-b --service wni-new --json" + std::string(kSiti));
  ASSERT_EQ(created.exit_code, 0) << created.out;
  EXPECT_EQ(nlohmann::json::parse(created.out)["site"], "kec-b");
  EXPECT_EQ(nlohmann::json::parse(run_json("request list" + plain + " --site kec-a --json").out).size(), 0u);
  EXPECT_EQ(nlohmann::json::parse(run_json("request list" + plain + " --site alice --admin --json").out).size(), 1u);
  CliRun no_site = run("request list" + plain);
  EXPECT_EQ(no_site.exit_code, 2);
  EXPECT_TRUE(contains(no_site.out, "--plain needs --site")) << no_site.out;
}

}  // namespace
}  // namespace tunggal::server
