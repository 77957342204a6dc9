// `tunggal certs`: a development CA and the certificates of a server, recording sites and admins
// for the station protocol's mutual TLS (docs/protocol.md).
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "server/dev_certs.h"

namespace tunggal::cli {
namespace {

RegisterCommand reg{{"certs", "create a development CA and server/site/admin certificates for mutual TLS",
                     [](CLI::App& cmd) {
  auto req = std::make_shared<server::DevCertsRequest>();
  auto out = std::make_shared<std::string>();
  cmd.add_option("--out", *out, "directory for ca.pem, server.pem/.key, <site>.pem/.key, <admin>.pem/.key")->required();
  cmd.add_option("--sites", req->sites, "recording site ids (certificate CN)")->delimiter(',');
  cmd.add_option("--admin", req->admins, "admin names (CN, with OU=admin); repeat or comma-separate")->delimiter(',');
  cmd.add_option("--server-hosts", req->server_hosts,
                 "DNS names and IP addresses the server certificate carries (clients check the name they dial)")
      ->delimiter(',')
      ->capture_default_str();
  cmd.add_option("--days", req->days, "validity")->capture_default_str();
  cmd.footer("Example: tunggal certs --out tls --sites 3273-KEC-SUKAJADI-01,3273-KEC-COBLONG-02 --admin alice");
  return [=]() {
    req->out = *out;
    if (Status s = server::make_dev_certs(*req); !s) {
      std::cerr << "tunggal certs: " << s.to_string() << "\n";
      return kExitFailure;
    }
    std::cout << "wrote ca.pem, server.pem";
    for (const auto& s : req->sites) std::cout << ", " << s << ".pem";
    for (const auto& a : req->admins) std::cout << ", " << a << ".pem (admin)";
    std::cout << " (and their .key files) to " << *out << "\n";
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
