// The station protocol against a real server on 127.0.0.1 (a port chosen at run time) over a real
// engine: the happy path, idempotency, site isolation, and every kind of bad input and fault the
// issue lists; each must get a clear error or a closed connection while the server keeps serving.
#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include <fmt/format.h>
#include <set>
#include <thread>

#include "server/client.h"
#include "server/server.h"
#include "server/wire_codec.h"
#include "tests/engine_fixture.h"
#include "tests/forwarding_backend.h"

namespace tunggal::server {
namespace {

using namespace std::chrono_literals;
using tunggal::testing::capture_as;
using tunggal::testing::make_temp_dir;
using tunggal::testing::test_engine_options;
using tunggal::testing::test_fusion_model;

constexpr std::uint64_t kGallery = 30;

std::string frame_of(const wire::Request& r) {
  std::string f;
  append_frame(f, r.SerializeAsString());
  return f;
}

wire::Request hello_request(const std::string& site, std::uint32_t version = kProtocolVersion) {
  wire::Request r;
  r.set_request_id(1);
  r.mutable_hello()->set_protocol_version(version);
  r.mutable_hello()->set_site(site);
  return r;
}

wire::Response response_of(const std::string& payload) {
  auto r = parse_response(payload);
  EXPECT_TRUE(r) << r.error().to_string();
  return r ? *r : wire::Response{};
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("server");
    pop_ = std::make_unique<datasets::Population>(datasets::PopulationConfig{.seed = 42});
    auto e = Engine::open(test_engine_options(dir_), test_fusion_model());
    ASSERT_TRUE(e) << e.error().to_string();
    engine_ = std::move(*e);
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < kGallery; ++i) gallery.push_back(pop_->capture(i, 0));
    ASSERT_TRUE(engine_->import(gallery));
    ASSERT_TRUE(engine_->finish_import());
    backend_ = engine_backend(*engine_);
    options_.port = 0;
    options_.idle_timeout = 5s;
    options_.read_timeout = 5s;
    options_.io_threads = 2;
  }
  void TearDown() override {
    server_.reset();
    backend_.reset();
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  void start() {
    auto s = Server::start(options_, *backend_);
    ASSERT_TRUE(s) << s.error().to_string();
    server_ = std::move(*s);
  }
  ClientOptions client_options(const std::string& site, bool admin = false) {
    ClientOptions o;
    o.port = server_->port();
    o.site = site;
    o.admin = admin;
    o.timeout = 20s;
    return o;
  }
  std::unique_ptr<Client> connect(const std::string& site, bool admin = false) {
    auto c = Client::connect(client_options(site, admin));
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? std::move(*c) : nullptr;
  }
  // A connection that has said nothing yet.
  std::unique_ptr<Client> raw() {
    ClientOptions o = client_options("");
    o.send_hello = false;
    auto c = Client::connect(o);
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? std::move(*c) : nullptr;
  }
  // The server still answers a fresh, well-behaved client.
  void expect_still_serving() {
    auto c = connect("site-ok");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->ping());
  }
  // Polls until every id is decided (the server's decider runs on its own).
  std::vector<VerdictState> wait_decided(Client& c, const std::vector<std::string>& ids) {
    for (int i = 0; i < 400; ++i) {
      auto v = c.verdicts(ids);
      EXPECT_TRUE(v) << v.error().to_string();
      if (!v) return {};
      bool all = true;
      for (const auto& s : *v) all = all && s.state == VerdictState::State::kDecided;
      if (all) return *v;
      std::this_thread::sleep_for(25ms);
    }
    ADD_FAILURE() << "verdicts not decided in time";
    return {};
  }

