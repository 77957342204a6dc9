// `tunggal admin adjudicate ID --decision duplicate|distinct --reason TEXT --admin NAME`: a person's
// decision on a queued case, audited. Changes the data directory, so the engine must not be running.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/admin_cli.h"
#include "cli/command_registry.h"

namespace tunggal::cli {
namespace {

RegisterCommand reg{{"admin adjudicate", "decide a DUPLICATE/REVIEW enrollment or a reprocessing case (audited)",
                     [](CLI::App& cmd) {
  struct Args {
    AdminArgs common;
    std::string id, decision, reason, admin;
    std::uint64_t link = 0;
  };
  auto a = std::make_shared<Args>();
  add_admin_options(cmd, a->common);
  cmd.add_option("id", a->id, "enrollment id, or reprocessing case RC-A-B (from `admin review list`)")->required();
  cmd.add_option("--decision", a->decision, "duplicate: the same person; distinct: different people")
      ->required()
      ->check(CLI::IsMember({"duplicate", "distinct"}));
  cmd.add_option("--reason", a->reason, "why (kept in the audit log), e.g. 'KK and birth certificate differ'")->required();
  cmd.add_option("--admin", a->admin, "your admin identity (kept in the audit log)")->required();
  cmd.add_option("--link", a->link, "duplicate: the subject it belongs to (default: the best candidate)");
  cmd.footer(R"(
An enrollment decided `distinct` is enrolled as a new subject (its card is released); `duplicate`
links it to the existing subject and it is never enrolled. A reprocessing case only records the
decision: removing one of two enrolled subjects is a separate, audited `tunggal admin delete`.
Each decision is final (a second one is refused) and written with an audit entry in one commit.
Needs the data directory to itself (stop the engine first).
Exit codes: 0 recorded; 1 refused (already decided, not a DUPLICATE/REVIEW case); 2 bad options;
3 data directory missing or in use; 4 no such case.

Examples:
  tunggal admin adjudicate 3273-KEC-SUKAJADI-01-000123 --decision distinct \
      --reason "twins: KK 3273010101000001 lists both" --admin budi.santoso --data-dir /srv/tunggal
  tunggal admin adjudicate RC-1042-88120 --decision duplicate --reason "same person, two NIKs" \
      --admin budi.santoso --data-dir /srv/tunggal)");
  return [a]() {
    const Decision d = a->decision == "duplicate" ? Decision::kConfirmedDuplicate : Decision::kDistinct;
    if (a->id.rfind("RC-", 0) == 0) {
      auto pair = admin::parse_case_id(a->id);
      if (!pair) return admin_failure("adjudicate", pair.error());
      auto store = open_admin_store(a->common.data_dir, true);
      if (!store) return admin_failure("adjudicate", store.error());
      if (Status s = admin::adjudicate_case(**store, pair->first, pair->second, d, a->admin, a->reason, now_ms()); !s)
        return admin_failure("adjudicate", s);
    } else {
      auto engine = open_admin_engine(a->common.data_dir);
      if (!engine) return admin_failure("adjudicate", engine.error());
      if (Status s = (*engine)->adjudicate(EnrollmentId{a->id}, d, a->admin, a->reason, SubjectId{a->link}); !s)
        return admin_failure("adjudicate", s);
    }
    if (a->common.json) std::cout << nlohmann::json{{"id", a->id}, {"decision", std::string(to_string(d))}}.dump() << "\n";
    else std::cout << fmt::format("{}: {} (recorded in the audit log)\n", a->id, to_string(d));
    return kExitOk;
  };
}}};

RegisterCommand reg_delete{{"admin delete", "remove a subject from the gallery and every index (audited)",
                            [](CLI::App& cmd) {
  struct Args {
    AdminArgs common;
    std::uint64_t subject = 0;
    std::string reason, admin;
  };
  auto a = std::make_shared<Args>();
  add_admin_options(cmd, a->common);
  cmd.add_option("subject", a->subject, "subject id")->required();
  cmd.add_option("--reason", a->reason, "why (kept in the audit log), e.g. 'death certificate 123/2026'")->required();
  cmd.add_option("--admin", a->admin, "your admin identity (kept in the audit log)")->required();
  cmd.footer(R"(
The subject's biometrics are deleted and it is no longer searched; its record stays, marked
REVOKED with the reason, and its id is never reused. Needs the data directory to itself.
Exit codes: 0 removed; 1 already removed; 3 data directory missing or in use; 4 no such subject.

Example:
  tunggal admin delete 1042 --reason "death certificate 3273-KM-0457/2026" --admin budi.santoso \
      --data-dir /srv/tunggal)");
  return [a]() {
    auto engine = open_admin_engine(a->common.data_dir);
    if (!engine) return admin_failure("delete", engine.error());
    if (Status s = (*engine)->revoke_subject(SubjectId{a->subject}, a->admin, a->reason); !s)
      return admin_failure("delete", s);
    if (a->common.json) std::cout << nlohmann::json{{"subject", a->subject}, {"state", "REVOKED"}}.dump() << "\n";
    else std::cout << fmt::format("subject {} removed from the gallery (recorded in the audit log)\n", a->subject);
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
