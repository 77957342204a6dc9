#include "cli/request_cli.h"

#include <chrono>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "core/json_text.h"
#include "workflow/detail/record_json.h"

namespace tunggal::cli {

void add_request_options(CLI::App& cmd, RequestArgs& args) {
  cmd.add_option("--data-dir", args.data_dir, "data directory; the workflow keeps its records in DIR/workflow");
  cmd.add_flag("--json", args.json, "print JSON instead of text");
  cmd.add_option("--now-ms", args.now_ms, "act as if the time were this Unix epoch millisecond (default: now; offline)");
  cmd.add_option("--connect", args.connect, "HOST:PORT of `tunggal serve`: operate the server's requests instead");
  cmd.add_option("--ca", args.ca, "with --connect: the CA certificate (PEM)");
  cmd.add_option("--cert", args.cert, "with --connect: this office's certificate (PEM; its CN is the site)");
  cmd.add_option("--key", args.key, "with --connect: this office's private key (PEM)");
  cmd.add_flag("--plain", args.plain, "with --connect: no TLS (a server run with --insecure-plaintext)");
  cmd.add_option("--site", args.site, "with --connect: the site claimed (required with --plain)");
  cmd.add_flag("--admin", args.admin, "with --connect --plain: claim the admin role");
}

int report_failure(const std::string& verb, const Status& s) {
  std::cerr << "tunggal request " << verb << ": " << s.to_string() << "\n";
  switch (s.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound: return kExitUsage;
    case ErrorCode::kLocked:
    case ErrorCode::kIoError: return kExitUnavailable;
    default: return kExitFailure;
  }
}

Expected<std::vector<workflow::Document>> parse_documents(const std::vector<std::string>& names) {
  std::vector<workflow::Document> docs;
  for (const auto& n : names) {
    auto d = workflow::parse_document(n);
    if (!d) return d.error();
    docs.push_back(*d);
  }
  return docs;
}

std::string format_time(std::int64_t ms) {
  using namespace std::chrono;
  const auto wib = sys_time<milliseconds>{milliseconds{ms + 7LL * 3600 * 1000}};
  const auto day = floor<days>(wib);
  const year_month_day ymd{day};
  const hh_mm_ss hms{floor<minutes>(wib - day)};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02ld:%02ld WIB", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()));
  return buf;
}

std::string request_line(const workflow::Request& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-13s %-20s %-12s %-7s %-26s %s", r.id.c_str(),
                r.register_number.empty() ? "-" : r.register_number.c_str(),
                std::string(workflow::to_string(r.service)).c_str(), std::string(workflow::to_string(r.channel)).c_str(),
                std::string(workflow::to_string(r.state)).c_str(), r.applicant.name.c_str());
  return buf;
}

void print_request(const workflow::Request& r, const RequestDesk& desk, bool json) {
  const std::int64_t deadline = desk.deadline_ms(r);
  if (json) {
    nlohmann::json j = workflow::detail::to_json(r);
    j["sla_deadline_ms"] = deadline;
    std::cout << json_text(j) << "\n";
    return;
  }
  std::string docs;
  for (auto d : r.documents) docs += (docs.empty() ? "" : ", ") + std::string(workflow::to_string(d));
  std::cout << r.id << "  " << workflow::to_string(r.service)
            << (r.reason == workflow::Reason::kNone ? "" : " (" + std::string(workflow::to_string(r.reason)) + ")")
            << "  " << workflow::to_string(r.channel) << "  " << workflow::to_string(r.state) << "\n";
  if (!r.register_number.empty()) std::cout << "  register    " << r.register_number << "\n";
  if (!r.site.empty()) std::cout << "  office      " << r.site << "\n";
  std::cout << "  applicant   " << r.applicant.name << ", NIK " << r.applicant.nik.str() << ", born "
            << r.applicant.birth_date.str() << " (" << workflow::to_string(r.applicant.marital_status) << ")"
            << (r.applicant.email.empty() ? "" : ", " + r.applicant.email) << "\n";
  std::cout << "  documents   " << (docs.empty() ? "-" : docs) << "\n";
  std::cout << "  enrollment  " << (r.enrollment_id.empty() ? "-" : r.enrollment_id) << "\n";
  std::cout << "  fee         Rp " << r.fee_rupiah << "\n";
  std::cout << "  submitted   " << format_time(r.submitted_at_ms) << "; due " << format_time(deadline) << "\n";
  std::cout << "  note        " << r.note << "\n";
  std::cout << "  history\n";
  for (const auto& h : r.history) {
    // The first entry records the submission itself (from == to).
    const std::string step = h.from == h.to ? std::string(workflow::to_string(h.to))
                                            : std::string(workflow::to_string(h.from)) + " → " +
                                                  std::string(workflow::to_string(h.to));
    std::cout << "    " << format_time(h.at_ms) << "  " << step << (h.note.empty() || h.note == step ? "" : "  (" + h.note + ")")
              << "\n";
  }
}

}  // namespace tunggal::cli