  std::filesystem::path dir_;
  std::unique_ptr<datasets::Population> pop_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Backend> backend_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, SubmitThenVerdictsPushedAndQueryable) {
  start();
  auto c = connect("kec-sukajadi");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->hello().site, "kec-sukajadi");
  EXPECT_FALSE(c->hello().admin);
  auto cursor = c->subscribe();
  ASSERT_TRUE(cursor) << cursor.error().to_string();

  std::vector<Enrollment> batch = {capture_as(*pop_, 3, 1, "mated-3"), capture_as(*pop_, 7000, 0, "fresh-7000")};
  auto acks = c->submit(batch);
  ASSERT_TRUE(acks) << acks.error().to_string();
  ASSERT_EQ(acks->size(), 2u);
  for (const auto& a : *acks) EXPECT_EQ(a.kind, ItemAck::Kind::kAccepted) << a.id << ": " << a.reason;

  std::map<std::string, Verdict> pushed;
  for (int i = 0; i < 100 && pushed.size() < 2; ++i) {
    auto p = c->take_pushes(200ms);
    ASSERT_TRUE(p) << p.error().to_string();
    for (auto& v : *p) pushed[v.verdict.enrollment.value] = v.verdict;
  }
  ASSERT_EQ(pushed.size(), 2u);
  EXPECT_EQ(pushed.at("mated-3").kind, VerdictKind::kDuplicate);
  EXPECT_TRUE(pushed.at("mated-3").candidates.empty()) << "a site must not see other people's subjects";
  EXPECT_EQ(pushed.at("fresh-7000").kind, VerdictKind::kUnique);
  EXPECT_TRUE(pushed.at("fresh-7000").subject.valid());

  auto states = c->verdicts(std::vector<std::string>{"mated-3", "fresh-7000", "never-sent"});
  ASSERT_TRUE(states) << states.error().to_string();
  ASSERT_EQ(states->size(), 3u);
  EXPECT_EQ((*states)[0].state, VerdictState::State::kDecided);
  EXPECT_EQ((*states)[0].verdict->kind, VerdictKind::kDuplicate);
  EXPECT_EQ((*states)[1].verdict->subject, pushed.at("fresh-7000").subject);
  EXPECT_EQ((*states)[2].state, VerdictState::State::kUnknown);

  auto since = c->verdicts_since(WireCursor{});
  ASSERT_TRUE(since) << since.error().to_string();
  EXPECT_EQ(since->verdicts.size(), 2u);
  auto after = c->verdicts_since(since->next);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->verdicts.empty());

  EXPECT_TRUE(c->ping());
  auto refs = c->reference_count();
  ASSERT_TRUE(refs);
  EXPECT_EQ(*refs, kGallery + 1);
  auto pending = c->pending_count();
  ASSERT_TRUE(pending);
  EXPECT_EQ(*pending, 0u);
}

TEST_F(ServerTest, ResubmittedBatchCreatesNothingAndReturnsTheSameVerdicts) {
  start();
  auto c = connect("kec-a");
  ASSERT_TRUE(c);
  std::vector<Enrollment> batch = {capture_as(*pop_, 5, 1, "again-1"), capture_as(*pop_, 8000, 0, "again-2")};
  auto first = c->submit(batch);
  ASSERT_TRUE(first);
  auto decided = wait_decided(*c, {"again-1", "again-2"});
  ASSERT_EQ(decided.size(), 2u);
  const auto refs = c->reference_count();

  // The acknowledgement was "lost": the station sends the very same batch again.
  auto second = c->submit(batch);
  ASSERT_TRUE(second) << second.error().to_string();
  ASSERT_EQ(second->size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*second)[i].kind, ItemAck::Kind::kDuplicateId);
    ASSERT_TRUE((*second)[i].verdict) << "the stored verdict comes back with the ack";
    EXPECT_EQ((*second)[i].verdict->kind, decided[i].verdict->kind);
    EXPECT_EQ((*second)[i].verdict->subject, decided[i].verdict->subject);
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(*c->reference_count(), *refs) << "nothing was created twice";
}

