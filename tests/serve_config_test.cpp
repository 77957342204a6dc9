// tunggal serve's settings: the commented example config loads, every key is a flag and the
// reverse, and mistakes in a file are refused with the file, line and key named.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <fmt/format.h>

#include "server/serve_config.h"
#include "tests/engine_fixture.h"

namespace tunggal::server {
namespace {

using namespace std::chrono_literals;
using tunggal::testing::make_temp_dir;

class ServeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("serve-config"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& text) {
    const auto p = dir_ / "serve.toml";
    std::ofstream(p) << text;
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(ServeConfigTest, TheExampleConfigLoadsWithItsValues) {
  auto c = load_serve_config(std::filesystem::path(TUNGGAL_SOURCE_DIR) / "docs" / "serve.example.toml");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->data_dir, "/srv/tunggal/data");
  EXPECT_EQ(c->tls_dir, "/etc/tunggal/tls");
  EXPECT_EQ(c->metrics_port, 9770);
  EXPECT_EQ(c->log_level, "info");
  EXPECT_EQ(c->server.max_batch_items, 1000u);
  EXPECT_EQ(c->server.idle_timeout, 120s);
  ASSERT_TRUE(finish_serve_config(*c));
  EXPECT_EQ(c->server.host, "127.0.0.1");
  EXPECT_EQ(c->server.port, 7700);
  ASSERT_TRUE(c->server.tls);
  EXPECT_EQ(c->server.tls->cert, std::filesystem::path("/etc/tunggal/tls/server.pem"));
}

TEST_F(ServeConfigTest, EveryKeyOfTheExampleIsKnownAndEverySettingIsDocumented) {
  std::ifstream f(std::filesystem::path(TUNGGAL_SOURCE_DIR) / "docs" / "serve.example.toml");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  for (const ServeSetting& s : serve_settings())
    EXPECT_NE(text.find(s.key + " = "), std::string::npos) << s.key << " is missing from docs/serve.example.toml";
}

TEST_F(ServeConfigTest, FileValuesAndFractionsOfSeconds) {
  auto c = load_serve_config(write("listen = \"0.0.0.0:0\"\ninsecure-plaintext = true\nzero-cost-policy = true\n"
                                   "read-timeout = 2.5\nmax-in-flight = 3\nlog-level = \"debug\"\n"));
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->server.read_timeout, 2500ms);
  EXPECT_EQ(c->server.max_in_flight_per_connection, 3u);
  ASSERT_TRUE(finish_serve_config(*c));
  EXPECT_EQ(c->server.port, 0);
  EXPECT_FALSE(c->server.tls);
  // A flag applied afterwards wins over the file.
  ASSERT_TRUE(apply_serve_setting(*c, "max-in-flight", "5"));
  EXPECT_EQ(c->server.max_in_flight_per_connection, 5u);
  // The printed effective config loads back to the same settings.
  const std::string printed = serve_config_toml(*c);
  auto again = load_serve_config(write(printed));
  ASSERT_TRUE(again) << again.error().to_string() << "\n" << printed;
  EXPECT_EQ(serve_config_toml(*again), printed);
}

TEST_F(ServeConfigTest, TheReceivingBudgetIsReadFromTheFile) {
  // ServerOptions::max_receiving_bytes (docs/protocol.md, Frames) from the file, as the server gets it.
  auto example = load_serve_config(std::filesystem::path(TUNGGAL_SOURCE_DIR) / "docs" / "serve.example.toml");
  ASSERT_TRUE(example) << example.error().to_string();
  EXPECT_EQ(example->server.max_receiving_bytes, std::size_t(256) << 20);
  auto c = load_serve_config(write("insecure-plaintext = true\nzero-cost-policy = true\n"
                                   "max-receiving-bytes = 33554432\n"));
  ASSERT_TRUE(c) << c.error().to_string();
  ASSERT_TRUE(finish_serve_config(*c));
  EXPECT_EQ(c->server.max_receiving_bytes, std::size_t(32) << 20);
  EXPECT_NE(serve_config_toml(*c).find("max-receiving-bytes = 33554432\n"), std::string::npos);
  ASSERT_TRUE(apply_serve_setting(*c, "max-receiving-bytes", "1048576"));  // the flag wins
  EXPECT_EQ(c->server.max_receiving_bytes, std::size_t(1) << 20);
  // Refused like the other byte limits, with the file, line, key and range named.
  for (const std::string bad : {"0", "-1", "1023", "2199023255553"}) {
    auto r = load_serve_config(write("listen = \"127.0.0.1:0\"\nmax-receiving-bytes = " + bad + "\n"));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find("serve.toml:2: max-receiving-bytes: " + bad + " is outside 1024..1099511627776"),
              std::string::npos)
        << r.error().message();
  }
  auto text = load_serve_config(write("max-receiving-bytes = \"256MiB\"\n"));
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message().find("max-receiving-bytes must be a whole number"), std::string::npos)
      << text.error().message();
}

