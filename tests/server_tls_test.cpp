// Mutual TLS on the station protocol: the certificate is the identity (CN = site, OU=admin for
// admins); certificates from another CA, or none, never get in; a site cannot claim another
// site's or the admin role.
#include <gtest/gtest.h>

#include "server/client.h"
#include "server/dev_certs.h"
#include "server/server.h"
#include "tests/engine_fixture.h"

namespace tunggal::server {
namespace {

using namespace std::chrono_literals;
using tunggal::testing::capture_as;
using tunggal::testing::make_temp_dir;

class ServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("server-tls");
    ASSERT_TRUE(make_dev_certs({.out = dir_ / "tls", .sites = {"site-a", "site-b"}, .admins = {"alice"}}));
    ASSERT_TRUE(make_dev_certs({.out = dir_ / "rogue", .sites = {"site-a"}, .admins = {"alice"}}));
    // The zero-cost policy: these tests are about who gets in, not about matching.
    backend_ = zero_cost_backend();
    ServerOptions o;
    o.port = 0;
    o.tls = TlsFiles::in_dir(dir_ / "tls", "server");
    o.handshake_timeout = 2s;
    auto s = Server::start(o, *backend_);
    ASSERT_TRUE(s) << s.error().to_string();
    server_ = std::move(*s);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  ClientOptions options(const std::string& ca_dir, const std::string& name) {
    ClientOptions o;
    o.port = server_->port();
    o.tls = TlsFiles::in_dir(dir_ / ca_dir, name);
    o.timeout = 10s;
    return o;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Server> server_;
  datasets::Population pop_{datasets::PopulationConfig{.seed = 3}};
};

TEST_F(ServerTlsTest, TheCertificateIsTheIdentity) {
  auto a = Client::connect(options("tls", "site-a"));
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ((*a)->hello().site, "site-a");
  EXPECT_FALSE((*a)->hello().admin);
  auto acks = (*a)->submit(std::vector<Enrollment>{capture_as(pop_, 1, 0, "e1")});
  ASSERT_TRUE(acks) << acks.error().to_string();
  EXPECT_EQ(acks->front().kind, ItemAck::Kind::kAccepted);
  EXPECT_EQ((*a)->stats().error().code(), ErrorCode::kPermissionDenied);

  auto b = Client::connect(options("tls", "site-b"));
  ASSERT_TRUE(b);
  auto seen = (*b)->verdicts(std::vector<std::string>{"e1"});
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->front().state, VerdictState::State::kUnknown);

  auto admin = Client::connect(options("tls", "alice"));
  ASSERT_TRUE(admin) << admin.error().to_string();
  EXPECT_TRUE((*admin)->hello().admin);
  EXPECT_TRUE((*admin)->stats());
  auto full = (*admin)->verdicts(std::vector<std::string>{"site-a/e1"});
  ASSERT_TRUE(full);
  EXPECT_NE(full->front().state, VerdictState::State::kUnknown);
}

TEST_F(ServerTlsTest, ClaimsBeyondTheCertificateAreRefused) {
  ClientOptions o = options("tls", "site-a");
  o.site = "site-b";
  auto other = Client::connect(o);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code(), ErrorCode::kPermissionDenied);
  o.site = "site-a";
  o.admin = true;
  auto admin = Client::connect(o);
  ASSERT_FALSE(admin);
  EXPECT_EQ(admin.error().code(), ErrorCode::kPermissionDenied);
}

TEST_F(ServerTlsTest, CertificateFromAnotherCaNeverGetsIn) {
  // The rogue CA's "site-a" and "alice": same names, wrong issuer.
  for (const char* name : {"site-a", "alice"}) {
    ClientOptions o = options("rogue", name);
    o.tls->ca = dir_ / "tls" / "ca.pem";  // the client trusts the real server
    auto c = Client::connect(o);
    if (c) {
      // TLS 1.3 finishes the client side before the server checks the certificate: the first
      // answer is then a closed connection.
      EXPECT_FALSE((*c)->ping()) << name;
    }
  }
  // A plaintext client on the TLS port gets nowhere either.
  ClientOptions plain = options("tls", "site-a");
  plain.tls.reset();
  plain.site = "site-a";
  plain.timeout = 3s;
  EXPECT_FALSE(Client::connect(plain));
  // And the server still serves the real sites.
  auto ok = Client::connect(options("tls", "site-b"));
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_TRUE((*ok)->ping());
}


TEST_F(ServerTlsTest, TheServerMustCarryTheNameTheClientDials) {
  // The dev server certificate names localhost and 127.0.0.1: both pass.
  for (const char* host : {"127.0.0.1", "localhost"}) {
    ClientOptions o = options("tls", "site-a");
    o.host = host;
    auto c = Client::connect(o);
    ASSERT_TRUE(c) << host << ": " << c.error().to_string();
    EXPECT_TRUE((*c)->ping());
  }
  // Same CA, same address, but the client expects another host: refused before hello.
  ClientOptions wrong = options("tls", "site-a");
  wrong.server_name = "abis.example.go.id";
  auto c = Client::connect(wrong);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ErrorCode::kPermissionDenied) << c.error().to_string();
  EXPECT_NE(c.error().message().find("abis.example.go.id"), std::string::npos) << c.error().message();
}

TEST_F(ServerTlsTest, AServerCertificateForAnotherHostIsRefused) {
  // A certificate signed by the deployment's CA but issued for another host (here: a server
  // certificate that names only abis.example.go.id) cannot pose as the server at 127.0.0.1.
  ASSERT_TRUE(make_dev_certs({.out = dir_ / "elsewhere", .sites = {"site-a"}, .server_hosts = {"abis.example.go.id"}}));
  auto backend = zero_cost_backend();
  ServerOptions so;
  so.port = 0;
  so.tls = TlsFiles::in_dir(dir_ / "elsewhere", "server");
  auto s = Server::start(so, *backend);
  ASSERT_TRUE(s) << s.error().to_string();
  ClientOptions o;
  o.port = (*s)->port();
  o.tls = TlsFiles::in_dir(dir_ / "elsewhere", "site-a");
  o.timeout = 10s;
  auto c = Client::connect(o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ErrorCode::kPermissionDenied) << c.error().to_string();
  o.server_name = "abis.example.go.id";  // the name it does carry
  auto ok = Client::connect(o);
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_TRUE((*ok)->ping());
}

}  // namespace
}  // namespace tunggal::server