TEST_F(ServerTest, ASiteReadsOnlyItsOwnEnrollments) {
  start();
  auto a = connect("site-a");
  auto b = connect("site-b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(b->subscribe());
  auto acks = a->submit(std::vector<Enrollment>{capture_as(*pop_, 9000, 0, "x1")});
  ASSERT_TRUE(acks);
  ASSERT_EQ(acks->front().kind, ItemAck::Kind::kAccepted);
  wait_decided(*a, {"x1"});

  auto seen = b->verdicts(std::vector<std::string>{"x1"});
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->front().state, VerdictState::State::kUnknown) << "site-b's x1 is another enrollment";
  auto other = b->verdicts(std::vector<std::string>{"site-a/x1"});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code(), ErrorCode::kInvalidArgument);
  auto since = b->verdicts_since(WireCursor{});
  ASSERT_TRUE(since);
  EXPECT_TRUE(since->verdicts.empty());
  auto pushes = b->take_pushes(100ms);
  ASSERT_TRUE(pushes);
  EXPECT_TRUE(pushes->empty());

  // The same station id from another site is another enrollment.
  auto own = b->submit(std::vector<Enrollment>{capture_as(*pop_, 9001, 0, "x1")});
  ASSERT_TRUE(own);
  EXPECT_EQ(own->front().kind, ItemAck::Kind::kAccepted);

  auto admin = connect("alice", /*admin=*/true);
  ASSERT_TRUE(admin);
  auto full = admin->verdicts(std::vector<std::string>{"site-a/x1"});
  ASSERT_TRUE(full);
  EXPECT_EQ(full->front().state, VerdictState::State::kDecided);
  EXPECT_EQ(full->front().verdict->enrollment.value, "site-a/x1");
}

