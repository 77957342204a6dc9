#pragma once
// A development certificate authority for the station protocol's mutual TLS: one CA, a server
// certificate, one client certificate per recording site (CN = site id) and per admin (CN = name,
// OU = admin). For local development and tests; a deployment uses its own PKI with the same
// naming (docs/protocol.md).
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"

namespace tunggal::server {

struct DevCertsRequest {
  std::filesystem::path out{};        // created when missing; existing files are replaced
  std::vector<std::string> sites{};   // each must pass check_site_id
  std::vector<std::string> admins{};
  std::string server_name = "server"; // file stem of the server's certificate
  std::vector<std::string> server_hosts = {"localhost", "127.0.0.1"};  // subjectAltName
  int days = 825;
};

// Writes ca.pem + ca.key, <server_name>.pem/.key and <name>.pem/.key for every site and admin
// (keys: ECDSA P-256, mode 0600). TlsFiles::in_dir(out, name) names the files of one endpoint.
Status make_dev_certs(const DevCertsRequest& request);

}  // namespace tunggal::server
