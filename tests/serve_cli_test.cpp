// `tunggal certs`, `tunggal serve` and `tunggal station` as real processes, the way an operator
// runs them: a CA and certificates, the server on a port chosen at run time (read from its
// port-file), a station batch with duplicates and its accuracy report (--json), Prometheus
// scraped over HTTP, SIGTERM for a graceful stop, and a restarted server that still has every
// acknowledged enrollment decided and every verdict behind the station's cursor.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include <fmt/format.h>

#include "server/client.h"
#include "server/server.h"
#include "tests/cli_run.h"
#include "tests/engine_fixture.h"
#include "tests/http_get.h"

namespace tunggal::server {
namespace {

using namespace std::chrono_literals;
using tunggal::testing::make_temp_dir;
using tunggal::testing::run_tunggal;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// `tunggal serve ARGS` in the background; stdout/stderr into files of the test directory.
class ServeProcess {
 public:
  ServeProcess(const std::filesystem::path& dir, const std::vector<std::string>& args) : dir_(dir) {
    std::filesystem::remove(dir / "ports");
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string out = (dir / "serve.out").string();
      std::freopen(out.c_str(), "a", stdout);
      std::freopen(out.c_str(), "a", stderr);
      std::vector<std::string> all = {std::string(TUNGGAL_BINARY_DIR) + "/cli/tunggal", "serve"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      std::_Exit(127);
    }
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Waits for the port-file: "port=N\nmetrics_port=M\n". False if the process died first.
  bool wait_ports(std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      const std::string text = slurp(dir_ / "ports");
      if (auto p = text.find("port="); p != std::string::npos) {
        port = static_cast<std::uint16_t>(std::stoi(text.substr(p + 5)));
        if (auto m = text.find("metrics_port="); m != std::string::npos)
          metrics_port = static_cast<std::uint16_t>(std::stoi(text.substr(m + 13)));
        return true;
      }
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  // SIGTERM, then the exit code (-1 if it did not exit within the limit).
  int terminate(std::chrono::seconds limit) {
    ::kill(pid_, SIGTERM);
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      }
      std::this_thread::sleep_for(50ms);
    }
    return -1;
  }
  std::uint16_t port = 0, metrics_port = 0;

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

std::string scrape(std::uint16_t port) { return tunggal::testing::http_get(port, "/metrics"); }

// The gallery `tunggal import --generate 60 --seed 1` would make (identity i's capture 0), with
// the tests' small calibrated model instead of the full calibration (tens of seconds).
void import_gallery(const std::filesystem::path& data_dir) {
  EngineOptions eo;
  eo.data_dir = data_dir;
  eo.shards = 4;  // tunggal serve's default
  auto e = Engine::open(eo, tunggal::testing::test_fusion_model());
  ASSERT_TRUE(e) << e.error().to_string();
  datasets::Population pop(datasets::PopulationConfig{.seed = 1});
  std::vector<Enrollment> gallery;
  for (std::uint64_t i = 0; i < 60; ++i) gallery.push_back(pop.capture(i, 0));
  ASSERT_TRUE((*e)->import(gallery));
  ASSERT_TRUE((*e)->finish_import());
}

class ServeCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("serve-cli"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ServeCliTest, CertsServeStationSigtermRestart) {
  const std::string d = dir_.string();
  auto certs = run_tunggal(fmt::format("certs --out {}/tls --sites kec-01 --admin alice", d));
  ASSERT_EQ(certs.exit_code, 0) << certs.out;
  ASSERT_NO_FATAL_FAILURE(import_gallery(dir_ / "data"));

