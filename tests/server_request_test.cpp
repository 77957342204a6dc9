// The KTP-el request workflow over the station protocol: a real server on 127.0.0.1 (run-time
// port, mutual TLS with certificates made here), a real engine deciding penunggalan, the workflow
// in its own store. A request prints only when the live engine says UNIQUE or adjudicated
// DISTINCT; sites operate only their own requests.
#include <gtest/gtest.h>

#include <thread>

#include "admin/admin_query.h"
#include "admin/review_cases.h"
#include "server/client.h"
#include "server/dev_certs.h"
#include "server/request_client.h"
#include "server/request_service.h"
#include "server/server.h"
#include "tests/engine_fixture.h"
#include "workflow/request_state.h"

namespace tunggal::server {
namespace {

using namespace std::chrono_literals;
using tunggal::testing::capture_as;
using tunggal::testing::make_temp_dir;
using tunggal::testing::test_engine_options;
using tunggal::testing::test_fusion_model;
using workflow::Document;
using S = workflow::RequestState;

constexpr std::uint64_t kGallery = 30;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class ServerRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("server-request");
    ASSERT_TRUE(make_dev_certs({.out = dir_ / "tls", .sites = {"kec-a", "kec-b"}, .admins = {"alice"}}));
    auto store = workflow::WorkflowStore::open((dir_ / "data").string());
    ASSERT_TRUE(store) << store.error().to_string();
    store_ = std::move(*store);
    flow_ = std::make_unique<workflow::RequestWorkflow>(*store_);
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
  // A real engine with kGallery people enrolled. `wide_review`: the duplicate threshold as high
  // and the review threshold as low as the engine allows, so that a weak match lands in REVIEW.
  void start(bool decider = true, bool wide_review = false) {
    EngineOptions eo = test_engine_options(dir_ / "engine");
    if (wide_review) {
      eo.target_fpir = 1e-12;
      eo.review_fpir = 1.0;
    }
    auto e = Engine::open(eo, test_fusion_model());
    ASSERT_TRUE(e) << e.error().to_string();
    engine_ = std::move(*e);
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < kGallery; ++i) gallery.push_back(pop_.capture(i, 0));
    ASSERT_TRUE(engine_->import(gallery));
    ASSERT_TRUE(engine_->finish_import());
    backend_ = engine_backend(*engine_);
    service_ = std::make_unique<RequestService>(*flow_, *backend_);
    ServerOptions o;
    o.port = 0;
    o.tls = TlsFiles::in_dir(dir_ / "tls", "server");
    o.run_decider = decider;
    auto s = Server::start(o, *backend_, service_.get());
    ASSERT_TRUE(s) << s.error().to_string();
    server_ = std::move(*s);
  }
  std::unique_ptr<Client> connect(const std::string& name) {
    ClientOptions o;
    o.port = server_->port();
    o.tls = TlsFiles::in_dir(dir_ / "tls", name);
    o.timeout = 20s;
    auto c = Client::connect(o);
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? std::move(*c) : nullptr;
  }

  static workflow::NewRequest siti(workflow::Channel channel) {
    workflow::NewRequest req;
    req.service = workflow::Service::kWniNew;
    req.channel = channel;
    req.applicant.nik = *Nik::parse("3273015505900002");
    req.applicant.name = "Siti Rahayu";
    req.applicant.birth_date = *workflow::Date::parse("1990-05-15");
    req.applicant.email = "siti@example.id";
    req.documents = {Document::kKkCopy, Document::kFormF102};
    return req;
  }

  // Registered, documents verified, the capture (taken for the applicant's NIK) submitted through
  // SubmitBatch and linked.
  workflow::Request recorded(Client& station, const workflow::NewRequest& req, Enrollment capture) {
    capture.nik = req.applicant.nik;
    RequestClient rc(station);
    auto r = rc.create(req);
    EXPECT_TRUE(r) << r.error().to_string();
    if (!r) return {};
    EXPECT_TRUE(rc.verify_documents(r->id, {}));
    auto acks = station.submit(std::vector<Enrollment>{capture});
    EXPECT_TRUE(acks && acks->front().kind == ItemAck::Kind::kAccepted);
    auto linked = rc.record_biometrics(r->id, capture.id.value);
    EXPECT_TRUE(linked) << linked.error().to_string();
    return linked ? *linked : workflow::Request{};
  }