TEST_F(ServeConfigTest, ExtractionAndVerdictReplyLimitsAreReadFromTheFile) {
  // ServerOptions::extract_threads, max_queued_images, max_verdicts_per_reply and
  // max_verdicts_scanned (docs/protocol.md) were only settable in code.
  auto example = load_serve_config(std::filesystem::path(TUNGGAL_SOURCE_DIR) / "docs" / "serve.example.toml");
  ASSERT_TRUE(example) << example.error().to_string();
  const ServerOptions defaults;
  EXPECT_EQ(example->server.extract_threads, defaults.extract_threads);
  EXPECT_EQ(example->server.max_queued_images, defaults.max_queued_images);
  EXPECT_EQ(example->server.max_verdicts_per_reply, defaults.max_verdicts_per_reply);
  EXPECT_EQ(example->server.max_verdicts_scanned, defaults.max_verdicts_scanned);
  auto c = load_serve_config(write("insecure-plaintext = true\nzero-cost-policy = true\nextract-threads = 3\n"
                                   "max-queued-images = 50\nmax-verdicts-per-reply = 200\n"
                                   "max-verdicts-scanned = 5000\n"));
  ASSERT_TRUE(c) << c.error().to_string();
  ASSERT_TRUE(finish_serve_config(*c));
  EXPECT_EQ(c->server.extract_threads, 3);
  EXPECT_EQ(c->server.max_queued_images, 50u);
  EXPECT_EQ(c->server.max_verdicts_per_reply, 200u);
  EXPECT_EQ(c->server.max_verdicts_scanned, 5000u);
  const std::string printed = serve_config_toml(*c);
  for (const char* line : {"extract-threads = 3\n", "max-queued-images = 50\n", "max-verdicts-per-reply = 200\n",
                           "max-verdicts-scanned = 5000\n"})
    EXPECT_NE(printed.find(line), std::string::npos) << line;
  // Flags win over the file.
  ASSERT_TRUE(apply_serve_setting(*c, "extract-threads", "0"));
  ASSERT_TRUE(apply_serve_setting(*c, "max-queued-images", "10"));
  ASSERT_TRUE(apply_serve_setting(*c, "max-verdicts-per-reply", "10000"));
  ASSERT_TRUE(apply_serve_setting(*c, "max-verdicts-scanned", "100000000"));
  EXPECT_EQ(c->server.extract_threads, 0);
  EXPECT_EQ(c->server.max_queued_images, 10u);
  EXPECT_EQ(c->server.max_verdicts_per_reply, 10000u);
  EXPECT_EQ(c->server.max_verdicts_scanned, 100'000'000u);
  ASSERT_TRUE(finish_serve_config(*c));

  // Out of range: refused with the file, line, key and range, never reaching the server (a
  // per-reply or scan limit of 0 answered `more` forever; fewer than 10 queued images could never
  // admit a ten-finger enrollment; a negative thread count is not "all cores").
  struct Bad {
    std::string key, value, range;
  };
  const std::vector<Bad> bad = {
      {"extract-threads", "-1", "0..256"},          {"extract-threads", "257", "0..256"},
      {"max-queued-images", "9", "10..4294967295"}, {"max-queued-images", "4294967296", "10..4294967295"},
      {"max-verdicts-per-reply", "0", "1..10000"},  {"max-verdicts-per-reply", "10001", "1..10000"},
      {"max-verdicts-scanned", "0", "1..100000000"}, {"max-verdicts-scanned", "-5", "1..100000000"},
  };
  for (const Bad& b : bad) {
    auto r = load_serve_config(write("listen = \"127.0.0.1:0\"\n" + b.key + " = " + b.value + "\n"));
    ASSERT_FALSE(r) << b.key << " = " << b.value;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find("serve.toml:2: " + b.key + ": " + b.value + " is outside " + b.range),
              std::string::npos)
        << r.error().message();
    ServeConfig flagged;
    Status f = apply_serve_setting(flagged, b.key, b.value);
    ASSERT_FALSE(f) << b.key << " " << b.value;
    EXPECT_NE(f.message().find(b.key + ": " + b.value + " is outside " + b.range), std::string::npos) << f.message();
  }
  auto typed = load_serve_config(write("extract-threads = \"all\"\n"));
  ASSERT_FALSE(typed);
  EXPECT_NE(typed.error().message().find("extract-threads must be a whole number"), std::string::npos)
      << typed.error().message();

  // A scan shorter than a reply would cap every reply silently: refused naming both keys.
  auto cross = load_serve_config(write("insecure-plaintext = true\nzero-cost-policy = true\n"
                                       "max-verdicts-per-reply = 500\nmax-verdicts-scanned = 499\n"));
  ASSERT_TRUE(cross) << cross.error().to_string();
  Status s = finish_serve_config(*cross);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("max-verdicts-scanned (499) is below max-verdicts-per-reply (500)"), std::string::npos)
      << s.message();
}

