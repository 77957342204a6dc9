// `tunggal admin adjudicate ID --decision duplicate|distinct --reason TEXT` and `tunggal admin
// delete SUBJECT --reason TEXT`: a person's decisions, audited. Offline they change the data
// directory (the engine must not be running); with --connect the running server makes them and
// the audit log names the admin of the certificate.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "admin/review_cases.h"
#include "cli/admin_cli.h"
#include "cli/command_registry.h"
#include "core/json_text.h"
#include "server/client.h"

namespace tunggal::cli {
namespace {

// Offline, nobody authenticated the person: the name is required. Remotely the certificate is.
Status check_actor(const AdminArgs& a) {
  if (Status s = check_admin_mode(a); !s) return s;
  if (!a.remote() && a.admin.empty()) return invalid_argument("--admin NAME is required with --data-dir (kept in the audit log)");
  return Status::ok();
}

// Remote calls map a dropped connection to "unavailable" like admin_report does.
Status remote_status(Status s) {
  if (s.code() == ErrorCode::kIoError) return {ErrorCode::kBusy, s.message()};
  return s;
}

RegisterCommand reg{{"admin adjudicate", "decide a DUPLICATE/REVIEW enrollment or a reprocessing case (audited)",
                     [](CLI::App& cmd) {
  struct Args {
    AdminArgs common;
    std::string id, decision, reason;
    std::uint64_t link = 0;
  };
  auto a = std::make_shared<Args>();
  add_admin_options(cmd, a->common);
  cmd.add_option("id", a->id, "enrollment id, or reprocessing case RC-A-B (from `admin review list`; rc-A-B and A-B too)")->required();
  cmd.add_option("--decision", a->decision, "duplicate: the same person; distinct: different people")
      ->required()
      ->check(CLI::IsMember({"duplicate", "distinct"}));
  cmd.add_option("--reason", a->reason, "why (kept in the audit log), e.g. 'KK and birth certificate differ'")->required();
  cmd.add_option("--link", a->link, "duplicate: the subject it belongs to (default: the best candidate)");
  cmd.footer(R"(
An enrollment decided `distinct` is enrolled as a new subject (its card is released); `duplicate`
links it to the existing subject and it is never enrolled. Before enrolling, `distinct` searches
the gallery as it is now: a subject enrolled since the case was decided (often the same person's
other enrollment) that the case does not list is added to the case, nothing is enrolled, and the
command exits 1 naming it; look at it and decide again (docs/admin.md). A reprocessing case only
records the decision: removing one of two enrolled subjects is a separate, audited `tunggal admin
delete`.
Each decision is final (a second one is refused) and written with an audit entry in one commit.
Offline (--data-dir, --admin NAME required) it needs the data directory to itself (stop the
engine first); with --connect the running server decides, the station that submitted the
enrollment receives the decision like any verdict, and the audit log names your certificate.
Exit codes: 0 recorded; 1 refused (already decided, not a DUPLICATE/REVIEW case, a new candidate
found for `distinct`); 2 bad options; 3 data directory missing or in use, or server unreachable;
4 no such case; 5 not an admin.

Examples:
  tunggal admin adjudicate 3273-KEC-SUKAJADI-01/000123 --decision distinct \
      --reason "twins: KK 3273010101000001 lists both" --connect abis.example:7700 \
      --tls-dir ~/tls --admin budi.santoso
  tunggal admin adjudicate RC-1042-88120 --decision duplicate --reason "same person, two NIKs" \
      --admin budi.santoso --data-dir /srv/tunggal)");
  return [a]() {
    if (Status s = check_actor(a->common); !s) return admin_failure("adjudicate", s);
    const Decision d = a->decision == "duplicate" ? Decision::kConfirmedDuplicate : Decision::kDistinct;
    const bool is_case = admin::is_case_id(a->id);
    if (a->common.remote()) {
      auto client = connect_admin(a->common);
      if (!client) return admin_failure("adjudicate", client.error());
      if (is_case) {
        auto r = (*client)->admin({.kind = admin::AdminQuery::Kind::kAdjudicateCase, .id = a->id, .decision = d, .reason = a->reason});
        if (!r) return admin_failure("adjudicate", remote_status(r.error()));
      } else if (Status s = (*client)->adjudicate(a->id, d, a->reason, SubjectId{a->link}); !s) {
        return admin_failure("adjudicate", remote_status(s));
      }
    } else if (is_case) {
      auto store = open_admin_store(a->common.data_dir, true);
      if (!store) return admin_failure("adjudicate", store.error());
      auto r = admin::adjudicate_case(**store, {.kind = admin::AdminQuery::Kind::kAdjudicateCase, .id = a->id,
                                                .decision = d, .reason = a->reason, .actor = a->common.admin},
                                      now_ms());
      if (!r) return admin_failure("adjudicate", r.error());
    } else {
      auto engine = open_admin_engine(a->common.data_dir);
      if (!engine) return admin_failure("adjudicate", engine.error());
      if (Status s = (*engine)->adjudicate(EnrollmentId{a->id}, d, a->common.admin, a->reason, SubjectId{a->link}); !s)
        return admin_failure("adjudicate", s);
    }
    if (a->common.json) std::cout << json_text(nlohmann::json{{"id", a->id}, {"decision", std::string(to_string(d))}}) << "\n";
    else std::cout << fmt::format("{}: {} (recorded in the audit log)\n", a->id, to_string(d));
    return kExitOk;
  };
}}};

RegisterCommand reg_delete{{"admin delete", "remove a subject from the gallery and every index (audited)",
                            [](CLI::App& cmd) {
  struct Args {
    AdminArgs common;
    std::uint64_t subject = 0;
    std::string reason;
  };
  auto a = std::make_shared<Args>();
  add_admin_options(cmd, a->common);
  cmd.add_option("subject", a->subject, "subject id")->required();
  cmd.add_option("--reason", a->reason, "why (kept in the audit log), e.g. 'death certificate 123/2026'")->required();
  cmd.footer(R"(
The subject's biometrics are deleted and it is no longer searched: its fingers and face leave the
gallery, and the stored enrollment that created it, and any enrollment an admin confirmed as its
duplicate, keep their record and verdict but lose their fingers and face. The subject's record
stays, marked REVOKED with the reason, and its id is never reused. Offline (--data-dir, --admin
NAME required) it needs the data directory to itself; with --connect the running server removes it
at once from its RAM gallery and every index, and the audit log names your certificate.
Exit codes: 0 removed; 1 already removed; 2 bad options; 3 data directory missing or in use, or
server unreachable; 4 no such subject; 5 not an admin.

Examples:
  tunggal admin delete 1042 --reason "death certificate 3273-KM-0457/2026" --admin budi.santoso \
      --data-dir /srv/tunggal
  tunggal admin delete 1042 --reason "death certificate 3273-KM-0457/2026" \
      --connect abis.example:7700 --tls-dir ~/tls --admin budi.santoso)");
  return [a]() {
    if (Status s = check_actor(a->common); !s) return admin_failure("delete", s);
    if (a->common.remote()) {
      auto client = connect_admin(a->common);
      if (!client) return admin_failure("delete", client.error());
      if (Status s = (*client)->delete_subject(SubjectId{a->subject}, a->reason); !s)
        return admin_failure("delete", remote_status(s));
    } else {
      auto engine = open_admin_engine(a->common.data_dir);
      if (!engine) return admin_failure("delete", engine.error());
      if (Status s = (*engine)->revoke_subject(SubjectId{a->subject}, a->common.admin, a->reason); !s)
        return admin_failure("delete", s);
    }
    if (a->common.json) std::cout << json_text(nlohmann::json{{"subject", a->subject}, {"state", "REVOKED"}}) << "\n";
    else std::cout << fmt::format("subject {} removed from the gallery (recorded in the audit log)\n", a->subject);
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