  // Refreshes until the engine has answered (the server's decider runs on its own).
  workflow::Request decided(RequestClient& rc, const std::string& id) {
    for (int i = 0; i < 800; ++i) {
      auto r = rc.refresh(id);
      EXPECT_TRUE(r) << r.error().to_string();
      if (!r) return {};
      if (r->state != S::kPenunggalanPending && r->state != S::kBiometricsRecorded) return *r;
      std::this_thread::sleep_for(25ms);
    }
    ADD_FAILURE() << "penunggalan not decided in time";
    return {};
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

TEST_F(ServerRequestTest, NewCardForACitizenFromRegistrationToHandOver) {
  start();
  auto station = connect("kec-a");
  ASSERT_TRUE(station);
  RequestClient rc(*station);

  workflow::NewRequest req = siti(workflow::Channel::kDaring);
  req.documents = {Document::kKkCopy};
  auto created = rc.create(req);
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ(created->state, S::kSubmitted);
  EXPECT_EQ(created->site, "kec-a");
  EXPECT_FALSE(created->register_number.empty());
  EXPECT_EQ(rc.deadline_ms(created->id), created->submitted_at_ms + 3 * 86400000LL);

  auto missing = rc.verify_documents(created->id, {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(missing.error().message(), "form F-1.02")) << missing.error().message();
  auto verified = rc.verify_documents(created->id, {Document::kFormF102});
  ASSERT_TRUE(verified) << verified.error().to_string();
  EXPECT_EQ(verified->state, S::kDocumentsVerified);

  // The station records the applicant and submits the capture like any enrollment.
  Enrollment capture = capture_as(pop_, 100, 0, "ktp-100");
  capture.nik = req.applicant.nik;  // the station records the applicant standing at it
  ASSERT_TRUE(station->submit(std::vector<Enrollment>{capture}));
  auto linked = rc.record_biometrics(created->id, "ktp-100");
  ASSERT_TRUE(linked) << linked.error().to_string();
  EXPECT_EQ(linked->enrollment_id, "kec-a/ktp-100");

  const workflow::Request ready = decided(rc, created->id);
  ASSERT_EQ(ready.state, S::kPrintReady) << ready.note;
  EXPECT_TRUE(contains(ready.note, "UNIQUE")) << ready.note;

  // Online: printing happens at the kiosk with the PIN from the e-mail.
  auto no_pin = rc.print(created->id, std::nullopt);
  ASSERT_FALSE(no_pin);
  EXPECT_EQ(no_pin.error().code(), ErrorCode::kInvalidArgument);
  auto listed = rc.outbox(false);
  ASSERT_TRUE(listed) << listed.error().to_string();
  std::string pin;
  for (const auto& n : *listed) {
    if (!n.secret.empty()) {
      EXPECT_EQ(n.secret, "(withheld until taken)");
    }
  }
  auto taken = rc.outbox(true);
  ASSERT_TRUE(taken) << taken.error().to_string();
  for (const auto& n : *taken) {
    if (n.request_id == created->id && !n.secret.empty()) pin = n.secret;
  }
  ASSERT_EQ(pin.size(), 6u);
  auto printed = rc.print(created->id, pin);
  ASSERT_TRUE(printed) << printed.error().to_string();
  EXPECT_EQ(printed->state, S::kPrinted);
  EXPECT_FALSE(rc.print(created->id, pin)) << "printed once";

  auto without_proof = rc.hand_over(created->id, {});
  ASSERT_FALSE(without_proof);
  EXPECT_TRUE(contains(without_proof.error().message(), "registration proof")) << without_proof.error().message();
  auto handed = rc.hand_over(created->id, {Document::kRegistrationProof});
  ASSERT_TRUE(handed) << handed.error().to_string();
  EXPECT_EQ(handed->state, S::kHandedOver);

  std::vector<S> visited;
  for (const auto& h : handed->history) visited.push_back(h.to);
  EXPECT_EQ(visited, (std::vector<S>{S::kSubmitted, S::kDocumentsVerified, S::kBiometricsRecorded,
                                     S::kPenunggalanPending, S::kSingleIdentityConfirmed, S::kPrintReady,
                                     S::kPrinted, S::kHandedOver}));
  // What the protocol returned is what the workflow stored.
  EXPECT_EQ(flow_->get(created->id)->state, S::kHandedOver);
}

TEST_F(ServerRequestTest, DuplicateIsRefusedPrintingUntilAdjudicatedDistinct) {
  start();
  auto station = connect("kec-a");
  ASSERT_TRUE(station);
  RequestClient rc(*station);
  // Identity 10 is enrolled already: the same fingers under a new NIK.
  const auto r = recorded(*station, siti(workflow::Channel::kLuring), capture_as(pop_, 10, 1, "dup-10"));
  ASSERT_FALSE(r.id.empty());
  const workflow::Request blocked = decided(rc, r.id);
  ASSERT_EQ(blocked.state, S::kDuplicateBlocked) << blocked.note;

  auto refused = rc.print(r.id, std::nullopt);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(refused.error().message(), "is DUPLICATE")) << refused.error().message();
  EXPECT_EQ(flow_->get(r.id)->state, S::kDuplicateBlocked);

  // An admin decides they are two people: printing is released through adjudicated_distinct.
  auto admin = connect("alice");
  ASSERT_TRUE(admin);
  ASSERT_TRUE(admin->adjudicate("kec-a/dup-10", Decision::kDistinct, "twins, checked documents"));
  auto released = rc.refresh(r.id);
  ASSERT_TRUE(released) << released.error().to_string();
  EXPECT_EQ(released->state, S::kPrintReady);
  auto printed = rc.print(r.id, std::nullopt);
  ASSERT_TRUE(printed) << printed.error().to_string();
  EXPECT_EQ(printed->state, S::kPrinted);
}

TEST_F(ServerRequestTest, ReviewIsRefusedPrinting) {
  start(/*decider=*/true, /*wide_review=*/true);
  auto station = connect("kec-a");
  ASSERT_TRUE(station);
  RequestClient rc(*station);
  // Four fingers, no face, one of them from an enrolled person (identity 11) and three from a
  // newcomer: evidence enough for a human look, not for DUPLICATE.
  Enrollment weak = capture_as(pop_, 200, 0, "rev-11");
  const Enrollment enrolled = pop_.capture(11, 1);
  weak.fingers.resize(4);
  weak.face.reset();
  for (const auto& f : enrolled.fingers) {
    if (f.position == weak.fingers[0].position) weak.fingers[0] = f;
  }
  const auto r = recorded(*station, siti(workflow::Channel::kLuring), weak);
  ASSERT_FALSE(r.id.empty());
  const workflow::Request blocked = decided(rc, r.id);
  ASSERT_EQ(blocked.state, S::kDuplicateBlocked) << blocked.note;
  EXPECT_TRUE(contains(blocked.note, "REVIEW")) << blocked.note;
  auto refused = rc.print(r.id, std::nullopt);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().message(), "is REVIEW")) << refused.error().message();
  EXPECT_EQ(flow_->get(r.id)->state, S::kDuplicateBlocked);
}