TEST_F(ServeConfigTest, SnapshotsWhileServingAreASetting) {
  // ServerOptions::snapshot_every_changes (docs/engine.md, "Snapshots while serving").
  auto example = load_serve_config(std::filesystem::path(TUNGGAL_SOURCE_DIR) / "docs" / "serve.example.toml");
  ASSERT_TRUE(example) << example.error().to_string();
  EXPECT_EQ(example->server.snapshot_every_changes, ServerOptions{}.snapshot_every_changes);
  auto c = load_serve_config(write("snapshot-every-changes = 0\n"));  // only at a clean stop
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->server.snapshot_every_changes, 0u);
  ASSERT_TRUE(apply_serve_setting(*c, "snapshot-every-changes", "2500"));  // the flag wins
  EXPECT_EQ(c->server.snapshot_every_changes, 2500u);
  EXPECT_NE(serve_config_toml(*c).find("snapshot-every-changes = 2500\n"), std::string::npos);
  for (const std::string bad : {"-1", "1000000001"}) {
    auto r = load_serve_config(write("listen = \"127.0.0.1:0\"\nsnapshot-every-changes = " + bad + "\n"));
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("serve.toml:2: snapshot-every-changes: " + bad + " is outside 0..1000000000"),
              std::string::npos)
        << r.error().message();
  }
}

