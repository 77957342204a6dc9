// `tunggal request new`: registers a KTP-el request (any of the four services, luring or daring).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "cli/request_cli.h"

namespace tunggal::cli {
namespace {

struct NewArgs {
  RequestArgs common;
  std::string service, reason = "none", channel = "luring", nik, name, birth_date, marital = "single", email;
  std::vector<std::string> docs;
};

int run(const NewArgs& a) {
  workflow::NewRequest req;
  auto service = workflow::parse_service(a.service);
  if (!service) return report_failure("new", service.error());
  auto reason = workflow::parse_reason(a.reason);
  if (!reason) return report_failure("new", reason.error());
  auto channel = workflow::parse_channel(a.channel);
  if (!channel) return report_failure("new", channel.error());
  auto marital = workflow::parse_marital_status(a.marital);
  if (!marital) return report_failure("new", marital.error());
  auto nik = Nik::parse(a.nik);
  if (!nik) return report_failure("new", nik.error());
  auto birth = workflow::Date::parse(a.birth_date);
  if (!birth) return report_failure("new", birth.error());
  auto docs = parse_documents(a.docs);
  if (!docs) return report_failure("new", docs.error());
  req.service = *service;
  req.reason = *reason;
  req.channel = *channel;
  req.applicant = {*nik, a.name, *birth, *marital, a.email};
  req.documents = *docs;

  auto desk = open_request_desk(a.common);
  if (!desk) return report_failure("new", desk.error());
  auto r = (*desk)->submit(req);
  if (!r) return report_failure("new", r.error());
  print_request(*r, **desk, a.common.json);
  return kExitOk;
}

RegisterCommand reg{{"request new", "register a KTP-el request (new card or reissue, in person or online)",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<NewArgs>();
                       add_request_options(cmd, a->common);
                       cmd.add_option("--service", a->service, "wni-new, wni-reissue, oa-new or oa-reissue")->required();
                       cmd.add_option("--reason", a->reason,
                                      "reissue reason: move, data-change, damage, loss, renewal (OA only); none for new");
                       cmd.add_option("--channel", a->channel, "luring (in person, 1 day) or daring (online, 3 days)");
                       cmd.add_option("--nik", a->nik, "the applicant's 16-digit NIK")->required();
                       cmd.add_option("--name", a->name, "the applicant's name")->required();
                       cmd.add_option("--birth-date", a->birth_date, "YYYY-MM-DD, must match the NIK")->required();
                       cmd.add_option("--marital", a->marital, "single, married, divorced or widowed");
                       cmd.add_option("--email", a->email, "where notifications and the print PIN go (daring)");
                       cmd.add_option("--doc", a->docs,
                                      "a document presented or uploaded (repeat): kk-copy, form-f102, skp, old-card, "
                                      "civil-reg-evidence, police-loss-report, travel-doc-copy, kitap-copy");
                       return [a]() { return run(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
