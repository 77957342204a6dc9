#pragma once
// What every `tunggal request …` subcommand shares: the options (--data-dir/--json/--now-ms
// offline, --connect with TLS files or --plain for a server), opening the desk (cli/request_desk.h),
// printing requests, and turning a Status into an exit code.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "workflow/request.h"
#include "workflow/request_workflow.h"
#include "workflow/workflow_store.h"
#include "cli/request_desk.h"

namespace CLI {
class App;
}

namespace tunggal::cli {

struct RequestArgs {
  std::string data_dir;
  bool json = false;
  std::int64_t now_ms = 0;  // 0: the system clock; set it to replay or test a scenario (offline)
  // Over the station protocol: HOST:PORT of `tunggal serve`, mutual TLS files (the certificate
  // names the site), or --plain with the claimed --site (and --admin) for a development server.
  std::string connect, ca, cert, key, site;
  bool plain = false, admin = false;
};

void add_request_options(CLI::App& cmd, RequestArgs& args);

// "tunggal request <verb>: <message>" on stderr; the exit code scripts can branch on.
int report_failure(const std::string& verb, const Status& s);

Expected<std::vector<workflow::Document>> parse_documents(const std::vector<std::string>& names);

std::string format_time(std::int64_t ms);  // "2026-11-25 15:00 WIB"

// The whole request (show) or one line (list), as text or JSON.
void print_request(const workflow::Request& r, const RequestDesk& desk, bool json);
std::string request_line(const workflow::Request& r);

}  // namespace tunggal::cli