TEST_F(ServeConfigTest, TheEnginesDecisionPoliciesAreSettings) {
  // EngineOptions' policies (docs/dedup.md) reached `tunggal serve` only as the engine's defaults.
  const EngineOptions engine;
  const auto expect_defaults = [&](const EngineOptions& o) {
    EXPECT_EQ(o.target_fpir, engine.target_fpir);
    EXPECT_EQ(o.review_fpir, engine.review_fpir);
    EXPECT_EQ(o.face_led_review, engine.face_led_review);
    EXPECT_EQ(o.face_led_min_finger_llr, engine.face_led_min_finger_llr);
    EXPECT_EQ(o.poor_probe_quality, engine.poor_probe_quality);
    EXPECT_EQ(o.poor_probe_depth, engine.poor_probe_depth);
    EXPECT_EQ(o.threads, engine.threads);
    EXPECT_EQ(o.max_batch, engine.max_batch);
  };
  expect_defaults(ServeConfig{}.engine);
  // The example documents the defaults, and the printed defaults load back to them.
  auto example = load_serve_config(std::filesystem::path(TUNGGAL_SOURCE_DIR) / "docs" / "serve.example.toml");
  ASSERT_TRUE(example) << example.error().to_string();
  expect_defaults(example->engine);
  auto printed_defaults = load_serve_config(write(serve_config_toml(ServeConfig{})));
  ASSERT_TRUE(printed_defaults) << printed_defaults.error().to_string();
  expect_defaults(printed_defaults->engine);
  const std::string defaults_text = serve_config_toml(ServeConfig{});
  for (const char* line : {"target-fpir = 0.001\n", "review-fpir = 0.01\n", "face-led-review = true\n",
                           "face-led-min-finger-llr = -3.0\n", "poor-probe-quality = 35\n", "poor-probe-depth = 4\n",
                           "engine-threads = 0\n", "engine-max-batch = 64\n"})
    EXPECT_NE(defaults_text.find(line), std::string::npos) << line << " not in\n" << defaults_text;

  auto c = load_serve_config(write("insecure-plaintext = true\nzero-cost-policy = true\ntarget-fpir = 1e-4\n"
                                   "review-fpir = 0.001\nface-led-review = false\nface-led-min-finger-llr = -1.5\n"
                                   "poor-probe-quality = 20\npoor-probe-depth = 1\nengine-threads = 2\n"
                                   "engine-max-batch = 16\n"));
  ASSERT_TRUE(c) << c.error().to_string();
  ASSERT_TRUE(finish_serve_config(*c));
  EXPECT_EQ(c->engine.target_fpir, 1e-4);
  EXPECT_EQ(c->engine.review_fpir, 1e-3);
  EXPECT_FALSE(c->engine.face_led_review);
  EXPECT_EQ(c->engine.face_led_min_finger_llr, -1.5f);
  EXPECT_EQ(c->engine.poor_probe_quality, 20);
  EXPECT_EQ(c->engine.poor_probe_depth, 1);
  EXPECT_EQ(c->engine.threads, 2);
  EXPECT_EQ(c->engine.max_batch, 16);
  const std::string printed = serve_config_toml(*c);
  for (const char* line : {"target-fpir = 0.0001\n", "face-led-review = false\n", "face-led-min-finger-llr = -1.5\n",
                           "poor-probe-depth = 1\n", "engine-threads = 2\n", "engine-max-batch = 16\n"})
    EXPECT_NE(printed.find(line), std::string::npos) << line << " not in\n" << printed;
  auto again = load_serve_config(write(printed));
  ASSERT_TRUE(again) << again.error().to_string() << "\n" << printed;
  EXPECT_EQ(serve_config_toml(*again), printed);
  // Flags win over the file; a whole number is a number.
  ASSERT_TRUE(apply_serve_setting(*c, "face-led-review", "true"));
  ASSERT_TRUE(apply_serve_setting(*c, "face-led-min-finger-llr", "0"));
  ASSERT_TRUE(apply_serve_setting(*c, "engine-max-batch", "1"));
  ASSERT_TRUE(apply_serve_setting(*c, "target-fpir", "0.00001"));
  EXPECT_TRUE(c->engine.face_led_review);
  EXPECT_EQ(c->engine.face_led_min_finger_llr, 0.0f);
  EXPECT_EQ(c->engine.max_batch, 1);
  EXPECT_EQ(c->engine.target_fpir, 1e-5);
  auto whole = load_serve_config(write("face-led-min-finger-llr = -2\n"));
  ASSERT_TRUE(whole) << whole.error().to_string();
  EXPECT_EQ(whole->engine.face_led_min_finger_llr, -2.0f);

  // Out of range: refused with the file, line, key and range (a depth of 0 would search nothing
  // deeper yet read as "on"; a NaN bound would make every comparison false).
  struct Bad {
    std::string key, value, message;
  };
  const std::vector<Bad> bad = {
      {"poor-probe-depth", "0", "poor-probe-depth: 0 is outside 1..16"},
      {"poor-probe-depth", "17", "poor-probe-depth: 17 is outside 1..16"},
      {"poor-probe-quality", "-1", "poor-probe-quality: -1 is outside 0..100"},
      {"poor-probe-quality", "101", "poor-probe-quality: 101 is outside 0..100"},
      {"engine-threads", "-1", "engine-threads: -1 is outside 0..256"},
      {"engine-max-batch", "0", "engine-max-batch: 0 is outside 1..100000"},
      {"face-led-min-finger-llr", "-101", "face-led-min-finger-llr: -101 is outside -100..100"},
      {"face-led-min-finger-llr", "nan", "face-led-min-finger-llr: nan is outside -100..100"},
      {"target-fpir", "0", "target-fpir: 0 is outside 1e-12..1"},
      {"target-fpir", "1.5", "target-fpir: 1.5 is outside 1e-12..1"},
      {"review-fpir", "inf", "review-fpir: inf is outside 1e-12..1"},
  };
  for (const Bad& b : bad) {
    auto r = load_serve_config(write("listen = \"127.0.0.1:0\"\n" + b.key + " = " + b.value + "\n"));
    ASSERT_FALSE(r) << b.key << " = " << b.value;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find("serve.toml:2: " + b.message), std::string::npos) << r.error().message();
    ServeConfig flagged;
    Status f = apply_serve_setting(flagged, b.key, b.value);
    ASSERT_FALSE(f) << b.key << " " << b.value;
    EXPECT_NE(f.message().find(b.message), std::string::npos) << f.message();
  }
  for (const auto& [text, expect] : std::vector<std::pair<std::string, std::string>>{
           {"face-led-review = \"no\"\n", "serve.toml:1: face-led-review must be true or false"},
           {"face-led-min-finger-llr = \"-3\"\n", "serve.toml:1: face-led-min-finger-llr must be a number"},
           {"poor-probe-depth = 2.5\n", "serve.toml:1: poor-probe-depth must be a whole number"}}) {
    auto r = load_serve_config(write(text));
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message().find(expect), std::string::npos) << r.error().message();
  }
  ServeConfig flagged;
  Status word = apply_serve_setting(flagged, "target-fpir", "low");
  ASSERT_FALSE(word);
  EXPECT_NE(word.message().find("target-fpir: expected a number, got 'low'"), std::string::npos) << word.message();

  // A review rate below the target would be raised to it silently: refused naming both keys.
  auto cross = load_serve_config(write("insecure-plaintext = true\nzero-cost-policy = true\n"
                                       "target-fpir = 0.01\nreview-fpir = 0.001\n"));
  ASSERT_TRUE(cross) << cross.error().to_string();
  Status s = finish_serve_config(*cross);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("review-fpir (0.001) is below target-fpir (0.01)"), std::string::npos) << s.message();
}