TEST_F(ServerRequestTest, PendingIsRefusedPrintingUntilTheEngineDecides) {
  start(/*decider=*/false);  // nothing is decided until this test calls process()
  auto station = connect("kec-a");
  ASSERT_TRUE(station);
  RequestClient rc(*station);
  const auto r = recorded(*station, siti(workflow::Channel::kLuring), capture_as(pop_, 101, 0, "new-101"));
  ASSERT_FALSE(r.id.empty());
  auto waiting = rc.refresh(r.id);
  ASSERT_TRUE(waiting) << waiting.error().to_string();
  EXPECT_EQ(waiting->state, S::kPenunggalanPending);
  auto refused = rc.print(r.id, std::nullopt);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(refused.error().message(), "is PENDING")) << refused.error().message();

  // The live engine decides; the very next refresh sees it (no copy of the store in between).
  for (int i = 0; i < 20; ++i) {
    auto v = engine_->process();
    ASSERT_TRUE(v) << v.error().to_string();
    if (v->empty()) break;
  }
  auto ready = rc.refresh(r.id);
  ASSERT_TRUE(ready) << ready.error().to_string();
  EXPECT_EQ(ready->state, S::kPrintReady) << ready->note;
  EXPECT_TRUE(rc.print(r.id, std::nullopt));
}