TEST_F(ServerTest, AdminOperationsAreRefusedToSitesAndWorkForAdmins) {
  start();
  auto site = connect("site-a");
  ASSERT_TRUE(site);
  auto s = site->stats();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(site->delete_subject(SubjectId{1}, "test").code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(site->adjudicate("site-a/x", Decision::kDistinct, "test").code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(site->ping()) << "a refused operation does not cost the connection";

  auto admin = connect("alice", true);
  ASSERT_TRUE(admin);
  auto st = admin->stats();
  ASSERT_TRUE(st) << st.error().to_string();
  EXPECT_EQ(st->gallery_size, kGallery);
  EXPECT_GE(st->counters.at("permission_denied"), 3u);
  EXPECT_TRUE(admin->delete_subject(SubjectId{2}, "death registration"));
  EXPECT_EQ(*admin->reference_count(), kGallery - 1);

  // A mated re-enrollment goes to adjudication; the admin confirms it, the site sees the decision.
  ASSERT_TRUE(site->submit(std::vector<Enrollment>{capture_as(*pop_, 10, 1, "fraud-10")}));
  auto v = wait_decided(*site, {"fraud-10"});
  ASSERT_EQ(v.size(), 1u);
  ASSERT_EQ(v[0].verdict->kind, VerdictKind::kDuplicate);
  ASSERT_TRUE(admin->adjudicate("site-a/fraud-10", Decision::kConfirmedDuplicate, "same person, new NIK"));
  auto after = site->verdicts(std::vector<std::string>{"fraud-10"});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->front().verdict->decision, Decision::kConfirmedDuplicate);
}

TEST_F(ServerTest, ARefusedDistinctReopensTheCaseAndTheStationHearsOfItAtOnce) {
  start();
  auto site = connect("site-a");
  ASSERT_TRUE(site);
  ASSERT_TRUE(site->subscribe());
  auto admin = connect("alice", true);
  ASSERT_TRUE(admin);
  // One person twice in one submission, both held against the same enrolled subject; once the
  // first is adjudicated DISTINCT, the second's DISTINCT finds that new subject (engine_test.cpp).
  ASSERT_TRUE(site->submit(std::vector<Enrollment>{capture_as(*pop_, 10, 1, "p-1"), capture_as(*pop_, 10, 2, "p-2")}));
  auto v = wait_decided(*site, {"p-1", "p-2"});
  ASSERT_EQ(v.size(), 2u);
  for (const auto& x : v) ASSERT_NE(x.verdict->kind, VerdictKind::kUnique);
  ASSERT_TRUE(admin->adjudicate("site-a/p-1", Decision::kDistinct, "twin, KK checked"));
  std::map<std::string, std::vector<Verdict>> pushed;
  // At most 2 s: well inside the connection's idle timeout (5 s).
  auto drain = [&](const std::string& id, std::size_t want) {
    for (int i = 0; i < 10 && pushed[id].size() < want; ++i) {
      auto p = site->take_pushes(200ms);
      ASSERT_TRUE(p) << p.error().to_string();
      for (auto& x : *p) pushed[x.verdict.enrollment.value].push_back(x.verdict);
    }
  };
  drain("p-1", 2);  // decided, then adjudicated
  drain("p-2", 1);
  ASSERT_EQ(pushed["p-1"].size(), 2u);
  ASSERT_EQ(pushed["p-2"].size(), 1u);

  Status s = admin->adjudicate("site-a/p-2", Decision::kDistinct, "twin, KK checked");
  EXPECT_EQ(s.code(), ErrorCode::kFailedPrecondition) << s.to_string();
  EXPECT_NE(s.message().find(fmt::format("best subject {} ", kGallery + 1)), std::string::npos) << s.message();
  // No batch is decided meanwhile: the push comes from the adjudication itself.
  drain("p-2", 2);
  ASSERT_EQ(pushed["p-2"].size(), 2u) << "the reopened case was not pushed to its station";
  EXPECT_EQ(pushed["p-2"].back().kind, VerdictKind::kDuplicate);
  EXPECT_EQ(pushed["p-2"].back().decision, Decision::kNone);
  EXPECT_EQ(*admin->reference_count(), kGallery + 1);
}

TEST_F(ServerTest, GarbageBytesGetAnErrorAndAClosedConnection) {
  start();
  auto c = raw();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send_raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto f = c->read_frame(5s);
  ASSERT_TRUE(f) << f.error().to_string();
  auto r = response_of(*f);
  EXPECT_EQ(r.error().code(), wire::BAD_FRAME);
  EXPECT_TRUE(c->closed_by_server(5s));

  // A frame of the right length whose bytes are no Request.
  auto d = raw();
  ASSERT_TRUE(d);
  std::string junk;
  append_frame(junk, std::string("\xff\xff\xff\xff\xff\x01\x02\x03", 8));
  ASSERT_TRUE(d->send_raw(junk));
  auto g = d->read_frame(5s);
  ASSERT_TRUE(g);
  EXPECT_EQ(response_of(*g).error().code(), wire::BAD_FRAME);
  EXPECT_TRUE(d->closed_by_server(5s));
  expect_still_serving();
}

TEST_F(ServerTest, OversizeLengthPrefixIsRefusedBeforeAnyAllocation) {
  options_.max_frame_bytes = 1 << 20;
  start();
  auto c = raw();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send_raw(std::string("\xff\xff\xff\xf0", 4)));
  auto f = c->read_frame(5s);
  ASSERT_TRUE(f);
  auto r = response_of(*f);
  EXPECT_EQ(r.error().code(), wire::BAD_FRAME);
  EXPECT_NE(r.error().message().find("exceeds the maximum"), std::string::npos) << r.error().message();
  EXPECT_TRUE(c->closed_by_server(5s));
  expect_still_serving();
}

TEST_F(ServerTest, ALargeFrameBeforeHelloIsRefusedWithoutWaitingForItsBody) {
  start();
  auto c = raw();
  ASSERT_TRUE(c);
  // 16 MiB, the default maximum, announced by a peer that has not said who it is: refused at
  // once, not held (2048 such connections would be 32 GiB).
  ASSERT_TRUE(c->send_raw(std::string("\x01\x00\x00\x00", 4)));
  auto f = c->read_frame(3s);
  ASSERT_TRUE(f) << f.error().to_string();
  auto r = response_of(*f);
  EXPECT_EQ(r.error().code(), wire::BAD_FRAME);
  EXPECT_NE(r.error().message().find("before hello"), std::string::npos) << r.error().message();
  EXPECT_TRUE(c->closed_by_server(5s));
  expect_still_serving();
}

// A connection that has said hello as `site`.
std::unique_ptr<Client> hello_raw(std::unique_ptr<Client> c, const std::string& site) {
  EXPECT_TRUE(c->send_raw(frame_of(hello_request(site))));
  auto f = c->read_frame(5s);
  EXPECT_TRUE(f && response_of(*f).has_hello());
  return c;
}

