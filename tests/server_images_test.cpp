// Enrollments whose fingers are images, over a real server on 127.0.0.1 (run-time port) and a real
// engine: the server extracts them on its extraction pool before the engine queue (the engine sees
// templates only); undecodable or unusable images are ITEM_REJECTED with the extractor's reason;
// two impressions of the same fingers are a DUPLICATE (FVC2002 when present, synthetic always).
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <thread>

#include "server/client.h"
#include "server/server.h"
#include "server/wire_codec.h"
#include "tests/engine_fixture.h"
#include "tests/fvc_data_dir.h"
#include "tests/synthetic_print.h"

namespace tunggal::server {
namespace {

using namespace std::chrono_literals;
using tunggal::testing::blank_png;
using tunggal::testing::capture_as;
using tunggal::testing::make_temp_dir;
using tunggal::testing::synthetic_print_png;
using tunggal::testing::test_engine_options;
using tunggal::testing::test_fusion_model;
using tunggal::testing::truncated_png;

constexpr FingerPosition kPositions[] = {FingerPosition::kRightThumb, FingerPosition::kRightIndex,
                                         FingerPosition::kLeftThumb,  FingerPosition::kLeftIndex,
                                         FingerPosition::kRightMiddle, FingerPosition::kLeftMiddle};

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class ServerImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("server-images");
    pop_ = std::make_unique<datasets::Population>(datasets::PopulationConfig{.seed = 42});
    auto e = Engine::open(test_engine_options(dir_), test_fusion_model());
    ASSERT_TRUE(e) << e.error().to_string();
    engine_ = std::move(*e);
    backend_ = engine_backend(*engine_);
    ServerOptions o;
    o.port = 0;
    o.io_threads = 1;
    o.extract_threads = 2;
    auto s = Server::start(o, *backend_);
    ASSERT_TRUE(s) << s.error().to_string();
    server_ = std::move(*s);
  }
  void TearDown() override {
    server_.reset();
    backend_.reset();
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  // 30 generated identities, so that a DUPLICATE is found among non-mates. Not for the synthetic
  // prints: the test fusion model (80 generated identities) has seen no impostor score as high as
  // those of regular synthetic ridges against generated templates, and calls them DUPLICATEs.
  void import_gallery() {
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < 30; ++i) gallery.push_back(pop_->capture(i, 0));
    ASSERT_TRUE(engine_->import(gallery));
    ASSERT_TRUE(engine_->finish_import());
  }
  std::unique_ptr<Client> connect(const std::string& site, bool admin = false) {
    ClientOptions o;
    o.port = server_->port();
    o.site = site;
    o.admin = admin;
    o.timeout = 60s;
    auto c = Client::connect(o);
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? std::move(*c) : nullptr;
  }
  // An enrollment of a fresh NIK whose fingers are these images (at kPositions, in order).
  Enrollment image_enrollment(const std::string& id, std::uint64_t nik_of, std::vector<std::vector<std::uint8_t>> images) {
    Enrollment e = capture_as(*pop_, nik_of, 0, id);
    e.fingers.clear();
    e.face.reset();
    for (std::size_t k = 0; k < images.size(); ++k)
      e.finger_images.push_back(FingerImage{kPositions[k], std::move(images[k]), 500});
    return e;
  }
  std::map<std::string, Verdict> wait_decided(Client& c, const std::vector<std::string>& ids) {
    std::map<std::string, Verdict> out;
    for (int i = 0; i < 1200 && out.size() < ids.size(); ++i) {
      auto v = c.verdicts(ids);
      EXPECT_TRUE(v) << v.error().to_string();
      if (!v) break;
      for (const auto& s : *v)
        if (s.state == VerdictState::State::kDecided) out[s.id] = *s.verdict;
      if (out.size() < ids.size()) std::this_thread::sleep_for(25ms);
    }
    EXPECT_EQ(out.size(), ids.size()) << "verdicts not decided in time";
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<datasets::Population> pop_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerImagesTest, BadImagesAreItemRejectedWithTheReasonAndGoodOnesAreDecided) {
  auto c = connect("site-img");
  ASSERT_TRUE(c);
  std::vector<Enrollment> batch = {
      image_enrollment("corrupt", 9001, {synthetic_print_png(11), truncated_png(12), synthetic_print_png(13),
                                         synthetic_print_png(14)}),
      image_enrollment("blank", 9002, {synthetic_print_png(21), synthetic_print_png(22), blank_png(),
                                       synthetic_print_png(24)}),
      image_enrollment("prints", 9003, {synthetic_print_png(31), synthetic_print_png(32), synthetic_print_png(33),
                                        synthetic_print_png(34)}),
      capture_as(*pop_, 9004, 0, "templates"),  // the usual kind, in the same batch
  };
  auto acks = c->submit(batch);
  ASSERT_TRUE(acks) << acks.error().to_string();
  ASSERT_EQ(acks->size(), 4u);
  EXPECT_EQ((*acks)[0].kind, ItemAck::Kind::kRejected);
  EXPECT_NE((*acks)[0].reason.find("right index"), std::string::npos) << (*acks)[0].reason;
  EXPECT_NE((*acks)[0].reason.find("PNG"), std::string::npos) << (*acks)[0].reason;
  EXPECT_EQ((*acks)[1].kind, ItemAck::Kind::kRejected);
  EXPECT_NE((*acks)[1].reason.find("left thumb"), std::string::npos) << (*acks)[1].reason;
  EXPECT_NE((*acks)[1].reason.find("quality check"), std::string::npos) << (*acks)[1].reason;
  EXPECT_EQ((*acks)[2].kind, ItemAck::Kind::kAccepted) << (*acks)[2].reason;
  EXPECT_EQ((*acks)[3].kind, ItemAck::Kind::kAccepted) << (*acks)[3].reason;

  auto decided = wait_decided(*c, {"prints", "templates"});
  ASSERT_EQ(decided.size(), 2u);
  EXPECT_EQ(decided["prints"].kind, VerdictKind::kUnique) << decided["prints"].reject_reason;
  auto states = c->verdicts(std::vector<std::string>{"corrupt", "blank"});
  ASSERT_TRUE(states);
  for (const auto& s : *states) EXPECT_EQ(s.state, VerdictState::State::kUnknown) << "nothing stored for " << s.id;

  // The same prints again under another id and NIK: the extracted templates find the first.
  auto again = c->submit(std::vector<Enrollment>{image_enrollment(
      "prints-again", 9005,
      {synthetic_print_png(31), synthetic_print_png(32), synthetic_print_png(33), synthetic_print_png(34)})});
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ((*again)[0].kind, ItemAck::Kind::kAccepted) << (*again)[0].reason;
  auto dup = wait_decided(*c, {"prints-again"});
  EXPECT_EQ(dup["prints-again"].kind, VerdictKind::kDuplicate);
  auto full = engine_->verdict(EnrollmentId{"site-img/prints-again"});  // with candidates (admin view)
  ASSERT_TRUE(full && *full);
  ASSERT_FALSE((*full)->candidates.empty());
  EXPECT_EQ((*full)->candidates[0].subject, decided["prints"].subject);

  auto admin = connect("ops", true);
  ASSERT_TRUE(admin);
  auto st = admin->stats();
  ASSERT_TRUE(st) << st.error().to_string();
  EXPECT_EQ(st->counters.at("images_extracted"), 14u);  // 3 + 3 + 4 + 4: extraction stops at nothing
  EXPECT_EQ(st->counters.at("images_failed"), 2u);
}

TEST_F(ServerImagesTest, TheEngineItselfRefusesImagesThatWereNotExtracted) {
  // One-way flow: only the door extracts; an image reaching the engine is a bug in a door.
  Enrollment e = image_enrollment("site/raw", 9100, {synthetic_print_png(1)});
  e.id = EnrollmentId{"site/raw"};
  auto acks = engine_->submit(std::vector<Enrollment>{e});
  ASSERT_TRUE(acks) << acks.error().to_string();
  EXPECT_EQ((*acks)[0].kind, SubmitAck::Kind::kRejected);
  EXPECT_NE((*acks)[0].reason.find("not extracted"), std::string::npos) << (*acks)[0].reason;
}

TEST_F(ServerImagesTest, StoppingSkipsQueuedExtractionsAnswersThemShuttingDownAndExitsCleanly) {
  server_.reset();
  ServerOptions o;
  o.port = 0;
  o.io_threads = 1;
  o.extract_threads = 1;
  o.drain_timeout = 20s;  // long: the old stop() waited for the whole extraction queue within it
  auto s = Server::start(o, *backend_);
  ASSERT_TRUE(s) << s.error().to_string();
  server_ = std::move(*s);
  // 2 stations x 8 pipelined submits x 6 images: 96 images, over a second on one thread
  // (docs/extraction.md: ~20-90 images/s).
  std::vector<std::vector<std::uint8_t>> prints;  // made once: making them takes longer than extracting
  for (std::uint32_t f = 0; f < 6; ++f) prints.push_back(synthetic_print_png(100 + f));
  std::vector<std::unique_ptr<Client>> stations;
  for (int c = 0; c < 2; ++c) {
    stations.push_back(connect(fmt::format("site-{}", c)));
    ASSERT_TRUE(stations.back());
    for (int k = 0; k < 8; ++k) {
      wire::Request r;
      r.set_request_id(static_cast<std::uint64_t>(100 + k));
      enrollment_to_wire(image_enrollment(fmt::format("img-{}", k), static_cast<std::uint64_t>(9200 + 10 * c + k),
                                          prints),
                         r.mutable_submit()->add_enrollments());
      std::string frame;
      append_frame(frame, r.SerializeAsString());
      ASSERT_TRUE(stations.back()->send_raw(frame));
    }
  }
  std::this_thread::sleep_for(200ms);  // read, and queued for extraction
  const auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  const auto stop_took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(stop_took, 5s) << "stop() waited for the extraction queue";

  // Every request read was answered before the close: stored (ACCEPTED), or SHUTTING_DOWN and
  // nothing of it stored.
  std::vector<std::string> accepted, refused;
  for (int c = 0; c < 2; ++c) {
    for (int answers = 0; answers < 8; ++answers) {
      auto f = stations[static_cast<std::size_t>(c)]->read_frame(5s);
      ASSERT_TRUE(f) << "station " << c << " answer " << answers << ": " << f.error().to_string();
      auto r = parse_response(*f);
      ASSERT_TRUE(r);
      const std::string id = fmt::format("site-{}/img-{}", c, r->request_id() - 100);
      if (r->has_error()) {
        EXPECT_EQ(r->error().code(), wire::SHUTTING_DOWN) << r->error().message();
        refused.push_back(id);
      } else {
        ASSERT_TRUE(r->has_submit());
        EXPECT_EQ(r->submit().acks(0).kind(), wire::ACCEPTED) << r->submit().acks(0).reason();
        accepted.push_back(id);
      }
    }
  }
  EXPECT_FALSE(refused.empty()) << "all 96 images were extracted before stop() returned";
  std::cout << accepted.size() << " requests accepted, " << refused.size() << " SHUTTING_DOWN; stop() took "
            << std::chrono::duration<double>(stop_took).count() << " s\n";
  server_.reset();
  backend_.reset();
  engine_.reset();  // saves its index snapshots
  auto e = Engine::open(test_engine_options(dir_), test_fusion_model());
  ASSERT_TRUE(e) << e.error().to_string();
  engine_ = std::move(*e);
  for (const std::string& id : accepted) EXPECT_TRUE(*engine_->received(EnrollmentId{id})) << id;
  for (const std::string& id : refused) EXPECT_FALSE(*engine_->received(EnrollmentId{id})) << id;
}

TEST_F(ServerImagesTest, FvcImpressionsOfTheSameFingersAreADuplicate) {
  const auto fvc = tunggal::testing::fvc_data_dir();
  if (fvc.empty()) GTEST_SKIP() << tunggal::testing::kNoFvcMessage;
  const auto db1 = fvc / "DB1_B";
  auto images = [&](int first_finger, int impression) {
    std::vector<std::vector<std::uint8_t>> out;
    for (int f = first_finger; f < first_finger + 6; ++f)
      out.push_back(read_bytes(db1 / (std::to_string(f) + "_" + std::to_string(impression) + ".tif")));
    return out;
  };
  if (images(101, 1)[0].empty()) GTEST_SKIP() << "FVC2002 DB1_B/101_1.tif not found in " << db1;
  import_gallery();
  auto c = connect("site-fvc");
  ASSERT_TRUE(c);
  // Fingers 101..106 first, then their second impressions under another NIK (a second card).
  auto first = c->submit(std::vector<Enrollment>{image_enrollment("first", 9201, images(101, 1))});
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_EQ((*first)[0].kind, ItemAck::Kind::kAccepted) << (*first)[0].reason;
  auto v1 = wait_decided(*c, {"first"});
  ASSERT_EQ(v1["first"].kind, VerdictKind::kUnique) << v1["first"].reject_reason;

  auto second = c->submit(std::vector<Enrollment>{image_enrollment("second", 9202, images(101, 2))});
  ASSERT_TRUE(second) << second.error().to_string();
  ASSERT_EQ((*second)[0].kind, ItemAck::Kind::kAccepted) << (*second)[0].reason;
  auto v2 = wait_decided(*c, {"second"});
  EXPECT_EQ(v2["second"].kind, VerdictKind::kDuplicate) << v2["second"].reject_reason;

  // An admin's identify with a third impression, also as images, names the first subject.
  auto admin = connect("ops", true);
  ASSERT_TRUE(admin);
  auto found = admin->identify(image_enrollment("probe", 9203, images(101, 3)));
  ASSERT_TRUE(found) << found.error().to_string();
  ASSERT_FALSE(found->candidates.empty());
  EXPECT_EQ(found->candidates[0].subject, v1["first"].subject);
}

}  // namespace
}  // namespace tunggal::server