// The review's two findings over the protocol: one capture linked to two requests under two
// NIKs, and a UNIQUE verdict that re-deduplication or deletion later contradicts.
TEST_F(ServerRequestTest, ACaptureServesOneApplicantAndLaterFindingsStopPrinting) {
  start();
  auto station = connect("kec-a");
  auto admin = connect("alice");
  ASSERT_TRUE(station && admin);
  RequestClient rc(*station);
  const auto a = recorded(*station, siti(workflow::Channel::kLuring), capture_as(pop_, 102, 0, "cap-x"));
  ASSERT_FALSE(a.id.empty());
  ASSERT_EQ(decided(rc, a.id).state, S::kPrintReady);

  workflow::NewRequest budi = siti(workflow::Channel::kLuring);
  budi.applicant.nik = *Nik::parse("3273015505900003");
  budi.applicant.name = "Budi Santoso";
  auto b = rc.create(budi);
  ASSERT_TRUE(b) << b.error().to_string();
  ASSERT_TRUE(rc.verify_documents(b->id, {}));
  auto reused = rc.record_biometrics(b->id, "cap-x");
  ASSERT_FALSE(reused);
  EXPECT_EQ(reused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(reused.error().message(), "already linked to request " + a.id)) << reused.error().message();
  // Another capture of Siti's, linked to nobody: still not Budi's.
  Enrollment hers = capture_as(pop_, 103, 0, "cap-y");
  hers.nik = siti(workflow::Channel::kLuring).applicant.nik;
  ASSERT_TRUE(station->submit(std::vector<Enrollment>{hers}));
  auto foreign = rc.record_biometrics(b->id, "cap-y");
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(foreign.error().message(), "taken for NIK 3273015505900002")) << foreign.error().message();
  EXPECT_EQ(flow_->get(b->id)->state, S::kDocumentsVerified);
  auto twice = rc.create(siti(workflow::Channel::kLuring));
  ASSERT_FALSE(twice);
  EXPECT_TRUE(contains(twice.error().message(), "already has an open request " + a.id)) << twice.error().message();

  // Reprocessing finds that A's subject resembles enrolled subject 1: the print gate stops it at
  // once, and refresh takes the request back to duplicate_blocked.
  auto v = engine_->verdict(EnrollmentId{"kec-a/cap-x"});
  ASSERT_TRUE(v && *v);
  const SubjectId subject = (*v)->subject;
  admin::ReviewCase rcase;
  rcase.a = SubjectId{1};
  rcase.b = subject;
  rcase.probe = subject;
  rcase.evidence.subject = rcase.a;
  rcase.evidence.score = 5.0f;
  ASSERT_TRUE(engine_->with_store([&](engine::Store& st) { return admin::add_cases(st, {rcase}).status(); }));
  auto gated = rc.print(a.id, std::nullopt);
  ASSERT_FALSE(gated);
  EXPECT_EQ(gated.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(contains(gated.error().message(), "is REVIEW")) << gated.error().message();
  EXPECT_TRUE(contains(gated.error().message(), rcase.id())) << gated.error().message();
  auto blocked = rc.refresh(a.id);
  ASSERT_TRUE(blocked) << blocked.error().to_string();
  EXPECT_EQ(blocked->state, S::kDuplicateBlocked);

  // An admin finds them two people: released as after a DISTINCT verdict.
  admin::AdminQuery q;
  q.kind = admin::AdminQuery::Kind::kAdjudicateCase;
  q.id = rcase.id();
  q.decision = Decision::kDistinct;
  q.reason = "different people, documents checked";
  ASSERT_TRUE(admin->admin(q));
  auto released = rc.refresh(a.id);
  ASSERT_TRUE(released) << released.error().to_string();
  EXPECT_EQ(released->state, S::kPrintReady) << released->note;

  // The subject is deleted (death registration) before the card is printed.
  ASSERT_TRUE(admin->delete_subject(subject, "death registered"));
  auto refused = rc.print(a.id, std::nullopt);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(contains(refused.error().message(), "is REVOKED")) << refused.error().message();
  auto stopped = rc.refresh(a.id);
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->state, S::kDuplicateBlocked);
}