wire::Request ping_request(std::uint64_t id, std::size_t payload_bytes) {
  wire::Request p;
  p.set_request_id(id);
  std::string payload(payload_bytes, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 131 % 251);
  p.mutable_ping()->set_payload(payload);
  return p;
}

TEST_F(ServerTest, ALargeFrameAfterHelloArrivesInPiecesAndIsServed) {
  start();
  auto c = hello_raw(raw(), "site-a");
  const wire::Request ping = ping_request(2, 3u << 20);  // 48 read pieces
  const std::string f = frame_of(ping);
  ASSERT_TRUE(c->send_raw(f.substr(0, f.size() / 3)));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(c->send_raw(f.substr(f.size() / 3)));
  auto a = c->read_frame(10s);
  ASSERT_TRUE(a) << a.error().to_string();
  auto r = response_of(*a);
  ASSERT_TRUE(r.has_pong()) << r.DebugString().substr(0, 300);
  EXPECT_EQ(r.pong().payload(), ping.ping().payload());
  ASSERT_TRUE(c->send_raw(frame_of(ping_request(3, 10))));  // and the connection goes on
  auto b = c->read_frame(5s);
  ASSERT_TRUE(b);
  EXPECT_EQ(response_of(*b).request_id(), 3u);
}

TEST_F(ServerTest, FrameBodiesWaitForRoomInTheServerWideReceivingBudget) {
  options_.max_frame_bytes = 64u << 10;
  options_.max_receiving_bytes = 64u << 10;  // one frame of 40 KiB at a time
  start();
  auto a = hello_raw(raw(), "site-a");
  auto b = hello_raw(raw(), "site-b");
  const std::string fa = frame_of(ping_request(2, 40u << 10));
  const std::string fb = frame_of(ping_request(3, 40u << 10));
  ASSERT_TRUE(a->send_raw(fa.substr(0, fa.size() / 2)));  // a's frame is admitted, half of it sent
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(b->send_raw(fb));  // complete, but there is no room for it while a's is open
  EXPECT_FALSE(b->read_frame(300ms)) << "b's frame was read beyond the budget";
  ASSERT_TRUE(a->send_raw(fa.substr(fa.size() / 2)));
  auto ra = a->read_frame(5s);
  ASSERT_TRUE(ra) << ra.error().to_string();
  EXPECT_TRUE(response_of(*ra).has_pong());
  auto rb = b->read_frame(5s);
  ASSERT_TRUE(rb) << rb.error().to_string() << ": b's frame is read once a's is done";
  EXPECT_EQ(response_of(*rb).request_id(), 3u);
}

// The engine's backend, except that some calls throw (as a bug or a library might) where the
// server runs them: stats on the blocking pool, submits of ids starting "boom" on the submitter.
class ThrowingBackend final : public tunggal::testing::ForwardingBackend {
 public:
  explicit ThrowingBackend(std::unique_ptr<Backend> inner) : ForwardingBackend(std::move(inner)) {}
  Expected<std::vector<SubmitAck>> submit(std::span<const Enrollment> items) override {
    for (const Enrollment& e : items)
      if (e.id.value.find("/boom") != std::string::npos) throw std::runtime_error("submit exploded");
    return ForwardingBackend::submit(items);
  }
  EngineStats stats() const override { throw std::runtime_error("stats exploded"); }
};

TEST_F(ServerTest, AnExceptionOnAServerThreadIsAnsweredInternalAndTheServerKeepsServing) {
  backend_ = std::make_unique<ThrowingBackend>(std::move(backend_));
  start();
  auto admin = connect("alice", true);
  ASSERT_TRUE(admin);
  auto st = admin->stats();  // throws on the blocking pool
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kInternal);
  EXPECT_NE(st.error().message().find("stats exploded"), std::string::npos) << st.error().message();
  auto site = connect("site-a");
  ASSERT_TRUE(site);
  auto acks = site->submit(std::vector<Enrollment>{capture_as(*pop_, 12000, 0, "boom-1")});  // on the submitter
  ASSERT_FALSE(acks);
  EXPECT_EQ(acks.error().code(), ErrorCode::kInternal);
  EXPECT_NE(acks.error().message().find("submit exploded"), std::string::npos) << acks.error().message();
  EXPECT_TRUE(site->ping());
  auto fine = site->submit(std::vector<Enrollment>{capture_as(*pop_, 12001, 0, "fine")});
  ASSERT_TRUE(fine) << fine.error().to_string();
  EXPECT_EQ((*fine)[0].kind, ItemAck::Kind::kAccepted);
  EXPECT_TRUE(admin->ping());
}