TEST_F(ServeConfigTest, ShardsAboveWhatTheEngineOpensAreRefusedByTheConfigCheck) {
  // The key took 1..4096 while Engine::open refuses more than 1024: a bad value passed the check
  // and failed only when the engine opened.
  const int most = EngineOptions::kMaxShards;
  auto top = load_serve_config(write(fmt::format("shards = {}\n", most)));
  ASSERT_TRUE(top) << top.error().to_string();
  EXPECT_EQ(top->shards, most);
  auto over = load_serve_config(write(fmt::format("shards = {}\n", most + 1)));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(over.error().message().find(fmt::format("serve.toml:1: shards: {} is outside 1..{}", most + 1, most)),
            std::string::npos)
      << over.error().message();
  ServeConfig flagged;
  EXPECT_FALSE(apply_serve_setting(flagged, "shards", std::to_string(most + 1)));
  // The engine's limit is the same one.
  EngineOptions o;
  o.data_dir = dir_ / "engine";
  o.shards = most + 1;
  auto engine = Engine::open(o, tunggal::testing::test_fusion_model());
  ASSERT_FALSE(engine);
  EXPECT_NE(engine.error().message().find(fmt::format("shards must be 1..{}", most)), std::string::npos)
      << engine.error().message();
}

TEST_F(ServeConfigTest, MistakesAreNamedWithFileLineAndKey) {
  struct Case {
    std::string text, expect;
  };
  const std::vector<Case> cases = {
      {"listen = \"127.0.0.1:7700\"\nmax-batchh = 10\n", ":2: unknown key 'max-batchh'"},
      {"max-batch = \"ten\"\n", "max-batch must be a whole number"},
      {"max-batch = 0\n", "max-batch: 0 is outside 1..100000"},
      {"idle-timeout = -3\n", "idle-timeout: -3 s is outside"},
      {"insecure-plaintext = \"yes\"\n", "insecure-plaintext must be true or false"},
      {"log-level = \"loud\"\n", "log-level: 'loud' is not one of"},
      {"listen = \"nowhere\"\n", "expected HOST:PORT"},
      {"listen = \"127.0.0.1:70000\"\n", "outside 0..65535"},
      {"[limits]\nmax-batch = 5\n", "unknown key 'limits'"},
      {"max-batch = \n", "not valid TOML"},
  };
  for (const Case& k : cases) {
    auto c = load_serve_config(write(k.text));
    ASSERT_FALSE(c) << k.text;
    EXPECT_EQ(c.error().code(), ErrorCode::kInvalidArgument) << k.text;
    EXPECT_NE(c.error().message().find(k.expect), std::string::npos) << k.text << " -> " << c.error().message();
    EXPECT_NE(c.error().message().find("serve.toml"), std::string::npos) << c.error().message();
  }
  auto missing = load_serve_config(dir_ / "absent.toml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  ServeConfig plain;
  EXPECT_FALSE(apply_serve_setting(plain, "no-such-flag", "1"));
}

TEST_F(ServeConfigTest, CrossSettingRulesAreChecked) {
  ServeConfig c;
  c.data_dir = "d";
  auto s = finish_serve_config(c);  // neither TLS nor explicit plaintext
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("tls-dir"), std::string::npos);
  c.tls_dir = "tls";
  c.insecure_plaintext = true;  // both
  EXPECT_FALSE(finish_serve_config(c));
  c.insecure_plaintext = false;
  c.data_dir.clear();  // no engine and not benchmarking
  s = finish_serve_config(c);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("data-dir"), std::string::npos);
}

}  // namespace
}  // namespace tunggal::server
