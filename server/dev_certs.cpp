#include "server/dev_certs.h"

#include <cstdio>
#include <memory>
#include <random>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "server/wire_codec.h"

namespace tunggal::server {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Status openssl_error(const std::string& what) { return io_error("OpenSSL: " + what); }

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

enum class Role { kCa, kServer, kSite, kAdmin };

Expected<Cert> make_cert(EVP_PKEY* key, const std::string& cn, Role role, X509* issuer, EVP_PKEY* issuer_key,
                         const std::vector<std::string>& hosts, int days) {
  Cert cert(X509_new());
  if (!cert) return openssl_error("X509_new");
  X509_set_version(cert.get(), 2);
  std::random_device rd;
  ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()),
                         static_cast<std::int64_t>((std::uint64_t{rd()} << 31) ^ rd()) & 0x7fffffffffffffffLL);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400L);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add = [&](const char* field, const std::string& v) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1,
                               0);
  };
  add("O", "tunggal development");
  const char* ou = role == Role::kCa ? "ca" : role == Role::kServer ? "server" : role == Role::kAdmin ? "admin" : "site";
  add("OU", ou);
  add("CN", cn);
  X509* iss = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(iss));
  bool ok = true;
  if (role == Role::kCa) {
    ok = add_ext(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
         add_ext(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign") &&
         add_ext(cert.get(), iss, NID_subject_key_identifier, "hash");
  } else {
    ok = add_ext(cert.get(), iss, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(cert.get(), iss, NID_key_usage, "critical,digitalSignature,keyAgreement") &&
         add_ext(cert.get(), iss, NID_ext_key_usage, role == Role::kServer ? "serverAuth" : "clientAuth");
    if (ok && role == Role::kServer && !hosts.empty()) {
      std::string san;
      for (const std::string& h : hosts) {
        const bool ip = h.find_first_not_of("0123456789.") == std::string::npos || h.find(':') != std::string::npos;
        san += fmt::format("{}{}:{}", san.empty() ? "" : ",", ip ? "IP" : "DNS", h);
      }
      ok = add_ext(cert.get(), iss, NID_subject_alt_name, san);
    }
  }
  if (!ok) return openssl_error("adding certificate extensions for " + cn);
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0) return openssl_error("signing " + cn);
  return cert;
}

Status write_pem(const std::filesystem::path& path, X509* cert, EVP_PKEY* key) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return io_error(fmt::format("cannot write {}", path.string()));
  const bool ok = cert ? PEM_write_X509(f, cert) == 1
                       : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  if (!ok) return openssl_error("writing " + path.string());
  if (key)
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace);
  return Status::ok();
}

}  // namespace

Status make_dev_certs(const DevCertsRequest& r) {
  if (r.out.empty()) return invalid_argument("certs: an output directory is required");
  for (const auto& n : r.sites)
    if (Status s = check_site_id(n); !s) return invalid_argument("site '" + n + "': " + s.message());
  for (const auto& n : r.admins)
    if (Status s = check_site_id(n); !s) return invalid_argument("admin '" + n + "': " + s.message());
  std::error_code ec;
  std::filesystem::create_directories(r.out, ec);
  if (ec) return io_error(fmt::format("cannot create {}: {}", r.out.string(), ec.message()));

  auto new_key = []() { return Key(EVP_EC_gen("P-256")); };
  Key ca_key = new_key();
  if (!ca_key) return openssl_error("generating the CA key");
  auto ca = make_cert(ca_key.get(), "tunggal development CA", Role::kCa, nullptr, nullptr, {}, r.days);
  if (!ca) return ca.error();
  if (Status s = write_pem(r.out / "ca.pem", ca->get(), nullptr); !s) return s;
  if (Status s = write_pem(r.out / "ca.key", nullptr, ca_key.get()); !s) return s;

  auto issue = [&](const std::string& name, Role role) -> Status {
    Key key = new_key();
    if (!key) return openssl_error("generating a key for " + name);
    auto cert = make_cert(key.get(), name, role, ca->get(), ca_key.get(), r.server_hosts, r.days);
    if (!cert) return cert.error();
    if (Status s = write_pem(r.out / (name + ".pem"), cert->get(), nullptr); !s) return s;
    return write_pem(r.out / (name + ".key"), nullptr, key.get());
  };
  if (Status s = issue(r.server_name, Role::kServer); !s) return s;
  for (const auto& n : r.sites)
    if (Status s = issue(n, Role::kSite); !s) return s;
  for (const auto& n : r.admins)
    if (Status s = issue(n, Role::kAdmin); !s) return s;
  return Status::ok();
}

}  // namespace tunggal::server