TEST_F(ServerTest, AnAdminReportHoldingInvalidUtf8IsServedWithReplacementCharacters) {
  // An audit reason typed in a Latin-1 terminal through the offline CLI is stored as it came.
  ASSERT_TRUE(engine_->revoke_subject(SubjectId{3}, "alice", "meninggal d\xe9nia"));
  start();
  auto admin = connect("alice", true);
  ASSERT_TRUE(admin);
  admin::AdminQuery q;
  q.kind = admin::AdminQuery::Kind::kAudit;
  auto j = admin->admin(q);
  ASSERT_TRUE(j) << j.error().to_string();
  EXPECT_NE(j->find("meninggal d\xef\xbf\xbdnia"), std::string::npos) << *j;  // U+FFFD for the byte
  q.kind = admin::AdminQuery::Kind::kShowSubject;
  q.id = "3";
  auto subject = admin->admin(q);
  ASSERT_TRUE(subject) << subject.error().to_string();
  EXPECT_NE(subject->find("\xef\xbf\xbd"), std::string::npos) << *subject;
  expect_still_serving();
}

TEST_F(ServerTest, WrongProtocolVersionIsRefusedAtHello) {
  start();
  ClientOptions o = client_options("site-a");
  o.protocol_version = 99;
  auto c = Client::connect(o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ErrorCode::kIncompatible);
  EXPECT_NE(c.error().message().find("version 1"), std::string::npos) << c.error().message();
  expect_still_serving();
}

TEST_F(ServerTest, RequestsBeforeHelloAreRefused) {
  start();
  auto c = raw();
  ASSERT_TRUE(c);
  wire::Request ping;
  ping.set_request_id(5);
  ping.mutable_ping();
  ASSERT_TRUE(c->send_raw(frame_of(ping)));
  auto f = c->read_frame(5s);
  ASSERT_TRUE(f);
  EXPECT_EQ(response_of(*f).error().code(), wire::NOT_AUTHENTICATED);
  EXPECT_TRUE(c->closed_by_server(5s));
}

TEST_F(ServerTest, InvalidTemplatesAreRejectedPerItemWithAReason) {
  start();
  auto c = connect("site-a");
  ASSERT_TRUE(c);
  Enrollment bad = capture_as(*pop_, 11000, 0, "bad-minutia");
  bad.fingers[0].minutiae[0].x = bad.fingers[0].width + 5;  // outside its frame
  Enrollment good = capture_as(*pop_, 11001, 0, "good");
  Enrollment bad_nik = capture_as(*pop_, 11002, 0, "bad-nik");
  auto acks = c->submit(std::vector<Enrollment>{bad, good});
  ASSERT_TRUE(acks) << acks.error().to_string();
  EXPECT_EQ((*acks)[0].kind, ItemAck::Kind::kRejected);
  EXPECT_NE((*acks)[0].reason.find("outside"), std::string::npos) << (*acks)[0].reason;
  EXPECT_EQ((*acks)[1].kind, ItemAck::Kind::kAccepted);

  // Wire-level defects the engine types cannot even hold: ragged minutiae columns, a bad NIK.
  auto r = raw();
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->send_raw(frame_of(hello_request("site-a"))));
  ASSERT_TRUE(r->read_frame(5s));
  wire::Request sub;
  sub.set_request_id(2);
  auto* w = sub.mutable_submit()->add_enrollments();
  enrollment_to_wire(capture_as(*pop_, 11003, 0, "ragged"), w);
  w->mutable_fingers(0)->mutable_y()->RemoveLast();
  auto* n = sub.mutable_submit()->add_enrollments();
  enrollment_to_wire(bad_nik, n);
  n->set_nik("12345");
  ASSERT_TRUE(r->send_raw(frame_of(sub)));
  auto f = r->read_frame(10s);
  ASSERT_TRUE(f);
  auto resp = response_of(*f);
  ASSERT_TRUE(resp.has_submit()) << resp.DebugString();
  EXPECT_EQ(resp.submit().acks(0).kind(), wire::ITEM_REJECTED);
  EXPECT_NE(resp.submit().acks(0).reason().find("columns differ"), std::string::npos);
  EXPECT_EQ(resp.submit().acks(1).kind(), wire::ITEM_REJECTED);
  EXPECT_NE(resp.submit().acks(1).reason().find("nik"), std::string::npos);
  auto states = c->verdicts(std::vector<std::string>{"bad-minutia", "ragged"});
  ASSERT_TRUE(states);
  for (const auto& s : *states) EXPECT_EQ(s.state, VerdictState::State::kUnknown) << "nothing stored for " << s.id;
}