  // First run from a config file.
  std::ofstream(dir_ / "serve.toml") << fmt::format(
      "data-dir = \"{0}/data\"\nlisten = \"127.0.0.1:0\"\ntls-dir = \"{0}/tls\"\nport-file = \"{0}/ports\"\n"
      "metrics-port = 0\nlog-file = \"{0}/serve.log\"\nlog-level = \"info\"\n",
      d);
  std::string cursor_epoch, cursor_seq;
  {
    ServeProcess serve(dir_, {"--config", d + "/serve.toml"});
    ASSERT_TRUE(serve.wait_ports(120s)) << slurp(dir_ / "serve.out");
    ASSERT_NE(serve.port, 0);
    ASSERT_NE(serve.metrics_port, 0);

    auto st = run_tunggal(fmt::format(
        "station --connect 127.0.0.1:{} --tls-dir {}/tls --site kec-01 --enrollments 24 --batch 8 --connections 2 "
        "--gallery 60 --seed 1 --mated-rate 0.25 --run-id t1 --wait 120 --json",
        serve.port, d));
    ASSERT_EQ(st.exit_code, 0) << st.out << slurp(dir_ / "serve.out");
    const auto j = nlohmann::json::parse(st.out);
    EXPECT_EQ(j["accepted"], 24);
    EXPECT_EQ(j["verdicts"], 24);
    EXPECT_TRUE(j["errors"].empty()) << j.dump();
    const int mated = j["accuracy"]["mated"];
    EXPECT_GT(mated, 0) << "the batch must hold duplicates";
    EXPECT_EQ(mated + static_cast<int>(j["accuracy"]["non_mated"]) + static_cast<int>(j["accuracy"]["rejected"]), 24);
    EXPECT_DOUBLE_EQ(j["accuracy"]["mated_alarm_rate"].get<double>(), 1.0) << j.dump();
    EXPECT_DOUBLE_EQ(j["accuracy"]["false_alarm_rate"].get<double>(), 0.0) << j.dump();

    const std::string metrics = scrape(serve.metrics_port);
    EXPECT_NE(metrics.find("HTTP/1.1 200 OK"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("\ntunggal_accepted_items_total 24\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("\ntunggal_verdicts_decided_total 24\n"), std::string::npos) << metrics;

    // Accepted but maybe not yet decided when SIGTERM arrives: must survive the stop.
    auto late = run_tunggal(fmt::format(
        "station --connect 127.0.0.1:{} --tls-dir {}/tls --site kec-01 --enrollments 6 --batch 6 --connections 1 "
        "--gallery 60 --seed 2 --mated-rate 0 --run-id t2 --no-verdicts --json",
        serve.port, d));
    ASSERT_EQ(late.exit_code, 0) << late.out;
    EXPECT_EQ(nlohmann::json::parse(late.out)["accepted"], 6);
    EXPECT_EQ(serve.terminate(60s), 0) << slurp(dir_ / "serve.out");
  }
  const std::string log = slurp(dir_ / "serve.log");
  for (const char* event : {"event=listening", "event=connection_open", "event=hello conn=", "site=kec-01",
                            "event=batch", "accepted=8", "event=verdicts_decided", "event=connection_close",
                            "event=signal signal=SIGTERM", "event=stopped"})
    EXPECT_NE(log.find(event), std::string::npos) << event << " not in the log:\n" << log;
  EXPECT_NE(log.find("level=info"), std::string::npos);

  // Restart with flags only; every acknowledged enrollment is there and gets decided, and a
  // station reading from an empty cursor gets each of its 30 verdicts exactly once.
  ServeProcess serve(dir_, {"--data-dir", d + "/data", "--listen", "127.0.0.1:0", "--tls-dir", d + "/tls",
                            "--port-file", d + "/ports", "--log-level", "warn"});
  ASSERT_TRUE(serve.wait_ports(120s)) << slurp(dir_ / "serve.out");
  ClientOptions o;
  o.port = serve.port;
  o.tls = TlsFiles::in_dir(dir_ / "tls", "kec-01");
  auto c = Client::connect(o);
  ASSERT_TRUE(c) << c.error().to_string();
  std::vector<std::string> ids;
  for (int i = 0; i < 24; ++i) ids.push_back(fmt::format("stt1-{}", i));
  for (int i = 0; i < 6; ++i) ids.push_back(fmt::format("stt2-{}", i));
  std::map<std::string, int> seen;
  WireCursor cursor;
  for (int tries = 0; tries < 600 && seen.size() < ids.size(); ++tries) {
    auto page = (*c)->verdicts_since(cursor);
    ASSERT_TRUE(page) << page.error().to_string();
    for (const auto& v : page->verdicts) ++seen[v.enrollment.value];
    cursor = page->next;
    if (!page->more) std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(seen.size(), ids.size());
  for (const auto& id : ids) EXPECT_EQ(seen[id], 1) << id;
  auto states = (*c)->verdicts(ids);
  ASSERT_TRUE(states);
  for (const auto& s : *states) EXPECT_EQ(s.state, VerdictState::State::kDecided) << s.id;
  c->reset();
  EXPECT_EQ(serve.terminate(60s), 0);
}

TEST_F(ServeCliTest, PrintConfigAndConfigErrors) {
  const std::string example = std::string(TUNGGAL_SOURCE_DIR) + "/docs/serve.example.toml";
  auto ok = run_tunggal("serve --config " + example + " --print-config --max-batch 7 --log-level debug");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("max-batch = 7\n"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("log-level = \"debug\"\n"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("data-dir = \"/srv/tunggal/data\"\n"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("metrics-port = 9770\n"), std::string::npos) << ok.out;

  std::ofstream(dir_ / "bad.toml") << "listen = \"127.0.0.1:7700\"\nmax-queud = 5\n";
  auto bad = run_tunggal("serve --config " + (dir_ / "bad.toml").string() + " --print-config", true);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("bad.toml:2: unknown key 'max-queud'"), std::string::npos) << bad.out;

  auto bad_flag = run_tunggal("serve --config " + example + " --print-config --idle-timeout soon", true);
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.out.find("idle-timeout"), std::string::npos) << bad_flag.out;

  auto zero = run_tunggal("serve --config " + example + " --print-config --max-verdicts-per-reply 0", true);
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_NE(zero.out.find("max-verdicts-per-reply: 0 is outside 1..10000"), std::string::npos) << zero.out;
  auto threads = run_tunggal("serve --config " + example + " --print-config --extract-threads 3", true);
  EXPECT_EQ(threads.exit_code, 0) << threads.out;
  EXPECT_NE(threads.out.find("extract-threads = 3\n"), std::string::npos) << threads.out;

  // The engine's policies: printed, set by flags (a boolean one turned off with =false), refused
  // out of range.
  auto policy = run_tunggal("serve --config " + example + " --print-config --face-led-review=false "
                            "--poor-probe-depth 1 --engine-max-batch 16 --target-fpir 1e-4",
                            true);
  ASSERT_EQ(policy.exit_code, 0) << policy.out;
  for (const char* line : {"face-led-review = false\n", "face-led-min-finger-llr = -3.0\n", "poor-probe-quality = 35\n",
                           "poor-probe-depth = 1\n", "engine-threads = 0\n", "engine-max-batch = 16\n",
                           "target-fpir = 0.0001\n", "review-fpir = 0.01\n"})
    EXPECT_NE(policy.out.find(line), std::string::npos) << line << " not in\n" << policy.out;
  auto depth = run_tunggal("serve --config " + example + " --print-config --poor-probe-depth 0", true);
  EXPECT_EQ(depth.exit_code, 2);
  EXPECT_NE(depth.out.find("poor-probe-depth: 0 is outside 1..16"), std::string::npos) << depth.out;

  auto none = run_tunggal("serve --data-dir x --print-config", true);
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.out.find("tls-dir"), std::string::npos) << none.out;
}

TEST_F(ServeCliTest, EnginePoliciesFromTheConfigReachTheRunningEngine) {
  // Before, `tunggal serve` opened its engine with EngineOptions' defaults whatever the config said.
  const std::string d = dir_.string();
  ASSERT_NO_FATAL_FAILURE(import_gallery(dir_ / "data"));
  std::ofstream(dir_ / "serve.toml") << fmt::format(
      "data-dir = \"{0}/data\"\nlisten = \"127.0.0.1:0\"\ninsecure-plaintext = true\nport-file = \"{0}/ports\"\n"
      "log-file = \"{0}/serve.log\"\ntarget-fpir = 1e-4\nreview-fpir = 0.001\npoor-probe-depth = 1\n"
      "engine-max-batch = 3\n",
      d);
  {
    ServeProcess serve(dir_, {"--config", d + "/serve.toml", "--face-led-review=false", "--engine-threads", "1"});
    ASSERT_TRUE(serve.wait_ports(120s)) << slurp(dir_ / "serve.out");
    auto st = run_tunggal(fmt::format(
        "station --connect 127.0.0.1:{} --insecure-plaintext --site kec-01 --enrollments 12 --batch 6 "
        "--connections 1 --gallery 60 --seed 1 --mated-rate 0.25 --run-id p1 --wait 120 --json",
        serve.port));
    ASSERT_EQ(st.exit_code, 0) << st.out << slurp(dir_ / "serve.out");
    EXPECT_EQ(nlohmann::json::parse(st.out)["verdicts"], 12) << st.out;
    // The thresholds the running engine decides with follow target-fpir and review-fpir.
    auto status = run_tunggal(fmt::format(
        "admin status --connect 127.0.0.1:{} --insecure-plaintext --admin alice --json", serve.port));
    ASSERT_EQ(status.exit_code, 0) << status.out;
    const auto t = nlohmann::json::parse(status.out)["thresholds"];
    EXPECT_DOUBLE_EQ(t["target_fpir"].get<double>(), 1e-4) << status.out;
    EXPECT_DOUBLE_EQ(t["review_fpir"].get<double>(), 1e-3) << status.out;
    EXPECT_EQ(serve.terminate(60s), 0) << slurp(dir_ / "serve.out");
  }
  const std::string log = slurp(dir_ / "serve.log");
  // The engine's own options, as it holds them once open.
  EXPECT_NE(log.find("event=engine_policy target_fpir=0.0001 review_fpir=0.001 face_led_review=false "
                     "face_led_min_finger_llr=-3 poor_probe_quality=35 poor_probe_depth=1 threads=1 max_batch=3 "
                     "shards=4"),
            std::string::npos)
      << log;
  // engine-max-batch: each micro-batch decided at most 3 of the 6 submitted together.
  std::size_t decided = 0, batches = 0;
  for (std::size_t at = log.find("event=verdicts_decided count="); at != std::string::npos;
       at = log.find("event=verdicts_decided count=", at + 1)) {
    const int count = std::stoi(log.substr(at + std::string("event=verdicts_decided count=").size()));
    EXPECT_LE(count, 3) << log;
    decided += static_cast<std::size_t>(count);
    ++batches;
  }
  EXPECT_EQ(decided, 12u) << log;
  EXPECT_GE(batches, 4u);
}

}  // namespace
}  // namespace tunggal::server