TEST_F(ServerRequestTest, ASiteOperatesOnlyItsOwnRequests) {
  start();
  auto a = connect("kec-a");
  auto b = connect("kec-b");
  auto admin = connect("alice");
  ASSERT_TRUE(a && b && admin);
  RequestClient ra(*a), rb(*b), radmin(*admin);
  auto mine = ra.create(siti(workflow::Channel::kDaring));  // daring: a message in the outbox
  ASSERT_TRUE(mine) << mine.error().to_string();
  const std::string id = mine->id;

  const auto denied = [](const auto& result, const char* what) {
    ASSERT_FALSE(result) << what;
    EXPECT_EQ(result.error().code(), ErrorCode::kPermissionDenied) << what << ": " << result.error().message();
    EXPECT_TRUE(contains(result.error().message(), "kec-b")) << result.error().message();
  };
  denied(rb.show(id), "show");
  denied(rb.verify_documents(id, {}), "verify documents");
  denied(rb.record_biometrics(id, "x-1"), "record biometrics");
  denied(rb.refresh(id), "refresh");
  denied(rb.print(id, std::nullopt), "print");
  denied(rb.reject(id, "not ours"), "reject");
  denied(rb.reissue_pin(id), "reissue PIN");
  denied(rb.hand_over(id, {}), "hand over");
  EXPECT_EQ(flow_->get(id)->state, S::kSubmitted) << "nothing of a refused step was done";

  // Lists, the outbox and the old-card log show a site only its own.
  EXPECT_TRUE(rb.list(std::nullopt, false)->empty());
  EXPECT_TRUE(rb.outbox(true)->empty());
  EXPECT_TRUE(rb.old_cards(false)->empty());
  EXPECT_EQ(ra.list(std::nullopt, false)->size(), 1u);
  EXPECT_EQ(ra.outbox(false)->size(), 1u) << "kec-b's take did not take kec-a's message";
  // A site can name only its own captures: "<other site>/<id>" is not an id it may use.
  auto foreign = ra.record_biometrics(id, "kec-b/x-1");
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code(), ErrorCode::kInvalidArgument);

  // Admins operate every site's requests.
  auto seen = radmin.show(id);
  ASSERT_TRUE(seen) << seen.error().to_string();
  EXPECT_EQ(seen->site, "kec-a");
  EXPECT_EQ(radmin.list(std::nullopt, false)->size(), 1u);
  auto closed = radmin.reject(id, "applicant withdrew");
  ASSERT_TRUE(closed) << closed.error().to_string();
  EXPECT_EQ(closed->state, S::kRejected);
}

TEST_F(ServerRequestTest, UnknownRequestsAreNotFoundAndAServerWithoutTheWorkflowSaysSo) {
  start();
  auto a = connect("kec-a");
  ASSERT_TRUE(a);
  {
    RequestClient rc(*a);
    auto r = rc.create(siti(workflow::Channel::kLuring));
    ASSERT_TRUE(r);
    auto unknown = rc.show("REQ-99999999");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
  }
  server_.reset();
  ServerOptions o;
  o.port = 0;
  o.tls = TlsFiles::in_dir(dir_ / "tls", "server");
  auto bare = Server::start(o, *backend_);
  ASSERT_TRUE(bare) << bare.error().to_string();
  server_ = std::move(*bare);
  auto c = connect("kec-a");
  ASSERT_TRUE(c);
  RequestClient rc(*c);
  auto refused = rc.list(std::nullopt, false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(refused.error().message(), "request workflow")) << refused.error().message();
}

}  // namespace
}  // namespace tunggal::server