TEST_F(ServerTest, SlowLorisAndIdleConnectionsAreClosed) {
  options_.idle_timeout = 300ms;
  options_.read_timeout = 300ms;
  start();
  auto loris = raw();
  ASSERT_TRUE(loris);
  ASSERT_TRUE(loris->send_raw(std::string("\x00\x00", 2)));  // half a header, then nothing
  auto idle = connect("site-a");                             // says hello, then nothing
  ASSERT_TRUE(idle);
  auto truncated = raw();
  ASSERT_TRUE(truncated);
  ASSERT_TRUE(truncated->send_raw(std::string("\x00\x00\x01\x00partial", 11)));  // 256 announced, 7 sent
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(loris->closed_by_server(5s));
  EXPECT_TRUE(idle->closed_by_server(5s));
  EXPECT_TRUE(truncated->closed_by_server(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  expect_still_serving();
}

TEST_F(ServerTest, HalfAHeaderGetsTheReadTimeoutNotTheIdleOne) {
  options_.idle_timeout = 4s;
  options_.read_timeout = 200ms;
  start();
  auto loris = raw();
  ASSERT_TRUE(loris);
  auto quiet = raw();  // begins no frame: the idle deadline applies
  ASSERT_TRUE(quiet);
  ASSERT_TRUE(loris->send_raw(std::string("\x00\x00", 2)));  // a frame begun, never finished
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(loris->closed_by_server(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "closed by the idle deadline, not the read one";
  EXPECT_FALSE(quiet->closed_by_server(200ms));
}

TEST_F(ServerTest, ClientVanishingMidBatchLosesNothingItWasToldAndServerKeepsServing) {
  start();
  {
    auto c = raw();
    ASSERT_TRUE(c);
    wire::Request sub;
    sub.set_request_id(2);
    enrollment_to_wire(capture_as(*pop_, 12000, 0, "vanish-1"), sub.mutable_submit()->add_enrollments());
    std::string bytes = frame_of(hello_request("site-v")) + frame_of(sub);
    // A second batch cut off in the middle.
    std::string second = frame_of(sub);
    bytes += second.substr(0, second.size() / 2);
    ASSERT_TRUE(c->send_raw(bytes));
  }  // the station's link drops here
  auto again = connect("site-v");
  ASSERT_TRUE(again);
  // The complete batch reached the engine (its ack was lost with the link): resubmitting is safe.
  std::vector<VerdictState> s;
  for (int i = 0; i < 200; ++i) {
    auto v = again->verdicts(std::vector<std::string>{"vanish-1"});
    ASSERT_TRUE(v);
    s = *v;
    if (s.front().state != VerdictState::State::kUnknown) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(s.front().state, VerdictState::State::kUnknown);
  auto acks = again->submit(std::vector<Enrollment>{capture_as(*pop_, 12000, 0, "vanish-1")});
  ASSERT_TRUE(acks);
  EXPECT_EQ(acks->front().kind, ItemAck::Kind::kDuplicateId);
}

TEST_F(ServerTest, OverloadIsAnsweredBusyAndNothingOfABusyRequestIsStored) {
  options_.max_queued_items = 2;
  options_.max_in_flight_per_connection = 1;
  start();
  auto c = connect("site-a");
  ASSERT_TRUE(c);
  // More enrollments than the queue holds: BUSY, deterministically.
  std::vector<Enrollment> three = {capture_as(*pop_, 13000, 0, "q1"), capture_as(*pop_, 13001, 0, "q2"),
                                   capture_as(*pop_, 13002, 0, "q3")};
  auto busy = c->submit(three);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), ErrorCode::kBusy);
  auto none = c->verdicts(std::vector<std::string>{"q1", "q2", "q3"});
  ASSERT_TRUE(none);
  for (const auto& s : *none) EXPECT_EQ(s.state, VerdictState::State::kUnknown);

  // Pipelined requests beyond the per-connection limit.
  auto r = raw();
  ASSERT_TRUE(r);
  std::string bytes = frame_of(hello_request("site-p"));
  for (int k = 0; k < 6; ++k) {
    wire::Request sub;
    sub.set_request_id(10 + k);
    enrollment_to_wire(capture_as(*pop_, 13100 + k, 0, "p" + std::to_string(k)),
                       sub.mutable_submit()->add_enrollments());
    bytes += frame_of(sub);
  }
  ASSERT_TRUE(r->send_raw(bytes));
  ASSERT_TRUE(r->read_frame(5s));  // hello
  int busy_count = 0, accepted = 0;
  std::vector<std::string> refused;
  for (int k = 0; k < 6; ++k) {
    auto f = r->read_frame(10s);
    ASSERT_TRUE(f) << f.error().to_string();
    auto resp = response_of(*f);
    if (resp.has_error()) {
      EXPECT_EQ(resp.error().code(), wire::BUSY) << resp.error().message();
      EXPECT_GT(resp.error().retry_after_ms(), 0u);
      ++busy_count;
      refused.push_back("p" + std::to_string(resp.request_id() - 10));
    } else {
      ASSERT_TRUE(resp.has_submit());
      EXPECT_EQ(resp.submit().acks(0).kind(), wire::ACCEPTED);
      ++accepted;
    }
  }
  EXPECT_GE(busy_count, 1);
  EXPECT_GE(accepted, 1);
  auto p = connect("site-p");
  ASSERT_TRUE(p);
  auto states = p->verdicts(refused);
  ASSERT_TRUE(states);
  for (const auto& s : *states) EXPECT_EQ(s.state, VerdictState::State::kUnknown) << s.id;
}

TEST_F(ServerTest, GracefulShutdownLosesNothingAcknowledged) {
  start();
  std::atomic<bool> go{true};
  std::mutex mu;
  std::vector<std::string> acked;
  std::vector<std::thread> stations;
  for (int t = 0; t < 3; ++t) {
    stations.emplace_back([&, t] {
      auto c = Client::connect(client_options("site-" + std::to_string(t)));
      if (!c) return;
      for (int b = 0; go && b < 40; ++b) {
        std::vector<Enrollment> batch;
        for (int k = 0; k < 2; ++k) {
          const std::uint64_t who = 20000 + static_cast<std::uint64_t>(t * 1000 + b * 2 + k);
          batch.push_back(capture_as(*pop_, who, 0, fmt::format("s{}-{}", t, who)));
        }
        auto acks = (*c)->submit(batch);
        if (!acks) return;  // the server is going away
        std::lock_guard lock(mu);
        for (const auto& a : *acks)
          if (a.kind == ItemAck::Kind::kAccepted) acked.push_back(fmt::format("site-{}/{}", t, a.id));
      }
    });
  }
  std::this_thread::sleep_for(300ms);
  server_->stop();  // while the stations are still submitting
  go = false;
  for (auto& s : stations) s.join();
  ASSERT_FALSE(acked.empty());
  for (const std::string& id : acked) {
    auto r = engine_->received(EnrollmentId{id});
    ASSERT_TRUE(r);
    EXPECT_TRUE(*r) << id << " was acknowledged but is not in the engine";
  }
}

}  // namespace
}  // namespace tunggal::server
